// The registry (port 4873): npm at /npm/, PyPI at /pypi/, Maven at /maven2/, RubyGems at /rubygems/.
import type { Logger } from 'pino';
import { createAuthenticator } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { type Db, databaseAnswers } from '../lib/db.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { Secrets } from '../lib/secrets.ts';
import { createServiceApp } from '../lib/service-app.ts';

export interface RegistryDeps {
  config: Config;
  secrets: Secrets;
  /** registry.db, owned and migrated by this process. */
  db: Db;
  /** Read-only view of the identity tables in marketplace.db (opened lazily: the main API creates them). */
  identityDb: () => Db;
  clock: Clock;
  logger?: Logger | string;
}

export async function buildApp(deps: RegistryDeps) {
  const app = createServiceApp({
    service: 'registry',
    logger: deps.logger,
    bodyLimitBytes: deps.config.BODY_LIMIT_MB * 1024 * 1024,
    ready: () => databaseAnswers(deps.db),
  });
  // Route modules receive these guards as an argument (issue #4 adds them).
  const guards = createAuthGuards(createAuthenticator(deps.identityDb, deps.secrets.jwtSecret, deps.clock.now));
  void guards;
  app.addHook('onClose', async () => {
    if (deps.db.open) deps.db.close();
  });
  return app;
}
