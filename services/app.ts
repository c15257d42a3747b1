// The service orchestrator (port 3002): service templates (the catalog's source), health and metrics.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';
import { templateRoutes } from './routes/templates.ts';

export interface OrchestratorDeps {
  config: Config;
  secrets: Secrets;
  db: Db;
  clock: Clock;
  logger?: Logger | string;
}

export async function buildApp(deps: OrchestratorDeps) {
  const app = createServiceApp({ service: 'orchestrator', logger: deps.logger, ready: () => databaseAnswers(deps.db) });
  templateRoutes(app);
  app.addHook('onClose', async () => {
    if (deps.db.open) deps.db.close();
  });
  return app;
}
