// POST /internal/events stores each event once by id; GET /api/events shows a user their own events,
// filtered by type and time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent, type TestUser } from './api-events-fixtures.ts';

describe('events pipeline', () => {
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
});
