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
  ({ config, secrets, logger }) => {
    const peer = (name: string, baseUrl: string) =>
      createPeerClient({ name, baseUrl, timeoutMs: config.PEER_TIMEOUT_MS, internalToken: secrets.internalToken });
    const orchestrator = peer('orchestrator', config.urls.orchestrator);
    return buildApp({
      config,
      secrets,
      logger,
      clock: systemClock,
      db: openMarketplaceDatabase(config.DATABASE_PATH),
      apiPeer: peer('main API', config.urls.api),
      metricsSource: async (id, range) =>
        (await orchestrator.get<{ samples: unknown[]; truncated: boolean }>(
          `/internal/metrics/${encodeURIComponent(id)}?${new URLSearchParams({ ...range, limit: String(range.limit) })}`,
        )) ?? { samples: [], truncated: false },
    });
  },
);
