// The frame every process is built on: request ids, the one error body (404/405/400/413/415/5xx), /health
// and /ready, zod validation, server timeouts. Each process's app.ts calls createServiceApp and adds routes.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import FindMyWay from 'find-my-way';
import pino, { type Logger } from 'pino';
import { bodyTooLarge, toErrorResponse } from './errors.ts';
import { LazyChildLogger, loggerOptions } from './log.ts';

export const VERSION = '0.1.0';

export interface ServiceAppOptions {
  service: string;
  /** A pino logger instance, or a level for a new one ("silent" in unit tests). */
  logger?: Logger | string;
  bodyLimitBytes?: number;
  /** Answers whether this process's database (or what it depends on to serve) is usable right now. */
  ready: () => boolean | Promise<boolean>;
  startedAt?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's x-request-id when it is a plain token, else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The headers every response of the frame carries (the onSend hook below adds them on Fastify's path). */
export const frameHeaders = (req: IncomingMessage): string[] => ['x-request-id', requestIdOf(req), 'x-content-type-options', 'nosniff'];

/**
 * A read answered before Fastify routes the request: true when it wrote the whole response, false to let Fastify
 * answer (anything uncommon: errors, conditional requests, private data). Only for the hottest reads, whose
 * framework overhead was most of their cost (docs/PERFORMANCE.md, hot spot 21). It must send frameHeaders(req) too.
 */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;
const fastPathsOf = new WeakMap<Server, FastPath[]>();

/** Adds a fast path to the app's server (tried in order, before Fastify, while the app is not closing). */
export function addFastPath(app: { server: Server }, fastPath: FastPath): void {
  fastPathsOf.get(app.server)?.push(fastPath);
}
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function createServiceApp(opts: ServiceAppOptions) {
  const defaultBodyLimit = opts.bodyLimitBytes ?? 1024 * 1024;
  const logger = typeof opts.logger === 'object' ? opts.logger : pino(loggerOptions(opts.service, opts.logger ?? 'info'));
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    childLoggerFactory: (parent, bindings, options) =>
      new LazyChildLogger(parent as Logger, bindings, options) as unknown as FastifyBaseLogger,
    bodyLimit: defaultBodyLimit,
    // Slow clients cannot hold a socket forever (slowloris): whole request 60 s, headers 15 s. Node checks
    // those deadlines only every connectionsCheckingInterval (30 s by default), so check every 2 s.
    http: { connectionsCheckingInterval: 2_000 },
    requestTimeout: 60_000,
    connectionTimeout: 0,
    // Fastify's default: longer than any client's idle-socket timeout, so a client never reuses a socket the
    // server is closing at that moment ("other side closed").
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: requestIdOf,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
    // A path the router refuses (too long a segment, a malformed percent-encoding) gets the one error body too.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const { status, body } = toErrorResponse(err);
      reply.status(status).type('application/json').send(body);
    },
  });
  app.server.headersTimeout = 15_000;
  // No route reads a text body: without Fastify's default text/plain parser, such a body gets the same 415 "send
  // application/json" as any other type, rather than a 400 about the body not being an object.
  app.removeContentTypeParser('text/plain');
  // An empty body sent with content-type: application/json (curl -H 'content-type: application/json' -X POST
  // .../stop, SDKs that always set the header) is no body, as Stripe and Heroku take it, not a 400
  // INVALID_JSON: the route's schema then decides whether a body was needed. Anything else goes through
  // Fastify's own JSON parser unchanged (prototype-poisoning checks included).
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body.length === 0) return done(null, undefined);
    json(req, body as string, done);
  });

  // A POST without a body reaches the validator as null, which a zod default (`.default({...})`, `.optional()`)
  // does not accept: `POST .../secrets/rotate` or `.../credentials/rotate` with no body was a 400 "expected
  // object, received null" although every field has a default. No body is "no body" (undefined), so defaults
  // apply and a route that needs a body still says which fields are missing.
  app.setValidatorCompiler((route) => {
    const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
    return route.httpPart === 'body' ? (data: unknown) => validate(data ?? undefined) : validate;
  });
  app.setSerializerCompiler(serializerCompiler);

  // A shadow router of every declared route lets the not-found handler tell 404 (no such path) from
  // 405 (path exists, other method) — Fastify itself answers 404 for both.
  const shadow = FindMyWay({ ignoreTrailingSlash: false, maxParamLength: 500 });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      try {
        shadow.on(m as 'GET', route.url, () => {});
      } catch {
        // duplicate registration in the shadow router (e.g. HEAD added for GET): harmless
      }
    }
  });

  // While closing, answers carry "connection: close" so a keep-alive socket of an in-flight request does not
  // hold the shutdown until keepAliveTimeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook, not an async one: every response of every process passes here, and an async hook costs a
  // promise and a microtask turn per request.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  // Fast paths run in front of Fastify's own request handler (registered when Fastify created the server). While
  // closing, every request goes to Fastify, which answers 503 with "connection: close".
  const fastPaths: FastPath[] = [];
  fastPathsOf.set(app.server, fastPaths);
  const [fastify] = app.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  app.server.removeAllListeners('request');
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!closing) for (const fast of fastPaths) if (fast(req, res)) return;
    fastify(req, res);
  });

  app.setErrorHandler((err, req, reply) => {
    // Fastify's own 413 does not say the limit; the route's options do.
    const tooLarge = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const { status, body, headers } = toErrorResponse(tooLarge ? bodyTooLarge(req.routeOptions.bodyLimit ?? defaultBodyLimit) : err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.code, status }, 'request refused');
    if (headers) reply.headers(headers);
    reply.status(status).type('application/json').send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = METHODS.filter((m) => m !== req.method && shadow.find(m, path));
    if (allowed.length > 0) {
      reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({ error: `method ${req.method} is not allowed on ${path}: use ${allowed.join(', ')}`, code: 'METHOD_NOT_ALLOWED' });
      return;
    }
    reply.status(404).send({ error: `no route ${req.method} ${path}`, code: 'ROUTE_NOT_FOUND' });
  });

  const startedAt = opts.startedAt ?? Date.now();
  app.get('/health', async () => ({
    status: 'ok',
    service: opts.service,
    version: VERSION,
    uptime: Math.round((Date.now() - startedAt) / 1000),
  }));
  app.get('/ready', async (_req, reply) => {
    const ok = await Promise.resolve(opts.ready()).catch(() => false);
    if (!ok) {
      return reply.status(503).send({ error: `${opts.service} is not ready: its database does not answer`, code: 'NOT_READY' });
    }
    return { status: 'ready', service: opts.service };
  });

  return app.withTypeProvider<ZodTypeProvider>();
}

export type TypedApp = ReturnType<typeof createServiceApp>;
