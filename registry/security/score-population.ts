// The download population the popularity score is ranked against, frozen between runs of the periodic score
// job (reference 0.1: "against a frozen nightly reference table"). Recomputing it is a sum over every package's
// last 30 days, far too much for each publish; a table older than maxAgeMs is rebuilt on the next use, so a
// registry that runs without the job (tests, a single command) still moves on.
import { type Db, perConnection } from '../../lib/db.ts';
import { type QuantileTable, quantileTable } from './score-normalise.ts';
import { securityRepoOf } from './security-repo.ts';

const DAY = 86_400_000;
/** The score job's period: a frozen table never outlives one run of it by much. */
export const POPULATION_MAX_AGE_MS = 3_600_000;

const day = (t: number) => new Date(t).toISOString().slice(0, 10);
// Per database and ecosystem, shared by every caller of the process (npm publish, PyPI/Maven/RubyGems publish).
const frozenOf = perConnection((): Map<string, { table: QuantileTable; at: number }> => new Map());

/** 30-day downloads of every package of the ecosystem as a quantile table, computed now. */
function compute(db: Db, ecosystem: string, now: number): QuantileTable {
  return quantileTable(securityRepoOf(db).allDownloads30(ecosystem, day(now - 30 * DAY), day(now)));
}

/** The frozen table (computed on first use, or when older than maxAgeMs). */
export function downloadsPopulation(db: Db, ecosystem: string, now: number, maxAgeMs = POPULATION_MAX_AGE_MS): QuantileTable {
  const hit = frozenOf(db).get(ecosystem);
  if (hit && now - hit.at < maxAgeMs && now >= hit.at) return hit.table;
  return refreshDownloadsPopulation(db, ecosystem, now);
}

/** Recomputes and freezes the table (the score job, before it rescores every package). */
export function refreshDownloadsPopulation(db: Db, ecosystem: string, now: number): QuantileTable {
  const table = compute(db, ecosystem, now);
  frozenOf(db).set(ecosystem, { table, at: now });
  return table;
}
