// Admin routes: users through the main API (as the admin), the registry's review queue and advisory import
// through its internal routes (the dashboard checks the admin role first), revenue from the marketplace.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AdminData, type AdminUser, type CatalogService, type Flagged, type Revenue, renderAdmin } from '../pages/admin.ts';
import { errorPage } from '../views.ts';
import { act, getAs, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str } from './common.ts';

export function registerAdminRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { api, registry, marketplace } = deps.peers;

  /** The internal token is the dashboard's, not the user's: only an admin may make it speak. */
  function requireAdmin(req: FastifyRequest, reply: FastifyReply) {
    const { me } = requireMe(req);
    if (me.role !== 'admin') {
      sendHtml(reply, errorPage(req.session.ctx, 403, 'This page is for administrators.'), 403);
      return false;
    }
    return true;
  }

  async function show(req: FastifyRequest, reply: FastifyReply, extra: Partial<AdminData> = {}, status = 200) {
    const q = str((req.query as Record<string, unknown>).q, 100);
    const quiet = <T>(p: Promise<T | undefined>) => p.catch(() => undefined);
    const [users, flagged, revenue, services] = await Promise.all([
      getAs<{ users: AdminUser[]; total: number }>(api, req, `/api/admin/users?limit=50&q=${encodeURIComponent(q)}`),
      quiet(registry.get<{ flagged: Flagged[] }>('/internal/security/reviews', { requestId: req.id })),
      quiet(getAs<Revenue>(marketplace, req, '/api/admin/revenue')),
      quiet(getAs<{ services: CatalogService[] }>(marketplace, req, '/api/services?limit=100')),
    ]);
    const data: AdminData = {
      q,
      users: users?.users ?? [],
      total: users?.total ?? 0,
      flagged: flagged?.flagged,
      revenue,
      services: services?.services,
      notice: noticeOf(req),
      ...extra,
    };
    return sendHtml(reply, renderAdmin(req.session.ctx, data), status);
  }

  app.get('/admin', async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply;
    return show(req, reply);
  });

  app.post('/admin/users/:id', async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply;
    const b = req.body as Record<string, unknown>;
    const r = await act(api, req, `/api/admin/users/${encodeURIComponent((req.params as { id: string }).id)}`, {
      method: 'PATCH',
      body: { role: str(b.role, 20), plan: str(b.plan, 20), disabled: b.disabled === 'disabled' },
    });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return seeOther(reply, '/admin', 'saved');
  });

  app.post('/admin/services/:slug/listing', async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply;
    const slug = encodeURIComponent((req.params as { slug: string }).slug);
    const listing = str((req.body as Record<string, unknown>).listing, 20);
    const r = await act(marketplace, req, `/api/admin/services/${slug}/listing`, { method: 'PUT', body: { listing } });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return seeOther(reply, '/admin', 'saved');
  });

  app.post('/admin/reviews', async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply;
    const b = req.body as Record<string, unknown>;
    const action = str(b.action, 20) === 'release' ? 'release' : 'quarantine';
    const r = await act(registry, req, '/internal/security/reviews', {
      method: 'POST',
      body: {
        // The registry refuses an unknown ecosystem with 400; the name alone would be ambiguous across ecosystems.
        ecosystem: str(b.ecosystem, 20) || 'npm',
        name: str(b.name, 300),
        version: str(b.version, 100),
        action,
        by: req.session.me?.username ?? 'admin',
      },
    });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return seeOther(reply, '/admin', 'saved');
  });

  app.post('/admin/advisories', async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply;
    const text = str((req.body as Record<string, unknown>).osv, 60_000).trim();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // NDJSON: one record per line
      try {
        body = text
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l));
      } catch {
        return show(req, reply, { error: 'The advisories are not valid JSON or NDJSON.' }, 400);
      }
    }
    const r = await act<Record<string, unknown>>(registry, req, '/internal/security/advisories', { method: 'POST', body });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return show(req, reply, { imported: `Imported: ${JSON.stringify(r.body)}` });
  });
}
