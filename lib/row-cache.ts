// Rows kept in memory between requests for as long as the database they came from is unchanged, so a hot read
// (a token's identity row, a package's rev) costs a Map hit instead of a query that opens a read transaction.
import type Database from 'better-sqlite3';
import { type Db, perConnection } from './db.ts';

interface StampStatements {
  data: Database.Statement;
  own: Database.Statement;
}
const statementsOf = perConnection(
  (db): StampStatements => ({ data: db.prepare('PRAGMA data_version').pluck(), own: db.prepare('SELECT total_changes()').pluck() }),
);

/**
 * A stamp that changes whenever the database may have changed: PRAGMA data_version moves when another connection
 * (another process) commits, total_changes() when this one writes (a rolled-back write too, which only costs a
 * re-read). About 2.5 µs on a WAL file, nearly all of it data_version (it opens a read transaction).
 * A cache must not keep rows read inside a transaction: a rollback leaves total_changes() where it was.
 */
export function changeStamp(db: Db): string {
  const s = statementsOf(db);
  return `${s.data.get() as number}:${s.own.get() as number}`;
}

export interface RowCacheOptions<V> {
  /** Entries kept at most; the oldest goes first. */
  max: number;
  /**
   * How often, at most, to look for commits by other processes (ms). 0 checks on every read: for a database
   * other processes write while this one reads (marketplace.db's identity tables). An owner whose database only
   * offline tools write besides itself (registry.db: the advisory import) may see their commits this much later;
   * its own writes are always seen at once (total_changes(), 0.1 µs).
   */
  foreignCheckMs?: number;
  /** Whether a loaded value may be kept (e.g. not a page too big to hold); every value is kept by default. */
  keep?: (value: V) => boolean;
  /**
   * For rows that depend on part of the database only: a value that changes whenever those rows may have changed
   * (e.g. a counter that triggers move), read on every get instead of the change stamp. It must see commits by
   * other connections (a plain SELECT outside a transaction does). foreignCheckMs does not apply.
   */
  stamp?: (db: Db) => number | string;
}

export interface RowCache<V> {
  /** The kept value for key, or load()'s (kept unless undefined, refused by keep, or read inside a transaction).
   * Values are shared. */
  get(key: string, load: () => V | undefined): V | undefined;
}

export function createRowCache<V>(getDb: () => Db, o: RowCacheOptions<V>): RowCache<V> {
  const foreignCheckMs = o.foreignCheckMs ?? 0;
  let rows = new Map<string, V>();
  let db: Db | undefined;
  let own = -1;
  let data = -1;
  let dataCheckedAt = Number.NEGATIVE_INFINITY;
  let stamp: number | string | undefined;
  /** Whether the database may have changed since the last get (and remembers the new state). */
  function changed(current: Db): boolean {
    if (o.stamp) {
      const now = o.stamp(current);
      const moved = current !== db || now !== stamp;
      stamp = now;
      return moved;
    }
    const s = statementsOf(current);
    const ownNow = s.own.get() as number;
    let dataNow = data;
    const t = foreignCheckMs === 0 ? 0 : performance.now();
    if (current !== db || foreignCheckMs === 0 || t - dataCheckedAt >= foreignCheckMs) {
      dataNow = s.data.get() as number;
      dataCheckedAt = t;
    }
    const moved = current !== db || ownNow !== own || dataNow !== data;
    own = ownNow;
    data = dataNow;
    return moved;
  }
  return {
    get(key, load) {
      const current = getDb();
      if (changed(current)) {
        rows = new Map();
        db = current;
      }
      const hit = rows.get(key);
      if (hit !== undefined) return hit;
      const value = load();
      // Misses are not kept (made-up names or tokens must not fill memory), nor reads inside a transaction.
      if (value !== undefined && !current.inTransaction && (o.keep?.(value) ?? true)) {
        if (rows.size >= o.max) rows.delete(rows.keys().next().value as string);
        rows.set(key, value);
      }
      return value;
    },
  };
}
