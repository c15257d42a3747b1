// Deployment routes: list, live status JSON for polling, the deployment page and its actions, all through
// the marketplace's /api/deployments with the user's token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { periodOf } from '../pages/charts.ts';
import {
  activityOf,
  type DeploymentView,
  type Extras,
  renderDeleteConfirm,
  renderDeployment,
  renderDeployments,
  type SeriesPoint,
} from '../pages/deployments.ts';
import type { ServiceDetail } from '../pages/services.ts';
import { act, getAs, notFoundPage, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str } from './common.ts';

const VERBS = new Set(['start', 'stop', 'restart', 'retry', 'resume']);

export function registerDeploymentRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { marketplace } = deps.peers;
  const list = async (req: FastifyRequest) =>
    (await getAs<{ deployments: DeploymentView[] }>(marketplace, req, '/api/deployments?limit=100'))?.deployments ?? [];
  const idOf = (req: FastifyRequest) => encodeURIComponent((req.params as { id: string }).id);

  app.get('/deployments', async (req, reply) => {
    requireMe(req);
    return sendHtml(reply, renderDeployments(req.session.ctx, await list(req), noticeOf(req)));
  });

  // Polled by public/app.js: status, cost and headline metrics of my deployments (or one).
  app.get('/deployments/live.json', async (req, reply) => {
    if (!req.session.me) return reply.status(401).send({ error: 'log in first', code: 'UNAUTHORIZED' });
    const one = str((req.query as Record<string, unknown>).id, 64);
    const rows = one
      ? [await getAs<DeploymentView>(marketplace, req, `/api/deployments/${encodeURIComponent(one)}`)].filter((d) => d !== undefined)
      : await list(req);
    reply.header('cache-control', 'no-store');
    return {
      deployments: rows.map((d) => ({
        id: d.id,
        status: d.status,
        currentCost: d.billing.currentCost,
        projectedCost: d.billing.projectedCost,
        requests: d.metrics.requests,
        uptime: d.metrics.uptime,
      })),
    };
  });

  async function page(req: FastifyRequest, extra: Partial<Extras> = {}) {
    const id = idOf(req);
    const d = await getAs<DeploymentView>(marketplace, req, `/api/deployments/${id}`);
    if (!d) return undefined;
    const reveal = (req.query as Record<string, unknown>).reveal === 'credentials';
    const days = periodOf((req.query as Record<string, unknown>).days);
    const [events, metrics, logs, backups, service, creds, analytics] = await Promise.all([
      getAs<{ events: Extras['events'] }>(marketplace, req, `/api/deployments/${id}/events`),
      getAs<{ series: SeriesPoint[] }>(marketplace, req, `/api/deployments/${id}/metrics`),
      getAs<{ lines: Extras['logs'] }>(marketplace, req, `/api/deployments/${id}/logs?tail=50`),
      getAs<{ backups: Extras['backups'] }>(marketplace, req, `/api/deployments/${id}/backups`).catch(() => undefined),
      getAs<ServiceDetail>(marketplace, req, `/api/services/${encodeURIComponent(d.serviceSlug)}`),
      reveal
        ? getAs<{ credentials?: Record<string, unknown> } & Record<string, unknown>>(marketplace, req, `/api/deployments/${id}/credentials`)
        : undefined,
      getAs<{ analytics: { date: string; event_type: string; count: number }[] }>(
        deps.peers.api,
        req,
        `/api/analytics?type=deployment&id=${id}&days=${days}`,
      ).catch(() => undefined),
    ]);
    const x: Extras = {
      events: events?.events ?? [],
      series: metrics?.series ?? [],
      logs: logs?.lines ?? [],
      backups: backups?.backups ?? [],
      tiers: service?.pricing.tiers ?? [],
      credentials: creds ? ((creds.credentials as Record<string, unknown>) ?? creds) : undefined,
      notice: noticeOf(req),
      analytics: analytics ? { rows: analytics.analytics, days } : undefined,
      ...extra,
    };
    return { d, x };
  }

  // Polled by public/app.js to keep the logs tail current.
  app.get('/deployments/:id/logs.json', async (req, reply) => {
    if (!req.session.me) return reply.status(401).send({ error: 'log in first', code: 'UNAUTHORIZED' });
    const logs = await getAs<{ lines: Extras['logs'] }>(marketplace, req, `/api/deployments/${idOf(req)}/logs?tail=50`);
    reply.header('cache-control', 'no-store');
    return { lines: (logs?.lines ?? []).map((l) => `${l.at} ${l.level.toUpperCase()} ${l.message}`) };
  });

  // Polled by public/app.js: the status timeline and the metric series, redrawn without a reload.
  app.get('/deployments/:id/activity.json', async (req, reply) => {
    if (!req.session.me) return reply.status(401).send({ error: 'log in first', code: 'UNAUTHORIZED' });
    const id = idOf(req);
    const [events, metrics] = await Promise.all([
      getAs<{ events: Extras['events'] }>(marketplace, req, `/api/deployments/${id}/events`),
      getAs<{ series: SeriesPoint[] }>(marketplace, req, `/api/deployments/${id}/metrics`),
    ]);
    if (!events) return reply.status(404).send({ error: 'no such deployment', code: 'NOT_FOUND' });
    reply.header('cache-control', 'no-store');
    return activityOf({ events: events.events, series: metrics?.series ?? [] });
  });

  app.get('/deployments/:id', async (req, reply) => {
    requireMe(req);
    const p = await page(req);
    if (!p) return notFoundPage(req, reply);
    return sendHtml(reply, renderDeployment(req.session.ctx, p.d, p.x));
  });

  /** Run an action; on success back to the page (the status updates by itself), else the page with the reason. */
  async function perform(
    req: FastifyRequest,
    reply: Parameters<typeof sendHtml>[0],
    path: string,
    body?: unknown,
    method: 'POST' | 'DELETE' = 'POST',
  ) {
    const r = await act(marketplace, req, `/api/deployments/${idOf(req)}${path}`, { method, body });
    if (r.ok)
      return seeOther(
        reply,
        `/deployments/${idOf(req)}`,
        path === '/backups' ? 'backup-started' : path === '/restore' ? 'restore-started' : 'action-started',
      );
    const p = await page(req, { error: r.error });
    if (!p) return notFoundPage(req, reply);
    return sendHtml(reply, renderDeployment(req.session.ctx, p.d, p.x), r.status);
  }

  app.post('/deployments/:id/action', async (req, reply) => {
    requireMe(req);
    const action = str((req.body as Record<string, unknown>).action, 20);
    if (!VERBS.has(action)) return notFoundPage(req, reply);
    return perform(req, reply, `/${action}`);
  });
  app.post('/deployments/:id/scale', async (req, reply) => {
    requireMe(req);
    return perform(req, reply, '/scale', { instances: Number.parseInt(str((req.body as Record<string, unknown>).instances, 4), 10) || 0 });
  });
  app.post('/deployments/:id/rotate', async (req, reply) => {
    requireMe(req);
    const graceHours = Math.min(720, Math.max(0, Number.parseInt(str((req.body as Record<string, unknown>).graceHours, 4), 10) || 0));
    const r = await act(marketplace, req, `/api/deployments/${idOf(req)}/credentials/rotate`, { method: 'POST', body: { graceHours } });
    if (!r.ok) {
      const p = await page(req, { error: r.error });
      if (!p) return notFoundPage(req, reply);
      return sendHtml(reply, renderDeployment(req.session.ctx, p.d, p.x), r.status);
    }
    return seeOther(reply, `/deployments/${idOf(req)}?reveal=credentials#credentials`, 'saved');
  });
  app.post('/deployments/:id/backups', async (req, reply) => {
    requireMe(req);
    return perform(req, reply, '/backups');
  });
  app.post('/deployments/:id/restore', async (req, reply) => {
    requireMe(req);
    const b = req.body as Record<string, unknown>;
    // In place overwrites the live data with the backup: like delete, one stray click must not do it (the CLI
    // asks first too). The box is required in the form; a post without it is refused here, nothing restored.
    if (b.confirm !== '1') {
      const p = await page(req, { error: 'Tick “Replace the current data” to restore: nothing was changed.' });
      if (!p) return notFoundPage(req, reply);
      return sendHtml(reply, renderDeployment(req.session.ctx, p.d, p.x), 400);
    }
    return perform(req, reply, '/restore', { backupId: str(b.backupId, 100), mode: 'in_place' });
  });
  app.post('/deployments/:id/plan', async (req, reply) => {
    requireMe(req);
    const b = req.body as Record<string, unknown>;
    const tier = str(b.tier, 50);
    if (b.step !== 'apply') {
      const r = await act<Extras['preview']>(marketplace, req, `/api/deployments/${idOf(req)}/plan?preview=true`, {
        method: 'POST',
        body: { tier },
      });
      const p = await page(req, r.ok ? { preview: r.body } : { error: r.error });
      if (!p) return notFoundPage(req, reply);
      return sendHtml(reply, renderDeployment(req.session.ctx, p.d, p.x), r.ok ? 200 : r.status);
    }
    return perform(req, reply, '/plan', { tier });
  });

  app.get('/deployments/:id/delete', async (req, reply) => {
    requireMe(req);
    const d = await getAs<DeploymentView>(marketplace, req, `/api/deployments/${idOf(req)}`);
    if (!d) return notFoundPage(req, reply);
    return sendHtml(reply, renderDeleteConfirm(req.session.ctx, d));
  });
  app.post('/deployments/:id/delete', async (req, reply) => {
    requireMe(req);
    const d = await getAs<DeploymentView>(marketplace, req, `/api/deployments/${idOf(req)}`);
    if (!d) return notFoundPage(req, reply);
    if (str((req.body as Record<string, unknown>).confirm, 100) !== d.name)
      return sendHtml(reply, renderDeleteConfirm(req.session.ctx, d, 'The name does not match: nothing was deleted.'), 400);
    const r = await act(marketplace, req, `/api/deployments/${idOf(req)}`, { method: 'DELETE' });
    if (!r.ok) return sendHtml(reply, renderDeleteConfirm(req.session.ctx, d, r.error), r.status);
    return seeOther(reply, '/deployments', 'deleted');
  });
}
