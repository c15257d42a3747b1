// GET /api/packages/:name/:version/security for PyPI, Maven and RubyGems versions (the main API asks
// GET /internal/artifacts/:ecosystem/:name/:version/security): the advisories that affect the version, matched
// with the ecosystem's own version order (PEP 440, Maven, RubyGems), each with its fixed versions and the first
// fixed version this registry has; the publish-time scan's malware, typosquat and license findings. Dependency
// trees are resolved for npm only, so `transitive` is empty and `dependencies.resolved` says so.
import { advisoriesFor, isAffected } from '../security/advisories.ts';
import { directAdvisory, scanReport } from '../security/report-parts.ts';
import { createSecurityRepo } from '../security/security-repo.ts';
import { comparatorFor } from '../security/versions.ts';
import type { FormatContext } from './context.ts';
import { SCAN_ECOSYSTEM } from './publish.ts';

export type FormatEcosystem = keyof typeof SCAN_ECOSYSTEM;

export function formatSecurityReport(ctx: FormatContext, ecosystem: FormatEcosystem, name: string, version: string) {
  const pkg = ctx.repo.find(ecosystem, name);
  const row = pkg ? ctx.repo.version(pkg.id, version) : undefined;
  if (!pkg || !row) return undefined;
  const osv = SCAN_ECOSYSTEM[ecosystem];
  const order = comparatorFor(osv);
  const known = ctx.repo
    .versions(pkg.id)
    .map((v) => v.version)
    .filter((v) => order.valid(v));
  const scan = createSecurityRepo(ctx.db).scan(ecosystem, name, version);
  const { malware, typosquat, ...scanned } = scanReport(scan);
  return {
    name,
    version,
    ecosystem,
    ...scanned,
    vulnerabilities: {
      direct: advisoriesFor(ctx.db, osv, name, version).map((hit) => {
        const a = hit.advisory;
        const fixedIn = (a.affected.ranges ?? []).flatMap((r) => r.events.flatMap((e) => ('fixed' in e ? [e.fixed] : [])));
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
      transitive: [],
    },
    malware,
    typosquat,
    licenses: { package: scan?.license ?? null, tree: [] },
    dependencies: { resolved: false, reason: `dependency trees are resolved for npm packages only, not ${ecosystem}` },
  };
}
