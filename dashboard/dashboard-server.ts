#!/usr/bin/env -S node --import tsx
// Dashboard entry (port DASHBOARD_PORT, default 8080).
import { systemClock } from '../lib/clock.ts';
import { lazyReadonly } from '../lib/db.ts';
import { runService } from '../lib/run-service.ts';
import { buildApp } from './app.ts';

await runService(
  'dashboard',
  (c) => c.DASHBOARD_PORT,
  ({ config, secrets, logger }) =>
    buildApp({ config, secrets, logger, clock: systemClock, identityDb: lazyReadonly(config.DATABASE_PATH) }),
);
