// The main API killed in a loop (SIGKILL) while packages are published and their webhooks delivered
// (reliability-security.md F1 for the events pipeline). The registry keeps publishing while the API is down; its
// outbox holds the events until the relay reaches the restarted API, which stores each event once and delivers it.
// Every acknowledged publish must reach the receiver, and a redelivery (an attempt cut by a kill) must carry the
// same webhook-id: at-least-once with identifiable duplicates, never a lost event and never one event under two ids.
// WEBHOOK_KILLS (default 4) for the long version.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, npmPublish, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import { type Suite, waitFor } from '../helpers/suite.ts';

const KILLS = Number(process.env.WEBHOOK_KILLS ?? 4);

describe('webhooks: the main API killed in a loop during publishes and deliveries', () => {
  let suite: Suite;
  let user: SuiteUser;
  // package name -> the webhook-ids its package.published deliveries arrived under, and how many arrived.
  const delivered = new Map<string, Set<string>>();
  let attempts = 0;
  let receiver: http.Server;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const e = JSON.parse(body) as { type: string; data?: { name?: string } };
        if (e.type === 'package.published' && e.data?.name) {
          attempts++;
          const ids = delivered.get(e.data.name) ?? new Set<string>();
          ids.add(String(req.headers['webhook-id']));
          delivered.set(e.data.name, ids);
        }
        // A slow receiver widens the window in which a kill cuts a delivery in flight.
        setTimeout(() => res.end('ok'), Math.floor(Math.random() * 300));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    suite = await startSuiteSequential(['api', 'registry'], {
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' },
    });
    user = await createUser(suite, 'hook-killer');
    const hook = await fetch(`${suite.urls.api}/api/webhooks`, {
      method: 'POST',
      headers: { ...user.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['package.published'] }),
    });
    expect(hook.status).toBe(201);
  }, 180_000);
  afterAll(async () => {
    receiver?.closeAllConnections();
    receiver?.close();
    await suite?.stopAll();
  });

  it(`delivers every acknowledged publish across ${KILLS} SIGKILLs of the main API, one webhook-id per event`, async () => {
    const acked: string[] = [];
    let refused = 0;
    for (let round = 0; round < KILLS; round++) {
      // Publishes keep landing on the registry before, during and after the kill.
      const publishes = Array.from({ length: 6 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 150));
        const name = `hook-kill-${round}-${i}`;
        const r = await npmPublish(suite.urls.registry, user, name, '1.0.0').catch(() => ({ status: 0 }));
        if (r.status === 201) acked.push(name);
        else refused++;
      });
      await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 600)));
      await suite.stop('api', 'SIGKILL');
      await Promise.all(publishes);
      await suite.start('api');
    }
    await waitFor(() => acked.every((n) => delivered.has(n)), 120_000, 'a package.published delivery for every acknowledged publish');
    const twoIds = [...delivered.entries()].filter(([, ids]) => ids.size > 1).map(([n]) => n);
    console.info(
      `webhooks-api-kill-loop figures: ${JSON.stringify({ kills: KILLS, acked: acked.length, refused, delivered: delivered.size, attempts, twoIds: twoIds.length })}`,
    );
    expect(acked.length).toBeGreaterThan(KILLS * 3);
    expect(acked.filter((n) => !delivered.has(n))).toEqual([]);
    expect(twoIds).toEqual([]);
  }, 600_000);
});
