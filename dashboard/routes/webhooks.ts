// Webhook routes through the main API's /api/webhooks (create, test, enable/disable, deliveries, redeliver).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Attempt, type Delivery, renderWebhook, renderWebhooks, type WebhookView, webhooksNotInPlan } from '../pages/webhooks.ts';
import { act, formText, getAs, notFoundPage, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str } from './common.ts';

export function registerWebhookRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { api } = deps.peers;
  const idOf = (req: FastifyRequest) => encodeURIComponent((req.params as { id: string }).id);
  const list = async (req: FastifyRequest) =>
    (await getAs<{ webhooks: WebhookView[] }>(api, req, '/api/webhooks?limit=100'))?.webhooks ?? [];

  app.get('/webhooks', async (req, reply) => {
    const { me } = requireMe(req);
    return sendHtml(reply, renderWebhooks(req.session.ctx, me, await list(req), { notice: noticeOf(req) }));
  });

  app.post('/webhooks', async (req, reply) => {
    const { me } = requireMe(req);
    const b = req.body as Record<string, unknown>;
    const values = { url: formText(b.url), events: formText(b.events), description: formText(b.description) };
    const events = values.events
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const r = await act<{ id: string; secret: string }>(api, req, '/api/webhooks', {
      method: 'POST',
      body: { url: values.url, events, ...(values.description ? { description: values.description } : {}) },
    });
    const hooks = await list(req);
    if (!r.ok) {
      // The API names the events it knows in its refusal: say them, or the user is left guessing the spelling.
      const allowed = (r.details as { allowed?: unknown } | undefined)?.allowed;
      // A plan refusal (the form was open in a tab from before a downgrade) in the account page's words, not the
      // API's "upgrade to Team": users do not pick their plan here.
      const error =
        r.code === 'PLAN_LIMIT_EXCEEDED'
          ? webhooksNotInPlan(me)
          : r.code === 'UNKNOWN_EVENT_TYPE' && Array.isArray(allowed)
            ? `${r.error}. Known events: ${allowed.join(', ')} (or * for all).`
            : r.error;
      return sendHtml(reply, renderWebhooks(req.session.ctx, me, hooks, { error, values }), r.status);
    }
    return sendHtml(reply, renderWebhooks(req.session.ctx, me, hooks, { created: { id: r.body.id, secret: r.body.secret } }), 201);
  });

  async function show(req: FastifyRequest, reply: FastifyReply, o: Parameters<typeof renderWebhook>[3] = {}, status = 200) {
    const id = idOf(req);
    const [h, deliveries] = await Promise.all([
      getAs<WebhookView>(api, req, `/api/webhooks/${id}`),
      getAs<{ deliveries: Delivery[] }>(api, req, `/api/webhooks/${id}/deliveries?limit=50`),
    ]);
    if (!h) return notFoundPage(req, reply);
    const deliveryId = str((req.query as Record<string, unknown>).delivery, 64);
    if (deliveryId) {
      const d = await getAs<{ attempts: Attempt[] }>(api, req, `/api/webhooks/${id}/deliveries/${encodeURIComponent(deliveryId)}`);
      if (d) o.attempts = { delivery: deliveryId, list: d.attempts };
    }
    return sendHtml(reply, renderWebhook(req.session.ctx, h, deliveries?.deliveries ?? [], { notice: noticeOf(req), ...o }), status);
  }

  app.get('/webhooks/:id', async (req, reply) => {
    requireMe(req);
    return show(req, reply);
  });

  app.post('/webhooks/:id/test', async (req, reply) => {
    requireMe(req);
    const r = await act<Attempt>(api, req, `/api/webhooks/${idOf(req)}/test`, { method: 'POST', body: {} });
    return show(req, reply, r.ok ? { test: r.body } : { error: r.error }, r.ok ? 200 : r.status);
  });

  app.post('/webhooks/:id/rotate', async (req, reply) => {
    requireMe(req);
    const r = await act<{ secret: string }>(api, req, `/api/webhooks/${idOf(req)}/secrets/rotate`, { method: 'POST', body: {} });
    return show(req, reply, r.ok ? { secret: r.body.secret } : { error: r.error }, r.ok ? 200 : r.status);
  });

  app.post('/webhooks/:id/active', async (req, reply) => {
    requireMe(req);
    const active = (req.body as Record<string, unknown>).active === 'true';
    const r = await act(api, req, `/api/webhooks/${idOf(req)}`, { method: 'PATCH', body: { active } });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return seeOther(reply, `/webhooks/${idOf(req)}`, 'saved');
  });

  app.post('/webhooks/:id/deliveries/:deliveryId/redeliver', async (req, reply) => {
    requireMe(req);
    const d = encodeURIComponent((req.params as { deliveryId: string }).deliveryId);
    const r = await act(api, req, `/api/webhooks/${idOf(req)}/deliveries/${d}/redeliver`, { method: 'POST', body: {} });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return seeOther(reply, `/webhooks/${idOf(req)}`, 'redelivered');
  });

  app.post('/webhooks/:id/delete', async (req, reply) => {
    requireMe(req);
    const r = await act(api, req, `/api/webhooks/${idOf(req)}`, { method: 'DELETE' });
    if (!r.ok) return show(req, reply, { error: r.error }, r.status);
    return seeOther(reply, '/webhooks', 'deleted');
  });
}
