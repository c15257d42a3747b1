// Normalisation primitives of the package score: npms' piecewise-linear `normalize-value` curves and a
// population-stable percentile (mid-rank ECDF against a frozen quantile table, blended with absolute
// anchors while the registry is small). Nothing divides by a population maximum (reference 1.1.5, 1.4.3).

/** Piecewise-linear interpolation through the points, clamped outside (npms normalize-value). */
export function nv(x: number, points: [number, number][]): number {
  if (x <= points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return points[points.length - 1][1];
}

/** Mid-rank ECDF of x in an ascending sample: (#{y<x} + 0.5 #{y=x}) / N; 0 for x = 0. */
export function ecdf(sorted: readonly number[], x: number): number {
  if (x <= 0 || sorted.length === 0) return 0;
  const lower = bound(sorted, x, false);
  const upper = bound(sorted, x, true);
  return (lower + 0.5 * (upper - lower)) / sorted.length;
}
function bound(a: readonly number[], x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x || (inclusive && a[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A frozen table of 1001 quantiles (q0..q1000) of a metric, with the population size. */
export interface QuantileTable {
  n: number;
  q: number[];
}

export function quantileTable(values: readonly number[]): QuantileTable {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, q: [] };
  const q = Array.from({ length: 1001 }, (_, i) => sorted[Math.min(sorted.length - 1, Math.floor((i / 1000) * (sorted.length - 1)))]);
  return { n: sorted.length, q };
}

/** Percentile of x from a quantile table, interpolated between the quantiles that bracket it. */
export function pctFromTable(t: QuantileTable, x: number): number {
  if (x <= 0 || t.n === 0) return 0;
  const lo = bound(t.q, x, false);
  const hi = bound(t.q, x, true);
  if (hi === 0) return 0;
  if (lo >= t.q.length) return 1;
  if (hi > lo) return (lo + hi - 1) / 2 / 1000;
  const [a, b] = [t.q[lo - 1], t.q[lo]];
  return (lo - 1 + (b === a ? 0 : (x - a) / (b - a))) / 1000;
}

/** While N < 1000 the percentile is blended with an absolute log anchor: min(1, log1p(x)/log1p(X)). */
export function blendedPercentile(x: number, table: QuantileTable | undefined, anchorAt: number): number {
  if (x <= 0) return 0;
  const anchor = Math.min(1, Math.log1p(x) / Math.log1p(anchorAt));
  if (!table || table.n === 0) return anchor;
  const w = Math.min(1, table.n / 1000);
  return w * pctFromTable(table, x) + (1 - w) * anchor;
}

/** Download growth, bounded: log2 ratio of last 30 days to the previous monthly mean, shrunk on low volume. */
export function growth(d30: number, dPrev: number, ageDays: number): number {
  if (ageDays < 120) return 0.5;
  const g = Math.log2((d30 + 20) / (dPrev + 20));
  const raw = Math.min(1, Math.max(0, (g + 1.5) / 3));
  return 0.5 + (raw - 0.5) * Math.min(1, (d30 + dPrev) / 1000);
}

/** npms releasesFrequency over counts of release days in the last 30/180/365/730 days. */
export function releaseFrequency(c: [number, number, number, number]): { quarterMean: number; score: number } {
  const quarterMean = 0.25 * (c[0] / (30 / 90)) + 0.45 * (c[1] / (180 / 90)) + 0.2 * (c[2] / (365 / 90)) + 0.1 * (c[3] / (730 / 90));
  return {
    quarterMean,
    score: nv(quarterMean, [
      [0, 0],
      [0.5, 0.5],
      [1, 0.75],
      [2, 1],
    ]),
  };
}

/** 1 within 90 days of the last stable release, then halving every 365 days. */
export const recency = (days: number) => (days <= 90 ? 1 : 0.5 ** ((days - 90) / 365));

/** npms commitsFrequency over commits in the last 30/180/365 days. */
export function commitFrequency(c30: number, c180: number, c365: number): { monthlyMean: number; score: number } {
  const monthlyMean = 0.35 * c30 + 0.45 * (c180 / 6) + 0.2 * (c365 / (365 / 30));
  return {
    monthlyMean,
    score: nv(monthlyMean, [
      [0, 0],
      [1, 0.7],
      [5, 0.9],
      [10, 1],
    ]),
  };
}

/** Issue health: open ratio and median open-issue age (the median, not npms' buggy weighted mean). */
export function issueHealth(open: number, total: number, medianOpenAgeDays: number): number {
  if (total === 0) return 0.7;
  return (
    0.5 *
      nv(open / total, [
        [0.2, 1],
        [0.5, 0.5],
        [1, 0],
      ]) +
    0.5 *
      nv(medianOpenAgeDays, [
        [5, 1],
        [30, 0.7],
        [90, 0],
      ])
  );
}

/** Weighted mean over the signals that exist (a null signal is not measured and its weight is removed). */
export function wmean(parts: [number | null, number][]): number {
  const present = parts.filter((p): p is [number, number] => p[0] !== null);
  const w = present.reduce((s, [, wt]) => s + wt, 0);
  return w === 0 ? 0 : present.reduce((s, [v, wt]) => s + v * wt, 0) / w;
}
