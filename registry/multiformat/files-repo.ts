// All SQL over artifact_files, burned_files, artifact_extras and the storage accounting (migration 040), shared by
// the PyPI, Maven and RubyGems routes, plus dropping the scan and score rows of withdrawn files. Package rows
// themselves go through packages-repo.ts.
import type { Db } from '../../lib/db.ts';

export interface FileRow {
  ecosystem: string;
  path: string;
  package_id: number;
  version: string;
  kind: string;
  blob_sha512: string;
  size: number;
  sha256: string;
  sha1: string;
  md5: string;
  meta: string;
  yanked: string | null;
  publisher_id: string | null;
  uploaded_at: string;
}

export type FilesRepo = ReturnType<typeof createFilesRepo>;

// A version an admin quarantined (security review, scan_results.review_state) is not served: its files answer 403
// and every listing and index leaves it out, as npm's packument does (docs/SECURITY-SCANNING.md "Quarantine").
const QUARANTINED = `EXISTS (SELECT 1 FROM scan_results s JOIN packages p ON p.ecosystem = s.ecosystem AND p.name = s.name
  WHERE p.id = f.package_id AND s.version = f.version AND s.review_state = 'quarantined')`;

export function createFilesRepo(db: Db) {
  const s = {
    served: db.prepare(`SELECT f.* FROM artifact_files f WHERE f.package_id = ? AND NOT ${QUARANTINED} ORDER BY f.rowid`),
    servedOfVersion: db.prepare(
      `SELECT f.* FROM artifact_files f WHERE f.package_id = ? AND f.version = ? AND NOT ${QUARANTINED} ORDER BY f.rowid`,
    ),
    quarantined: db.prepare(`SELECT 1 FROM artifact_files f WHERE f.ecosystem = ? AND f.path = ? AND ${QUARANTINED}`),
    file: db.prepare('SELECT * FROM artifact_files WHERE ecosystem = ? AND path = ?'),
    ofPackage: db.prepare('SELECT * FROM artifact_files WHERE package_id = ? ORDER BY rowid'),
    ofVersion: db.prepare('SELECT * FROM artifact_files WHERE package_id = ? AND version = ? ORDER BY rowid'),
    insert: db.prepare(
      `INSERT INTO artifact_files (ecosystem, path, package_id, version, kind, blob_sha512, size, sha256, sha1, md5, meta, publisher_id, uploaded_at)
       VALUES (@ecosystem, @path, @package_id, @version, @kind, @blob_sha512, @size, @sha256, @sha1, @md5, @meta, @publisher_id, @uploaded_at)`,
    ),
    replace: db.prepare(
      `UPDATE artifact_files SET blob_sha512 = @blob_sha512, size = @size, sha256 = @sha256, sha1 = @sha1, md5 = @md5, meta = @meta,
         publisher_id = @publisher_id, uploaded_at = @uploaded_at WHERE ecosystem = @ecosystem AND path = @path`,
    ),
    remove: db.prepare('DELETE FROM artifact_files WHERE ecosystem = ? AND path = ?'),
    // The version row points at one of its files (search, details): moved to a live file when that one goes.
    repoint: db.prepare(
      `UPDATE package_versions SET blob_sha512 = @blob_sha512, filename = @filename, integrity = @integrity, shasum = @sha1, size = @size
       WHERE package_id = @package_id AND version = @version`,
    ),
    yank: db.prepare('UPDATE artifact_files SET yanked = ? WHERE package_id = ? AND version = ?'),
    yankPath: db.prepare('UPDATE artifact_files SET yanked = ? WHERE ecosystem = ? AND path = ?'),
    burned: db.prepare('SELECT sha256 FROM burned_files WHERE ecosystem = ? AND path = ?'),
    burn: db.prepare('INSERT OR IGNORE INTO burned_files (ecosystem, path, sha256, first_at) VALUES (?, ?, ?, ?)'),
    unburn: db.prepare('DELETE FROM burned_files WHERE ecosystem = ? AND path = ?'),
    setMeta: db.prepare('UPDATE artifact_files SET meta = ? WHERE ecosystem = ? AND path = ?'),
    extra: db.prepare('SELECT blob_sha512, sha256 FROM artifact_extras WHERE ecosystem = ? AND path = ?'),
    putExtra: db.prepare('INSERT OR REPLACE INTO artifact_extras (ecosystem, path, blob_sha512, sha256) VALUES (?, ?, ?, ?)'),
    // Storage accounting (the storage fee basis): bytes of every file a user published, all ecosystems.
    bytesOf: db.prepare(
      `SELECT coalesce((SELECT sum(size) FROM package_versions v JOIN packages p ON p.id = v.package_id
                        WHERE v.publisher_id = @user AND p.ecosystem = 'npm'), 0)
            + coalesce((SELECT sum(size) FROM artifact_files WHERE publisher_id = @user), 0) AS n`,
    ),
    // scan_results and package_scores (migrations 020-021, registry/security/) are keyed by name, so nothing
    // cascades from a removed version or package: withdrawing bytes that were never good drops their analysis here.
    forgetScan: db.prepare('DELETE FROM scan_results WHERE ecosystem = ? AND name = ? AND version = ?'),
    forgetScans: db.prepare('DELETE FROM scan_results WHERE ecosystem = ? AND name = ?'),
    forgetScore: db.prepare('DELETE FROM package_scores WHERE ecosystem = ? AND name = ?'),
    privateOf: db.prepare(
      `SELECT count(*) AS n FROM packages p JOIN package_maintainers m ON m.package_id = p.id
       WHERE m.user_id = ? AND p.access = 'restricted'`,
    ),
  };
  return {
    file: (ecosystem: string, path: string) => s.file.get(ecosystem, path) as FileRow | undefined,
    ofPackage: (packageId: number) => s.ofPackage.all(packageId) as FileRow[],
    ofVersion: (packageId: number, version: string) => s.ofVersion.all(packageId, version) as FileRow[],
    /** ofPackage without the files of quarantined versions: what indexes and listings show. */
    served: (packageId: number) => s.served.all(packageId) as FileRow[],
    servedOfVersion: (packageId: number, version: string) => s.servedOfVersion.all(packageId, version) as FileRow[],
    isQuarantined: (f: Pick<FileRow, 'ecosystem' | 'path'>) => s.quarantined.get(f.ecosystem, f.path) !== undefined,
    insert: (f: Omit<FileRow, 'yanked'>) => s.insert.run(f),
    replace: (f: Omit<FileRow, 'yanked' | 'package_id' | 'version' | 'kind'>) => s.replace.run(f),
    remove: (ecosystem: string, path: string) => s.remove.run(ecosystem, path),
    repointVersion: (f: FileRow) =>
      s.repoint.run({
        blob_sha512: f.blob_sha512,
        filename: f.path.slice(f.path.lastIndexOf('/') + 1),
        integrity: `sha512-${Buffer.from(f.blob_sha512, 'hex').toString('base64')}`,
        sha1: f.sha1,
        size: f.size,
        package_id: f.package_id,
        version: f.version,
      }),
    yank: (packageId: number, version: string, reason: string | null) => s.yank.run(reason, packageId, version).changes,
    yankPath: (ecosystem: string, path: string, reason: string | null) => s.yankPath.run(reason, ecosystem, path).changes,
    burned: (ecosystem: string, path: string) => (s.burned.get(ecosystem, path) as { sha256: string } | undefined)?.sha256,
    burn: (ecosystem: string, path: string, sha256: string, at: string) => s.burn.run(ecosystem, path, sha256, at),
    /** Only for bytes refused before anyone could rely on them (a Maven artifact whose checksum disagreed). */
    unburn: (ecosystem: string, path: string) => s.unburn.run(ecosystem, path),
    setMeta: (ecosystem: string, path: string, meta: Record<string, unknown>) => s.setMeta.run(JSON.stringify(meta), ecosystem, path),
    extra: (ecosystem: string, path: string) => s.extra.get(ecosystem, path) as { blob_sha512: string; sha256: string } | undefined,
    putExtra: (ecosystem: string, path: string, blob: string, sha256: string) => s.putExtra.run(ecosystem, path, blob, sha256),
    /** The scan of one version (call in the transaction that removes or withdraws what was scanned). */
    forgetScan: (ecosystem: string, name: string, version: string) => s.forgetScan.run(ecosystem, name, version),
    /** Every scan and the score of a package (call in the transaction that removes the package). */
    forgetAnalysis: (ecosystem: string, name: string) => {
      s.forgetScans.run(ecosystem, name);
      s.forgetScore.run(ecosystem, name);
    },
    usage: (userId: string) => ({
      storageBytes: (s.bytesOf.get({ user: userId }) as { n: number }).n,
      privatePackages: (s.privateOf.get(userId) as { n: number }).n,
    }),
  };
}
