// POST /internal/events stores each event once by id; GET /api/events shows a user their own events,
// filtered by type and time. The relays also carry audit entries, recorded in the audit log and nowhere else.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_ENTRY_TYPE } from '../../lib/audit-outbox.ts';
import { createManualClock } from '../../lib/clock.ts';
import { apiWithAliceAndBob, internalHeaders, makeEvent, type TestApi, type TestUser } from './api-events-fixtures.ts';

describe('events pipeline', () => {
  const clock = createManualClock(Date.parse('2026-03-10T12:00:00Z'));
  let t: TestApi;
  let alice: TestUser;
  let bob: TestUser;

  beforeEach(async () => {
    ({ t, alice, bob } = await apiWithAliceAndBob(clock));
  });
  afterEach(async () => t.app.close());

  const post = (events: unknown[], headers: Record<string, string> = internalHeaders) =>
    t.app.inject({ method: 'POST', url: '/internal/events', headers, payload: { events } });

  it('stores an event once: a resend of the same id is counted as a duplicate', async () => {
    const e = makeEvent(clock, { type: 'package.published', ownerId: alice.id, subject: 'package:left-pad', data: { name: 'left-pad' } });
    const first = await post([e]);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ stored: 1, duplicates: 0 });
    const again = await post([e, e]);
    expect(again.json()).toEqual({ stored: 0, duplicates: 2 });
    expect((t.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(1);
    // Counted once in analytics too.
    expect(t.db.prepare("SELECT count FROM analytics_daily WHERE entity_type = 'package'").get()).toEqual({ count: 1 });
  });

  it('refuses callers without the internal token, including a user token', async () => {
    const e = makeEvent(clock, { type: 'package.published' });
    const none = await post([e], {});
    expect(none.statusCode).toBe(403);
    expect(none.json()).toEqual({ error: "this route is for the suite's own processes", code: 'INTERNAL_ONLY' });
    expect((await post([e], alice.auth)).statusCode).toBe(403);
  });

  it('rejects malformed events with 400 naming the field', async () => {
    const res = await post([{ id: 'x', type: 'Not A Type', data: {}, occurredAt: 'yesterday' }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(
      res
        .json()
        .details.map((d: { field: string }) => d.field)
        .sort(),
    ).toEqual(['events.0.occurredAt', 'events.0.type']);
  });

  it('GET /api/events lists only the caller’s events, newest first, filtered by type and time', async () => {
    const at = (iso: string) => ({ occurredAt: iso });
    await post([
      makeEvent(clock, { type: 'package.published', ownerId: alice.id, ...at('2026-03-01T00:00:00Z') }),
      makeEvent(clock, { type: 'deployment.failed', ownerId: alice.id, ...at('2026-03-05T00:00:00Z'), data: { deploymentId: 'd1' } }),
      makeEvent(clock, { type: 'package.published', ownerId: alice.id, ...at('2026-03-09T00:00:00Z') }),
      makeEvent(clock, { type: 'package.published', ownerId: bob.id, ...at('2026-03-09T00:00:00Z') }),
    ]);
    const all = await t.app.inject({ method: 'GET', url: '/api/events', headers: alice.auth });
    expect(all.statusCode).toBe(200);
    const body = all.json();
    expect(body.total).toBe(3);
    expect(body.events.map((e: { occurredAt: string }) => e.occurredAt)).toEqual([
      '2026-03-09T00:00:00.000Z',
      '2026-03-05T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    const typed = await t.app.inject({ method: 'GET', url: '/api/events?type=package.published', headers: alice.auth });
    expect(typed.json().total).toBe(2);
    const windowed = await t.app.inject({
      method: 'GET',
      url: '/api/events?since=2026-03-02T00:00:00Z&until=2026-03-09T00:00:00Z',
      headers: alice.auth,
    });
    expect(windowed.json().events.map((e: { type: string }) => e.type)).toEqual(['deployment.failed']);
    expect(windowed.json().events[0].data).toEqual({ deploymentId: 'd1' });
  });

  it('GET /api/events/:id answers 404 for another user’s event and 401 without a token', async () => {
    const e = makeEvent(clock, { type: 'package.published', ownerId: bob.id });
    await post([e]);
    const other = await t.app.inject({ method: 'GET', url: `/api/events/${e.id}`, headers: alice.auth });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ error: `no event "${e.id}"`, code: 'EVENT_NOT_FOUND' });
    expect((await t.app.inject({ method: 'GET', url: `/api/events/${e.id}`, headers: bob.auth })).json().id).toBe(e.id);
    expect((await t.app.inject({ method: 'GET', url: '/api/events' })).statusCode).toBe(401);
  });

  it('rejects bad filters with 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/events?since=last-tuesday&limit=1000', headers: alice.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('turns a failed deployment into a notification for its owner', async () => {
    await post([
      makeEvent(clock, { type: 'deployment.failed', ownerId: alice.id, data: { deploymentId: 'deploy-1', error: { message: 'boom' } } }),
    ]);
    const rows = t.db.prepare('SELECT user_id, kind, title, body FROM notifications').all();
    expect(rows).toEqual([
      { user_id: alice.id, kind: 'deployment_failed', title: 'Deployment deploy-1 failed', body: expect.stringContaining('boom') },
    ]);
  });

  // The registry's and the marketplace's user actions reach the audit log through their outboxes: the ingest records
  // each audit entry once by id, and nothing else of it; events record none.
  describe('audit entries relayed through the event ingest', () => {
    const auditEntry = (
      who: TestUser,
      name: string,
      action: string,
      target: string,
      details: Record<string, unknown>,
      occurredAt?: string,
    ) =>
      makeEvent(clock, {
        type: AUDIT_ENTRY_TYPE,
        subject: target,
        occurredAt,
        data: { actorId: who.id, actorUsername: name, action, target, details },
      });
    const rows = () =>
      t.db.prepare('SELECT actor_id, actor_username, action, target, ip, user_agent, details, created_at FROM audit_log ORDER BY id').all();

    it('records a package publish and a deployment action once each, with the actor, target and when it happened', async () => {
      const publish = auditEntry(
        alice,
        'alice',
        'package.publish',
        'package:left-pad',
        { ecosystem: 'npm', name: 'left-pad', version: '1.0.0' },
        '2026-03-10T11:00:00.000Z',
      );
      const scale = auditEntry(bob, 'bob', 'deployment.scale', 'deployment:deploy-1', { name: 'cache', instances: { from: 1, to: 3 } });
      // The producer's request origin travels with the entry (lib/audit-outbox.ts).
      Object.assign(scale.data, { ip: '203.0.113.9', userAgent: 'service-cli/0.1.0' });
      expect((await post([publish, scale])).json()).toEqual({ stored: 2, duplicates: 0 });
      expect(rows()).toEqual([
        {
          actor_id: alice.id,
          actor_username: 'alice',
          action: 'package.publish',
          target: 'package:left-pad',
          ip: null,
          user_agent: null,
          details: JSON.stringify({ ecosystem: 'npm', name: 'left-pad', version: '1.0.0' }),
          // When the action happened in the registry, not when the relay delivered it.
          created_at: '2026-03-10T11:00:00.000Z',
        },
        {
          actor_id: bob.id,
          actor_username: 'bob',
          action: 'deployment.scale',
          target: 'deployment:deploy-1',
          ip: '203.0.113.9',
          user_agent: 'service-cli/0.1.0',
          details: JSON.stringify({ name: 'cache', instances: { from: 1, to: 3 } }),
          created_at: '2026-03-10T12:00:00.000Z',
        },
      ]);
      // Not an event: not stored, counted, listed or sent to webhooks.
      expect(t.db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
      expect(t.db.prepare('SELECT count(*) AS n FROM analytics_daily').get()).toEqual({ n: 0 });
    });

    it('records an entry the relay sends twice (a crash before it deleted the row) once', async () => {
      const e = auditEntry(alice, 'alice', 'deployment.create', 'deployment:deploy-1', { name: 'db' });
      expect((await post([e])).json()).toEqual({ stored: 1, duplicates: 0 });
      expect((await post([e, e])).json()).toEqual({ stored: 0, duplicates: 2 });
      expect(rows()).toHaveLength(1);
    });

    it('records nothing for events, system outcomes or user actions alike: only audit entries are audited', async () => {
      await post([
        makeEvent(clock, {
          type: 'deployment.degraded',
          ownerId: alice.id,
          subject: 'deployment:deploy-1',
          data: { deploymentId: 'deploy-1' },
        }),
        makeEvent(clock, { type: 'package.downloaded', subject: 'package:left-pad', data: { name: 'left-pad', version: '1.0.0' } }),
        makeEvent(clock, {
          type: 'package.published',
          ownerId: alice.id,
          subject: 'package:left-pad',
          data: { name: 'left-pad', publisher: 'alice' },
        }),
        auditEntry(alice, 'alice', 'package.publish', 'package:left-pad', { name: 'left-pad' }),
      ]);
      // The publish's own audit entry is the one row: the events beside it add none.
      expect(rows()).toMatchObject([{ action: 'package.publish', actor_id: alice.id }]);
    });

    it('drops a malformed entry rather than refusing the batch, which would block the relay', async () => {
      const bad = makeEvent(clock, { type: AUDIT_ENTRY_TYPE, data: { action: 'Not An Action', actorId: alice.id } });
      const good = auditEntry(alice, 'alice', 'deployment.delete', 'deployment:deploy-1', {});
      expect((await post([bad, good])).json()).toEqual({ stored: 1, duplicates: 1 });
      expect(rows()).toMatchObject([{ action: 'deployment.delete' }]);
    });

    it('GET /api/audit shows a user the entries of their own relayed actions, and not another user’s', async () => {
      await post([
        auditEntry(alice, 'alice', 'package.publish', 'package:left-pad', { name: 'left-pad', version: '1.0.0' }),
        auditEntry(bob, 'bob', 'deployment.create', 'deployment:deploy-2', { name: 'bobs' }),
        auditEntry(alice, 'alice', 'deployment.credentials.rotate', 'deployment:deploy-1', { name: 'db', graceHours: 24 }),
      ]);
      const res = await t.app.inject({ method: 'GET', url: '/api/audit', headers: alice.auth });
      expect(res.statusCode).toBe(200);
      expect(res.json().total).toBe(2);
      expect(
        res.json().entries.map((e: { action: string; target: string; actorUsername: string }) => [e.action, e.target, e.actorUsername]),
      ).toEqual([
        ['deployment.credentials.rotate', 'deployment:deploy-1', 'alice'],
        ['package.publish', 'package:left-pad', 'alice'],
      ]);
    });

    it('POST /internal/audit still records an entry sent directly', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/internal/audit',
        headers: internalHeaders,
        payload: { actorId: alice.id, actorUsername: 'alice', action: 'package.publish', target: 'package:x' },
      });
      expect(res.statusCode).toBe(201);
      expect(rows()).toMatchObject([{ action: 'package.publish', actor_id: alice.id }]);
    });
  });
});
