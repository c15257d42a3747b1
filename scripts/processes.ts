// The five processes of the suite: one list used by the supervisor, the seed and the test helpers.
import type { Config } from '../lib/config.ts';

export interface ProcessSpec {
  name: 'api' | 'registry' | 'marketplace' | 'orchestrator' | 'dashboard';
  entry: string;
  port: (c: Config) => number;
  url: (c: Config) => string;
}

/**
 * Node's arguments for every process, for issue #11's 200 MB budget per process. Under 32 connections the main API
 * and the registry peaked at 205-230 MB RSS: garbage of in-flight requests promoted and collected late, not data
 * kept. A 2 MiB young generation (V8's default semi-space is 16 MiB) and an old generation allowed to grow by 20 %
 * between collections (V8 lets it grow by up to 4x) keep the peaks near 150 MB at no measured cost in throughput.
 * V8's --optimize-for-size did the same for memory but cost 6-33 % of throughput (docs/PERFORMANCE.md, hot spot 7).
 * V8 takes these only at launch.
 */
export const NODE_ARGS = ['--max-semi-space-size=2', '--heap-growing-percent=20', '--import', 'tsx'];

export const PROCESSES: ProcessSpec[] = [
  { name: 'api', entry: 'server.ts', port: (c) => c.PORT, url: (c) => c.urls.api },
  { name: 'registry', entry: 'registry/registry-server.ts', port: (c) => c.REGISTRY_PORT, url: (c) => c.urls.registry },
  { name: 'marketplace', entry: 'marketplace/marketplace-server.ts', port: (c) => c.MARKETPLACE_PORT, url: (c) => c.urls.marketplace },
  { name: 'orchestrator', entry: 'services/service-orchestrator.ts', port: (c) => c.ORCHESTRATOR_PORT, url: (c) => c.urls.orchestrator },
  { name: 'dashboard', entry: 'dashboard/dashboard-server.ts', port: (c) => c.DASHBOARD_PORT, url: (c) => c.urls.dashboard },
];
