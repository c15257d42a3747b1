// The dashboard (port 8080): server-rendered pages. It owns no data: it reads every peer over HTTP and
// reads the identity tables read-only to know who is signed in.
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import { createPeerClient } from '../lib/http.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { peerHealth, renderHome } from './pages/home.ts';

export interface DashboardDeps {
  config: Config;
  secrets: Secrets;
  /** Read-only view of the identity tables (opened lazily: the main API creates them). */
  identityDb: () => Db;
  clock: Clock;
  logger?: Logger | string;
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const PUBLIC_DIR = new URL('./public/', import.meta.url);
const STATIC_FILES: Record<string, string> = { 'app.css': 'text/css; charset=utf-8' };

export async function buildApp(deps: DashboardDeps) {
  const app = createServiceApp({ service: 'dashboard', logger: deps.logger, ready: () => databaseAnswers(deps.identityDb) });
  const { urls } = deps.config;
  const timeoutMs = deps.config.PEER_TIMEOUT_MS;
  const peers = [
    createPeerClient({ name: 'main API', baseUrl: urls.api, timeoutMs }),
    createPeerClient({ name: 'registry', baseUrl: urls.registry, timeoutMs }),
    createPeerClient({ name: 'marketplace', baseUrl: urls.marketplace, timeoutMs }),
    createPeerClient({ name: 'orchestrator', baseUrl: urls.orchestrator, timeoutMs }),
  ];

  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
  });

  // Static files from a fixed list: no user-supplied path ever reaches the filesystem.
  const staticCache = new Map(Object.keys(STATIC_FILES).map((f) => [f, fs.readFileSync(new URL(f, PUBLIC_DIR))]));
  app.get('/public/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const body = staticCache.get(file);
    if (!body) return reply.status(404).send({ error: `no file ${file}`, code: 'NOT_FOUND' });
    return reply.type(STATIC_FILES[file]).header('cache-control', 'public, max-age=300').send(body);
  });

  app.get('/', async (req, reply) => {
    const health = await peerHealth(peers, req.id);
    return reply.type('text/html; charset=utf-8').send(renderHome(health));
  });

  return app;
}
