#!/usr/bin/env -S node --import tsx
// Orchestrator entry (port ORCHESTRATOR_PORT, default 3002).
import { systemClock } from '../lib/clock.ts';
import { createPeerClient } from '../lib/http.ts';
import { runService } from '../lib/run-service.ts';
import { buildApp } from './app.ts';
import { openOrchestratorDatabase } from './db.ts';

await runService(
  'orchestrator',
  (c) => c.ORCHESTRATOR_PORT,
  ({ config, secrets, logger }) =>
    buildApp({
      config,
      secrets,
      logger,
      clock: systemClock,
      db: openOrchestratorDatabase(config.DATABASE_PATH),
      marketplacePeer: createPeerClient({
        name: 'marketplace',
        baseUrl: config.urls.marketplace,
        timeoutMs: config.PEER_TIMEOUT_MS,
        internalToken: secrets.internalToken,
      }),
    }),
);
