// A dashboard app for unit tests whose four peers (main API, registry, marketplace, orchestrator) all answer at one
// base URL: a fake server on loopback, or a closed port to test a peer that is down.
import { buildApp } from '../../dashboard/app.ts';
import { createPeerClient } from '../../lib/http.ts';
import { testConfig, testSecrets } from './config.ts';

export function dashboardOver(baseUrl: string, o: { internalToken?: string } = {}) {
  const client = (name: string) => createPeerClient({ name, baseUrl, timeoutMs: 2000, internalToken: o.internalToken });
  return buildApp({
    config: testConfig(),
    secrets: testSecrets,
    identityDb: () => {
      throw new Error('not used');
    },
    clock: { now: () => Date.now() } as never,
    logger: 'silent',
    peers: {
      api: client('main API'),
      registry: client('registry'),
      marketplace: client('marketplace'),
      orchestrator: client('orchestrator'),
    },
  });
}
