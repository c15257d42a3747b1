// Rows kept between requests (lib/row-cache.ts): every way a kept row could outlive the row in the database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../lib/db.ts';
import { changeStamp, createRowCache } from '../../lib/row-cache.ts';

let dir: string;
let db: Db;
let other: Db;
let reads: number;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'row-cache-'));
  db = openDatabase(path.join(dir, 'x.db'));
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  db.prepare("INSERT INTO t VALUES ('a', 1), ('b', 2)").run();
  other = openDatabase(path.join(dir, 'x.db')); // another process's connection
  reads = 0;
});
afterEach(() => {
  db.close();
  other.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const readV = (conn: Db) => (k: string) => () => {
  reads++;
  return conn.prepare('SELECT v FROM t WHERE k = ?').pluck().get(k) as number | undefined;
};

describe('createRowCache', () => {
  it('answers a repeated read from memory until this connection writes; its own writes show at once', () => {
    const cache = createRowCache<number>(() => db, { max: 10, foreignCheckMs: 60_000 });
    const load = readV(db);
    expect([cache.get('a', load('a')), cache.get('a', load('a')), cache.get('b', load('b'))]).toEqual([1, 1, 2]);
    expect(reads).toBe(2);
    db.prepare("UPDATE t SET v = 10 WHERE k = 'a'").run();
    expect(cache.get('a', load('a'))).toBe(10);
    expect(reads).toBe(3);
  });

  it("sees another connection's commit on the next read when foreign checks are on every read", () => {
    const cache = createRowCache<number>(() => db, { max: 10 });
    const load = readV(db);
    expect(cache.get('a', load('a'))).toBe(1);
    other.prepare("UPDATE t SET v = 5 WHERE k = 'a'").run();
    expect(cache.get('a', load('a'))).toBe(5);
  });

  it("sees another connection's commit within foreignCheckMs when foreign checks are spaced", async () => {
    const cache = createRowCache<number>(() => db, { max: 10, foreignCheckMs: 50 });
    const load = readV(db);
    expect(cache.get('a', load('a'))).toBe(1);
    other.prepare("UPDATE t SET v = 7 WHERE k = 'a'").run();
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.get('a', load('a'))).toBe(7);
  });

  it('never keeps a row read inside a transaction that rolls back', () => {
    const cache = createRowCache<number>(() => db, { max: 10, foreignCheckMs: 60_000 });
    const load = readV(db);
    expect(() =>
      db.transaction(() => {
        db.prepare("UPDATE t SET v = 99 WHERE k = 'b'").run();
        expect(cache.get('b', load('b'))).toBe(99);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(cache.get('b', load('b'))).toBe(2);
  });

  it('keeps no misses, at most max entries, and starts over on another connection', () => {
    let conn = db;
    const cache = createRowCache<number>(() => conn, { max: 1, foreignCheckMs: 60_000 });
    expect(cache.get('zzz', readV(db)('zzz'))).toBeUndefined();
    expect(cache.get('zzz', readV(db)('zzz'))).toBeUndefined();
    expect(reads).toBe(2);
    cache.get('a', readV(db)('a'));
    cache.get('b', readV(db)('b'));
    cache.get('a', readV(db)('a')); // 'b' took the only place
    expect(reads).toBe(5);
    other.prepare("UPDATE t SET v = 3 WHERE k = 'a'").run();
    conn = other;
    expect(cache.get('a', readV(other)('a'))).toBe(3);
  });

  it('keeps only the values keep() accepts, and still answers the others', () => {
    const cache = createRowCache<number>(() => db, { max: 10, keep: (v) => v < 2 });
    expect([cache.get('a', readV(db)('a')), cache.get('b', readV(db)('b'))]).toEqual([1, 2]);
    expect([cache.get('a', readV(db)('a')), cache.get('b', readV(db)('b'))]).toEqual([1, 2]);
    expect(reads).toBe(3); // 'a' kept, 'b' read both times
  });

  it('with a stamp, keeps rows across writes that leave it, and drops them when it moves (rolled back or not)', () => {
    db.exec('CREATE TABLE other_rows (x); CREATE TABLE gen (n INTEGER); INSERT INTO gen VALUES (0)');
    db.exec('CREATE TRIGGER t_gen AFTER UPDATE ON t BEGIN UPDATE gen SET n = n + 1; END');
    const cache = createRowCache<number>(() => db, { max: 10, stamp: (conn) => conn.prepare('SELECT n FROM gen').pluck().get() as number });
    const load = readV(db);
    expect(cache.get('a', load('a'))).toBe(1);
    db.prepare('INSERT INTO other_rows VALUES (1)').run();
    other.prepare('INSERT INTO other_rows VALUES (2)').run();
    expect(cache.get('a', load('a'))).toBe(1);
    expect(reads).toBe(1);
    other.prepare("UPDATE t SET v = 3 WHERE k = 'a'").run();
    expect(cache.get('a', load('a'))).toBe(3);
    expect(() =>
      db.transaction(() => {
        db.prepare("UPDATE t SET v = 4 WHERE k = 'a'").run();
        expect(cache.get('a', load('a'))).toBe(4);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(cache.get('a', load('a'))).toBe(3);
    expect(reads).toBe(4);
  });

  it('changeStamp moves on a write by this connection or another, and not on a read', () => {
    const s0 = changeStamp(db);
    db.prepare('SELECT * FROM t').all();
    expect(changeStamp(db)).toBe(s0);
    other.prepare("UPDATE t SET v = 4 WHERE k = 'a'").run();
    const s1 = changeStamp(db);
    expect(s1).not.toBe(s0);
    db.prepare("UPDATE t SET v = 5 WHERE k = 'a'").run();
    expect(changeStamp(db)).not.toBe(s1);
  });
});
