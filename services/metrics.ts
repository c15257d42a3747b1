// Simulated metrics of a deployment, deterministic per deployment id (seeded PRNG), so tests can assert them
// and every process computes the same numbers: a traffic profile, then counters from serving time.
import { seededRandom } from '../lib/prng.ts';
import type { Category } from './templates/index.ts';

export interface TrafficProfile {
  requestsPerSecond: number;
  errorRate: number;
  latencyMs: number;
  p95Factor: number;
  cpuBase: number;
  memoryBase: number;
}

const LATENCY: Record<Category, [number, number]> = {
  database: [4, 25],
  ml: [40, 140],
  api: [10, 45],
  storage: [8, 40],
  compute: [20, 90],
};

export function trafficProfile(deploymentId: string, category: Category): TrafficProfile {
  const rnd = seededRandom('traffic', deploymentId);
  const [lo, hi] = LATENCY[category];
  return {
    // 0.5-5 requests per second: about 1.3M-13M a month, around the included amounts of the paid tiers.
    requestsPerSecond: Math.round((0.5 + rnd() * 4.5) * 100) / 100,
    errorRate: Math.round((0.0001 + rnd() * 0.0009) * 1e6) / 1e6,
    latencyMs: Math.round(lo + rnd() * (hi - lo)),
    p95Factor: 2 + Math.round(rnd() * 20) / 10,
    cpuBase: 10 + Math.round(rnd() * 40),
    memoryBase: 20 + Math.round(rnd() * 50),
  };
}

/** Requests served during `servingMs` of serving time. */
export function requestsServed(profile: TrafficProfile, servingMs: number): number {
  return Math.floor((profile.requestsPerSecond * servingMs) / 1000);
}

export interface DeploymentMetrics {
  requests: number;
  errors: number;
  avgResponseTime: number;
  p95ResponseTime: number;
  uptime: number;
  cpu: number;
  memory: number;
  connections?: number;
  storageGb?: number;
  instances: number;
}

/**
 * The seed's metrics block ({requests, errors, avgResponseTime, uptime}) plus p95, CPU and memory. Load is
 * spread over instances; a degraded deployment answers slower and with more errors.
 */
export function metricsFor(
  deploymentId: string,
  category: Category,
  t: { servingMs: number; downMs: number; instances: number; degraded: boolean; sinceReadyMs: number },
): DeploymentMetrics {
  const p = trafficProfile(deploymentId, category);
  const requests = requestsServed(p, t.servingMs);
  const errors = Math.floor(requests * p.errorRate * (t.degraded ? 20 : 1));
  const slow = t.degraded ? 4 : 1;
  const total = t.servingMs + t.downMs;
  const uptime = total > 0 ? Math.floor((t.servingMs / total) * 10000) / 100 : 100;
  const perInstance = 1 / Math.max(1, t.instances);
  const m: DeploymentMetrics = {
    requests,
    errors,
    avgResponseTime: p.latencyMs * slow,
    p95ResponseTime: Math.round(p.latencyMs * p.p95Factor * slow),
    uptime,
    cpu: t.servingMs > 0 ? Math.min(100, Math.round(p.cpuBase * perInstance * slow)) : 0,
    memory: t.servingMs > 0 ? Math.min(100, Math.round(p.memoryBase + 10 * perInstance)) : 0,
    instances: t.instances,
  };
  if (category === 'database' || category === 'api') m.connections = t.servingMs > 0 ? Math.round(p.requestsPerSecond * 4) : 0;
  if (category === 'storage') m.storageGb = Math.round((requests / 1_000_000) * 100) / 100;
  return m;
}
