// Package score (issue #6): quality 30%, popularity 40%, maintenance 30%, from data the registry owns.
// Formulas: docs/SCORING.md (reference section 1.4). Quality and maintenance use fixed anchors; popularity
// uses frozen percentile tables, so a package's score never depends on the current population maximum.
import { createRequire } from 'node:module';
import {
  blendedPercentile,
  commitFrequency,
  growth,
  issueHealth,
  nv,
  type QuantileTable,
  recency,
  releaseFrequency,
  wmean,
} from './security/score-normalise.ts';
import { releaseStage } from './security/versions.ts';

const require = createRequire(import.meta.url);
const parseSpdx = require('spdx-expression-parse') as (s: string) => unknown;

/** Stored with each score; bumped when a formula changes (score/2: every ecosystem's versions and conventions). */
export const SCORING_VERSION = 'score/2';
const DAY = 86_400_000;
const TEST_FRAMEWORKS = ['jest', 'vitest', 'mocha', 'ava', 'tap', 'uvu', 'jasmine', 'karma', '@playwright/test', 'cypress'];
const LINTERS = ['eslint', '@biomejs/biome', 'oxlint', 'xo', 'standard', 'ts-standard', 'tslint', 'prettier', 'dprint'];
const LINT_CONFIG =
  /^(?:\.eslintrc(?:\.\w+)?|eslint\.config\.[cm]?[jt]s|biome\.jsonc?|\.prettierrc(?:\.\w+)?|dprint\.json|\.oxlintrc\.json)$/;

export interface ScoreManifest {
  version: string;
  description?: string;
  keywords?: string[];
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
  license?: unknown;
  engines?: Record<string, string>;
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  main?: string;
  bin?: unknown;
  exports?: unknown;
  types?: string;
  typings?: string;
  deprecated?: string;
}

export interface ScoreSignals {
  /** The latest version's manifest and tarball contents. */
  manifest: ScoreManifest;
  files: { path: string; size: number }[];
  readme?: string;
  changelogOrReleaseNotes?: boolean;
  coverage?: { linesPct: number };
  /** @types/<name> in this registry with the same major as the package. */
  typesPackageSameMajor?: boolean;
  provenanceCi?: boolean;
  downloads30: number;
  /** Mean monthly downloads over days 31-120. */
  downloadsPrevMonthly: number;
  stars: { registry: number; github?: number };
  dependentsWeighted: number;
  /** Frozen population tables (log-free raw values); absent -> absolute anchors only. */
  population?: { downloads?: QuantileTable; stars?: QuantileTable; dependents?: QuantileTable };
  /** Publish times of every version (prereleases are ignored). */
  publishes: { version: string; time: string }[];
  now: Date;
  /** Registry-wide capability: when false, commits and issues are removed for every package. */
  vcsIntegration: boolean;
  vcs?: {
    commits?: { c30: number; c180: number; c365: number };
    issues?: { open: number; total: number; medianOpenAgeDays: number } | 'disabled';
  };
  advisoriesOnLatest?: { critical: number; high: number; malware: boolean };
  /**
   * Whose conventions the manifest follows (default npm). The test script and framework, the linters and the
   * TypeScript declarations are npm's: for PyPI, Maven and RubyGems they are not measured (left out of the mean and
   * listed in `missing`), except types where the ecosystem has a marker: PEP 561's `py.typed`, RBS signatures.
   */
  conventions?: 'npm' | 'pypi' | 'maven' | 'rubygems';
}

