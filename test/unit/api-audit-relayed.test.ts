// The registry's and the marketplace's user actions reach the audit log through their outboxes: the event
// ingest (POST /internal/events) records each audit entry once by id, and nothing else of it; events record none.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_ENTRY_TYPE } from '../../lib/audit-outbox.ts';
import { createManualClock } from '../../lib/clock.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent, type TestUser } from './api-events-fixtures.ts';

describe('audit entries relayed through the event ingest', () => {
  const clock = createManualClock(Date.parse('2026-03-10T12:00:00Z'));
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let alice: TestUser;
  let bob: TestUser;

  beforeEach(async () => {
    t = await buildTestApi(clock);
    alice = addUser(t.db, clock, 'alice');
    bob = addUser(t.db, clock, 'bob');
  });
  afterEach(async () => t.app.close());

  const post = (events: unknown[]) =>
    t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events } });
  const auditEntry = (who: TestUser, name: string, action: string, target: string, details: Record<string, unknown>, occurredAt?: string) =>
    makeEvent(clock, {
      type: AUDIT_ENTRY_TYPE,
      subject: target,
      occurredAt,
      data: { actorId: who.id, actorUsername: name, action, target, details },
    });
  const rows = () =>
    t.db.prepare('SELECT actor_id, actor_username, action, target, ip, details, created_at FROM audit_log ORDER BY id').all();

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
    expect((await post([publish, scale])).json()).toEqual({ stored: 2, duplicates: 0 });
    expect(rows()).toEqual([
      {
        actor_id: alice.id,
        actor_username: 'alice',
        action: 'package.publish',
        target: 'package:left-pad',
        ip: null,
        details: JSON.stringify({ ecosystem: 'npm', name: 'left-pad', version: '1.0.0' }),
        // When the action happened in the registry, not when the relay delivered it.
        created_at: '2026-03-10T11:00:00.000Z',
      },
      {
        actor_id: bob.id,
        actor_username: 'bob',
        action: 'deployment.scale',
        target: 'deployment:deploy-1',
        ip: null,
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
