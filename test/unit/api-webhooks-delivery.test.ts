// Webhook deliveries against a local receiver on 127.0.0.1, driven by an injected clock: signatures verified
// by the standardwebhooks package, retries on the schedule, Retry-After, 410, auto-disable, redeliver,
// recover, rotation overlap, the test ping, redirects refused, and SSRF re-checked at every attempt.
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent, type TestUser } from './api-events-fixtures.ts';
import { startReceiver } from './api-webhooks-receiver.ts';

const S = 1000;

describe('webhook deliveries', () => {
  // Near real time, so receivers' 5-minute timestamp tolerance holds for the first attempts.
  const clock = createManualClock(Math.floor(Date.now() / 1000) * 1000);
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let user: TestUser;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeEach(async () => {
    clock.set(Math.floor(Date.now() / 1000) * 1000);
    t = await buildTestApi(clock, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }, { worker: false, random: () => 0.5 });
    user = addUser(t.db, clock, 'hooked');
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t.app.close();
    await receiver.close();
  });

  async function subscribe(events = ['package.published']) {
    const res = await t.app.inject({ method: 'POST', url: '/api/webhooks', headers: user.auth, payload: { url: receiver.url, events } });
    expect(res.statusCode).toBe(201);
    await t.pipeline.dispatcher.runDue(); // the creation ping
    receiver.received.length = 0;
    return res.json() as { webhookId: string; secret: string };
  }
  const publish = async (type = 'package.published', ownerId = user.id) => {
    const e = makeEvent(clock, { type, ownerId, subject: 'package:left-pad', data: { name: 'left-pad', version: '1.0.0' } });
    const res = await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events: [e] } });
    expect(res.statusCode).toBe(200);
    return e;
  };
  // The creation ping is a delivery too; these tests look at the events'.
  const deliveries = (id: string) =>
    t.app
      .inject({ method: 'GET', url: `/api/webhooks/${id}/deliveries?eventType=package.published`, headers: user.auth })
      .then((r) => r.json().deliveries);
  const delivery = (id: string, did: string) =>
    t.app.inject({ method: 'GET', url: `/api/webhooks/${id}/deliveries/${did}`, headers: user.auth }).then((r) => r.json());
  const webhook = (id: string) => t.app.inject({ method: 'GET', url: `/api/webhooks/${id}`, headers: user.auth }).then((r) => r.json());

  it('delivers the stored event, signed so that the standardwebhooks package verifies it', async () => {
    const hook = await subscribe();
    const e = await publish();
    await publish('deployment.started'); // not subscribed
    await publish('package.published', addUser(t.db, clock, 'someone-else').id); // not theirs
    expect(await t.pipeline.dispatcher.runDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0];
    expect(got.headers['webhook-id']).toBe(e.id);
    expect(got.headers['content-type']).toBe('application/json');
    const payload = new Webhook(hook.secret).verify(got.body, got.headers) as Record<string, unknown>;
    expect(payload).toMatchObject({
      id: e.id,
      type: 'package.published',
      data: { name: 'left-pad', version: '1.0.0' },
      subject: 'package:left-pad',
    });
    const [d] = await deliveries(hook.webhookId);
    expect(d).toMatchObject({ eventId: e.id, status: 'succeeded', attemptCount: 1 });
    const full = await delivery(hook.webhookId, d.id);
    expect(full.attempts).toEqual([
      expect.objectContaining({
        attemptNumber: 1,
        trigger: 'scheduled',
        outcome: 'succeeded',
        responseStatus: 200,
        resolvedIp: '127.0.0.1',
      }),
    ]);
    expect(full.attempts[0].requestHeaders['webhook-signature']).toBe('v1,…');
  });

  it('retries on the schedule when the receiver fails, then succeeds with the same webhook-id and body', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 500 }, { status: 502 }, { status: 200 }]);
    const e = await publish();
    await t.pipeline.dispatcher.runDue();
    let [d] = await deliveries(hook.webhookId);
    expect(d).toMatchObject({ status: 'retrying', attemptCount: 1, nextAttemptAt: new Date(clock.now() + 5 * S).toISOString() });
    expect(await t.pipeline.dispatcher.runDue()).toBe(0); // not due yet
    clock.advance(5 * S);
    await t.pipeline.dispatcher.runDue();
    [d] = await deliveries(hook.webhookId);
    expect(d).toMatchObject({ status: 'retrying', attemptCount: 2, nextAttemptAt: new Date(clock.now() + 300 * S).toISOString() });
    expect((await webhook(hook.webhookId)).consecutiveFailures).toBe(2);
    clock.advance(300 * S);
    await t.pipeline.dispatcher.runDue();
    [d] = await deliveries(hook.webhookId);
    expect(d).toMatchObject({ status: 'succeeded', attemptCount: 3, nextAttemptAt: null });
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([e.id, e.id, e.id]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(
      (await delivery(hook.webhookId, d.id)).attempts.map((a: { outcome: string; responseStatus: number }) => a.responseStatus),
    ).toEqual([500, 502, 200]);
    expect(await webhook(hook.webhookId)).toMatchObject({ consecutiveFailures: 0, failingSince: null, active: true });
  });

  it('honours Retry-After when it asks for longer than the schedule (capped at 1 h)', async () => {
    const hook = await subscribe();
    receiver.respond([
      { status: 503, headers: { 'retry-after': '120' } },
      { status: 429, headers: { 'retry-after': '99999' } },
      { status: 200 },
    ]);
    await publish();
    await t.pipeline.dispatcher.runDue();
    expect((await deliveries(hook.webhookId))[0].nextAttemptAt).toBe(new Date(clock.now() + 120 * S).toISOString());
    clock.advance(120 * S);
    await t.pipeline.dispatcher.runDue();
    expect((await deliveries(hook.webhookId))[0].nextAttemptAt).toBe(new Date(clock.now() + 3600 * S).toISOString());
  });

  it('gives up after 10 attempts and marks the delivery failed', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 500 }]);
    await publish();
    for (let i = 0; i < 10; i++) {
      await t.pipeline.dispatcher.runDue();
      const [d] = await deliveries(hook.webhookId);
      if (d.nextAttemptAt) clock.set(Date.parse(d.nextAttemptAt));
    }
    const [d] = await deliveries(hook.webhookId);
    expect(d).toMatchObject({ status: 'failed', attemptCount: 10, nextAttemptAt: null });
    expect(receiver.received).toHaveLength(10);
    expect(t.db.prepare('SELECT kind, email_status FROM notifications').all()).toEqual([
      { kind: 'webhook_exhausted', email_status: 'none' },
    ]);
  });

  it('a 410 disables the endpoint at once and notifies the owner', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 410 }]);
    await publish();
    await t.pipeline.dispatcher.runDue();
    expect(await webhook(hook.webhookId)).toMatchObject({ active: false, disabledReason: 'gone_410' });
    expect(t.db.prepare('SELECT kind, user_id FROM notifications').all()).toEqual([{ kind: 'webhook_disabled', user_id: user.id }]);
    await publish();
    expect(await t.pipeline.dispatcher.runDue()).toBe(0);
  });

  it('auto-disables after 10 consecutive failures over 5 days, skipping what was pending', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 500 }]);
    for (let i = 0; i < 10; i++) await publish();
    await t.pipeline.dispatcher.runDue();
    expect(await webhook(hook.webhookId)).toMatchObject({ active: true, consecutiveFailures: 10 });
    clock.advance(5 * 86_400 * S);
    await t.pipeline.dispatcher.runDue();
    const w = await webhook(hook.webhookId);
    expect(w).toMatchObject({ active: false, disabledReason: 'consecutive_failures' });
    const statuses = (await deliveries(hook.webhookId)).map((d: { status: string }) => d.status);
    expect(statuses).toContain('skipped');
    expect(statuses.every((s: string) => s === 'skipped' || s === 'retrying' || s === 'failed')).toBe(true);
    expect((await deliveries(hook.webhookId)).filter((d: { status: string }) => d.status === 'retrying')).toHaveLength(0);
    expect(t.db.prepare("SELECT count(*) AS n FROM notifications WHERE kind = 'webhook_disabled'").get()).toEqual({ n: 1 });
  });

  it('redelivers any delivery with the same webhook-id and a fresh signature (202)', async () => {
    const hook = await subscribe();
    const e = await publish();
    await t.pipeline.dispatcher.runDue();
    const [d] = await deliveries(hook.webhookId);
    clock.advance(2 * S);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${hook.webhookId}/deliveries/${d.id}/redeliver`,
      headers: user.auth,
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: d.id, status: 'pending' });
    await t.pipeline.dispatcher.runDue();
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([e.id, e.id]);
    expect(receiver.received[0].headers['webhook-timestamp']).not.toBe(receiver.received[1].headers['webhook-timestamp']);
    const full = await delivery(hook.webhookId, d.id);
    expect(full.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['scheduled', 'manual']);
    const missing = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${hook.webhookId}/deliveries/whdl-nope/redeliver`,
      headers: user.auth,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('DELIVERY_NOT_FOUND');
  });

  it('a manual redelivery that fails while the delivery is still retrying keeps the automatic retries going', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 500 }, { status: 500 }, { status: 200 }]);
    await publish();
    await t.pipeline.dispatcher.runDue();
    const [d] = await deliveries(hook.webhookId);
    expect(d).toMatchObject({ status: 'retrying', attemptCount: 1 });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${hook.webhookId}/deliveries/${d.id}/redeliver`,
      headers: user.auth,
    });
    expect(res.statusCode).toBe(202);
    await t.pipeline.dispatcher.runDue(); // the manual attempt: 500 again
    const after = (await deliveries(hook.webhookId))[0];
    // Before the fix: status 'failed', nextAttemptAt null, the event lost unless someone noticed.
    expect(after).toMatchObject({ status: 'retrying', attemptCount: 2, nextAttemptAt: expect.any(String) });
    clock.set(Date.parse(after.nextAttemptAt));
    await t.pipeline.dispatcher.runDue();
    expect((await deliveries(hook.webhookId))[0]).toMatchObject({ status: 'succeeded', attemptCount: 3 });
    expect((await delivery(hook.webhookId, d.id)).attempts.map((a: { trigger: string }) => a.trigger)).toEqual([
      'scheduled',
      'manual',
      'scheduled',
    ]);
  });

  it('recover requeues failed deliveries in the window', async () => {
    const hook = await subscribe();
    const since = new Date(clock.now()).toISOString();
    // "webhook-delivery: abort-message" stops retries at once (Svix compatible).
    receiver.respond([{ status: 500, headers: { 'webhook-delivery': 'abort-message' } }]);
    await publish();
    await publish();
    await t.pipeline.dispatcher.runDue();
    expect((await deliveries(hook.webhookId)).map((d: { status: string }) => d.status)).toEqual(['failed', 'failed']);
    receiver.respond([{ status: 204 }]);
    clock.advance(S);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${hook.webhookId}/recover`,
      headers: user.auth,
      payload: { since },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ requeued: 2, hasMore: false });
    await t.pipeline.dispatcher.runDue();
    expect((await deliveries(hook.webhookId)).map((d: { status: string }) => d.status)).toEqual(['succeeded', 'succeeded']);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${hook.webhookId}/recover`,
      headers: user.auth,
      payload: { since: 'yesterday' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('signs with both secrets during a rotation overlap, then only the new one', async () => {
    const hook = await subscribe();
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${hook.webhookId}/secrets/rotate`,
      headers: user.auth,
      payload: { expireOldAfterHours: 1 },
    });
    const newSecret = rotated.json().secret as string;
    await publish();
    await t.pipeline.dispatcher.runDue();
    const first = receiver.received[0];
    expect(first.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(hook.secret).verify(first.body, first.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(first.body, first.headers)).not.toThrow();
    clock.advance(3600 * S + 1);
    const [d] = await deliveries(hook.webhookId);
    await t.app.inject({ method: 'POST', url: `/api/webhooks/${hook.webhookId}/deliveries/${d.id}/redeliver`, headers: user.auth });
    await t.pipeline.dispatcher.runDue();
    expect(receiver.received[1].headers['webhook-signature'].split(' ')).toHaveLength(1);
  });

  it('POST /test pings synchronously and does not count toward the failure streak', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 500, body: 'x'.repeat(10_000) }]);
    const res = await t.app.inject({ method: 'POST', url: `/api/webhooks/${hook.webhookId}/test`, headers: user.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ trigger: 'test', outcome: 'http_error', responseStatus: 500 });
    expect(res.json().responseBody).toHaveLength(4096);
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({
      type: 'webhook.test',
      data: { webhookId: hook.webhookId, message: 'ping' },
    });
    expect((await webhook(hook.webhookId)).consecutiveFailures).toBe(0);
  });

  it('does not follow redirects: a 302 is a failed attempt', async () => {
    const hook = await subscribe();
    receiver.respond([{ status: 302, headers: { location: 'http://169.254.169.254/' } }]);
    await publish();
    await t.pipeline.dispatcher.runDue();
    const [d] = await deliveries(hook.webhookId);
    expect((await delivery(hook.webhookId, d.id)).attempts[0]).toMatchObject({ outcome: 'redirect_rejected', responseStatus: 302 });
    expect(receiver.received).toHaveLength(1);
  });

  it('re-checks the URL at every attempt: a target that became private is blocked, not contacted', async () => {
    const hook = await subscribe();
    // The endpoint's URL now points at a host the policy refuses even in development (metadata).
    t.db.prepare('UPDATE webhooks SET url = ? WHERE id = ?').run('http://169.254.169.254/latest', hook.webhookId);
    await publish();
    await t.pipeline.dispatcher.runDue();
    const [d] = await deliveries(hook.webhookId);
    expect((await delivery(hook.webhookId, d.id)).attempts[0]).toMatchObject({ outcome: 'ssrf_blocked', responseStatus: null });
    expect(receiver.received).toHaveLength(0);
  });
});
