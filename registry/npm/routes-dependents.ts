// GET /internal/packages/:name/dependents (internal token): the npm packages of this registry whose latest
// version depends on :name, as npmjs.com's "Dependents" tab shows them. Computed from the stored manifests
// (no reverse-dependency table yet) and cached 30 s; restricted packages are never listed, since the caller (the dashboard)
// shows the answer to anyone who can read the package page.
import type { Db } from '../../lib/db.ts';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';

/** The most dependents one answer lists; `total` still counts them all. */
export const DEPENDENTS_LIMIT = 100;
const KINDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;
const CACHE_MS = 30_000;
const CACHE_ENTRIES = 2_000;

export interface Dependent {
  name: string;
  version: string;
  range: string;
  kind: (typeof KINDS)[number];
}

export function createDependentsQuery(db: Db) {
  // The latest manifests that mention the quoted name anywhere (a plain text search, cheap next to parsing
  // every manifest), then json_each over each dependency map of those few only: one row per (dependent, kind).
  const kinds = KINDS.map((k, i) => `SELECT '${k}' AS kind, ${i} AS ord`).join(' UNION ALL ');
  const rows = db.prepare<{ name: string; quoted: string }, Dependent>(
    `WITH mentions AS (
       SELECT p.name, p.downloads, v.version, v.manifest FROM packages p
       JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest'
       JOIN package_versions v ON v.package_id = p.id AND v.version = t.version
       WHERE p.ecosystem = 'npm' AND p.access = 'public' AND p.name <> @name AND instr(v.manifest, @quoted) > 0)
     SELECT m.name AS name, m.version AS version, d.value AS range, k.kind AS kind
     FROM mentions m JOIN (${kinds}) k JOIN json_each(m.manifest, '$.' || k.kind) d ON d.key = @name
     ORDER BY m.downloads DESC, m.name, k.ord`,
  );
  const compute = (name: string) => {
    const seen = new Set<string>();
    // A package naming the dependency under two kinds is listed once, under the first.
    const dependents = rows.all({ name, quoted: JSON.stringify(name) }).filter((d) => !seen.has(d.name) && seen.add(d.name));
    return { name, dependents: dependents.slice(0, DEPENDENTS_LIMIT), total: dependents.length };
  };
  // The query reads every latest manifest (tens of ms for thousands of packages) and the package page asks on
  // every view: answers are kept CACHE_MS, as public registries also list dependents with a delay.
  const cache = new Map<string, { at: number; value: ReturnType<typeof compute> }>();
  return (name: string, now = Date.now()) => {
    const hit = cache.get(name);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    if (cache.size >= CACHE_ENTRIES) cache.clear();
    const value = compute(name);
    cache.set(name, { at: now, value });
    return value;
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
