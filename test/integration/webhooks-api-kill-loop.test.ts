// The main API killed in a loop (SIGKILL) while packages are published and their webhooks delivered
// (reliability-security.md F1 for the events pipeline). The registry keeps publishing while the API is down; its
// outbox holds the events until the relay reaches the restarted API, which stores each event once and delivers it.
// Every acknowledged publish must reach the receiver, and a redelivery (an attempt cut by a kill) must carry the
// same webhook-id: at-least-once with identifiable duplicates, never a lost event and never one event under two ids.
// WEBHOOK_KILLS (default 4) for the long version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  npmPublish,
  type PublishedHooks,
  type SuiteUser,
  startSuiteSequential,
  subscribePublishedHooks,
} from '../helpers/reliability.ts';
import { type Suite, waitFor } from '../helpers/suite.ts';

const KILLS = Number(process.env.WEBHOOK_KILLS ?? 4);

describe('webhooks: the main API killed in a loop during publishes and deliveries', () => {
  let suite: Suite;
  let user: SuiteUser;
  let hooks: PublishedHooks;

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'registry'], {
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' },
    });
    user = await createUser(suite, 'hook-killer');
    // A slow receiver (0-300 ms) widens the window in which a kill cuts a delivery in flight.
    hooks = await subscribePublishedHooks(suite, user, () => Math.floor(Math.random() * 300));
  }, 180_000);
  afterAll(async () => {
    hooks?.close();
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
    await waitFor(() => acked.every((n) => hooks.delivered.has(n)), 120_000, 'a package.published delivery for every acknowledged publish');
    const twoIds = [...hooks.delivered.entries()].filter(([, ids]) => ids.size > 1).map(([n]) => n);
    console.info(
      `webhooks-api-kill-loop figures: ${JSON.stringify({ kills: KILLS, acked: acked.length, refused, delivered: hooks.delivered.size, attempts: hooks.attempts(), twoIds: twoIds.length })}`,
    );
    expect(acked.length).toBeGreaterThan(KILLS * 3);
    expect(acked.filter((n) => !hooks.delivered.has(n))).toEqual([]);
    expect(twoIds).toEqual([]);
  }, 600_000);
});
