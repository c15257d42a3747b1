// Hostile receivers and DNS: a name that rebinds to loopback after the creation check is never contacted;
// a tarpit is cut off by the timeouts; a flood is read up to 64 KiB only; the delivery log keeps 30 days.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiDatabase } from '../../api/db.ts';
import { pruneExpired } from '../../api/events-retention.ts';
import { createWebhookDispatcher } from '../../api/webhooks-dispatcher.ts';
import { createManualClock } from '../../lib/clock.ts';
import type { ResolvedAddress } from '../../lib/ssrf.ts';
import { testSecrets } from '../helpers/config.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent } from './api-events-fixtures.ts';
import { startReceiver } from './api-webhooks-receiver.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function hostileServer(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe('webhook hardening', () => {
  it('DNS rebinding: a name that was public at creation and now resolves to loopback is blocked, not contacted', async () => {
    const clock = createManualClock(Date.now());
    let answer: ResolvedAddress[] = [{ address: '93.184.216.34', family: 4 }];
    // Default policy: private networks are not reachable.
    const t = await buildTestApi(clock, {}, { worker: false, resolve: async () => answer });
    cleanups.push(() => t.app.close());
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const user = addUser(t.db, clock, 'rebind');
    const port = new URL(receiver.url).port;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: user.auth,
      payload: { url: `http://hooks.example:${port}/hook`, events: ['package.published'] },
    });
    expect(created.statusCode).toBe(201);
    answer = [{ address: '127.0.0.1', family: 4 }];
    const e = makeEvent(clock, { type: 'package.published', ownerId: user.id, data: { name: 'x' } });
    await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events: [e] } });
    await t.pipeline.dispatcher.runDue();
    const outcomes = t.db.prepare('SELECT outcome, resolved_ip FROM webhook_attempts').all();
    expect(outcomes).toEqual([
      { outcome: 'ssrf_blocked', resolved_ip: null },
      { outcome: 'ssrf_blocked', resolved_ip: null },
    ]);
    expect(receiver.received).toHaveLength(0);
  });

  const dispatcherFor = () => {
    const clock = createManualClock(Date.now());
    return createWebhookDispatcher({
      db: openApiDatabase(':memory:'),
      clock,
      logger: pino({ level: 'silent' }),
      encryptionKey: testSecrets.encryptionKey,
      allowPrivateNetworks: true,
      timeScale: 1,
      timeouts: { connectMs: 500, headersMs: 300, bodyMs: 300, totalMs: 1500 },
    });
  };

  it('a receiver that never answers is cut off by the headers timeout', async () => {
    const url = await hostileServer(() => {}); // tarpit: reads the request, never responds
    const started = Date.now();
    const r = await dispatcherFor().send(url, '{}', { 'content-type': 'application/json' });
    expect(r.outcome).toBe('timeout');
    // Bounded by the 300 ms headers timeout (1.5 s overall), far below the 10 min a tarpit would hold; slack for a loaded CI.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a receiver that streams forever is read up to 64 KiB and the body stored up to 4 KB', async () => {
    const url = await hostileServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (res.write(chunk)) {
          /* keep the socket full */
        }
      };
      res.on('drain', pump);
      pump();
    });
    const r = await dispatcherFor().send(url, '{}', { 'content-type': 'application/json' });
    expect(r.outcome).toBe('succeeded');
    expect(r.body).toHaveLength(4096);
  });

  it('keeps events and finished deliveries 30 days', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T00:00:00Z'));
    const t = await buildTestApi(clock, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
    cleanups.push(() => t.app.close());
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const user = addUser(t.db, clock, 'keeper');
    await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: user.auth, payload: { url: receiver.url, events: ['*'] } });
    const e = makeEvent(clock, { type: 'package.published', ownerId: user.id, subject: 'package:kept', data: { name: 'kept' } });
    await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events: [e] } });
    await t.pipeline.dispatcher.runDue();
    expect(pruneExpired(t.db, clock.now() + 29 * 86_400_000)).toEqual({ deliveries: 0, events: 0 });
    expect(pruneExpired(t.db, clock.now() + 31 * 86_400_000)).toEqual({ deliveries: 2, events: 2 });
    expect(t.db.prepare('SELECT count(*) AS n FROM webhook_attempts').get()).toEqual({ n: 0 });
    // The analytics rollup outlives the raw event.
    expect(t.db.prepare("SELECT count FROM analytics_daily WHERE entity_id = 'kept'").get()).toEqual({ count: 1 });
  });
});
