// Writes nobody is told are durable (download counts, delivered outbox rows) commit without an fsync
// (lib/db.ts commitWithoutFsync), a failed download flush keeps its counts for the next one, and each count goes
// to its own UTC day.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from '../../lib/clock.ts';
import { commitWithoutFsync, type Db, openDatabase } from '../../lib/db.ts';
import { createDownloadCounter } from '../../registry/npm/downloads.ts';
import type { PackagesRepo } from '../../registry/packages-repo.ts';

const dirs: string[] = [];
function fileDb(): Db {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nofsync-'));
  dirs.push(dir);
  const db = openDatabase(path.join(dir, 'x.db'));
  db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
  // The download counter reads a counted package's name and access here to relay its count; the ids these tests
  // count are in no row, so nothing is relayed and only the repo's writes are observed.
  db.exec('CREATE TABLE packages (id INTEGER PRIMARY KEY, ecosystem TEXT, name TEXT, access TEXT)');
  return db;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('commitWithoutFsync', () => {
  it('commits in one transaction and puts FULL sync back, also when the work throws (then nothing is written)', () => {
    const db = fileDb();
    const sync = () => db.pragma('synchronous', { simple: true });
    expect(sync()).toBe(2);
    let inside: unknown;
    commitWithoutFsync(db, () => {
      inside = sync();
      db.prepare('INSERT INTO t VALUES (1)').run();
    });
    expect(inside).toBe(1); // NORMAL while it runs
    expect(sync()).toBe(2);
    expect(() =>
      commitWithoutFsync(db, () => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        db.prepare('INSERT INTO t VALUES (NULL)').run();
      }),
    ).toThrow(/NOT NULL/);
    expect(sync()).toBe(2);
    expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual([1]);
    db.close();
  });

  it('inside an outer transaction leaves the sync level to the outer commit', () => {
    const db = fileDb();
    db.transaction(() => {
      commitWithoutFsync(db, () => db.prepare('INSERT INTO t VALUES (3)').run());
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    }).immediate();
    expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual([3]);
    db.close();
  });
});

describe('download counter flush', () => {
  it('keeps the counts of a failed flush and writes them, added to the newer ones, at the next', () => {
    const db = fileDb();
    const written: [number, string, number][] = [];
    let failNext = true;
    const repo = {
      addVersionDownloads() {},
      addDownloads(id: number, day: string, n: number) {
        if (failNext) {
          failNext = false;
          throw new Error('database is locked');
        }
        written.push([id, day, n]);
      },
    } as unknown as PackagesRepo;
    const counter = createDownloadCounter(db, repo, systemClock, 60_000);
    counter.count(7, '1.0.0');
    counter.count(7, '1.0.0');
    counter.count(8, '1.0.0');
    expect(() => counter.flush()).toThrow(/locked/);
    expect(written).toEqual([]);
    counter.count(7, '1.0.0');
    counter.flush();
    const day = new Date().toISOString().slice(0, 10);
    expect(written.sort()).toEqual([
      [7, day, 3],
      [8, day, 1],
    ]);
    counter.flush(); // nothing left: nothing written twice
    expect(written).toHaveLength(2);
    counter.stop();
    db.close();
  });

  it('counts each download on its own UTC day, across midnight and back (a clock set back)', () => {
    const db = fileDb();
    const written: [number, string, number][] = [];
    const repo = {
      addVersionDownloads() {},
      addDownloads: (id: number, day: string, n: number) => written.push([id, day, n]),
    } as unknown as PackagesRepo;
    const clock = createManualClock(Date.parse('2026-11-26T23:59:59.999Z'));
    const counter = createDownloadCounter(db, repo, clock, 60_000);
    counter.count(1, '1.0.0');
    clock.advance(1);
    counter.count(1, '1.0.0');
    counter.count(1, '1.0.0');
    clock.set(Date.parse('2026-11-25T12:00:00Z'));
    counter.count(1, '1.0.0');
    counter.flush();
    expect(written.sort()).toEqual([
      [1, '2026-11-25', 1],
      [1, '2026-11-26', 1],
      [1, '2026-11-27', 2],
    ]);
    counter.stop();
    db.close();
  });
});
