// Catalog, service pages and the deploy form, through the marketplace's /api/services and /api/deployments.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  CATALOG_SORTS,
  CATEGORIES,
  type DeployForm,
  REGIONS,
  type Review,
  renderCatalog,
  renderService,
  type ServiceCard,
  type ServiceDetail,
} from '../pages/services.ts';
import { act, formNumber, formText, getAs, notFoundPage, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str } from './common.ts';

const pick = (v: unknown, list: readonly string[]) => (list.includes(v as string) ? (v as string) : '');
const digits = (v: unknown) => (/^\d{1,6}$/.test(str(v, 6)) ? str(v, 6) : '');

/** Form strings to the config's JSON types, guided by the schema (numbers, booleans, omitted blanks). */
function configFrom(body: Record<string, unknown>, s: ServiceDetail): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(s.configSchema.properties ?? {})) {
    const raw = str(body[`config.${k}`], 500);
    if (p.type === 'boolean') {
      if (raw === 'true') out[k] = true;
    } else if (raw !== '') out[k] = p.type === 'integer' || p.type === 'number' ? Number(raw) : raw;
  }
  return out;
}

export function registerServiceRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { marketplace } = deps.peers;

  app.get('/services', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const f = {
      q: str(q.q, 100),
      category: pick(q.category, CATEGORIES),
      region: pick(q.region, REGIONS),
      maxPrice: digits(q.maxPrice),
      minRating: pick(q.minRating, ['1', '2', '3', '4', '5']),
      sort: pick(
        q.sort,
        CATALOG_SORTS.map(([v]) => v),
      ),
    };
    const params = new URLSearchParams({ limit: '100' });
    for (const [k, v] of Object.entries(f)) if (v) params.set(k, v);
    const r = await getAs<{ services: ServiceCard[] }>(marketplace, req, `/api/services?${params}`);
    return sendHtml(reply, renderCatalog(req.session.ctx, f, r?.services ?? []));
  });

  async function load(req: Parameters<typeof requireMe>[0], slug: string) {
    const path = encodeURIComponent(slug);
    const [s, reviews] = await Promise.all([
      getAs<ServiceDetail>(marketplace, req, `/api/services/${path}`),
      getAs<{ reviews: Review[] }>(marketplace, req, `/api/services/${path}/reviews?limit=20`),
    ]);
    return { s, reviews: reviews?.reviews ?? [] };
  }

  app.get('/services/:slug', async (req, reply) => {
    const { s, reviews } = await load(req, (req.params as { slug: string }).slug);
    if (!s) return notFoundPage(req, reply);
    return sendHtml(reply, renderService(req.session.ctx, s, reviews, { values: {}, errors: {}, notice: noticeOf(req) }));
  });

  app.post('/services/:slug/reviews', async (req, reply) => {
    requireMe(req);
    const slug = (req.params as { slug: string }).slug;
    const b = req.body as Record<string, unknown>;
    const r = await act(marketplace, req, `/api/services/${encodeURIComponent(slug)}/reviews`, {
      method: 'POST',
      body: { rating: formNumber(b.rating), title: formText(b.title), body: formText(b.body) },
    });
    if (r.ok) return seeOther(reply, `/services/${encodeURIComponent(slug)}`, 'saved');
    const { s, reviews } = await load(req, slug);
    if (!s) return notFoundPage(req, reply);
    const review = { rating: formText(b.rating), title: formText(b.title), body: formText(b.body), error: r.error ?? 'refused' };
    return sendHtml(reply, renderService(req.session.ctx, s, reviews, { values: {}, errors: {}, review }), r.status);
  });

  app.post('/services/:slug/deploy', async (req, reply) => {
    requireMe(req);
    const { s, reviews } = await load(req, (req.params as { slug: string }).slug);
    if (!s) return notFoundPage(req, reply);
    const b = req.body as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(b)) if (k !== '_csrf') values[k] = formText(v);
    const r = await act<{ deploymentId: string }>(marketplace, req, '/api/deployments', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: { serviceId: s.slug, name: values.name ?? '', config: { tier: values.tier, region: values.region, ...configFrom(b, s) } },
    });
    if (r.ok) return seeOther(reply, `/deployments/${encodeURIComponent(r.body.deploymentId)}`, 'deployed');
    const form: DeployForm = { values, errors: {}, error: r.error };
    if (Array.isArray(r.details))
      for (const d of r.details as { field?: string; message?: string }[]) if (d.field) form.errors[d.field] = d.message ?? 'is invalid';
    if (r.code === 'DEPLOYMENT_NAME_TAKEN') form.errors.name = 'You already have a deployment with this name.';
    return sendHtml(reply, renderService(req.session.ctx, s, reviews, form), r.status);
  });
}
