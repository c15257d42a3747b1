// GET /api/packages/:name/:version/security for PyPI, Maven and RubyGems versions (the main API asks
// GET /internal/artifacts/:ecosystem/:name/:version/security): the advisories that affect the version, matched
// with the ecosystem's own version order (PEP 440, Maven, RubyGems), each with its fixed versions and the first
// fixed version this registry has; the vulnerable versions in its dependency tree, resolved against this registry
// the way pip, Maven and Bundler choose (dependency-tree.ts), with their paths from the root; the publish-time
// scan's malware, typosquat and license findings, and the licences of the whole tree.

import type { PackageRow } from '../packages-repo.ts';
import { type AdvisoryHit, advisoriesFor, isAffected } from '../security/advisories.ts';
import { maxSeverity } from '../security/cvss.ts';
import { evaluateTreeLicenses } from '../security/licenses.ts';
import { directAdvisory, scanReport } from '../security/report-parts.ts';
import { securityRepoOf } from '../security/security-repo.ts';
import { treeAudience } from '../security/tree-visibility.ts';
import { comparatorFor, type Ecosystem } from '../security/versions.ts';
import { pathsTo } from '../security/vulnerable-paths.ts';
import type { FormatContext } from './context.ts';
import { DEPENDENCY_RULES, type DependencyRules } from './dependency-rules.ts';
import {
  type AvailableVersion,
  cachedSource,
  chooseVersion,
  type FormatTree,
  resolveFormatTree,
  type VersionSource,
} from './dependency-tree.ts';
import { SCAN_ECOSYSTEM } from './publish.ts';

export type FormatEcosystem = keyof typeof SCAN_ECOSYSTEM;

/**
 * The installable versions of a package as a client sees them: from the files the indexes serve (quarantined
 * versions are not served, files-repo.ts), a version yanked when all its files are, and yanked gems gone. Packages
 * the report's readers may not all read are absent (tree-visibility.ts).
 */
function versionSource(ctx: FormatContext, ecosystem: FormatEcosystem, visible: (pkg: PackageRow) => boolean): VersionSource {
  return cachedSource((name) => {
    const pkg = ctx.repo.find(ecosystem, name);
    if (!pkg || !visible(pkg)) return undefined;
    const files = new Map<string, { live: boolean }>();
    for (const f of ctx.files.served(pkg.id)) files.set(f.version, { live: (files.get(f.version)?.live ?? false) || f.yanked === null });
    return ctx.repo.versions(pkg.id).flatMap((v): AvailableVersion[] => {
      const served = files.get(v.version);
      if (!served || (!served.live && ecosystem === 'rubygems')) return [];
      return [{ version: v.version, manifest: JSON.parse(v.manifest) as Record<string, unknown>, yanked: !served.live }];
    });
  });
}

/**
 * The vulnerable nodes of a tree with npm audit's field names: the advisories (via), the packages that pull the node
 * in (effects), up to 10 shortest paths, and the fix: true when a version meeting every requirement in the tree is
 * unaffected (a fresh install or `--upgrade` fixes it), the fixed version when a requirement has to change, or false.
 */
function treeVulnerabilities(
  tree: FormatTree,
  osv: Ecosystem,
  rules: DependencyRules,
  versionsOf: VersionSource,
  hitsOf: (name: string, version: string) => AdvisoryHit[],
) {
  const order = comparatorFor(osv);
  return [...tree.nodes.values()].flatMap((n) => {
    if (n.id === tree.root || n.external) return [];
    const hits = hitsOf(n.name, n.version);
    if (hits.length === 0) return [];
    const clean = (versionsOf(n.name) ?? []).filter((v) => !hits.some((h) => isAffected(osv, h.advisory.affected, v.version)));
    const within = chooseVersion(rules, clean, tree.requirements.get(n.name) ?? []);
    const newer = clean
      .filter((v) => !v.yanked && order.valid(v.version) && order.cmp(v.version, n.version) > 0)
      .sort((a, b) => order.cmp(a.version, b.version))[0];
    const via = hits.map(directAdvisory);
    return [
      {
        name: n.name,
        version: n.version,
        severity: via.map((v) => v.severity).reduce(maxSeverity),
        isDirect: tree.edges.some((e) => e.from === tree.root && e.to === n.id),
        via,
        effects: [...new Set(tree.edges.filter((e) => e.to === n.id).map((e) => tree.nodes.get(e.from)!.name))].sort(),
        paths: pathsTo(tree, n.id),
        fixAvailable: within ? true : newer ? { name: n.name, version: newer.version } : false,
        range: [...new Set(via.map((v) => v.range))].join(' || '),
      },
    ];
  });
}

