// The main API (port 3000): accounts, packages REST, analytics, webhooks, orgs, audit.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import { createPeerClient } from '../lib/http.ts';
import { registerOpenApi } from '../lib/openapi.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { registerEventPipeline } from './events-pipeline.ts';
import { createIdentityContext, type IdentityOptions } from './identity-context.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerInternalRoutes } from './routes/internal.ts';
import { registerOrgRoutes } from './routes/orgs.ts';
import { registerPackageRoutes } from './routes/packages.ts';
import { createPeerUsageSources, USAGE_DEADLINE_MS } from './usage-sources.ts';

export interface ApiDeps {
  config: Config;
  secrets: Secrets;
  /** marketplace.db, migrated for the main API's tables (see api/db.ts). */
  db: Db;
  clock: Clock;
  logger?: Logger | string;
  /** Account options: rate-limit overrides, usage sources for GET /api/auth/me (see identity-context.ts). */
  identity?: IdentityOptions;
  /** Follow the registry's change feed to reuse its package answers (the server does; see api/registry-changes.ts). */
  followRegistryChanges?: boolean;
}

export async function buildApp(deps: ApiDeps) {
  const app = createServiceApp({ service: 'api', logger: deps.logger, ready: () => databaseAnswers(deps.db) });
  await registerOpenApi(app, {
    title: 'Elide Marketplace main API',
    description: 'Accounts, packages, analytics, webhooks, events, orgs and audit (port 3000).',
  });
  const identity = createIdentityContext({ ...deps, identity: { ...deps.identity, usageSources: usageSourcesOf(deps) } });
  registerInternalRoutes(app, deps, identity);
  registerAuthRoutes(app, identity);
  registerAdminRoutes(app, identity);
  registerOrgRoutes(app, identity);
  registerAuditRoutes(app, identity);
  registerEventPipeline(app, deps);
  registerPackageRoutes(app, deps);
  app.addHook('onClose', async () => {
    if (deps.db.open) deps.db.close();
  });
  return app;
}

// The peers' usage routes by default; sources given in deps.identity (tests) take precedence.
function usageSourcesOf(deps: ApiDeps) {
  const peer = (name: 'marketplace' | 'registry') =>
    createPeerClient({ name, baseUrl: deps.config.urls[name], internalToken: deps.secrets.internalToken });
  return {
    ...createPeerUsageSources({
      marketplace: peer('marketplace'),
      registry: peer('registry'),
      timeoutMs: Math.min(deps.config.PEER_TIMEOUT_MS, USAGE_DEADLINE_MS),
    }),
    ...deps.identity?.usageSources,
  };
}
