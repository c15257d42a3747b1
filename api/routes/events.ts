// HTTP glue for the event pipeline: the relays' POST /internal/events, and GET /api/events, where a
// consumer polls what its webhooks would have delivered (the fallback for missed deliveries).
import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import { requireInternalToken } from '../../lib/internal.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { ApiDeps } from '../app.ts';
import type { createEventIngest } from '../events.ts';
import { EventTypeSchema, eventFromRow, OutboxEventSchema } from '../events.ts';

const IngestBody = z.object({ events: z.array(OutboxEventSchema).max(1000) });
const IngestReply = z.object({ stored: z.number().int(), duplicates: z.number().int() });

const EventSchema = z.object({
  id: z.string(),
  type: z.string(),
  subject: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  occurredAt: z.string(),
  receivedAt: z.string(),
});

const ListQuery = z.object({
  type: z
    .string()
    .max(2000)
    .optional()
    .transform((v) => (v ? v.split(',').filter(Boolean) : undefined))
    .pipe(z.array(EventTypeSchema).max(50).optional())
    .describe('one event type, or several separated by commas'),
  since: z.iso.datetime({ offset: true }).optional().describe('events that occurred at or after this instant'),
  until: z.iso.datetime({ offset: true }).optional().describe('events that occurred before this instant'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export function registerEventRoutes(
  app: TypedApp,
  deps: ApiDeps,
  guards: AuthGuards,
  pipeline: { ingest: ReturnType<typeof createEventIngest>; afterIngest: () => void },
) {
  app.post(
    '/internal/events',
    {
      preHandler: requireInternalToken(deps.secrets.internalToken),
      // A relay sends up to 100 events of up to ~20 KB each; a 413 here would wedge its outbox forever.
      bodyLimit: 32 * 1024 * 1024,
      schema: { hide: true, body: IngestBody, response: { 200: IngestReply } },
    },
    async (req) => {
      const result = pipeline.ingest.ingest(req.body.events);
      if (result.stored > 0) pipeline.afterIngest();
      return result;
    },
  );

  app.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Your events, newest first (what your webhooks would have delivered)',
        querystring: ListQuery,
        response: { 200: z.object({ events: z.array(EventSchema), total: z.number(), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      const p = guards.required(req);
      const q = req.query;
      const { rows, total } = pipeline.ingest.repo.list({
        ownerId: p.userId,
        types: q.type,
        since: q.since && new Date(q.since).toISOString(),
        until: q.until && new Date(q.until).toISOString(),
        limit: q.limit,
        offset: q.offset,
      });
      return { events: rows.map(eventFromRow), total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/api/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'One of your events',
        params: z.object({ id: z.string().min(1).max(128) }),
        response: { 200: EventSchema },
      },
    },
    async (req) => {
      const p = guards.required(req);
      const row = pipeline.ingest.repo.findById(req.params.id);
      if (!row || row.owner_id !== p.userId) throw notFound(`no event "${req.params.id}"`, 'EVENT_NOT_FOUND');
      return eventFromRow(row);
    },
  );
}
