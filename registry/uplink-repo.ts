// SQL of the uplink cache (upstream packuments and tarballs), shared by every ecosystem that proxies.
import type { Db } from '../lib/db.ts';

export interface CachedPackument {
  body: string;
  etag: string | null;
  fetched_at: number;
}

export interface CachedTarball {
  blob_sha512: string;
  integrity: string;
  size: number;
}

export type UplinkRepo = ReturnType<typeof createUplinkRepo>;

export function createUplinkRepo(db: Db) {
  const s = {
    doc: db.prepare('SELECT body, etag, fetched_at FROM uplink_packuments WHERE ecosystem = ? AND name = ?'),
    saveDoc: db.prepare(
      `INSERT INTO uplink_packuments (ecosystem, name, body, etag, fetched_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ecosystem, name) DO UPDATE SET body = excluded.body, etag = excluded.etag, fetched_at = excluded.fetched_at`,
    ),
    touchDoc: db.prepare('UPDATE uplink_packuments SET fetched_at = ? WHERE ecosystem = ? AND name = ?'),
    dropDoc: db.prepare('DELETE FROM uplink_packuments WHERE ecosystem = ? AND name = ?'),
    tarball: db.prepare('SELECT blob_sha512, integrity, size FROM uplink_tarballs WHERE ecosystem = ? AND name = ? AND filename = ?'),
    saveTarball: db.prepare(
      `INSERT OR REPLACE INTO uplink_tarballs (ecosystem, name, filename, blob_sha512, integrity, size, last_access) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    touchTarball: db.prepare('UPDATE uplink_tarballs SET last_access = ? WHERE ecosystem = ? AND name = ? AND filename = ?'),
    total: db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM uplink_tarballs'),
    oldest: db.prepare('SELECT ecosystem, name, filename, blob_sha512, size FROM uplink_tarballs ORDER BY last_access LIMIT 100'),
    dropTarball: db.prepare('DELETE FROM uplink_tarballs WHERE ecosystem = ? AND name = ? AND filename = ?'),
    blobInUse: db.prepare(
      'SELECT 1 FROM package_versions WHERE blob_sha512 = @sha UNION ALL SELECT 1 FROM uplink_tarballs WHERE blob_sha512 = @sha LIMIT 1',
    ),
  };
  return {
    doc: (eco: string, name: string) => s.doc.get(eco, name) as CachedPackument | undefined,
    saveDoc: (eco: string, name: string, body: string, etag: string | null, at: number) => s.saveDoc.run(eco, name, body, etag, at),
    touchDoc: (eco: string, name: string, at: number) => s.touchDoc.run(at, eco, name),
    dropDoc: (eco: string, name: string) => s.dropDoc.run(eco, name),
    tarball: (eco: string, name: string, filename: string) => s.tarball.get(eco, name, filename) as CachedTarball | undefined,
    saveTarball: (eco: string, name: string, filename: string, t: CachedTarball, at: number) =>
      s.saveTarball.run(eco, name, filename, t.blob_sha512, t.integrity, t.size, at),
    touchTarball: (eco: string, name: string, filename: string, at: number) => s.touchTarball.run(at, eco, name, filename),
    totalBytes: () => (s.total.get() as { n: number }).n,
    oldest: () => s.oldest.all() as { ecosystem: string; name: string; filename: string; blob_sha512: string; size: number }[],
    dropTarball: (eco: string, name: string, filename: string) => s.dropTarball.run(eco, name, filename),
    blobInUse: (sha512: string) => s.blobInUse.get({ sha: sha512 }) !== undefined,
  };
}
