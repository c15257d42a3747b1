// /api/deployments: the seed's create/get/stop plus list, start, restart, retry, resume, delete, scale, plan,
// credentials, backups, restore, logs (tail and follow) and the transition history. Glue only.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest, type ErrorBody, toErrorResponse } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { DeploymentService } from '../deployments.ts';

const Id = z.object({ id: z.string().min(1).max(100) });
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** An instant as a client writes it: UTC "Z" or with an offset (`date -Iseconds` prints +00:00). */
export const Instant = z.iso.datetime({ offset: true });
const STEPS = z.enum(['provisioning', 'starting', 'stopping', 'updating', 'restarting', 'restoring']);

const CreateBody = z.strictObject({
  serviceId: z.string().min(1).max(100),
  name: z.string().regex(NAME, 'must be 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit'),
  config: z.looseObject({ tier: z.string().min(1).max(50), region: z.string().min(1).max(40) }),
  simulation: z.strictObject({ failAt: z.array(STEPS).max(6).optional(), hangAt: STEPS.optional() }).optional(),
});

/** The verbs and a manual backup take no options: an unknown field ({force: true}) is refused, never ignored. */
const NoOptions = z.strictObject({}).default({});

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function deploymentRoutes(app: TypedApp, guards: AuthGuards, svc: DeploymentService) {
  /**
   * Mutating POSTs honour Idempotency-Key: a retry gets the first answer, never a second backup or operation. The
   * key is bound to the whole request, query string included, as Stripe binds it to every parameter: the same key
   * on `plan?preview=true` and then on `plan` is a 422 mismatch, never a replayed preview that silently leaves the
   * tier unchanged. (Skipping idempotency for previews instead would let a key mean two different requests.)
   */
  const once = (req: FastifyRequest, reply: FastifyReply, userId: string, fn: () => { status: number; body: unknown }) => {
    const q = req.url.indexOf('?');
    const [path, query] = q < 0 ? [req.url, ''] : [req.url.slice(0, q), req.url.slice(q + 1)];
    const res = svc.idempotent(userId, header(req.headers['idempotency-key']), `${req.method} ${path}`, req.body ?? null, fn, query);
    if (res.replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(res.status).send(res.body);
  };

  // Open log-follow streams end when the server closes, so a follower never holds a shutdown.
  const streams = new Set<(why?: ErrorBody) => void>();
  app.addHook('preClose', async () => {
    for (const end of streams) end({ error: 'the server is shutting down: reconnect with ?since=<last line at>', code: 'SERVER_CLOSING' });
  });

  app.post('/api/deployments', { schema: { body: CreateBody } }, async (req, reply) => {
    const p = guards.writer(req);
    const res = svc.create(p, req.body, {
      idempotencyKey: header(req.headers['idempotency-key']),
      simulateHeader: header(req.headers['x-simulate-failure']),
    });
    const body = res.body as { deploymentId: string };
    reply.header('location', `/api/deployments/${body.deploymentId}`);
    if (res.replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(res.status).send(body);
  });

  app.get(
    '/api/deployments',
    {
      schema: {
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          offset: z.coerce.number().int().min(0).default(0),
          includeDeleted: z.enum(['true', 'false']).default('false'),
        }),
      },
    },
    async (req) => svc.list(guards.required(req), { ...req.query, includeDeleted: req.query.includeDeleted === 'true' }),
  );

  // Sent as the cached JSON text (DeploymentService.statusJson), not re-serialised per poll.
  app.get('/api/deployments/:id', { schema: { params: Id } }, async (req, reply) =>
    reply.type('application/json; charset=utf-8').send(svc.statusJson(guards.required(req), req.params.id)),
  );

  for (const verb of ['start', 'stop', 'restart', 'retry', 'resume'] as const) {
    app.post(`/api/deployments/:id/${verb}`, { schema: { params: Id, body: NoOptions } }, async (req, reply) => {
      const p = guards.writer(req);
      return once(req, reply, p.userId, () => svc.act(p, req.params.id, verb));
    });
  }
  app.delete('/api/deployments/:id', { schema: { params: Id } }, async (req, reply) => {
    const res = svc.act(guards.writer(req), req.params.id, 'delete');
    return reply.status(res.status).send(res.body);
  });

  app.post(
    '/api/deployments/:id/scale',
    {
      schema: {
        params: Id,
        body: z
          .strictObject({
            instances: z.number().int().min(1).max(100).optional(),
            autoscaling: z
              .strictObject({
                enabled: z.boolean(),
                // Needed to turn autoscaling on; {enabled: false} alone turns it off.
                min: z.number().int().min(1).max(100).optional(),
                max: z.number().int().min(1).max(100).optional(),
                targetCpu: z.number().int().min(10).max(95).default(70),
              })
              .refine((a) => !a.enabled || (a.min !== undefined && a.max !== undefined), 'send min and max to enable autoscaling')
              .optional(),
          })
          .refine((b) => b.instances !== undefined || b.autoscaling !== undefined, 'send instances or autoscaling'),
      },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      return once(req, reply, p.userId, () => svc.scale(p, req.params.id, req.body));
    },
  );

  app.post(
    '/api/deployments/:id/plan',
    {
      schema: {
        params: Id,
        querystring: z.object({ preview: z.enum(['true', 'false']).optional() }),
        body: z.strictObject({ tier: z.string().min(1).max(50), preview: z.boolean().optional() }),
      },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      const inQuery = req.query.preview === undefined ? undefined : req.query.preview === 'true';
      // ?preview=true with {preview: false} in the body is ambiguous: guessing "apply" would change a plan the
      // caller may only have meant to price.
      if (inQuery !== undefined && req.body.preview !== undefined && inQuery !== req.body.preview)
        throw badRequest("?preview and the body's preview disagree: send one of them", undefined, 'PREVIEW_CONFLICT');
      return once(req, reply, p.userId, () => svc.changePlan(p, req.params.id, req.body.tier, req.body.preview ?? inQuery ?? false));
    },
  );

  app.get('/api/deployments/:id/credentials', { schema: { params: Id } }, async (req) =>
    svc.credentials(guards.writer(req), req.params.id),
  );
  app.post(
    '/api/deployments/:id/credentials/rotate',
    {
      schema: {
        params: Id,
        body: z.strictObject({ graceHours: z.number().int().min(0).max(720).default(24) }).default({ graceHours: 24 }),
      },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      return once(req, reply, p.userId, () => ({ status: 200, body: svc.rotateCredentials(p, req.params.id, req.body.graceHours) }));
    },
  );

  app.post('/api/deployments/:id/backups', { schema: { params: Id, body: NoOptions } }, async (req, reply) => {
    const p = guards.writer(req);
    return once(req, reply, p.userId, () => ({ status: 202, body: svc.createBackup(p, req.params.id) }));
  });
  app.get('/api/deployments/:id/backups', { schema: { params: Id } }, async (req) => svc.listBackups(guards.required(req), req.params.id));
  app.get(
    '/api/deployments/:id/backups/:backupId',
    { schema: { params: Id.extend({ backupId: z.string().min(1).max(100) }) } },
    async (req) => svc.backup(guards.required(req), req.params.id, req.params.backupId),
  );

  app.post(
    '/api/deployments/:id/restore',
    {
      schema: {
        params: Id,
        body: z
          .strictObject({
            backupId: z.string().min(1).max(100).optional(),
            pointInTime: Instant.optional(),
            mode: z.enum(['in_place', 'new']).default('new'),
            name: z.string().regex(NAME).optional(),
          })
          .refine((b) => (b.backupId === undefined) !== (b.pointInTime === undefined), 'send exactly one of backupId or pointInTime'),
      },
    },
    async (req, reply) => {
      const p = guards.writer(req);
      return once(req, reply, p.userId, () => svc.restore(p, req.params.id, req.body));
    },
  );

  app.get(
    '/api/deployments/:id/logs',
    {
      schema: {
        params: Id,
        querystring: z.object({
          tail: z.coerce.number().int().min(1).max(1000).default(100),
          since: Instant.optional(),
          until: Instant.optional(),
          follow: z.enum(['true', 'false']).default('false'),
        }),
      },
    },
    async (req, reply) => {
      if (req.query.follow === 'true' && req.query.until)
        throw badRequest('follow streams new lines as they come: it takes since, not until', undefined, 'INVALID_QUERY');
      const first = svc.logs(guards.required(req), req.params.id, req.query);
      if (req.query.follow !== 'true') return first;
      // follow: Server-Sent Events, one "log" event per line, polling the simulated log once a second. Each poll
      // authenticates the request again, as a new request would be (a revoked or expired token, a disabled user),
      // and svc.logs checks the deployment is still the caller's: an open stream never outlives its access. The
      // stream always ends with one "end" event, {error, code} like an error body, saying why.
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      let last = first.lines.at(-1)?.at ?? new Date(0).toISOString();
      for (const l of first.lines) res.write(`event: log\ndata: ${JSON.stringify(l)}\n\n`);
      const end = (why?: ErrorBody) => {
        clearInterval(timer);
        clearTimeout(limit);
        streams.delete(end);
        if (res.writableEnded) return;
        if (why) res.write(`event: end\ndata: ${JSON.stringify(why)}\n\n`);
        res.end();
      };
      const timer = setInterval(() => {
        try {
          const p = guards.again(req);
          const next = svc.logs(p, req.params.id, { tail: 1000, since: last });
          for (const l of next.lines) res.write(`event: log\ndata: ${JSON.stringify(l)}\n\n`);
          if (next.lines.length) last = next.lines.at(-1)!.at;
          // A deleted deployment writes no more lines: its last ("deleting -> deleted") has just been sent, so
          // the stream ends now rather than idling to the 10-minute limit.
          const dep = svc.owned(p, req.params.id);
          if (dep.status === 'deleted')
            end({ error: `deployment "${dep.name}" was deleted: no more log lines will come`, code: 'DEPLOYMENT_NOT_FOUND' });
        } catch (err) {
          end(toErrorResponse(err).body);
        }
      }, 1000);
      // A follower is cut after 10 minutes; clients reconnect with ?since.
      const limit = setTimeout(
        () => end({ error: 'a log stream lasts at most 10 minutes: reconnect with ?since=<last line at>', code: 'STREAM_TIME_LIMIT' }),
        10 * 60_000,
      );
      streams.add(end);
      req.raw.on('close', () => end());
    },
  );

  app.get(
    '/api/deployments/:id/events',
    {
      schema: {
        params: Id,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req) => svc.events(guards.required(req), req.params.id, req.query),
  );
}