export interface PackageScore {
  quality: number;
  popularity: number;
  maintenance: number;
  overall: number;
  breakdown: {
    quality: Record<string, number | null>;
    popularity: Record<string, number | null>;
    maintenance: Record<string, number | null>;
  };
  flags: { deprecated: boolean; unstable: boolean; vulnerable: boolean; malware: boolean; hidden: boolean };
  alerts: string[];
  missing: string[];
  confidence: number;
  scoringVersion: string;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const isTestFile = (p: string) => /(^|\/)(?:test|tests|__tests__|spec)\/|\.(?:test|spec)\.[cm]?[jt]sx?$/.test(p);

/** A test script that runs something: not npm's `no test specified` placeholder, not a bare `exit 0` or `echo`. */
function realTestScript(m: ScoreManifest): boolean {
  const test = m.scripts?.test?.trim() ?? '';
  return test !== '' && !/no test specified/.test(test) && !/^(?:exit 0|echo\b[^&|;]*)$/.test(test);
}

// Versions of every ecosystem (PyPI "2.31", Maven "31.1-jre", gems "1.0.0.rc1"), not only npm semver: the
// multi-format scorer passes its own versions, and a version semver cannot read is still a release.
const isStable = (v: string) => releaseStage(v)?.prerelease === false;
const belowOne = (v: string) => releaseStage(v)?.belowOne === true;

function qualityOf(s: ScoreSignals, alerts: string[], missing: string[]) {
  const m = s.manifest;
  const script = realTestScript(m) ? 1 : 0;
  const dev = Object.keys(m.devDependencies ?? {});
  const scripts = Object.values(m.scripts ?? {});
  const framework = dev.some((d) => TEST_FRAMEWORKS.includes(d)) || scripts.some((v) => /node --test|bun test/.test(v)) ? 1 : 0;
  const testBytes = s.files.filter((f) => isTestFile(f.path)).reduce((n, f) => n + f.size, 0);
  const evidence = s.provenanceCi
    ? 1
    : nv(testBytes, [
        [0, 0],
        [400, 1],
      ]);
  const tests = 0.5 * script + 0.3 * framework + 0.2 * evidence;
  if (!s.coverage) missing.push('coverage');
  const coverage = s.coverage
    ? nv(s.coverage.linesPct, [
        [0, 0],
        [50, 0.5],
        [80, 0.9],
        [100, 1],
      ])
    : 0;

  const paths = new Set(s.files.map((f) => f.path.replace(/^\.\//, '')));
  const exportTypes: string[] = [];
  const walk = (v: unknown, key?: string) => {
    if (typeof v === 'string' && key === 'types') exportTypes.push(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(m.exports);
  const declared = [m.types, m.typings]
    .filter((x): x is string => typeof x === 'string')
    .map((x) => x.replace(/^\.\//, ''))
    .concat(exportTypes);
  const sibling = typeof m.main === 'string' ? m.main.replace(/^\.\//, '').replace(/\.[cm]?js$/, '.d.ts') : undefined;
  const binOnly = !m.main && !m.exports && Boolean(m.bin);
  let types: number | null;
  if (declared.some((d) => paths.has(d)) || (sibling && paths.has(sibling))) types = 1;
  else if (declared.length > 0) {
    types = 0;
    alerts.push('brokenTypes');
  } else if (s.typesPackageSameMajor) types = 0.7;
  else types = binOnly ? null : 0;

  const lintDeclared = dev.some((d) => LINTERS.includes(d)) || s.files.some((f) => LINT_CONFIG.test(f.path)) ? 1 : 0;
  const lintScript = Object.entries(m.scripts ?? {}).some(
    ([k, v]) => /^(?:lint|format|check)/.test(k) || /eslint|biome|oxlint|\bxo\b|prettier --check|tsc --noEmit/.test(v),
  )
    ? 1
    : 0;
  const npmConventions = (s.conventions ?? 'npm') === 'npm';
  const lint = npmConventions ? 0.6 * lintDeclared + 0.4 * lintScript : null;
  if (!npmConventions) {
    // A wheel ships py.typed when it has inline types (PEP 561); a gem, RBS files under sig/. Java is typed anyway.
    const marker = s.conventions === 'pypi' ? /(^|\/)py\.typed$/ : s.conventions === 'rubygems' ? /(^|\/)sig\/.+\.rbs$/ : undefined;
    types = marker === undefined ? null : s.files.some((f) => marker.test(f.path)) ? 1 : s.conventions === 'pypi' ? 0 : null;
    missing.push('tests', 'lint', ...(types === null ? ['types'] : []));
  }

  const readmeText = (s.readme ?? '').replace(/!\[[^\]]*\]\([^)]*\)/g, '').replace(/<[^>]+>/g, '');
  const readme = nv(Buffer.byteLength(readmeText), [
    [0, 0],
    [400, 0.5],
    [1500, 0.8],
    [5000, 1],
  ]);
  const examples = Math.min(1, (s.readme?.match(/^```(?:js|javascript|ts|typescript|jsx|tsx|sh|bash|shell|console)\b/gm)?.length ?? 0) / 3);
  const changelog = s.changelogOrReleaseNotes || s.files.some((f) => /^(?:changelog|history|releases)(?:\.\w+)?$/i.test(f.path)) ? 1 : 0;
  const repoOk = typeof m.repository === 'string' ? m.repository.length > 0 : typeof (m.repository as { url?: unknown })?.url === 'string';
  let spdxOk = false;
  try {
    spdxOk = typeof m.license === 'string' && Boolean(parseSpdx(m.license));
  } catch {
    spdxOk = false;
  }
  const meta = [
    (m.description ?? '').length >= 10,
    (m.keywords ?? []).length >= 1,
    repoOk,
    Boolean(m.homepage) || repoOk,
    spdxOk,
    Boolean(m.bugs) || repoOk,
    Boolean(m.engines?.node),
  ];
  const metadata = meta.filter(Boolean).length / meta.length;
  const docs = 0.45 * readme + 0.2 * examples + 0.15 * changelog + 0.2 * metadata;

  const cond = m.deprecated ? 0 : belowOne(m.version) ? 0.9 : 1;
  const q =
    wmean([
      [npmConventions ? tests : null, 0.25],
      [coverage, 0.15],
      [types, 0.25],
      [lint, 0.1],
      [docs, 0.25],
    ]) * cond;
  return { q, detail: { tests: npmConventions ? tests : null, coverage, types, lint, docs, readme, examples, changelog, metadata, cond } };
}

function popularityOf(s: ScoreSignals) {
  const first = Math.min(...s.publishes.map((p) => Date.parse(p.time)), s.now.getTime());
  const ageDays = (s.now.getTime() - first) / DAY;
  const downloads = blendedPercentile(s.downloads30, s.population?.downloads, 100_000);
  const grow = growth(s.downloads30, s.downloadsPrevMonthly, ageDays);
  const stars = blendedPercentile((s.stars.github ?? 0) + 10 * s.stars.registry, s.population?.stars, 10_000);
  const dependents = blendedPercentile(s.dependentsWeighted, s.population?.dependents, 1_000);
  const p = wmean([
    [downloads, 0.4],
    [grow, 0.1],
    [stars, 0.15],
    [dependents, 0.35],
  ]);
  return { p, detail: { downloads, growth: grow, stars, dependents }, ageDays };
}

/** Release days: distinct UTC days with at least one non-prerelease publish (a burst counts once). */
export function releaseDayCounts(publishes: { version: string; time: string }[], now: Date): [number, number, number, number] {
  const days = new Set(publishes.filter((p) => isStable(p.version)).map((p) => p.time.slice(0, 10)));
  const within = (n: number) => [...days].filter((d) => now.getTime() - Date.parse(`${d}T00:00:00Z`) <= n * DAY).length;
  return [within(30), within(180), within(365), within(730)];
}

function maintenanceOf(s: ScoreSignals, ageDays: number, missing: string[]) {
  const release = releaseFrequency(releaseDayCounts(s.publishes, s.now)).score;
  const stable = s.publishes.filter((p) => isStable(p.version)).map((p) => Date.parse(p.time));
  const last = stable.length > 0 ? Math.max(...stable) : s.now.getTime() - 10 * 365 * DAY;
  const rec = recency((s.now.getTime() - last) / DAY);
  let commits: number | null = null;
  let issues: number | null = null;
  if (s.vcsIntegration) {
    // Integration on but no data for this package: 0 and listed as missing (as npms does).
    commits = s.vcs?.commits ? commitFrequency(s.vcs.commits.c30, s.vcs.commits.c180, s.vcs.commits.c365).score : 0;
    if (!s.vcs?.commits) missing.push('commits');
    const i = s.vcs?.issues;
    issues = i === 'disabled' ? 0.5 : i ? issueHealth(i.open, i.total, i.medianOpenAgeDays) : 0;
    if (!i) missing.push('issues');
  } else missing.push('commits', 'issues');
  // Finished-package floor (npms + reference 1.4.4): a stable, documented, tested, advisory-free package
  // that simply needs no releases keeps every maintenance subscore at 0.9 or more.
  const m = s.manifest;
  const openIssues = s.vcs?.issues && s.vcs.issues !== 'disabled' ? s.vcs.issues.open : 0;
  const finished =
    releaseStage(m.version)?.belowOne === false &&
    !m.deprecated &&
    Buffer.byteLength(s.readme ?? '') >= 400 &&
    // The same "real test script" as the quality signal: `exit 0` or `echo` does not make a package finished.
    realTestScript(m) &&
    !(s.advisoriesOnLatest && (s.advisoriesOnLatest.critical || s.advisoriesOnLatest.high || s.advisoriesOnLatest.malware)) &&
    ageDays >= 365 &&
    openIssues < 15;
  const floor = (x: number | null) => (x === null || !finished ? x : Math.max(x, 0.9));
  const detail = { release: floor(release)!, recency: floor(rec)!, commits: floor(commits), issues: floor(issues) };
  const mm = s.vcsIntegration
    ? wmean([
        [detail.release, 0.3],
        [detail.recency, 0.3],
        [detail.commits, 0.2],
        [detail.issues, 0.2],
      ])
    : wmean([
        [detail.release, 0.5],
        [detail.recency, 0.5],
      ]);
  return { m: mm, detail, finished };
}

/** Scores one package from its signals; deterministic and independent of every other package's score. */
export function scorePackage(s: ScoreSignals): PackageScore {
  const alerts: string[] = [];
  const missing: string[] = [];
  const q = qualityOf(s, alerts, missing);
  const p = popularityOf(s);
  const m = maintenanceOf(s, p.ageDays, missing);
  let overall = 0.3 * q.q + 0.4 * p.p + 0.3 * m.m;
  const adv = s.advisoriesOnLatest ?? { critical: 0, high: 0, malware: false };
  const flags = {
    deprecated: Boolean(s.manifest.deprecated),
    unstable: belowOne(s.manifest.version),
    vulnerable: adv.critical + adv.high > 0,
    malware: adv.malware,
    hidden: adv.malware,
  };
  // Caps are applied after the weighted sum and shown as flags (reference 1.4.5), never mixed into factors.
  if (flags.deprecated) overall = Math.min(overall, 0.2);
  if (adv.critical > 0) overall = Math.min(overall, 0.5);
  if (flags.malware) overall = 0;
  const measured =
    1 -
    (missing.includes('coverage') ? 0.3 * 0.15 : 0) -
    (s.vcsIntegration ? (missing.includes('commits') ? 0.3 * 0.2 : 0) + (missing.includes('issues') ? 0.3 * 0.2 : 0) : 0);
  const round = (o: Record<string, number | null>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? null : r4(v)]));
  return {
    quality: r4(q.q),
    popularity: r4(p.p),
    maintenance: r4(m.m),
    overall: r4(overall),
    breakdown: { quality: round(q.detail), popularity: round(p.detail), maintenance: round(m.detail) },
    flags,
    alerts,
    missing,
    confidence: r4(measured),
    scoringVersion: SCORING_VERSION,
  };
}

/** Download accounting: one count per (package, client key, UTC day), so one token's 50 GETs count once. */
export function countDownloads(events: { pkg: string; clientKey: string; at: string }[]): Map<string, number> {
  const seen = new Set<string>();
  const out = new Map<string, number>();
  for (const e of events) {
    const key = `${e.pkg}\0${e.clientKey}\0${e.at.slice(0, 10)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.set(e.pkg, (out.get(e.pkg) ?? 0) + 1);
  }
  return out;
}
