// SQL for scan results, package scores and the registry facts the scanner and scorer read (migrations
// 020-021 own scan_results and package_scores; packages, versions, maintainers, stars and download_counts
// belong to the npm tables of migration 002 and are only read here).
import { type Db, perConnection } from '../../lib/db.ts';
import type { PackageScore } from '../package-scorer.ts';
import type { ScanSummary } from '../security-scanner.ts';
import type { Finding, Verdict } from './findings.ts';
import { createKnownNames } from './known-names.ts';
import type { LicenseResult } from './licenses.ts';

export interface ScanRow {
  ecosystem: string;
  name: string;
  version: string;
  verdict: Verdict;
  reviewState: 'none' | 'flagged' | 'released' | 'quarantined';
  findings: Finding[];
  files: { path: string; size: number }[];
  summary: ScanSummary;
  license: LicenseResult | Record<string, never>;
  scannerVersion: string;
  scannedAt: string;
}
interface RawScan {
  ecosystem: string;
  name: string;
  version: string;
  verdict: Verdict;
  review_state: ScanRow['reviewState'];
  findings: string;
  files: string;
  summary: string;
  license: string;
  scanner_version: string;
  scanned_at: string;
}
const toScan = (r: RawScan): ScanRow => ({
  ecosystem: r.ecosystem,
  name: r.name,
  version: r.version,
  verdict: r.verdict,
  reviewState: r.review_state,
  findings: JSON.parse(r.findings),
  files: JSON.parse(r.files),
  summary: JSON.parse(r.summary),
  license: JSON.parse(r.license),
  scannerVersion: r.scanner_version,
  scannedAt: r.scanned_at,
});

export interface ScoreRow {
  quality: number;
  popularity: number;
  maintenance: number;
  overall: number;
  breakdown: Record<string, unknown>;
  scoringVersion: string;
  computedAt: string;
}

/** The stored row of a computed score: the four figures, the scoring version, and everything else as breakdown. */
export function scoreRow(s: PackageScore, computedAtMs: number): ScoreRow {
  const { quality, popularity, maintenance, overall, scoringVersion, ...breakdown } = s;
  return { quality, popularity, maintenance, overall, breakdown, scoringVersion, computedAt: new Date(computedAtMs).toISOString() };
}

