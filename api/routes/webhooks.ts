// HTTP glue for webhooks: the seed's POST/GET /api/webhooks, plus get/patch/delete, test ping, secret
// rotation, the delivery log with attempts, redeliver and recover.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../lib/auth.ts';
import { badRequest, notFound } from '../../lib/errors.ts';
import { createRateLimiter, RATE_LIMITS } from '../../lib/rate-limit.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { ApiDeps } from '../app.ts';
import { createAuditLog } from '../audit.ts';
import type { createWebhookRules } from '../webhooks.ts';
import { toDeliveryView, toWebhookView } from '../webhooks.ts';
import { createWebhooksRepo } from '../webhooks-repo.ts';

const Url = z.string().min(1).max(2048).describe('http(s) URL of your receiver; private and loopback addresses are refused');
const Events = z.array(z.string().max(100)).min(1).max(20).describe('event types to receive, or ["*"] for all');
const IdParams = z.object({ id: z.string().min(1).max(64) });
const DeliveryParams = IdParams.extend({ deliveryId: z.string().min(1).max(64) });

const WebhookView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  active: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: z.string().nullable(),
  consecutiveFailures: z.number(),
  lastSuccessAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const DeliveryView = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.string(),
  attemptCount: z.number(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const AttemptView = z.object({
  id: z.string(),
  attemptNumber: z.number(),
  trigger: z.string(),
  url: z.string(),
  resolvedIp: z.string().nullable(),
  requestHeaders: z.record(z.string(), z.string()),
  startedAt: z.string(),
  durationMs: z.number(),
  responseStatus: z.number().nullable(),
  responseBody: z.string().nullable(),
  outcome: z.string(),
  error: z.string().nullable(),
});
const Iso = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

const attemptView = (a: ReturnType<ReturnType<typeof createWebhooksRepo>['attemptsOf']>[number]) => ({
  id: a.id,
  attemptNumber: a.attempt_number,
  trigger: a.trigger,
  url: a.url,
  resolvedIp: a.resolved_ip,
  requestHeaders: JSON.parse(a.request_headers) as Record<string, string>,
  startedAt: a.started_at,
  durationMs: a.duration_ms,
  responseStatus: a.response_status,
  responseBody: a.response_body,
  outcome: a.outcome,
  error: a.error,
});

export function registerWebhookRoutes(app: TypedApp, deps: ApiDeps, guards: AuthGuards, rules: ReturnType<typeof createWebhookRules>) {
  const repo = createWebhooksRepo(deps.db);
  const tags = ['webhooks'];
  const limiter = createRateLimiter(
    () => deps.db,
    () => deps.clock.now(),
  );
  /** The writer, within its budget of sends it asks for (lib/rate-limit.ts). */
  const sender = (req: FastifyRequest) => {
    const p = guards.writer(req);
    limiter.enforce([[RATE_LIMITS.webhookManualSendPerUser, p.userId]]);
    return p;
  };
  const audit = createAuditLog(deps.db, deps.clock);
  // Who changed where events go: the URL and events are recorded, never the secret.
  const record = (req: FastifyRequest, p: Principal, action: string, target: string, details?: Record<string, unknown>) =>
    audit.record({
      actorId: p.userId,
      actorUsername: p.username,
      action,
      target,
      ip: req.ip,
      userAgent: req.headers['user-agent'],
      details,
    });

  app.post(
    '/api/webhooks',
    {
      schema: {
        tags,
        summary: 'Subscribe a URL to events; the signing secret is shown only in this answer',
        body: z.strictObject({ url: Url, events: Events, description: z.string().max(500).optional() }),
        response: { 201: WebhookView.extend({ webhookId: z.string(), secret: z.string() }) },
      },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      const { webhook, secret } = await rules.create(p, req.body);
      record(req, p, 'webhook.create', webhook.id, { url: webhook.url, events: JSON.parse(webhook.events) });
      return reply.status(201).send({ webhookId: webhook.id, ...toWebhookView(webhook), secret });
    },
  );

  app.get(
    '/api/webhooks',
    {
      schema: {
        tags,
        summary: 'Your webhooks',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.object({ webhooks: z.array(WebhookView), total: z.number(), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      const p = guards.required(req);
      const { rows, total } = repo.listByOwner(p.userId, req.query.limit, req.query.offset);
      return { webhooks: rows.map(toWebhookView), total, limit: req.query.limit, offset: req.query.offset };
    },
  );

  app.get(
    '/api/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'One webhook, with its secrets (ids and expiry only)',
        params: IdParams,
        response: {
          200: WebhookView.extend({
            secrets: z.array(z.object({ id: z.string(), createdAt: z.string(), expiresAt: z.string().nullable() })),
          }),
        },
      },
    },
    async (req) => {
      const p = guards.required(req);
      const w = rules.owned(p, req.params.id);
      const secrets = repo.activeSecrets(w.id, new Date(deps.clock.now()).toISOString());
      return { ...toWebhookView(w), secrets: secrets.map((s) => ({ id: s.id, createdAt: s.created_at, expiresAt: s.expires_at })) };
    },
  );

  app.patch(
    '/api/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change the URL, events or description; {"active":true} re-enables and clears the failure streak',
        params: IdParams,
        body: z.strictObject({
          url: Url.optional(),
          events: Events.optional(),
          description: z.string().max(500).nullable().optional(),
          active: z.boolean().optional(),
        }),
        response: { 200: WebhookView },
      },
    },
    async (req) => {
      const p = guards.writer(req);
      const w = await rules.update(p, req.params.id, req.body);
      record(req, p, 'webhook.update', w.id, req.body);
      return toWebhookView(w);
    },
  );

  app.delete(
    '/api/webhooks/:id',
    // The 204 is declared so the OpenAPI description names the status the route answers (not a default 200).
    {
      schema: { tags, summary: 'Delete a webhook and its delivery log', params: IdParams, response: { 204: z.null().describe('Deleted') } },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      rules.remove(p, req.params.id);
      record(req, p, 'webhook.delete', req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/webhooks/:id/test',
    { schema: { tags, summary: 'Send a webhook.test ping now and return the attempt', params: IdParams, response: { 200: AttemptView } } },
    async (req) => attemptView(await rules.test(sender(req), req.params.id)),
  );

  app.post(
    '/api/webhooks/:id/secrets/rotate',
    {
      schema: {
        tags,
        summary: 'Issue a new secret (shown once); the old ones keep signing until they expire (an earlier expiry is kept)',
        params: IdParams,
        body: z.strictObject({ expireOldAfterHours: z.number().min(0).max(168).default(24) }).default({ expireOldAfterHours: 24 }),
        response: { 200: z.object({ secretId: z.string(), secret: z.string(), previousSecretsExpireAt: z.string() }) },
      },
    },
    async (req) => {
      const p = guards.writer(req);
      const rotated = rules.rotate(p, req.params.id, req.body.expireOldAfterHours);
      record(req, p, 'webhook.secret.rotate', req.params.id, {
        secretId: rotated.secretId,
        previousSecretsExpireAt: rotated.previousSecretsExpireAt,
      });
      return rotated;
    },
  );

  app.get(
    '/api/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'Delivery log, newest first (cursor-paginated)',
        params: IdParams,
        querystring: z.object({
          status: z.enum(['pending', 'scheduled', 'retrying', 'succeeded', 'failed', 'skipped']).optional(),
          eventType: z.string().max(100).optional(),
          since: Iso.optional(),
          until: Iso.optional(),
          cursor: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.object({ deliveries: z.array(DeliveryView), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const p = guards.required(req);
      const w = rules.owned(p, req.params.id);
      const q = req.query;
      // An empty window is a mistake in the query, not an empty log: the same 400 as recover's.
      if (q.since && q.until && q.until <= q.since) throw badRequest('"until" must be after "since"', undefined, 'INVALID_WINDOW');
      let before: { createdAt: string; id: string } | undefined;
      if (q.cursor) {
        const [createdAt, id] = Buffer.from(q.cursor, 'base64url').toString('utf8').split('|');
        if (!createdAt || !id) throw badRequest('invalid cursor: pass nextCursor from the previous page', undefined, 'INVALID_CURSOR');
        before = { createdAt, id };
      }
      const rows = repo.listDeliveries(w.id, { ...q, before, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > q.limit && last ? Buffer.from(`${last.created_at}|${last.id}`).toString('base64url') : null;
      return { deliveries: page.map(toDeliveryView), nextCursor };
    },
  );

  app.get(
    '/api/webhooks/:id/deliveries/:deliveryId',
    {
      schema: {
        tags,
        summary: 'One delivery with every attempt',
        params: DeliveryParams,
        response: { 200: DeliveryView.extend({ attempts: z.array(AttemptView) }) },
      },
    },
    async (req) => {
      const p = guards.required(req);
      const w = rules.owned(p, req.params.id);
      const d = repo.findDelivery(req.params.deliveryId);
      if (!d || d.webhook_id !== w.id) throw notFound(`no delivery "${req.params.deliveryId}" for webhook "${w.id}"`, 'DELIVERY_NOT_FOUND');
      return { ...toDeliveryView(d), attempts: repo.attemptsOf(d.id).map(attemptView) };
    },
  );

  app.post(
    '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags,
        summary: 'Send a delivery again (same webhook-id, new timestamp and signature), whatever its status',
        params: DeliveryParams,
        response: { 202: DeliveryView },
      },
    },
    async (req, reply) => {
      const d = rules.redeliver(sender(req), req.params.id, req.params.deliveryId);
      return reply.status(202).send(toDeliveryView(d));
    },
  );

  app.post(
    '/api/webhooks/:id/recover',
    {
      schema: {
        tags,
        summary: 'Requeue the failed deliveries created in [since, until), oldest first, up to 1000 per call',
        params: IdParams,
        body: z.strictObject({ since: Iso, until: Iso.optional() }),
        response: { 202: z.object({ requeued: z.number(), hasMore: z.boolean() }) },
      },
    },
    async (req, reply) => reply.status(202).send(rules.recover(sender(req), req.params.id, req.body.since, req.body.until)),
  );
}
