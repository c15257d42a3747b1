// Deleting blobs no row needs any more: right after a commit that dropped rows (pruned Maven SNAPSHOT builds, a
// Maven artifact refused by its checksum) and, for whatever a crash or an abandoned upload left behind, a periodic
// orphan collection (also POST /internal/blobs/gc). A blob is deleted only when no row of any table references it
// AND its bytes were last put more than `graceMs` ago: an upload writes its blob before it commits its row
// (DESIGN.md section 3), and put() of bytes already stored refreshes their time, so an upload in flight always
// keeps the blob it is about to reference.
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import type { BlobStore } from './blob-store.ts';

/** Long enough for any upload between its blob put and its commit (a 100 MB body is received before the put). */
export const BLOB_GRACE_MS = 10 * 60_000;

export interface CollectReport {
  /** Blob files looked at. */
  examined: number;
  /** Blob files deleted, and their bytes. */
  removed: number;
  bytes: number;
  /** Unreferenced `blobs` index rows with no file, dropped. */
  staleRows: number;
}

export type BlobCollector = ReturnType<typeof createBlobCollector>;

export function createBlobCollector(db: Db, blobs: BlobStore, clock: Clock, graceMs = BLOB_GRACE_MS) {
  const s = {
    inUse: db.prepare(
      `SELECT 1 FROM package_versions WHERE blob_sha512 = @sha
       UNION ALL SELECT 1 FROM artifact_files WHERE blob_sha512 = @sha
       UNION ALL SELECT 1 FROM artifact_extras WHERE blob_sha512 = @sha
       UNION ALL SELECT 1 FROM uplink_tarballs WHERE blob_sha512 = @sha LIMIT 1`,
    ),
    dropRow: db.prepare('DELETE FROM blobs WHERE sha512 = ?'),
    staleRows: db.prepare(
      `DELETE FROM blobs WHERE created_at < ?
         AND NOT EXISTS (SELECT 1 FROM package_versions v WHERE v.blob_sha512 = blobs.sha512)
         AND NOT EXISTS (SELECT 1 FROM artifact_files f WHERE f.blob_sha512 = blobs.sha512)
         AND NOT EXISTS (SELECT 1 FROM artifact_extras x WHERE x.blob_sha512 = blobs.sha512)
         AND NOT EXISTS (SELECT 1 FROM uplink_tarballs u WHERE u.blob_sha512 = blobs.sha512)`,
    ),
  };
  const inUse = (sha512: string) => s.inUse.get({ sha: sha512 }) !== undefined;

  /** Drops the index row and the bytes of one blob when nothing references it and no upload is putting it. */
  async function drop(sha512: string): Promise<boolean> {
    const free = db
      .transaction(() => {
        if (inUse(sha512)) return false;
        s.dropRow.run(sha512);
        return true;
      })
      .immediate();
    return free && (await blobs.removeIfWrittenBefore(sha512, clock.now() - graceMs));
  }

  return {
    inUse,
    /**
     * Call AFTER the transaction that removed rows has committed: deletes the blobs of those rows that nothing
     * else references (a blob shared with another file or version survives). Blobs put within the grace period
     * are left to collect(). Returns the hashes deleted.
     */
    async release(hashes: Iterable<string>): Promise<string[]> {
      const out: string[] = [];
      for (const h of new Set(hashes)) if (await drop(h)) out.push(h);
      return out;
    },
    /** The orphan collection: every stored blob no row references and written before the grace period. */
    async collect(): Promise<CollectReport> {
      const report: CollectReport = { examined: 0, removed: 0, bytes: 0, staleRows: 0 };
      const cutoff = clock.now() - graceMs;
      for await (const b of blobs.list()) {
        report.examined++;
        if (b.writtenAt >= cutoff || inUse(b.sha512)) continue;
        if (await drop(b.sha512)) {
          report.removed++;
          report.bytes += b.size;
        }
      }
      report.staleRows = db.transaction(() => s.staleRows.run(new Date(cutoff).toISOString()).changes).immediate();
      return report;
    },
  };
}
