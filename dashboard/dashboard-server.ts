#!/usr/bin/env -S node --import tsx
// Dashboard entry (port DASHBOARD_PORT, default 8080).
import { systemClock } from '../lib/clock.ts';
import { lazyReadonly } from '../lib/db.ts';
import { runService } from '../lib/run-service.ts';
import { buildApp } from './app.ts';

await runService(
  'dashboard',
  (c) => c.DASHBOARD_PORT,
  async ({ config, secrets, logger }) => {
    const identityDb = lazyReadonly(config.DATABASE_PATH);
    const app = await buildApp({ config, secrets, logger, clock: systemClock, identityDb });
    app.addHook('onClose', async () => identityDb.close());
    return app;
  },
);
