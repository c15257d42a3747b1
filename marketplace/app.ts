// The service marketplace (port 3001): catalog listing, deployments, billing, reviews.
import type { Logger } from 'pino';
import { createAuthenticator } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers, withShortLockWait } from '../lib/db.ts';
import type { PeerClient } from '../lib/http.ts';
import { createIdentityReader } from '../lib/identity.ts';
import { registerOpenApi } from '../lib/openapi.ts';
import { startOutboxRelay } from '../lib/outbox.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { createBillingService } from './billing-service.ts';
import { createCatalog } from './catalog.ts';
import { catalogInputsVersion } from './catalog-inputs.ts';
import { createListingsRepo } from './catalog-listings.ts';
import { createCredentialCipher } from './credentials.ts';
import { createDeploymentEngine } from './deployment-engine.ts';
import { createDeploymentHealth } from './deployment-health.ts';
import { createDeploymentService } from './deployments.ts';
import { createDeploymentsRepo } from './deployments-repo.ts';
import { createReviewsRepo } from './reviews-repo.ts';
import { adminCatalogRoutes } from './routes/admin-catalog.ts';
import { billingRoutes } from './routes/billing.ts';
import { deploymentRoutes } from './routes/deployments.ts';
import { internalRoutes } from './routes/internal.ts';
import { type MetricsSource, metricsRoutes } from './routes/metrics.ts';
import { reviewRoutes } from './routes/reviews.ts';
import { serviceRoutes } from './routes/services.ts';
import { ServiceProvisioner } from './service-provisioner.ts';

export interface MarketplaceDeps {
  config: Config;
  secrets: Secrets;
  /** marketplace.db: this process writes only its own tables and reads the identity tables. */
  db: Db;
  clock: Clock;
  logger?: Logger | string;
  /** The main API, for relaying outbox events; absent in unit tests (events stay in the outbox). */
  apiPeer?: PeerClient;
  /** The orchestrator's metric time series (GET /api/deployments/:id/metrics). */
  metricsSource?: MetricsSource;
  /** How often the provisioner applies due steps; 0 = never (tests call tick themselves). Default 250 ms. */
  tickIntervalMs?: number;
}

export async function buildMarketplace(deps: MarketplaceDeps) {
  const app = createServiceApp({ service: 'marketplace', logger: deps.logger, ready: () => databaseAnswers(deps.db) });
  // Before any route, so the spec sees them all (issue 7: /openapi.json and /docs on every public process).
  await registerOpenApi(app, {
    title: 'Elide Marketplace service marketplace',
    description: 'Service catalog, deployments, metrics, billing and reviews (port 3001).',
  });
  const guards = createAuthGuards(createAuthenticator(() => deps.db, deps.secrets.jwtSecret, deps.clock.now));
  // Who is calling is checked before the body, query and params are validated, so an anonymous or revoked caller
  // gets 401 from every authenticated route, never a 400 about its body. Every /api/ route needs a credential but
  // reading the catalog (GET /api/services...: the list, a service, its reviews); /internal/* checks its own token.
  // Handlers still call guards.writer / .role for what they need: the guards remember the request's principal, so
  // the request is authenticated once.
  app.addHook('preValidation', (req, _reply, done) => {
    const route = req.routeOptions.url;
    const open = !route?.startsWith('/api/') || ((req.method === 'GET' || req.method === 'HEAD') && route.startsWith('/api/services'));
    if (open) return done();
    try {
      guards.required(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
  const repo = createDeploymentsRepo(deps.db);
  const reviews = createReviewsRepo(deps.db);
  const engine = createDeploymentEngine({ db: deps.db, repo, clock: deps.clock, config: deps.config, logger: app.log as Logger });
  const billing = createBillingService({ db: deps.db, repo, engine, clock: deps.clock, timeScale: deps.config.SIM_TIME_SCALE });
  const deployments = createDeploymentService({
    db: deps.db,
    repo,
    engine,
    billing,
    clock: deps.clock,
    config: deps.config,
    cipher: createCredentialCipher(deps.secrets.encryptionKey),
    provisioner: new ServiceProvisioner(),
    identity: createIdentityReader(() => deps.db),
  });
  const listings = createListingsRepo(deps.db);
  const catalog = createCatalog({ deployments: repo, reviews, listings, inputsVersion: () => catalogInputsVersion(deps.db) });
  const health = createDeploymentHealth({ db: deps.db, repo, engine, clock: deps.clock, timeScale: deps.config.SIM_TIME_SCALE });

  serviceRoutes(app, catalog);
  adminCatalogRoutes(app, guards, catalog, listings, deps.clock.now);
  deploymentRoutes(app, guards, deployments);
  metricsRoutes(app, guards, deployments, deps.metricsSource, deps.clock.now);
  billingRoutes(app, guards, billing, deployments.idempotent);
  reviewRoutes(app, guards, reviews, deps.clock);
  internalRoutes(app, deps.secrets.internalToken, health);

  const timers: { stop: () => void }[] = [];
  const interval = deps.tickIntervalMs ?? 250;
  if (interval > 0) {
    let busy = false;
    const t = setInterval(() => {
      if (busy || !deps.db.open) return;
      busy = true;
      try {
        // A background writer: it must not hold the event loop for a full busy timeout behind a frozen lock holder.
        withShortLockWait(deps.db, () => {
          engine.tick();
          billing.evaluateDue();
        });
      } catch (err) {
        app.log.error({ err }, 'provisioner tick failed; retrying on the next tick');
      } finally {
        busy = false;
      }
    }, interval);
    t.unref();
    timers.push({ stop: () => clearInterval(t) });
  }
  if (deps.apiPeer) {
    timers.push(
      startOutboxRelay({ table: 'marketplace_outbox', db: deps.db, api: deps.apiPeer, clock: deps.clock, logger: app.log as Logger }),
    );
  }
  app.addHook('onClose', async () => {
    for (const t of timers) t.stop();
    if (deps.db.open) deps.db.close();
  });
  return { app, engine, deployments, billing, repo, health };
}

export async function buildApp(deps: MarketplaceDeps) {
  return (await buildMarketplace(deps)).app;
}
