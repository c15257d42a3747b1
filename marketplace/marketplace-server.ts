#!/usr/bin/env -S node --import tsx
// Marketplace entry (port MARKETPLACE_PORT, default 3001).
import { systemClock } from '../lib/clock.ts';
import { createPeerClient } from '../lib/http.ts';
import { runService } from '../lib/run-service.ts';
import { buildApp } from './app.ts';
import { openMarketplaceDatabase } from './db.ts';

await runService(
  'marketplace',
  (c) => c.MARKETPLACE_PORT,
  ({ config, secrets, logger }) =>
    buildApp({
      config,
      secrets,
      logger,
      clock: systemClock,
      db: openMarketplaceDatabase(config.DATABASE_PATH),
      apiPeer: createPeerClient({
        name: 'main API',
        baseUrl: config.urls.api,
        timeoutMs: config.PEER_TIMEOUT_MS,
        internalToken: secrets.internalToken,
      }),
    }),
);
