// /api/services/:slug/reviews: one review per user per service (posting again updates it), verified when
// the reviewer has run a deployment of the service.
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { notFound } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { findTemplate } from '../../services/templates/index.ts';
import type { ReviewRow, ReviewsRepo } from '../reviews-repo.ts';

const Slug = z.object({ slug: z.string().max(100) });
// Reviews are other people's words shown in terminals (service-cli), pages and feeds: escape sequences, NULs and
// bells have no place in them. A body keeps its line breaks and tabs; a title is one line.
const NO_CONTROL = /^[^\p{Cc}]*$/u;
const NO_CONTROL_BUT_LINES = /^(?:[^\p{Cc}]|[\n\r\t])*$/u;
const view = (r: ReviewRow) => ({
  serviceId: r.service_id,
  userId: r.user_id,
  username: r.username,
  rating: r.rating,
  title: r.title,
  body: r.body,
  verified: r.verified === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function service(slug: string) {
  const t = findTemplate(slug);
  if (!t) throw notFound(`no service "${slug}": GET /api/services lists them`, 'SERVICE_NOT_FOUND');
  return t;
}

export function reviewRoutes(app: TypedApp, guards: AuthGuards, reviews: ReviewsRepo, clock: Clock) {
  app.get(
    '/api/services/:slug/reviews',
    {
      schema: {
        params: Slug,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req) => {
      const t = service(req.params.slug);
      const stats = reviews.stats().get(t.id);
      return {
        reviews: reviews.list(t.id, req.query.limit, req.query.offset).map(view),
        total: reviews.count(t.id),
        averageRating: stats?.average ?? 0,
        distribution: stats?.distribution ?? [0, 0, 0, 0, 0],
      };
    },
  );
  app.post(
    '/api/services/:slug/reviews',
    {
      schema: {
        params: Slug,
        body: z.strictObject({
          rating: z.number().int().min(1).max(5),
          title: z.string().trim().min(1).max(120).regex(NO_CONTROL, 'must be one line of text without control characters'),
          body: z.string().trim().max(5000).regex(NO_CONTROL_BUT_LINES, 'must be text without control characters').default(''),
        }),
      },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      const t = service(req.params.slug);
      const existed = reviews.get(t.id, p.userId) !== undefined;
      reviews.upsert({
        service_id: t.id,
        user_id: p.userId,
        username: p.username,
        ...req.body,
        verified: reviews.hasDeployed(p.userId, t.id) ? 1 : 0,
        at: new Date(clock.now()).toISOString(),
      });
      return reply.status(existed ? 200 : 201).send(view(reviews.get(t.id, p.userId)!));
    },
  );
  app.delete('/api/services/:slug/reviews', { schema: { params: Slug } }, async (req, reply) => {
    const p = guards.writer(req);
    const t = service(req.params.slug);
    if (!reviews.remove(t.id, p.userId)) throw notFound(`you have not reviewed ${t.name}`, 'REVIEW_NOT_FOUND');
    return reply.status(204).send();
  });
}
