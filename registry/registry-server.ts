#!/usr/bin/env -S node --import tsx
// Registry entry (port REGISTRY_PORT, default 4873).
import { systemClock } from '../lib/clock.ts';
import { lazyReadonly } from '../lib/db.ts';
import { runService } from '../lib/run-service.ts';
import { buildApp } from './app.ts';
import { openRegistryDatabase } from './db.ts';

await runService(
  'registry',
  (c) => c.REGISTRY_PORT,
  ({ config, secrets, logger }) =>
    buildApp({
      config,
      secrets,
      logger,
      clock: systemClock,
      db: openRegistryDatabase(config.REGISTRY_DATABASE_PATH),
      identityDb: lazyReadonly(config.DATABASE_PATH),
      relayEvents: true,
    }),
);