function buildSecurityRepo(db: Db) {
  const upsertScan = db.prepare(
    `INSERT INTO scan_results (ecosystem, name, version, verdict, review_state, findings, files, summary, license, scanner_version, scanned_at)
     VALUES (@ecosystem, @name, @version, @verdict, @review_state, @findings, @files, @summary, @license, @scanner_version, @scanned_at)
     ON CONFLICT(ecosystem, name, version) DO UPDATE SET verdict = excluded.verdict, findings = excluded.findings, files = excluded.files,
       summary = excluded.summary, license = excluded.license, scanner_version = excluded.scanner_version, scanned_at = excluded.scanned_at`,
  );
  const scan = db.prepare<[string, string, string], RawScan>('SELECT * FROM scan_results WHERE ecosystem = ? AND name = ? AND version = ?');
  const lastScan = db.prepare<[string, string], RawScan>(
    'SELECT * FROM scan_results WHERE ecosystem = ? AND name = ? ORDER BY scanned_at DESC LIMIT 1',
  );
  const upsertScore = db.prepare(
    `INSERT INTO package_scores (ecosystem, name, quality, popularity, maintenance, overall, breakdown, scoring_version, computed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(ecosystem, name) DO UPDATE SET quality = excluded.quality, popularity = excluded.popularity, maintenance = excluded.maintenance,
       overall = excluded.overall, breakdown = excluded.breakdown, scoring_version = excluded.scoring_version, computed_at = excluded.computed_at`,
  );
  const score = db.prepare<
    [string, string],
    Omit<ScoreRow, 'breakdown' | 'scoringVersion' | 'computedAt'> & { breakdown: string; scoring_version: string; computed_at: string }
  >(
    'SELECT quality, popularity, maintenance, overall, breakdown, scoring_version, computed_at FROM package_scores WHERE ecosystem = ? AND name = ?',
  );
  const downloads = db.prepare<[number, string, string], { n: number | null }>(
    'SELECT sum(count) AS n FROM download_counts WHERE package_id = ? AND day > ? AND day <= ?',
  );
  const allDownloads30 = db.prepare<[string, string, string], { n: number }>(
    `SELECT coalesce((SELECT sum(count) FROM download_counts d WHERE d.package_id = p.id AND d.day > ? AND d.day <= ?), 0) AS n FROM packages p WHERE p.ecosystem = ?`,
  );
  // package_dependents: a view (migration 052) over npm_dependency_edges, kept by triggers from each npm package's latest version.
  const dependents = db.prepare<[string, string], { prod: number; dev: number }>(
    `SELECT count(DISTINCT CASE WHEN d.kind = 'prod' THEN d.package_id END) AS prod,
       count(DISTINCT CASE WHEN d.kind = 'dev' THEN d.package_id END) AS dev
     FROM package_dependents d JOIN packages p ON p.id = d.package_id WHERE d.dependency = ? AND p.name <> ?`,
  );
  const names = db.prepare<[string], { name: string }>('SELECT name FROM packages WHERE ecosystem = ? ORDER BY name');
  const setReview = db.prepare(
    `UPDATE scan_results SET review_state = ?, reviewed_by = ?, reviewed_at = ? WHERE ecosystem = ? AND name = ? AND version = ?`,
  );
  const quarantined = db.prepare<[number], { version: string }>(
    `SELECT s.version FROM scan_results s JOIN packages p ON p.ecosystem = s.ecosystem AND p.name = s.name
     WHERE p.id = ? AND s.review_state = 'quarantined'`,
  );
  const flagged = db.prepare<[], RawScan>(`SELECT * FROM scan_results WHERE review_state = 'flagged' ORDER BY scanned_at`);
  const known = createKnownNames(db);

  return {
    saveScan(r: ScanRow) {
      upsertScan.run({
        ecosystem: r.ecosystem,
        name: r.name,
        version: r.version,
        verdict: r.verdict,
        review_state: r.reviewState,
        findings: JSON.stringify(r.findings),
        files: JSON.stringify(r.files),
        summary: JSON.stringify(r.summary),
        license: JSON.stringify(r.license),
        scanner_version: r.scannerVersion,
        scanned_at: r.scannedAt,
      });
    },
    scan: (ecosystem: string, name: string, version: string) => {
      const r = scan.get(ecosystem, name, version);
      return r ? toScan(r) : undefined;
    },
    lastScan: (ecosystem: string, name: string) => {
      const r = lastScan.get(ecosystem, name);
      return r ? toScan(r) : undefined;
    },
    flagged: () => flagged.all().map(toScan),
    packageNames: (ecosystem: string) => names.all(ecosystem).map((r) => r.name),
    quarantinedVersions: (packageId: number) => new Set(quarantined.all(packageId).map((r) => r.version)),
    setReview: (ecosystem: string, name: string, version: string, state: 'released' | 'quarantined', by: string, at: string) =>
      setReview.run(state, by, at, ecosystem, name, version).changes > 0,
    /**
     * The typosquat check's known names of an ecosystem: every name by index, the protected ones (with their
     * owners, creation time and popularity) from memory, up to date with registry.db (known-names.ts).
     */
    knownNames: (ecosystem: string) => known.of(ecosystem),
    saveScore(ecosystem: string, name: string, s: ScoreRow) {
      // The kept protected names follow popularity (a name becomes protected from typosquats at 0.5).
      known.popularityChanged(ecosystem, name, s.popularity);
      upsertScore.run(
        ecosystem,
        name,
        s.quality,
        s.popularity,
        s.maintenance,
        s.overall,
        JSON.stringify(s.breakdown),
        s.scoringVersion,
        s.computedAt,
      );
    },
    score(ecosystem: string, name: string): ScoreRow | undefined {
      const r = score.get(ecosystem, name);
      if (!r) return undefined;
      const { breakdown, scoring_version, computed_at, ...rest } = r;
      return { ...rest, breakdown: JSON.parse(breakdown), scoringVersion: scoring_version, computedAt: computed_at };
    },
    downloadsBetween: (packageId: number, afterDay: string, untilDay: string) => downloads.get(packageId, afterDay, untilDay)?.n ?? 0,
    allDownloads30: (ecosystem: string, afterDay: string, untilDay: string) =>
      allDownloads30.all(afterDay, untilDay, ecosystem).map((r) => r.n),
    dependentsWeighted(name: string) {
      const r = dependents.get(name, name);
      return (r?.prod ?? 0) + 0.25 * (r?.dev ?? 0);
    },
  };
}

export type SecurityRepo = ReturnType<typeof buildSecurityRepo>;

/**
 * The security repo of a connection, made on first use: its statements are prepared once (0.35-0.6 ms for all of
 * them), though publishes, security reports and scores of every ecosystem ask for it per request.
 */
export const securityRepoOf: (db: Db) => SecurityRepo = perConnection(buildSecurityRepo);
