#!/usr/bin/env -S node --import tsx
// Main API entry: config -> database -> buildApp -> listen (port PORT, default 3000).
import { buildApp } from './api/app.ts';
import { openApiDatabase } from './api/db.ts';
import { systemClock } from './lib/clock.ts';
import { runService } from './lib/run-service.ts';

await runService(
  'api',
  (c) => c.PORT,
  ({ config, secrets, logger }) =>
    buildApp({ config, secrets, logger, clock: systemClock, db: openApiDatabase(config.DATABASE_PATH), followRegistryChanges: true }),
);