export function formatSecurityReport(ctx: FormatContext, ecosystem: FormatEcosystem, name: string, version: string) {
  const pkg = ctx.repo.find(ecosystem, name);
  const row = pkg ? ctx.repo.version(pkg.id, version) : undefined;
  if (!pkg || !row) return undefined;
  const osv = SCAN_ECOSYSTEM[ecosystem];
  const order = comparatorFor(osv);
  const scan = securityRepoOf(ctx.db).scan(ecosystem, name, version);
  const { malware, typosquat, ...scanned } = scanReport(scan);
  const rules = DEPENDENCY_RULES[ecosystem];
  // Only what every reader of this version may read (a private dependency of a public package stays out).
  const versionsOf = versionSource(ctx, ecosystem, treeAudience(ctx.repo, pkg));
  // The upgrades a client can install: served (not quarantined) and not yanked, as for the tree's fixes.
  const known = (versionsOf(name) ?? []).filter((v) => !v.yanked && order.valid(v.version)).map((v) => v.version);
  const tree = resolveFormatTree({ name, version, manifest: JSON.parse(row.manifest) as Record<string, unknown> }, rules, versionsOf);
  const transitive = treeVulnerabilities(tree, osv, rules, versionsOf, (n, v) => advisoriesFor(ctx.db, osv, n, v));
  const pathOf = (id: string) => pathsTo(tree, id)[0] ?? [id];
  return {
    name,
    version,
    ecosystem,
    ...scanned,
    vulnerabilities: {
      direct: advisoriesFor(ctx.db, osv, name, version).map((hit) => {
        const a = hit.advisory;
        // Versions only: a GIT range's "fixed" is a commit hash (OSV's PYSEC records carry one beside the versions).
        const fixedIn = [
          ...new Set(
            (a.affected.ranges ?? []).flatMap((r) => (r.type === 'GIT' ? [] : r.events.flatMap((e) => ('fixed' in e ? [e.fixed] : [])))),
          ),
        ];
        // The upgrade a user can make here: the lowest newer version of this registry the advisory does not affect.
        const upgrade = order.valid(version)
          ? known
              .filter((v) => order.cmp(v, version) > 0 && !isAffected(osv, a.affected, v))
              .sort(order.cmp)
              .at(0)
          : undefined;
        return {
          ...directAdvisory(hit),
          aliases: a.aliases,
          fixedIn,
          fixAvailable: upgrade ? { name, version: upgrade } : false,
        };
      }),
      transitive,
    },
    malware,
    typosquat,
    licenses: {
      package: scan?.license ?? null,
      tree: evaluateTreeLicenses(
        [...tree.nodes.values()]
          .filter((n) => n.id !== tree.root && !n.external)
          .map((n) => ({ name: n.name, version: n.version, license: n.license ?? undefined, path: pathOf(n.id) })),
        ctx.licensePolicy,
      ),
    },
    dependencies: {
      // False when the root's own dependencies are unknown (a Maven version whose POM was never uploaded).
      resolved: !tree.unknown.includes(tree.root),
      nodes: tree.nodes.size,
      /** The versions an install would bring, root included (URL requirements are alerts instead). */
      packages: [...tree.nodes.values()].filter((n) => !n.external).map((n) => n.id),
      cycles: tree.cycles,
      truncated: tree.truncated,
      partial: tree.partial,
      alerts: tree.alerts,
      conflicts: tree.conflicts,
      unknown: tree.unknown,
    },
  };
}
