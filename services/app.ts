// The service orchestrator (port 3002): service templates (the catalog's source), health checks, metric
// time series and autoscaling of live deployments.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import type { PeerClient } from '../lib/http.ts';
import { registerOpenApi } from '../lib/openapi.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { createHealthMonitor, type LiveDeployment, type MarketplacePort } from './health-monitor.ts';
import { metricRoutes } from './routes/metrics.ts';
import { templateRoutes } from './routes/templates.ts';

export interface OrchestratorDeps {
  config: Config;
  secrets: Secrets;
  db: Db;
  clock: Clock;
  logger?: Logger | string;
  /** The marketplace over HTTP; absent in unit tests, which pass `marketplace` or call round() themselves. */
  marketplacePeer?: PeerClient;
  marketplace?: MarketplacePort;
}

/** The marketplace's page size for live deployments and health reports (marketplace/routes/internal.ts LIVE_PAGE_MAX). */
const PAGE = 5000;

/** The marketplace's /internal/deployments routes as a MarketplacePort: every live deployment, page after page. */
export function httpMarketplacePort(peer: PeerClient, pageSize = PAGE): MarketplacePort {
  return {
    async live() {
      const all: LiveDeployment[] = [];
      for (let after = ''; ; ) {
        const q = new URLSearchParams({ limit: String(pageSize), after });
        const page = (await peer.get<{ deployments: LiveDeployment[] }>(`/internal/deployments/live?${q}`))?.deployments ?? [];
        all.push(...page);
        if (page.length < pageSize) return all;
        after = page[page.length - 1].id;
      }
    },
    async reportHealth(reports) {
      for (let i = 0; i < reports.length; i += pageSize)
        await peer.post('/internal/deployments/health', { reports: reports.slice(i, i + pageSize) }, { timeoutMs: 10_000 });
    },
    autoscale: (id, instances) => peer.post(`/internal/deployments/${encodeURIComponent(id)}/autoscale`, { instances }),
  };
}

export async function buildOrchestrator(deps: OrchestratorDeps) {
  const app = createServiceApp({ service: 'orchestrator', logger: deps.logger, ready: () => databaseAnswers(deps.db) });
  // Before any route, so the spec sees them all (issue 7: /openapi.json and /docs on every public process).
  await registerOpenApi(app, {
    title: 'Elide Marketplace orchestrator',
    description: 'Service templates, deployment metrics and health (port 3002).',
  });
  const port = deps.marketplace ?? (deps.marketplacePeer ? httpMarketplacePort(deps.marketplacePeer) : undefined);
  const monitor = createHealthMonitor({
    db: deps.db,
    clock: deps.clock,
    timeScale: deps.config.SIM_TIME_SCALE,
    marketplace: port ?? { live: async () => [], reportHealth: async () => undefined, autoscale: async () => undefined },
  });
  templateRoutes(app);
  metricRoutes(app, deps.secrets.internalToken, monitor);
  // The loop runs only when there is a marketplace to watch, so unit tests stay offline.
  const stop = deps.marketplacePeer
    ? monitor.start((err) => app.log.warn({ err: (err as Error).message }, 'health round failed; retrying'))
    : undefined;
  app.addHook('onClose', async () => {
    stop?.();
    if (deps.db.open) deps.db.close();
  });
  return { app, monitor };
}

export async function buildApp(deps: OrchestratorDeps) {
  return (await buildOrchestrator(deps)).app;
}
