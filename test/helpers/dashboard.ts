// A dashboard app for unit tests whose four peers (main API, registry, marketplace, orchestrator) all answer at one
// base URL: a fake server on loopback, or a closed port to test a peer that is down.
import { buildApp } from '../../dashboard/app.ts';
import { createPeerClient } from '../../lib/http.ts';
import { testConfig, testSecrets } from './config.ts';

/** What a fake main API answers to GET /api/auth/me for a signed-in publisher of the Team plan. */
export const FAKE_ME = {
  userId: 'user-1',
  username: 'demo',
  email: 'demo@x.test',
  role: 'publisher',
  plan: { id: 'team', name: 'Team', priceCents: 4900, limits: { activeDeployments: 10, webhooks: true, privatePackages: true } },
  usage: { activeDeployments: 1, webhooks: 0, privatePackages: 0, apiTokens: 1 },
  orgs: [{ name: 'elide', role: 'member' }],
};

/** `env` adds configuration (ELIDE_DASHBOARD_URL, …) to the unit-test defaults. */
/** A running deployment as the marketplace's list shows it, costing `currentCost` dollars so far. */
export const fakeDeploymentView = (currentCost: number) => ({
  id: 'dep-1',
  name: 'db',
  status: 'running',
  endpoint: null,
  serviceSlug: 'postgres-managed',
  serviceName: 'PostgreSQL',
  tier: 'starter',
  region: 'us-east-1',
  instances: 1,
  statusReason: null,
  allowedActions: [],
  metrics: { requests: 0, errors: 0, avgResponseTime: 0, uptime: 100 },
  billing: { currentCost, projectedCost: 19 },
  currentOperation: null,
  createdAt: '2026-01-01T00:00:00Z',
});

export function dashboardOver(baseUrl: string, o: { internalToken?: string; env?: Record<string, string> } = {}) {
  const client = (name: string) => createPeerClient({ name, baseUrl, timeoutMs: 2000, internalToken: o.internalToken });
  return buildApp({
    config: testConfig(o.env),
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
