// Sends a user asks for (test ping, redeliver, recover) each make the main API POST to the user's URL and store an
// attempt. They had no budget: an account could aim the server at any host as fast as it could call. Now each user
// has 30 a minute, shared by the three routes, across processes (the rate_limits table), per user.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { RATE_LIMITS } from '../../lib/rate-limit.ts';
import { addUser, buildTestApi, type TestUser } from './api-events-fixtures.ts';
import { startReceiver } from './api-webhooks-receiver.ts';

describe('webhook sends on demand are rate-limited per user', () => {
  const clock = createManualClock(Date.now());
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let alice: TestUser;
  let bob: TestUser;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeEach(async () => {
    t = await buildTestApi(clock, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
    alice = addUser(t.db, clock, 'alice', 'team');
    bob = addUser(t.db, clock, 'bob', 'team');
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t.app.close();
    await receiver.close();
  });

  const subscribe = async (user: TestUser) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: user.auth,
      payload: { url: receiver.url, events: ['package.published'] },
    });
    expect(res.statusCode).toBe(201);
    return res.json().webhookId as string;
  };
  const ping = (user: TestUser, id: string) => t.app.inject({ method: 'POST', url: `/api/webhooks/${id}/test`, headers: user.auth });

  it('answers 429 with Retry-After past the budget, sends nothing more, and leaves other users alone', async () => {
    const mine = await subscribe(alice);
    const max = RATE_LIMITS.webhookManualSendPerUser.max;
    for (let i = 0; i < max; i++) expect((await ping(alice, mine)).statusCode).toBe(200);
    expect(receiver.received).toHaveLength(max);

    const refused = await ping(alice, mine);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Redeliver and recover draw on the same budget.
    const redeliver = await t.app.inject({ method: 'POST', url: `/api/webhooks/${mine}/deliveries/any/redeliver`, headers: alice.auth });
    expect(redeliver.statusCode).toBe(429);
    const recover = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${mine}/recover`,
      headers: alice.auth,
      payload: { since: '2020-01-01T00:00:00.000Z' },
    });
    expect(recover.statusCode).toBe(429);
    expect(receiver.received).toHaveLength(max);

    const bobs = await subscribe(bob);
    expect((await ping(bob, bobs)).statusCode).toBe(200);

    // The window ends by itself.
    clock.advance(RATE_LIMITS.webhookManualSendPerUser.windowSeconds * 1000 + 1);
    expect((await ping(alice, mine)).statusCode).toBe(200);
  });
});
