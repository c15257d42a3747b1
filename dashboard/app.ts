// The dashboard (port 8080): server-rendered pages. It owns no data: it reads and acts through every peer
// over HTTP with the signed-in user's token, kept in an httpOnly cookie.
import fs from 'node:fs';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyError } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { type Config, registryPublicOrigin } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import { toErrorResponse } from '../lib/errors.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { renderHome } from './pages/home.ts';
import { createPeers, type Peers } from './peers.ts';
import { registerAccountRoutes } from './routes/account.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerBillingRoutes } from './routes/billing.ts';
import { notFoundPage, noticeOf, RedirectToLogin, type RouteDeps, sendHtml } from './routes/common.ts';
import { registerDeploymentRoutes } from './routes/deployments.ts';
import { createHomeData } from './routes/home-data.ts';
import { registerPackageRoutes } from './routes/packages.ts';
import { registerServiceRoutes } from './routes/services.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { createSessionHooks } from './session.ts';
import { errorPage } from './views.ts';

export interface DashboardDeps {
  config: Config;
  secrets: Secrets;
  /** Read-only view of the identity tables (opened lazily: the main API creates them). */
  identityDb: () => Db;
  clock: Clock;
  logger?: Logger | string;
  /** Tests pass fake peers; the default calls the real processes from config.urls. */
  peers?: Peers;
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const PUBLIC_DIR = new URL('./public/', import.meta.url);
const UPLOT_DIR = new URL('../node_modules/uplot/dist/', import.meta.url);
// Static files from a fixed list: no user-supplied path ever reaches the filesystem.
const STATIC_FILES: Record<string, { type: string; from: URL }> = {
  'app.css': { type: 'text/css; charset=utf-8', from: PUBLIC_DIR },
  'app.js': { type: 'text/javascript; charset=utf-8', from: PUBLIC_DIR },
  'charts.js': { type: 'text/javascript; charset=utf-8', from: PUBLIC_DIR },
  'uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', from: UPLOT_DIR },
  'uPlot.min.css': { type: 'text/css; charset=utf-8', from: UPLOT_DIR },
};

export async function buildApp(deps: DashboardDeps) {
  const app = createServiceApp({ service: 'dashboard', logger: deps.logger, ready: () => databaseAnswers(deps.identityDb) });
  const peers = deps.peers ?? createPeers(deps.config, deps.secrets);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  const session = createSessionHooks(peers.api, deps.secrets.jwtSecret, deps.config.urls.dashboard);

  // A callback hook (no promise per response).
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('content-security-policy', CSP);
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    done(null, payload);
  });

  const staticCache = new Map(Object.entries(STATIC_FILES).map(([f, s]) => [f, fs.readFileSync(new URL(f, s.from))]));
  app.get('/public/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const body = staticCache.get(file);
    if (!body) return reply.status(404).send({ error: `no file ${file}`, code: 'NOT_FOUND' });
    return reply.type(STATIC_FILES[file].type).header('cache-control', 'public, max-age=300').send(body);
  });

  // Every page lives in one encapsulated scope: its session hooks and HTML error handler leave the kernel's
  // /health, /ready and JSON answers untouched.
  await app.register(async (pages) => {
    pages.addHook('onRequest', session.onRequest);
    pages.addHook('preHandler', session.preHandler);
    pages.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof RedirectToLogin) return reply.redirect(`/login?next=${encodeURIComponent(err.message)}`, 303);
      const { status, body } = toErrorResponse(err);
      if (status >= 500) req.log.error({ err }, 'request failed');
      if (status === 401 && req.session?.token) return reply.redirect('/login', 303);
      return sendHtml(reply, errorPage(req.session?.ctx ?? { csrf: '' }, status, body.error), status);
    });

    const routeDeps: RouteDeps = {
      peers,
      secrets: deps.secrets,
      forgetSession: session.forget,
      registryOrigin: registryPublicOrigin(deps.config),
    };
    const homeData = createHomeData(peers);
    // What an anonymous visitor without a notice sees depends only on the public figures (kept 10 s), so that page
    // is rendered once per figures, and kept as UTF-8 bytes: the busiest page of the dashboard. Not if rendering it
    // read the visitor's CSRF token, which must never reach another visitor.
    let anonymousHome: { figures: object; html: Buffer } | undefined;
    pages.get('/', async (req, reply) => {
      const { health, data, figures } = await homeData(req);
      const notice = noticeOf(req);
      if (req.session.me || notice !== undefined) return sendHtml(reply, renderHome(req.session.ctx, health, data, notice));
      if (anonymousHome?.figures !== figures) {
        let readCsrf = false;
        const ctx = {
          user: undefined,
          get csrf() {
            readCsrf = true;
            return req.session.ctx.csrf;
          },
        };
        const html = renderHome(ctx, health, data);
        if (readCsrf) return sendHtml(reply, html);
        anonymousHome = { figures, html: Buffer.from(html) };
      }
      return sendHtml(reply, anonymousHome.html);
    });
    registerAuthRoutes(pages, routeDeps);
    registerPackageRoutes(pages, routeDeps);
    registerAccountRoutes(pages, routeDeps);
    registerServiceRoutes(pages, routeDeps);
    registerDeploymentRoutes(pages, routeDeps);
    registerWebhookRoutes(pages, routeDeps);
    registerBillingRoutes(pages, routeDeps);
    registerAdminRoutes(pages, routeDeps);
    // The kernel's not-found handler answers JSON; a browser asking for an unknown page gets a page instead.
    pages.get('/*', async (req, reply) => notFoundPage(req, reply));
  });
  return app;
}
