// Tarball downloads counted in memory and written in one transaction per second: a synchronous SQLite commit
// (FULL sync, an fsync) per tarball would stall the event loop during `npm ci` of a large tree. Counts are
// analytics, not acknowledged writes: a crash loses at most the last interval.
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import type { PackagesRepo } from '../packages-repo.ts';

export type DownloadCounter = ReturnType<typeof createDownloadCounter>;

export function createDownloadCounter(db: Db, repo: PackagesRepo, clock: Clock, intervalMs = 1000) {
  let pending = new Map<string, { id: number; day: string; n: number }>();
  const flush = () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    db.transaction(() => {
      for (const { id, day, n } of batch.values()) repo.addDownloads(id, day, n);
    }).immediate();
  };
  const timer = setInterval(() => {
    try {
      flush();
    } catch {
      // The database is closing or busy: the next tick or the final flush tries again.
    }
  }, intervalMs);
  timer.unref();
  return {
    count(id: number) {
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      const key = `${id}:${day}`;
      const e = pending.get(key);
      if (e) e.n++;
      else pending.set(key, { id, day, n: 1 });
    },
    /** Write pending counts now (before reads that report downloads, and on close). */
    flush,
    stop() {
      clearInterval(timer);
      if (db.open) flush();
    },
  };
}
