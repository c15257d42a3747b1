// Which packages a version's security report may walk into. The report (GET /api/packages/:name/:version/security)
// is shown to everyone who may read that version; the main API checks the root only. So every dependency the
// report resolves must be readable by all of them, or its version, licence, advisories and own dependencies leak
// through a public package that names it. One rule for npm and for PyPI, Maven and RubyGems trees.
import type { PackageRow, PackagesRepo } from '../packages-repo.ts';

type PkgRef = Pick<PackageRow, 'id' | 'scope' | 'access'>;

/**
 * A predicate: may the tree of `root` show `dep`? A public package always. A private one only under a private
 * root that every reader of may read it too: readers of a private package are admins, its maintainers and the
 * members of its owning scope (npm/access-rules.ts canRead), so the root's scope must be none or the same, and
 * every maintainer of the root must maintain the dependency. Anything else is left out of the walk, as it is
 * for a client that cannot see it.
 */
export function treeAudience(repo: Pick<PackagesRepo, 'maintainers'>, root: PkgRef): (dep: PkgRef) => boolean {
  if (root.access !== 'restricted') return (dep) => dep.access !== 'restricted';
  const rootMaintainers = repo.maintainers(root.id).map((m) => m.user_id);
  const memo = new Map<number, boolean>();
  return (dep) => {
    if (dep.access !== 'restricted' || dep.id === root.id) return true;
    let ok = memo.get(dep.id);
    if (ok === undefined) {
      const theirs = new Set(repo.maintainers(dep.id).map((m) => m.user_id));
      ok = (root.scope == null || root.scope === dep.scope) && rootMaintainers.every((u) => theirs.has(u));
      memo.set(dep.id, ok);
    }
    return ok;
  };
}
