// GET /internal/packages/:name/dependents (internal token): the npm packages of this registry whose latest
// version depends on :name, as npmjs.com's "Dependents" tab shows them. Computed from the stored manifests
// (no reverse-dependency table yet); restricted packages are never listed, since the caller (the dashboard)
// shows the answer to anyone who can read the package page.
import type { Db } from '../../lib/db.ts';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';

/** The most dependents one answer lists; `total` still counts them all. */
export const DEPENDENTS_LIMIT = 100;
const KINDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;

export interface Dependent {
  name: string;
  version: string;
  range: string;
  kind: (typeof KINDS)[number];
}

export function createDependentsQuery(db: Db) {
  // One row per (dependent, kind): json_each over each dependency map of the latest version only.
  const kinds = KINDS.map((k) => `SELECT '${k}' AS kind`).join(' UNION ALL ');
  const from = `FROM packages p
    JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest'
    JOIN package_versions v ON v.package_id = p.id AND v.version = t.version
    JOIN (${kinds}) k
    JOIN json_each(v.manifest, '$.' || k.kind) d ON d.key = @name
    WHERE p.ecosystem = 'npm' AND p.access = 'public' AND p.name <> @name`;
  const list = db.prepare<{ name: string; limit: number }, Dependent>(
    `SELECT p.name AS name, v.version AS version, d.value AS range, k.kind AS kind ${from} ORDER BY p.downloads DESC, p.name LIMIT @limit`,
  );
  const count = db.prepare<{ name: string }, { n: number }>(`SELECT count(DISTINCT p.id) AS n ${from}`);
  return (name: string) => {
    const seen = new Set<string>();
    // A package naming the dependency under two kinds is listed once, under the first.
    const dependents = list.all({ name, limit: DEPENDENTS_LIMIT * KINDS.length }).filter((d) => !seen.has(d.name) && seen.add(d.name));
    return { name, dependents: dependents.slice(0, DEPENDENTS_LIMIT), total: count.get({ name })?.n ?? 0 };
  };
}

export function registerDependentsRoutes(app: TypedApp, db: Db, internalToken: string) {
  const guard = requireInternalToken(internalToken);
  const dependentsOf = createDependentsQuery(db);
  app.get('/internal/packages/:a/dependents', { preHandler: guard }, async (req) => dependentsOf((req.params as { a: string }).a));
  app.get('/internal/packages/:a/:b/dependents', { preHandler: guard }, async (req) => {
    const { a, b } = req.params as { a: string; b: string };
    return dependentsOf(`${a}/${b}`);
  });
}
