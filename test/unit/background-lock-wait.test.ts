// Background writers (ticks, relays, sample and download flushes) wait only briefly for another writer's lock:
// better-sqlite3 waits synchronously, so a job behind a frozen lock holder would otherwise stall every request of
// its process for the full 10 s busy timeout (lib/db.ts withShortLockWait). Real SQLite files, two connections.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../lib/clock.ts';
import { type Db, openDatabase, withShortLockWait } from '../../lib/db.ts';
import type { PeerClient } from '../../lib/http.ts';
import { enqueueEvent, startOutboxRelay } from '../../lib/outbox.ts';

const OUTBOX_SQL = `CREATE TABLE outbox (id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL,
  created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT)`;

describe('background writers behind a held write lock', () => {
  let dir: string;
  let db: Db;
  let holder: Db;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-lockwait-'));
    db = openDatabase(path.join(dir, 'x.db'));
    db.exec(OUTBOX_SQL);
    holder = openDatabase(path.join(dir, 'x.db'));
  });
  afterEach(() => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives up after the short wait with SQLITE_BUSY, writes nothing, and restores the full busy timeout', () => {
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000);
    holder.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    let inside: unknown;
    let error: NodeJS.ErrnoException | undefined;
    try {
      withShortLockWait(
        db,
        () => {
          inside = db.pragma('busy_timeout', { simple: true });
          db.prepare("INSERT INTO outbox (id, type, payload, created_at) VALUES ('a', 't', '{}', 'now')").run();
        },
        50,
      );
    } catch (err) {
      error = err as NodeJS.ErrnoException;
    }
    // Far below the connection's own 10 s: the job waited its short wait, not the full timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(inside).toBe(50);
    expect(error?.code).toMatch(/^SQLITE_BUSY/);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000);
    holder.exec('ROLLBACK');
    expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    // Without a holder the same call writes.
    withShortLockWait(db, () => db.prepare("INSERT INTO outbox (id, type, payload, created_at) VALUES ('b', 't', '{}', 'now')").run());
    expect(db.prepare('SELECT id FROM outbox').all()).toEqual([{ id: 'b' }]);
  });

  it('the outbox relay keeps a delivery it could not record, logs it, and stays up; the rows go once the lock is freed', async () => {
    const ids = ['e1', 'e2'].map(() =>
      db.transaction(() => enqueueEvent(db, { table: 'outbox' }, systemClock, { type: 'test.event', data: {} })).immediate(),
    );
    const posted: string[][] = [];
    const api = {
      post: async (_path: string, body: { events: { id: string }[] }) => {
        posted.push(body.events.map((e) => e.id));
        return {};
      },
    } as unknown as PeerClient;
    const warnings: Record<string, unknown>[] = [];
    const logger = { warn: (o: Record<string, unknown>) => warnings.push(o) } as unknown as Logger;
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);

    holder.exec('BEGIN IMMEDIATE');
    const relay = startOutboxRelay({ table: 'outbox', db, api, clock: systemClock, logger, intervalMs: 20 });
    try {
      const deadline = Date.now() + 20_000;
      while (warnings.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(warnings[0]).toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
      // Posted but not recorded: both rows are still pending, to be sent again (the main API drops copies by id).
      expect(posted[0]).toEqual(ids);
      expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 2 });

      holder.exec('ROLLBACK');
      while ((db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
      expect(posted.at(-1)).toEqual(ids);
      expect(unhandled).toEqual([]);
    } finally {
      relay.stop();
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
