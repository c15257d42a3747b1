// Package score (issue #6's scorer) for PyPI, Maven and RubyGems packages, so they rank in search and show a score
// like npm packages. The scorer's npm-shaped manifest is filled from each ecosystem's own metadata; dependents are
// the packages of the same ecosystem that declare it; npm's conventions (test script, linters, TypeScript types)
// are not measured for them (package-scorer.ts `conventions`).
import { scorePackage } from '../package-scorer.ts';
import type { PackagesRepo } from '../packages-repo.ts';
import { advisoriesOnLatest } from '../security/advisories.ts';
import type { QuantileTable } from '../security/score-normalise.ts';
import { downloadsPopulation } from '../security/score-population.ts';
import { scoreRow, securityRepoOf } from '../security/security-repo.ts';
import type { FormatContext } from './context.ts';
import { DEPENDENCY_RULES } from './dependency-rules.ts';
import { SCAN_ECOSYSTEM } from './publish.ts';
import type { FormatEcosystem } from './security-report.ts';

const DAY = 86_400_000;

// The latest version of every other package of the ecosystem whose manifest mentions the name (LIKE narrows the
// scan to candidates; the ecosystem's own rules then decide). npm keeps a trigger-maintained table for this
// (migration 022); these ecosystems are small enough to ask their manifests.
const prepareCandidates = (db: FormatContext['db']) =>
  db.prepare<[string, string, string], { manifest: string }>(
    `SELECT v.manifest FROM packages p
     JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest'
     JOIN package_versions v ON v.package_id = p.id AND v.version = t.version
     WHERE p.ecosystem = ? AND p.name <> ? AND v.manifest LIKE ? ESCAPE '\\'`,
  );
const candidates = new WeakMap<FormatContext['db'], ReturnType<typeof prepareCandidates>>();
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** How many packages of the ecosystem depend on `name` in their latest version (the popularity signal). */
export function formatDependents(db: FormatContext['db'], ecosystem: FormatEcosystem, name: string): number {
  let stmt = candidates.get(db);
  if (!stmt) {
    stmt = prepareCandidates(db);
    candidates.set(db, stmt);
  }
  // PyPI names match across - _ . (PEP 503): each separator becomes LIKE's one-character wildcard.
  const word = ecosystem === 'maven' ? name.slice(name.indexOf(':') + 1) : name;
  const needle =
    ecosystem === 'pypi'
      ? word
          .split(/[-_.]+/)
          .map(likeEscape)
          .join('_')
      : likeEscape(word);
  return stmt
    .all(ecosystem, name, `%${needle}%`)
    .filter((r) =>
      DEPENDENCY_RULES[ecosystem].declared(JSON.parse(r.manifest) as Record<string, unknown>, false)?.some((d) => d.name === name),
    ).length;
}
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Recomputes and stores the score of a package (inside a write transaction: registry-security.ts queues it after a
 * publish's acknowledgement, withdrawals call it directly). Cheap: the download population is the frozen table
 * (score-population.ts, or the periodic job's fresh one), the rest reads this package's rows only. False when the
 * package has no version left to score.
 */
export function rescoreFormatPackage(
  ctx: { db: FormatContext['db']; repo: PackagesRepo; clock: FormatContext['clock'] },
  ecosystem: string,
  name: string,
  frozen?: QuantileTable,
): boolean {
  const pkg = ctx.repo.find(ecosystem, name);
  if (!pkg) return false;
  const versions = ctx.repo.versions(pkg.id);
  const latest = versions.find((v) => v.version === ctx.repo.tags(pkg.id).latest) ?? versions.at(-1);
  if (!latest) return false;
  const sec = securityRepoOf(ctx.db);
  const m = JSON.parse(latest.manifest) as Record<string, unknown>;
  const scan = sec.scan(ecosystem, name, latest.version);
  const osv = SCAN_ECOSYSTEM[ecosystem as keyof typeof SCAN_ECOSYSTEM];
  const quarantined = scan?.reviewState === 'quarantined';
  const now = ctx.clock.now();
  const d30 = day(now - 30 * DAY);
  const s = scorePackage({
    manifest: {
      version: latest.version,
      description: pkg.description,
      keywords: JSON.parse(pkg.keywords) as string[],
      homepage: typeof m.homepage === 'string' ? m.homepage : undefined,
      license: m.license ?? undefined,
    },
    files: scan?.files ?? [],
    readme: latest.readme,
    downloads30: sec.downloadsBetween(pkg.id, d30, day(now)),
    downloadsPrevMonthly: sec.downloadsBetween(pkg.id, day(now - 120 * DAY), d30) / 3,
    stars: { registry: ctx.repo.stars(pkg.id).length },
    dependentsWeighted: ecosystem in DEPENDENCY_RULES ? formatDependents(ctx.db, ecosystem as FormatEcosystem, name) : 0,
    population: { downloads: frozen ?? downloadsPopulation(ctx.db, ecosystem, now) },
    publishes: versions.map((v) => ({ version: v.version, time: v.published_at })),
    now: new Date(now),
    vcsIntegration: false,
    conventions: ecosystem as 'pypi' | 'maven' | 'rubygems',
    advisoriesOnLatest: osv
      ? advisoriesOnLatest(ctx.db, osv, name, latest.version, quarantined)
      : { critical: 0, high: 0, malware: quarantined },
  });
  sec.saveScore(ecosystem, name, scoreRow(s, now));
  return true;
}
