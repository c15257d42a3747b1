// Health checks, metric samples and autoscaling for every live deployment (reference §1.5.3 and §1.5.7).
// Each round: ask the marketplace which deployments are live, sample each deterministically (seeded per
// deployment and time window, so tests can assert), record the sample, report the checks that can change
// something (see worthReporting), and scale.
import type { Clock } from '../lib/clock.ts';
import { commitWithoutFsync, type Db } from '../lib/db.ts';
import { seededRandom } from '../lib/prng.ts';
import { trafficProfile } from './metrics.ts';
import type { Category } from './templates/index.ts';

export interface LiveDeployment {
  id: string;
  category: Category;
  status: string;
  instances: number;
  autoscaling: { enabled: boolean; min: number; max: number; targetCpu: number } | null;
  readyAt?: string | null;
}

/** How the orchestrator reaches the marketplace (HTTP in production, in-process in tests). */
export interface MarketplacePort {
  live(): Promise<LiveDeployment[]>;
  reportHealth(reports: { id: string; healthy: boolean }[]): Promise<unknown>;
  autoscale(id: string, instances: number): Promise<unknown>;
}

const DAY = 86_400_000;
/** Real milliseconds between two rounds, at least (see start). */
export const MIN_ROUND_INTERVAL_MS = 1000;
const WINDOW = 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The open end of a series range: the last instant whose ISO text has four year digits, so it compares as text. */
export const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** A stored sample as the API shows it. */
const sampleViews = (rows: Record<string, number | string>[]) =>
  rows.map((r) => ({
    at: r.at,
    requests: r.requests,
    errors: r.errors,
    avgResponseTime: r.avg_ms,
    p95ResponseTime: r.p95_ms,
    cpu: r.cpu,
    memory: r.memory,
    instances: r.instances,
    healthy: r.healthy === 1,
  }));

/** Load over the day (0.5x-1.5x), phase-shifted per deployment. */
export function loadFactor(id: string, t: number): number {
  const phase = seededRandom('phase', id)() * 2 * Math.PI;
  return 1 + 0.5 * Math.sin((2 * Math.PI * (t % DAY)) / DAY + phase);
}

/**
 * Deterministic incidents: about 1% of 10-minute windows fail their checks. A deployment is not hit in its
 * first 10 minutes after becoming ready (a fresh deployment answering "degraded" would only confuse).
 */
export function healthyAt(d: Pick<LiveDeployment, 'id' | 'readyAt'>, t: number): boolean {
  if (d.readyAt && t - Date.parse(d.readyAt) < WINDOW) return true;
  return seededRandom('health', d.id, Math.floor(t / WINDOW))() >= 0.01;
}

export function cpuAt(d: LiveDeployment, t: number): number {
  const p = trafficProfile(d.id, d.category);
  return Math.min(100, Math.round((p.cpuBase * loadFactor(d.id, t) * 2) / Math.max(1, d.instances)));
}

