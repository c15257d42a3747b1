// SQLite access: one way to open a database (WAL, busy timeout, FULL sync, foreign keys) and one way to
// migrate it. Several owners share marketplace.db, so migrations are tracked per owner in a table of their
// own rather than in PRAGMA user_version (DESIGN.md section 3).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * `make` run once per connection, its result kept while the connection lives: for prepared statements and
 * caches that callers would otherwise make per request.
 */
export function perConnection<T>(make: (db: Db) => T): (db: Db) => T {
  const made = new WeakMap<Db, T>();
  return (db) => {
    let value = made.get(db);
    if (value === undefined) {
      value = make(db);
      made.set(db, value);
    }
    return value;
  };
}

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds a statement waits on a lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
    timeout: opts.busyTimeoutMs ?? 10_000,
  });
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged write survives power loss, not only a process crash.
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Runs fn in one IMMEDIATE transaction whose commit does not wait for the disk (synchronous=NORMAL for this commit
 * only). Only for writes nobody is told are durable and whose loss is harmless: download counts, outbox rows
 * already delivered (a lost delete re-sends, and the receiver drops copies by id). A power cut may lose such a
 * commit, never tear it (WAL); a process crash loses nothing. Acknowledged writes keep FULL (DESIGN.md section 3).
 * The fsync it spares would otherwise block the event loop, which shows in the p95 of every request (issue #11).
 * Nobody waits for such a write either, so it waits only briefly for another writer's lock (withShortLockWait).
 */
export function commitWithoutFsync<T>(db: Db, fn: () => T): T {
  // Inside another transaction the outer commit decides: nothing to change.
  if (db.inTransaction) return db.transaction(fn)();
  const previous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = NORMAL');
  try {
    return withShortLockWait(db, () => db.transaction(fn).immediate());
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}

/** How long a background job's write waits for another writer's lock before it gives up until its next run. */
export const BACKGROUND_LOCK_WAIT_MS = 1000;

/**
 * Runs fn with the connection's busy timeout cut to waitMs, then restores it. For background jobs only (the
 * provisioner tick, and every commitWithoutFsync: relays, samples, download flushes), never for a request's write. Why: better-sqlite3 waits for a lock
 * synchronously, so a job queued behind a frozen lock holder would stall every request of its process for the
 * full busy timeout, and a user's write arriving meanwhile would start its own wait late (the F3 fault of
 * docs/RELIABILITY.md). A normal writer holds the lock for milliseconds, far below waitMs; the job that still
 * gets SQLITE_BUSY has written nothing (one transaction) and runs again on its next tick.
 */
export function withShortLockWait<T>(db: Db, fn: () => T, waitMs = BACKGROUND_LOCK_WAIT_MS): T {
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  if (previous <= waitMs) return fn();
  db.pragma(`busy_timeout = ${waitMs}`);
  try {
    return fn();
  } finally {
    if (db.open) db.pragma(`busy_timeout = ${previous}`);
  }
}

/** A lazily opened connection: call it to get the database, close() when the process stops. */
export interface LazyDb {
  (): Db;
  close(): void;
}

/**
 * A read-only connection to a database another process owns. The file may not exist yet when this process
 * starts before its owner (any start order must work), so it is opened lazily on first use. Closing it on
 * shutdown matters: SQLite removes the WAL and shared-memory files only when the last connection closes.
 */
export function lazyReadonly(file: string): LazyDb {
  let db: Db | undefined;
  const get = (() => {
    if (!db?.open) db = openDatabase(file, { readonly: true });
    return db;
  }) as LazyDb;
  get.close = () => {
    if (db?.open) db.close();
  };
  return get;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Load NNN-name.sql files from a folder, ordered by number. */
export function loadMigrations(dir: string): Migration[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.replace(/\.sql$/, ''), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * Apply the owner's pending migrations, each in its own IMMEDIATE transaction so two processes that start
 * together never apply one twice. Forward-only: there is no down migration.
 */
export function runMigrations(db: Db, owner: string, migrations: Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    owner TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (owner, version))`);
  const applied = db.prepare('SELECT 1 FROM schema_migrations WHERE owner = ? AND version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (?, ?, ?, ?)');
  let count = 0;
  for (const m of migrations) {
    db.transaction(() => {
      if (applied.get(owner, m.version)) return;
      db.exec(m.sql);
      record.run(owner, m.version, m.name, new Date().toISOString());
      count++;
    }).immediate();
  }
  return count;
}

/** True when the database answers a real read of its schema (used by /ready). */
export function databaseAnswers(db: Db | (() => Db)): boolean {
  try {
    const conn = typeof db === 'function' ? db() : db;
    conn.prepare('SELECT count(*) AS n FROM sqlite_master').get();
    return true;
  } catch {
    return false;
  }
}

/** Open a database and apply the migrations an owner keeps in its folder (e.g. registry/migrations). */
export function openOwnedDatabase(file: string, owner: string, migrationsDir: string): Db {
  const db = openDatabase(file);
  runMigrations(db, owner, loadMigrations(migrationsDir));
  return db;
}

/**
 * Takes the lock that lets only one instance of a process run on a data folder: an exclusive SQLite lock on `file`,
 * held until the process exits. The kernel drops it when the process dies (even by SIGKILL), so a crash never
 * leaves a stale lock, unlike a pid file. Returns false when another live process holds it. Why: two suites on one
 * DATA_DIR (a second `npm start` with other ports) would run every background job twice on the same rows.
 */
export function holdInstanceLock(file: string): boolean {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 0 });
  try {
    // Exclusive locking mode: after the first write the lock is kept until the connection closes. The journal is kept
    // in memory: the file holds nothing worth a journal, and none is left beside it.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS instance (pid INTEGER); DELETE FROM instance; COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw err;
  }
  heldLocks.push(db);
  return true;
}

/** Connections holding instance locks: referenced for the life of the process so the lock is never released early. */
const heldLocks: Db[] = [];
