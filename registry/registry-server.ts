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
  async ({ config, secrets, logger }) => {
    const identityDb = lazyReadonly(config.DATABASE_PATH);
    const app = await buildApp({
      config,
      secrets,
      logger,
      clock: systemClock,
      db: openRegistryDatabase(config.REGISTRY_DATABASE_PATH),
      identityDb,
      relayEvents: true,
    });
    app.addHook('onClose', async () => identityDb.close());
    return app;
  },
);
