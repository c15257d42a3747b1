// Events survive crashes: a producer killed between its commit and the relay loses nothing, a main API that
// is down delays the event, and a relay that crashed after posting (before deleting) resends a copy that
// the main API drops by id. Real main API process; the producer is a child process writing a temp outbox.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../lib/clock.ts';
import { type Db, openDatabase } from '../../lib/db.ts';
import { createPeerClient } from '../../lib/http.ts';
import { startOutboxRelay } from '../../lib/outbox.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { ROOT, type Suite, startSuite } from '../helpers/suite.ts';

const OUTBOX_SQL = `CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL,
  created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT)`;

/** A producer process: commits one event to its outbox, then dies by SIGKILL before any relay runs. */
function crashingProducer(outboxFile: string, ownerId: string): Promise<{ signal: NodeJS.Signals | null; eventId: string }> {
  const script = `
    const { openDatabase } = await import(${JSON.stringify(path.join(ROOT, 'lib/db.ts'))});
    const { enqueueEvent } = await import(${JSON.stringify(path.join(ROOT, 'lib/outbox.ts'))});
    const db = openDatabase(process.env.OUTBOX_FILE);
    db.exec(process.env.OUTBOX_SQL);
    const id = db.transaction(() => enqueueEvent(db, { table: 'outbox' }, { now: () => Date.now() },
      { type: 'package.published', ownerId: process.env.OWNER_ID, subject: 'package:crash-test', data: { name: 'crash-test', version: '1.0.0' } })).immediate();
    process.stdout.write(id);
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', OUTBOX_FILE: outboxFile, OUTBOX_SQL, OWNER_ID: ownerId },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve({ signal, eventId: out.trim() })));
}

describe('events: outbox relay to the main API', () => {
  let suite: Suite;
  let outbox: Db;
  let internalToken: string;
  let auth: { authorization: string };
  let ownerId: string;

  beforeAll(async () => {
    suite = await startSuite({ only: ['api'] });
    internalToken = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const ensure = await fetch(`${suite.urls.api}/internal/users/ensure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internalToken },
      body: JSON.stringify({ username: 'relay-owner', email: 'relay@example.com', password: 'password-123', role: 'user', plan: 'team' }),
    });
    ownerId = ((await ensure.json()) as { userId: string }).userId;
    // An API token for the owner, inserted the way the accounts routes store them (sha256 only).
    const token = generateApiToken();
    const db = openDatabase(suite.config.DATABASE_PATH);
    db.prepare(
      `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES ('tok-relay', ?, 'api', 't', ?, 'elk_', ?)`,
    ).run(ownerId, hashToken(token), new Date().toISOString());
    db.close();
    auth = { authorization: `Bearer ${token}` };
    const outboxFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elide-outbox-')), 'producer.db');
    outbox = openDatabase(outboxFile);
    outbox.exec(OUTBOX_SQL);
  });
  afterAll(async () => {
    outbox?.close();
    await suite?.stopAll();
  });

  const eventsOf = async () => {
    const res = await fetch(`${suite.urls.api}/api/events?type=package.published`, { headers: auth });
    expect(res.status).toBe(200);
    return (await res.json()) as { total: number; events: { id: string; subject: string; data: Record<string, unknown> }[] };
  };

  it('an event committed by a producer killed before relaying arrives exactly once after restart', async () => {
    const producer = await crashingProducer(outbox.name, ownerId);
    expect(producer.signal).toBe('SIGKILL');
    expect(outbox.prepare('SELECT id FROM outbox').all()).toEqual([{ id: producer.eventId }]);
    expect((await eventsOf()).total).toBe(0);

    // The main API is down too when the restarted producer first tries: the event waits in the outbox.
    await suite.stop('api', 'SIGKILL');
    const api = createPeerClient({ name: 'main API', baseUrl: suite.urls.api, internalToken });
    const relay = startOutboxRelay({
      db: outbox,
      table: 'outbox',
      api,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      intervalMs: 60_000,
    });
    try {
      expect(await relay.flush()).toBe(0);
      expect(outbox.prepare('SELECT attempts FROM outbox').get()).toEqual({ attempts: 1 });

      await suite.start('api');
      expect(await relay.flush()).toBe(1);
      expect(outbox.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
      const after = await eventsOf();
      expect(after.total).toBe(1);
      expect(after.events[0]).toMatchObject({ id: producer.eventId, subject: 'package:crash-test', data: { name: 'crash-test' } });

      // A relay that crashed after the post but before its delete sends the same row again: dropped by id.
      const payload = JSON.stringify({
        id: producer.eventId,
        type: 'package.published',
        ownerId,
        subject: 'package:crash-test',
        data: { name: 'crash-test', version: '1.0.0' },
        occurredAt: new Date().toISOString(),
      });
      outbox
        .prepare("INSERT INTO outbox (id, type, payload, created_at) VALUES (?, 'package.published', ?, ?)")
        .run(producer.eventId, payload, new Date().toISOString());
      expect(await relay.flush()).toBe(1);
      expect((await eventsOf()).total).toBe(1);
    } finally {
      relay.stop();
    }
  });
});
