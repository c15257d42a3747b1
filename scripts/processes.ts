// The five processes of the suite: one list used by the supervisor, the seed and the test helpers.
import type { Config } from '../lib/config.ts';

export interface ProcessSpec {
  name: 'api' | 'registry' | 'marketplace' | 'orchestrator' | 'dashboard';
  entry: string;
  port: (c: Config) => number;
  url: (c: Config) => string;
}

/**
 * Node's arguments for every process. A 2 MiB young generation (V8's default semi-space is 16 MiB) keeps each
 * process's RSS about 50 MB lower under load at no measurable CPU cost per request (docs/PERFORMANCE.md, memory);
 * it can only be set at launch.
 */
export const NODE_ARGS = ['--max-semi-space-size=2', '--import', 'tsx'];

export const PROCESSES: ProcessSpec[] = [
  { name: 'api', entry: 'server.ts', port: (c) => c.PORT, url: (c) => c.urls.api },
  { name: 'registry', entry: 'registry/registry-server.ts', port: (c) => c.REGISTRY_PORT, url: (c) => c.urls.registry },
  { name: 'marketplace', entry: 'marketplace/marketplace-server.ts', port: (c) => c.MARKETPLACE_PORT, url: (c) => c.urls.marketplace },
  { name: 'orchestrator', entry: 'services/service-orchestrator.ts', port: (c) => c.ORCHESTRATOR_PORT, url: (c) => c.urls.orchestrator },
  { name: 'dashboard', entry: 'dashboard/dashboard-server.ts', port: (c) => c.DASHBOARD_PORT, url: (c) => c.urls.dashboard },
];
