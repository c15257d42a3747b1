// Billing maths (reference §3.2-3.4): flat tiers prorated per second on a 30-day basis and capped at the
// monthly price, metered usage beyond an included amount, projection to the end of the cycle. bigint
// micro-cents inside (1 cent = 1,000,000 µ), rounded half-even once per line item. Pure: no SQL, no clock.
import type { Meter } from '../services/templates/index.ts';

export const BASIS_MS = 2_592_000_000n; // 30 days: a stable per-second rate, as Heroku does
const MICRO = 1_000_000n;

// Math.min does not take bigint.
function minBig(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

export interface Cycle {
  id: string;
  startMs: number;
  endMs: number;
}

/** The calendar month in UTC containing ms: [YYYY-MM-01, next month). */
export function cycleOf(ms: number): Cycle {
  const d = new Date(ms);
  const startMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const endMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { id: new Date(startMs).toISOString().slice(0, 7), startMs, endMs };
}

export function previousCycle(c: Cycle): Cycle {
  return cycleOf(c.startMs - 1);
}

/** Micro-cents to cents, half to even (banker's rounding), applied once per line item. */
export function roundHalfEven(micros: bigint): number {
  const q = micros / MICRO;
  const r = micros % MICRO;
  const twice = r * 2n;
  if (twice > MICRO || (twice === MICRO && q % 2n === 1n)) return Number(q + 1n);
  return Number(q);
}

/** A stretch of time on one plan; billable = the flat price accrues; serving = usage accrues. */
export interface Segment {
  startMs: number;
  endMs: number;
  tierId: string;
  monthlyCents: number;
  instances: number;
  billable: boolean;
  serving: boolean;
}

const clip = (s: Segment, from: number, to: number) => Math.max(0, Math.min(s.endMs, to) - Math.max(s.startMs, from));

/**
 * Flat accrual: per plan Σ floor(P·10^6·secs/BASIS), capped at P per plan, and the sum capped at the most
 * expensive plan used this cycle. Extra instances accrue the same rate per instance (the instance meter),
 * capped at P·(instances-1) for the largest count used.
 */
export function flatMicros(segments: Segment[], from: number, to: number): { flat: bigint; instances: bigint; capMicros: bigint } {
  const perPlan = new Map<string, { price: bigint; sum: bigint }>();
  let extra = 0n;
  let extraCap = 0n;
  let capMicros = 0n;
  for (const s of segments) {
    const ms = clip(s, from, to);
    const price = BigInt(s.monthlyCents) * MICRO;
    if (ms <= 0 && s.endMs <= from) continue;
    if (price > capMicros) capMicros = price;
    if (!s.billable || ms <= 0) continue;
    const entry = perPlan.get(s.tierId) ?? { price, sum: 0n };
    entry.sum += (price * BigInt(ms)) / BASIS_MS;
    perPlan.set(s.tierId, entry);
    if (s.instances > 1) {
      extra += (price * BigInt(ms) * BigInt(s.instances - 1)) / BASIS_MS;
      const cap = price * BigInt(s.instances - 1);
      if (cap > extraCap) extraCap = cap;
    }
  }
  let flat = 0n;
  for (const p of perPlan.values()) flat += minBig(p.sum, p.price);
  if (flat > capMicros) flat = capMicros;
  return { flat, instances: minBig(extra, extraCap), capMicros };
}

/** Overage cost of a quantity on a meter: max(0, Q − included) × price / per. */
export function meteredMicros(meter: Meter | undefined, quantity: number): bigint {
  if (!meter) return 0n;
  const billable = Math.max(0, Math.floor(quantity) - meter.includedPerCycle);
  return (BigInt(billable) * BigInt(meter.unitPriceMicros)) / BigInt(meter.per);
}

export interface CostInputs {
  segments: Segment[];
  /** The plan in effect now (its price is the run-rate for the rest of the cycle). */
  currentMonthlyCents: number;
  currentInstances: number;
  /** true when the deployment is meant to keep running and is billable right now. */
  accruing: boolean;
  /** true when it failed before ever running: the flat charge is voided (Heroku). */
  voided: boolean;
  meter?: Meter;
  /** Usage so far this cycle on the current plan (its meter prices it), and within the last min(7 d, since
   * cycle start) window of windowMs (the traffic rate, whatever the plan). */
  usageSoFar: number;
  /** Metered charges of the cycle's earlier plans, each priced by its own meter (0 without a plan change). */
  priorUsageMicros?: bigint;
  /** Requests served this cycle on every plan (the usageQuantity line); usageSoFar when absent. */
  usageQuantity?: number;
  usageInWindow: number;
  windowMs: number;
  /** Per-day usage in the window, for the low/high band (min and max daily rate). */
  dailyUsage?: number[];
  cycle: Cycle;
  asOfMs: number;
}

export interface CostResult {
  currentCents: number;
  projectedCents: number;
  lowCents: number;
  highCents: number;
  lines: { flatCents: number; instancesCents: number; usageCents: number; usageQuantity: number };
}

/** currentCost and projectedCost (reference §3.4, "Current cost" and "Projected cost"). */
export function computeCost(i: CostInputs): CostResult {
  const f = flatMicros(i.segments, i.cycle.startMs, i.asOfMs);
  const flat = i.voided ? 0n : f.flat;
  const inst = i.voided ? 0n : f.instances;
  const prior = i.priorUsageMicros ?? 0n;
  const usage = meteredMicros(i.meter, i.usageSoFar) + prior;
  const remaining = BigInt(Math.max(0, i.cycle.endMs - i.asOfMs));
  const price = BigInt(i.currentMonthlyCents) * MICRO;
  const cap = f.capMicros > price ? f.capMicros : price;

  let projFlat = flat;
  let projInst = inst;
  if (i.accruing && !i.voided) {
    const more = flat + (price * remaining) / BASIS_MS;
    projFlat = more < cap ? more : cap;
    if (i.currentInstances > 1) {
      const instCap = price * BigInt(i.currentInstances - 1);
      const moreInst = inst + (price * remaining * BigInt(i.currentInstances - 1)) / BASIS_MS;
      projInst = moreInst < instCap ? moreInst : moreInst > instCap && inst > instCap ? inst : instCap;
    }
  }
  const remainingMs = Number(remaining);
  const usageAt = (rate: number) => meteredMicros(i.meter, i.usageSoFar + (i.accruing ? rate * remainingMs : 0)) + prior;
  const rate = i.windowMs > 0 ? i.usageInWindow / i.windowMs : 0;
  const day = 86_400_000;
  const daily = i.dailyUsage && i.dailyUsage.length > 0 ? i.dailyUsage : [rate * day];
  const low = Math.min(rate, Math.min(...daily) / day);
  const high = Math.max(rate, Math.max(...daily) / day);

  const fixed = roundHalfEven(projFlat) + roundHalfEven(projInst);
  const currentCents = roundHalfEven(flat) + roundHalfEven(inst) + roundHalfEven(usage);
  return {
    currentCents,
    projectedCents: fixed + roundHalfEven(usageAt(rate)),
    lowCents: fixed + roundHalfEven(usageAt(low)),
    highCents: fixed + roundHalfEven(usageAt(high)),
    lines: {
      flatCents: roundHalfEven(flat),
      instancesCents: roundHalfEven(inst),
      usageCents: roundHalfEven(usage),
      usageQuantity: i.usageQuantity ?? i.usageSoFar,
    },
  };
}

/** Dollars for the seed's currentCost/projectedCost fields (display only; cents stay the truth). */
export const dollars = (cents: number) => cents / 100;
