// A deployment's time line from its transition history: plan segments for billing, serving time for usage
// and metrics, and its cost for a cycle. Everything derives from mkt_deployment_events, so a restart or a
// late tick never changes a number.
import { requestsServed, type TrafficProfile, trafficProfile } from '../services/metrics.ts';
import { findTemplate, findTier } from '../services/templates/index.ts';
import { type CostResult, type Cycle, computeCost, meteredMicros, type Segment } from './billing.ts';
import type { CostRow, EventRow } from './deployments-repo.ts';
import { BILLABLE, type DeploymentStatus, SERVING } from './lifecycle.ts';

const DAY = 86_400_000;
const DOWN: ReadonlySet<DeploymentStatus> = new Set(['restarting', 'restoring', 'failed']);

export interface TimedSegment extends Segment {
  status: DeploymentStatus;
}

export function segmentsOf(dep: Pick<CostRow, 'service_id'>, events: readonly EventRow[], nowMs: number): TimedSegment[] {
  const t = findTemplate(dep.service_id);
  const out: TimedSegment[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const startMs = Date.parse(e.at);
    const endMs = i + 1 < events.length ? Date.parse(events[i + 1].at) : nowMs;
    if (endMs < startMs) continue;
    const tier = t && findTier(t, e.tier_id);
    out.push({
      startMs,
      endMs,
      tierId: e.tier_id,
      monthlyCents: tier?.model === 'flat' ? tier.monthlyCents : 0,
      instances: e.instances,
      billable: BILLABLE.has(e.to_status),
      serving: SERVING.has(e.to_status),
      status: e.to_status,
    });
  }
  return out;
}

const overlap = (s: Segment, from: number, to: number) => Math.max(0, Math.min(s.endMs, to) - Math.max(s.startMs, from));

export function servingMs(segments: Segment[], from: number, to: number): number {
  let ms = 0;
  for (const s of segments) if (s.serving) ms += overlap(s, from, to);
  return ms;
}

/** Serving time, time down after first ready (restarts, restores, failures) for the uptime figure. */
export function uptimeInputs(dep: { ready_at: string | null }, segments: TimedSegment[], nowMs: number) {
  const readyMs = dep.ready_at ? Date.parse(dep.ready_at) : nowMs;
  let down = 0;
  for (const s of segments) if (DOWN.has(s.status)) down += overlap(s, readyMs, nowMs);
  return { servingMs: servingMs(segments, 0, nowMs), downMs: down };
}

/** Requests served in [from, to): the metered quantity. */
export function requestsBetween(
  dep: Pick<CostRow, 'id' | 'service_id'>,
  segments: Segment[],
  from: number,
  to: number,
  profile = profileOf(dep),
): number {
  return requestsServed(profile, servingMs(segments, from, to));
}

const profileOf = (dep: Pick<CostRow, 'id' | 'service_id'>): TrafficProfile =>
  trafficProfile(dep.id, findTemplate(dep.service_id)?.category ?? 'compute');

export function costOf(dep: CostRow, events: readonly EventRow[], cycle: Cycle, asOfMs: number): CostResult {
  const t = findTemplate(dep.service_id);
  const tier = t && findTier(t, dep.tier_id);
  const asOf = Math.min(asOfMs, cycle.endMs);
  const segments = segmentsOf(dep, events, asOf);
  const ws = Math.max(cycle.startMs, asOf - 7 * DAY);
  // One profile for the nine usage figures below (it is a seeded PRNG run: not free at 10,000 deployments).
  const profile = profileOf(dep);
  const daily: number[] = [];
  for (let d = ws; d + DAY <= asOf; d += DAY) daily.push(requestsBetween(dep, segments, d, d + DAY, profile));
  const everFailedBeforeRun = dep.ever_running === 0 && events.some((e) => e.to_status === 'failed');
  // Each plan's meter prices the requests served while on that plan, with its own included amount: after an
  // upgrade from a flat plan without a meter, the requests of before are not billed at the new plan's rate
  // (and after a downgrade, the overage run up on the metered plan is still billed).
  let usageSoFar = 0;
  let priorUsageMicros = 0n;
  const tiers = new Set(segments.map((s) => s.tierId));
  for (const tierId of tiers) {
    const onTier = tiers.size === 1 ? segments : segments.filter((s) => s.tierId === tierId);
    if (tierId === dep.tier_id) {
      usageSoFar = requestsBetween(dep, onTier, cycle.startMs, asOf, profile);
      continue;
    }
    const meter = t && findTier(t, tierId)?.meter;
    if (meter) priorUsageMicros += meteredMicros(meter, requestsBetween(dep, onTier, cycle.startMs, asOf, profile));
  }
  return computeCost({
    segments,
    currentMonthlyCents: tier?.model === 'flat' ? tier.monthlyCents : 0,
    currentInstances: dep.instances,
    accruing: dep.desired_status === 'running' && BILLABLE.has(dep.status) && asOfMs < cycle.endMs,
    voided: everFailedBeforeRun,
    meter: tier?.meter,
    usageSoFar,
    priorUsageMicros,
    usageQuantity: tiers.size > 1 ? requestsBetween(dep, segments, cycle.startMs, asOf, profile) : usageSoFar,
    usageInWindow: requestsBetween(dep, segments, ws, asOf, profile),
    windowMs: asOf - ws,
    dailyUsage: daily,
    cycle,
    asOfMs: asOf,
  });
}
