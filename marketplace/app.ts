// The service marketplace (port 3001): catalog listing, deployments, billing, reviews.
import type { Logger } from 'pino';
import { createAuthenticator } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';

export interface MarketplaceDeps {
  config: Config;
  secrets: Secrets;
  /** marketplace.db: this process writes only its own tables and reads the identity tables. */
  db: Db;
  clock: Clock;
  logger?: Logger | string;
}

export async function buildApp(deps: MarketplaceDeps) {
  const app = createServiceApp({ service: 'marketplace', logger: deps.logger, ready: () => databaseAnswers(deps.db) });
  // Route modules receive these guards as an argument (issue #8 adds them).
  const guards = createAuthGuards(createAuthenticator(() => deps.db, deps.secrets.jwtSecret, deps.clock.now));
  void guards;
  app.addHook('onClose', async () => {
    if (deps.db.open) deps.db.close();
  });
  return app;
}