export function createHealthMonitor(o: {
  db: Db;
  clock: Clock;
  marketplace: MarketplacePort;
  timeScale: number;
  healthy?: (d: LiveDeployment, t: number) => boolean;
  cpu?: (d: LiveDeployment, t: number) => number;
}) {
  const healthy = o.healthy ?? healthyAt;
  const cpu = o.cpu ?? cpuAt;
  const s = {
    sample:
      o.db.prepare(`INSERT OR REPLACE INTO orch_metric_samples (deployment_id, at, interval_ms, requests, errors, avg_ms, p95_ms, cpu, memory, instances, healthy)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    prune: o.db.prepare('DELETE FROM orch_metric_samples WHERE at < ?'),
    state: o.db.prepare('SELECT * FROM orch_autoscale_state WHERE deployment_id = ?'),
    putState: o.db.prepare('INSERT OR REPLACE INTO orch_autoscale_state (deployment_id, last_event_at, low_since) VALUES (?, ?, ?)'),
    // Newest first, then put back in time order: a range holding more than `limit` samples answers its latest
    // ones (what a chart of "the last hour" needs), never the oldest with the recent ones cut off.
    series: o.db.prepare('SELECT * FROM orch_metric_samples WHERE deployment_id = ? AND at >= ? AND at <= ? ORDER BY at DESC LIMIT ?'),
  };
  // Checks every 10 s, autoscaling every 15 s, events 60 s apart, scale-down after 5 min: all simulated.
  const sec = (n: number) => n * 1000 * o.timeScale;
  let lastRound = 0;
  // The last result the marketplace accepted per live deployment. A passing check of a running deployment whose
  // last reported check also passed changes nothing there (its failure count is already 0; passes only count
  // while degraded), so it is not sent: a round of 1,000 steady deployments posts nothing rather than 1,000
  // lookups every 10 simulated seconds. Failures, degraded deployments and the first check after a failure are
  // always sent; the map starts empty, so after a restart everything is sent once.
  const lastReported = new Map<string, boolean>();
  const worthReporting = (d: LiveDeployment, healthy: boolean) => d.status !== 'running' || !healthy || lastReported.get(d.id) !== true;

  /** Autoscaling (HPA rule): desired = ceil(n x metric/target), 10% tolerance, clamped, +-1 per event. */
  function decide(d: LiveDeployment, metric: number, now: number): number | undefined {
    const a = d.autoscaling;
    if (!a?.enabled) return undefined;
    const st = s.state.get(d.id) as { last_event_at: string | null; low_since: string | null } | undefined;
    const ratio = metric / a.targetCpu;
    let desired = Math.abs(ratio - 1) <= 0.1 ? d.instances : Math.ceil(d.instances * ratio);
    desired = Math.min(a.max, Math.max(a.min, desired));
    const step = Math.sign(desired - d.instances);
    const lowSince = step < 0 ? (st?.low_since ?? iso(now)) : null;
    if (
      step === 0 ||
      (st?.last_event_at && now - Date.parse(st.last_event_at) < sec(60)) ||
      (step < 0 && now - Date.parse(lowSince!) < sec(300))
    ) {
      s.putState.run(d.id, st?.last_event_at ?? null, lowSince);
      return undefined;
    }
    s.putState.run(d.id, iso(now), null);
    return d.instances + step;
  }

  async function round(now = o.clock.now()) {
    const live = await o.marketplace.live();
    const reports: { id: string; healthy: boolean }[] = [];
    const scale: [string, number][] = [];
    const interval = lastRound ? Math.max(1, now - lastRound) : sec(10);
    lastRound = now;
    // Samples are simulated figures, acknowledged to no one: their commit does not wait for the disk, nor long
    // for another writer's lock (lib/db.ts commitWithoutFsync).
    commitWithoutFsync(o.db, () => {
      for (const d of live) {
        const p = trafficProfile(d.id, d.category);
        const ok = healthy(d, now);
        // Requests follow the same steady rate the marketplace bills and reports; load shapes only CPU.
        const requests = Math.floor((p.requestsPerSecond * interval) / 1000);
        const slow = d.status === 'degraded' || !ok ? 4 : 1;
        const c = cpu(d, now);
        s.sample.run(
          d.id,
          iso(now),
          interval,
          requests,
          Math.floor(requests * p.errorRate * slow),
          p.latencyMs * slow,
          Math.round(p.latencyMs * p.p95Factor * slow),
          c,
          p.memoryBase,
          d.instances,
          ok ? 1 : 0,
        );
        if (worthReporting(d, ok)) reports.push({ id: d.id, healthy: ok });
        const n = decide(d, c, now);
        if (n !== undefined) scale.push([d.id, n]);
      }
      s.prune.run(iso(now - 7 * DAY));
    });
    const liveIds = new Set(live.map((d) => d.id));
    for (const id of lastReported.keys()) if (!liveIds.has(id)) lastReported.delete(id);
    if (reports.length) {
      await o.marketplace.reportHealth(reports);
      for (const r of reports) lastReported.set(r.id, r.healthy);
    }
    for (const [id, n] of scale) await o.marketplace.autoscale(id, n);
    return { checked: live.length, reported: reports.length, scaled: scale.length };
  }

  /** The latest `limit` samples in [sinceMs, untilMs], oldest first; `truncated` when older ones were left out. */
  function range(id: string, sinceMs: number, untilMs: number, limit = 1000) {
    const rows = s.series.all(id, iso(sinceMs), iso(untilMs), limit + 1) as Record<string, number | string>[];
    return { samples: sampleViews(rows.slice(0, limit).reverse()), truncated: rows.length > limit };
  }

  return {
    round,
    range,
    series: (id: string, sinceMs: number, limit = 1000) => range(id, sinceMs, LAST_INSTANT, limit).samples,
    /**
     * Run a round every 10 simulated seconds, but at most once a real second; returns a stop function. With a
     * strongly compressed clock (SIM_TIME_SCALE=0.01 in the benchmark and fast demos) 10 simulated seconds are
     * 100 ms: rounds over 1,000 deployments back to back took half a core from everything else, 100 times the
     * work the same deployments cost at real speed. Checks then land further apart in simulated time (each
     * sample records its interval), which no rule depends on.
     */
    start(onError: (err: unknown) => void) {
      let busy = false;
      const t = setInterval(
        () => {
          if (busy) return;
          busy = true;
          round()
            .catch(onError)
            .finally(() => {
              busy = false;
            });
        },
        Math.max(MIN_ROUND_INTERVAL_MS, sec(10)),
      );
      t.unref();
      return () => clearInterval(t);
    },
  };
}

export type HealthMonitor = ReturnType<typeof createHealthMonitor>;
