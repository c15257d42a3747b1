// All SQL over the package tables (packages, versions, dist-tags, maintainers, burned identifiers, stars,
// downloads per day and per version, blobs), shared by every ecosystem through the `ecosystem` column.
import type { Db } from '../lib/db.ts';

/**
 * A name's skeleton in SQL: lower case without "-", "." and "_" (registry/security/name-forms.ts `skeleton`, for the
 * ASCII names every ecosystem allows). Migration 055 indexes exactly this expression over `name`; a query must
 * use it as written, on a column named name, to use that index.
 */
export const nameSkeletonSql = (column: string) => `replace(replace(replace(lower(${column}), '-', ''), '.', ''), '_', '')`;

export interface PackageRow {
  id: number;
  ecosystem: string;
  name: string;
  scope: string | null;
  description: string;
  keywords: string;
  access: 'public' | 'restricted';
  origin: 'local' | 'uplink';
  rev: number;
  downloads: number;
  created_at: string;
  updated_at: string;
}

export interface VersionRow {
  package_id: number;
  version: string;
  manifest: string;
  readme: string;
  filename: string;
  blob_sha512: string;
  integrity: string;
  shasum: string;
  size: number;
  deprecated: string | null;
  publisher_id: string | null;
  publisher_name: string | null;
  published_at: string;
}

export interface MaintainerRow {
  user_id: string;
  username: string;
  email: string;
}

export interface BurnedRow {
  version: string;
  integrity: string;
  published_at: string;
  unpublished_at: string | null;
}

export type PackagesRepo = ReturnType<typeof createPackagesRepo>;

