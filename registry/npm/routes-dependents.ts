// GET /internal/packages/:name/dependents (internal token): the npm packages of this registry whose latest
// version depends on :name, as npmjs.com's "Dependents" tab shows them. Read from npm_dependency_edges (migration
// 052, kept by triggers), so an answer is exact at once and costs an index lookup, not a read of every manifest.
// Restricted packages are never listed, since the caller (the dashboard) shows the answer to anyone who can read
// the package page.
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
  const kindList = KINDS.map((k) => `'${k}'`).join(', ');
  const kindOrder = `CASE e.kind ${KINDS.map((k, i) => `WHEN '${k}' THEN ${i}`).join(' ')} END`;
  const from = 'FROM npm_dependency_edges e JOIN packages p ON p.id = e.package_id';
  const where = `WHERE e.dependency = @name AND e.kind IN (${kindList}) AND p.access = 'public' AND p.name <> @name`;
  const total = db.prepare<{ name: string }, { n: number }>(`SELECT count(DISTINCT e.package_id) AS n ${from} ${where}`);
  // A package naming the dependency under two kinds is listed once, under the first of KINDS (row_number).
  const page = db.prepare<{ name: string; limit: number }, Dependent>(
    `SELECT name, version, range, kind FROM (
       SELECT p.name, t.version, e.range, e.kind, p.downloads,
         row_number() OVER (PARTITION BY e.package_id ORDER BY ${kindOrder}) AS nth
       ${from} JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest' ${where})
     WHERE nth = 1 ORDER BY downloads DESC, name LIMIT @limit`,
  );
  return (name: string) => ({
    name,
    dependents: page.all({ name, limit: DEPENDENTS_LIMIT }),
    total: total.get({ name })?.n ?? 0,
  });
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
