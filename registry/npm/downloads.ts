// Tarball downloads counted in memory and written in one transaction per second: a synchronous SQLite commit
// (FULL sync, an fsync) per tarball would stall the event loop during `npm ci` of a large tree. Counts are
// analytics, not acknowledged writes: a crash loses at most the last interval. Each flushed (package, day)
// count of an npm package also becomes one package.downloaded event in the same transaction, so the main API's
// analytics and /api/downloads see real installs (one aggregated event per package and interval, not one per
// tarball). PyPI, Maven and RubyGems downloads are relayed the same way under "<ecosystem>:<name>", the name their
// other events (package.published, package.vulnerable) give the package: without them, /api/downloads and the
// dashboard's chart showed nothing for a wheel, jar or gem, or the counts of an npm package of the same name.
// The same flush adds each version's downloads to its total (version_downloads, migration 058; the RubyGems JSON
// API shows them): counted per package, day and version in memory, so a download is still one map update.
import type { Clock } from '../../lib/clock.ts';
import { commitWithoutFsync, type Db } from '../../lib/db.ts';
import { enqueueEvent } from '../../lib/outbox.ts';
import type { PackagesRepo } from '../packages-repo.ts';

export type DownloadCounter = ReturnType<typeof createDownloadCounter>;

const DAY_MS = 86_400_000;

/** onCount runs at each count, before the download's reply (the change feed: a count is a change readers see). */
export function createDownloadCounter(db: Db, repo: PackagesRepo, clock: Clock, intervalMs = 1000, onCount?: () => void) {
  // Looked up at the flush, once per package and interval: the PyPI, Maven and RubyGems routes count by id only.
  // The access goes with every count: the main API hides a restricted package's counts from outsiders, and a
  // download is often the first event to tell it (npm's package.published does not say).
  const packageOf = db.prepare<[number], { ecosystem: string; name: string; access: string }>(
    'SELECT ecosystem, name, access FROM packages WHERE id = ?',
  );
  let pending = new Map<string, { id: number; version: string; relayAs?: string; day: string; n: number }>();
  const flush = () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    // The per-day count, the package total and the event are per package and day: its versions added up.
    const perDay = new Map<string, { id: number; relayAs?: string; day: string; n: number }>();
    for (const { id, relayAs, day, n } of batch.values()) {
      const key = `${id}:${day}`;
      const d = perDay.get(key);
      if (d) d.n += n;
      else perDay.set(key, { id, relayAs, day, n });
    }
    try {
      // Counts are not acknowledged to anyone: no fsync on the event loop for them (lib/db.ts commitWithoutFsync).
      // One transaction for both tables: a failed flush writes neither, so none is counted twice at the retry.
      commitWithoutFsync(db, () => {
        for (const { id, version, n } of batch.values()) repo.addVersionDownloads(id, version, n);
        for (const { id, relayAs, day, n } of perDay.values()) {
          repo.addDownloads(id, day, n);
          const row = packageOf.get(id);
          // npm's name as the download named it (the row is gone when the package was unpublished since).
          const pkg = relayAs === undefined ? row : { ecosystem: 'npm', name: relayAs, access: row?.access };
          if (!pkg) continue; // deleted since the download: nothing left to count it for
          enqueueEvent(db, { table: 'outbox' }, clock, {
            type: 'package.downloaded',
            subject: pkg.ecosystem === 'npm' ? `package:${pkg.name}` : `package:${pkg.ecosystem}:${pkg.name}`,
            data: { ecosystem: pkg.ecosystem, name: pkg.name, packageId: `pkg-${id}`, count: n, day, access: pkg.access },
          });
        }
      });
    } catch (err) {
      // Nothing was written (one transaction): the counts wait for the next flush instead of being lost.
      for (const [key, e] of batch) {
        const later = pending.get(key);
        if (later) later.n += e.n;
        else pending.set(key, e);
      }
      throw err;
    }
  };
  // The UTC day of a time, formatted once per day rather than once per download (it showed in the tarball
  // route's profile).
  let day = { startMs: 0, endMs: 0, name: '' };
  const dayOf = (ms: number): string => {
    if (ms < day.startMs || ms >= day.endMs) {
      const startMs = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
      day = { startMs, endMs: startMs + DAY_MS, name: new Date(startMs).toISOString().slice(0, 10) };
    }
    return day.name;
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
    /** One download of `version` of package `id`; `relayAs` is the npm name (other ecosystems' names are read at the flush). */
    count(id: number, version: string, relayAs?: string) {
      const day = dayOf(clock.now());
      const key = `${id}:${day}:${version}`;
      const e = pending.get(key);
      if (e) e.n++;
      else pending.set(key, { id, version, relayAs, day, n: 1 });
      onCount?.();
    },
    /** Write pending counts now (before reads that report downloads, and on close). */
    flush,
    stop() {
      clearInterval(timer);
      if (db.open) flush();
    },
  };
}