export function createPackagesRepo(db: Db) {
  const s = {
    pkg: db.prepare('SELECT * FROM packages WHERE ecosystem = ? AND name = ?'),
    withSkeleton: db.prepare(`SELECT * FROM packages p WHERE p.ecosystem = ? AND ${nameSkeletonSql('p.name')} = ? ORDER BY p.id`),
    pkgRev: db.prepare('SELECT id, rev, access FROM packages WHERE ecosystem = ? AND name = ?'),
    insertPkg: db.prepare(
      `INSERT INTO packages (ecosystem, name, scope, description, keywords, access, origin, created_at, updated_at)
       VALUES (@ecosystem, @name, @scope, @description, @keywords, @access, @origin, @now, @now)`,
    ),
    touch: db.prepare('UPDATE packages SET rev = rev + 1, updated_at = ? WHERE id = ?'),
    setMeta: db.prepare('UPDATE packages SET description = ?, keywords = ? WHERE id = ?'),
    setAccess: db.prepare('UPDATE packages SET access = ? WHERE id = ?'),
    deletePkg: db.prepare('DELETE FROM packages WHERE id = ?'),
    versions: db.prepare('SELECT * FROM package_versions WHERE package_id = ?'),
    version: db.prepare('SELECT * FROM package_versions WHERE package_id = ? AND version = ?'),
    insertVersion: db.prepare(
      `INSERT INTO package_versions (package_id, version, manifest, readme, filename, blob_sha512, integrity, shasum, size,
         publisher_id, publisher_name, published_at)
       VALUES (@package_id, @version, @manifest, @readme, @filename, @blob_sha512, @integrity, @shasum, @size,
         @publisher_id, @publisher_name, @published_at)`,
    ),
    deprecate: db.prepare('UPDATE package_versions SET deprecated = ? WHERE package_id = ? AND version = ?'),
    setManifest: db.prepare('UPDATE package_versions SET manifest = ? WHERE package_id = ? AND version = ?'),
    deleteVersion: db.prepare('DELETE FROM package_versions WHERE package_id = ? AND version = ?'),
    burned: db.prepare(
      'SELECT version, integrity, published_at, unpublished_at FROM burned_versions WHERE ecosystem = ? AND name = ? AND version = ?',
    ),
    burnedAll: db.prepare('SELECT version, integrity, published_at, unpublished_at FROM burned_versions WHERE ecosystem = ? AND name = ?'),
    burn: db.prepare('INSERT INTO burned_versions (ecosystem, name, version, integrity, published_at) VALUES (?, ?, ?, ?, ?)'),
    unburnMark: db.prepare('UPDATE burned_versions SET unpublished_at = ? WHERE ecosystem = ? AND name = ? AND version = ?'),
    tags: db.prepare('SELECT tag, version FROM dist_tags WHERE package_id = ?'),
    setTag: db.prepare(
      'INSERT INTO dist_tags (package_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version',
    ),
    deleteTag: db.prepare('DELETE FROM dist_tags WHERE package_id = ? AND tag = ?'),
    maintainers: db.prepare('SELECT user_id, username, email FROM package_maintainers WHERE package_id = ? ORDER BY added_at, username'),
    isMaintainer: db.prepare('SELECT 1 FROM package_maintainers WHERE package_id = ? AND user_id = ?'),
    addMaintainer: db.prepare(
      'INSERT OR IGNORE INTO package_maintainers (package_id, user_id, username, email, added_at) VALUES (?, ?, ?, ?, ?)',
    ),
    removeMaintainer: db.prepare('DELETE FROM package_maintainers WHERE package_id = ? AND user_id = ?'),
    packagesOfUser: db.prepare(
      `SELECT p.name FROM package_maintainers m JOIN packages p ON p.id = m.package_id
       WHERE m.user_id = ? AND p.ecosystem = ? ORDER BY p.name LIMIT 1000`,
    ),
    stars: db.prepare('SELECT username FROM stars WHERE package_id = ? ORDER BY username'),
    star: db.prepare('INSERT OR IGNORE INTO stars (package_id, user_id, username, created_at) VALUES (?, ?, ?, ?)'),
    unstar: db.prepare('DELETE FROM stars WHERE package_id = ? AND user_id = ?'),
    starredBy: db.prepare(
      'SELECT p.id, p.name, p.scope, p.access FROM stars s JOIN packages p ON p.id = s.package_id WHERE s.username = ? AND p.ecosystem = ? ORDER BY p.name LIMIT 1000',
    ),
    // The dependents npmjs.com shows (and the dependents tab, routes-dependents.ts): packages whose latest version
    // names it outside devDependencies, private ones included (their users would break too). An index lookup in
    // npm_dependency_edges (migration 052), not a json_each over every version of every package.
    dependents: db.prepare(
      `SELECT 1 FROM npm_dependency_edges e JOIN packages p ON p.id = e.package_id
       WHERE e.dependency = @name AND e.kind <> 'devDependencies' AND p.name <> @name AND p.ecosystem = @ecosystem
       LIMIT 1`,
    ),
    addDownloads: db.prepare('UPDATE packages SET downloads = downloads + @n WHERE id = @id'),
    addDownloadsDay: db.prepare(
      `INSERT INTO download_counts (package_id, day, count) SELECT @id, @day, @n WHERE EXISTS (SELECT 1 FROM packages WHERE id = @id)
       ON CONFLICT (package_id, day) DO UPDATE SET count = count + excluded.count`,
    ),
    // Migration 058; a version removed since the download is skipped (its row would break the foreign key).
    addVersionDownloads: db.prepare(
      `INSERT INTO version_downloads (package_id, version, count) SELECT @id, @version, @n
       WHERE EXISTS (SELECT 1 FROM package_versions WHERE package_id = @id AND version = @version)
       ON CONFLICT (package_id, version) DO UPDATE SET count = count + excluded.count`,
    ),
    versionDownloads: db.prepare('SELECT version, count FROM version_downloads WHERE package_id = ?'),
    ensureBlob: db.prepare('INSERT OR IGNORE INTO blobs (sha512, size, created_at) VALUES (?, ?, ?)'),
    downloadsSince: db.prepare('SELECT coalesce(sum(count), 0) AS n FROM download_counts WHERE package_id = ? AND day >= ?'),
  };

  return {
    find: (ecosystem: string, name: string) => s.pkg.get(ecosystem, name) as PackageRow | undefined,
    /** The packages whose name has this skeleton (name-forms.ts), oldest first, through migration 055's index. */
    withSkeleton: (ecosystem: string, skeleton: string) => s.withSkeleton.all(ecosystem, skeleton) as PackageRow[],
    /** The cheap lookup of the hot path: id, rev (cache key) and access. */
    findRev: (ecosystem: string, name: string) => s.pkgRev.get(ecosystem, name) as Pick<PackageRow, 'id' | 'rev' | 'access'> | undefined,
    insert(p: {
      ecosystem: string;
      name: string;
      scope: string | null;
      description: string;
      keywords: string[];
      access: string;
      origin?: string;
      now: string;
    }) {
      return Number(s.insertPkg.run({ ...p, keywords: JSON.stringify(p.keywords), origin: p.origin ?? 'local' }).lastInsertRowid);
    },
    touch: (id: number, now: string) => s.touch.run(now, id),
    setMeta: (id: number, description: string, keywords: string[]) => s.setMeta.run(description, JSON.stringify(keywords), id),
    setAccess: (id: number, access: 'public' | 'restricted') => s.setAccess.run(access, id),
    remove: (id: number) => s.deletePkg.run(id),
    versions: (id: number) => s.versions.all(id) as VersionRow[],
    version: (id: number, version: string) => s.version.get(id, version) as VersionRow | undefined,
    insertVersion: (v: Omit<VersionRow, 'deprecated'>) => s.insertVersion.run(v),
    deprecate: (id: number, version: string, message: string | null) => s.deprecate.run(message, id, version),
    setManifest: (id: number, version: string, manifest: string) => s.setManifest.run(manifest, id, version),
    removeVersion: (id: number, version: string) => s.deleteVersion.run(id, version),
    burned: (ecosystem: string, name: string, version: string) => s.burned.get(ecosystem, name, version) as BurnedRow | undefined,
    burnedAll: (ecosystem: string, name: string) => s.burnedAll.all(ecosystem, name) as BurnedRow[],
    burn: (ecosystem: string, name: string, version: string, integrity: string, at: string) =>
      s.burn.run(ecosystem, name, version, integrity, at),
    markUnpublished: (ecosystem: string, name: string, version: string, at: string) => s.unburnMark.run(at, ecosystem, name, version),
    tags: (id: number) =>
      Object.fromEntries((s.tags.all(id) as { tag: string; version: string }[]).map((r) => [r.tag, r.version])) as Record<string, string>,
    setTag: (id: number, tag: string, version: string) => s.setTag.run(id, tag, version),
    deleteTag: (id: number, tag: string) => s.deleteTag.run(id, tag),
    maintainers: (id: number) => s.maintainers.all(id) as MaintainerRow[],
    isMaintainer: (id: number, userId: string) => s.isMaintainer.get(id, userId) !== undefined,
    addMaintainer: (id: number, m: MaintainerRow, at: string) => s.addMaintainer.run(id, m.user_id, m.username, m.email, at),
    removeMaintainer: (id: number, userId: string) => s.removeMaintainer.run(id, userId),
    packagesOfUser: (userId: string, ecosystem: string) =>
      (s.packagesOfUser.all(userId, ecosystem) as { name: string }[]).map((r) => r.name),
    stars: (id: number) => (s.stars.all(id) as { username: string }[]).map((r) => r.username),
    star: (id: number, userId: string, username: string, at: string) => s.star.run(id, userId, username, at),
    unstar: (id: number, userId: string) => s.unstar.run(id, userId),
    /** The packages a user starred, with what the access rules read: the caller filters out those it may not see. */
    starredBy: (username: string, ecosystem: string) =>
      s.starredBy.all(username, ecosystem) as Pick<PackageRow, 'id' | 'name' | 'scope' | 'access'>[],
    /** Does any other package's version depend on this name (npm's unpublish policy)? */
    hasDependents: (ecosystem: string, name: string) => s.dependents.get({ ecosystem, name }) !== undefined,
    /** Download totals by version (a version never downloaded since migration 058 has none: read it as 0). */
    versionDownloads: (id: number) =>
      new Map((s.versionDownloads.all(id) as { version: string; count: number }[]).map((r) => [r.version, r.count])),
    /** Downloads counted on `sinceDay` (YYYY-MM-DD, UTC) and after. */
    downloadsSince: (id: number, sinceDay: string) => (s.downloadsSince.get(id, sinceDay) as { n: number }).n,
    ensureBlob: (sha512: string, size: number, at: string) => s.ensureBlob.run(sha512, size, at),
    /** Add n downloads at once (batched counters); a package unpublished meanwhile is skipped. */
    addDownloads(id: number, day: string, n: number) {
      s.addDownloads.run({ id, n });
      s.addDownloadsDay.run({ id, day, n });
    },
    /** Add n downloads to a version's total (batched counters, with addDownloads); a version removed meanwhile is skipped. */
    addVersionDownloads: (id: number, version: string, n: number) => s.addVersionDownloads.run({ id, version, n }),
  };
}
