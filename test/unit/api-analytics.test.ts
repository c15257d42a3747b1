// GET /api/analytics in the seed's shape from daily UTC rollups, with 404 for resources the caller cannot
// see; npm-compatible download counts fed by package.downloaded events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import type { OutboxEvent } from '../../lib/outbox.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent, type TestUser } from './api-events-fixtures.ts';

describe('analytics', () => {
  const clock = createManualClock(Date.parse('2026-03-10T15:00:00Z'));
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let alice: TestUser;
  let bob: TestUser;
  let admin: TestUser;

  beforeEach(async () => {
    t = await buildTestApi(clock);
    alice = addUser(t.db, clock, 'alice');
    bob = addUser(t.db, clock, 'bob');
    admin = addUser(t.db, clock, 'root', 'team', 'admin');
  });
  afterEach(async () => t.app.close());

  const ingest = async (events: OutboxEvent[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events } });
    expect(res.statusCode).toBe(200);
  };
  const get = (url: string, user?: TestUser) => t.app.inject({ method: 'GET', url, headers: user?.auth });
  const downloaded = (name: string, day: string, count: number) =>
    makeEvent(clock, { type: 'package.downloaded', subject: `package:${name}`, data: { name, version: '1.0.0', count, day } });

  async function seedPackage(name = 'left-pad', extra: Record<string, unknown> = {}) {
    await ingest([
      makeEvent(clock, {
        type: 'package.published',
        ownerId: alice.id,
        subject: `package:${name}`,
        occurredAt: '2026-03-08T23:59:59Z',
        data: { name, ...extra },
      }),
      downloaded(name, '2026-03-09', 1500),
      downloaded(name, '2026-03-09', 23),
      downloaded(name, '2026-03-10', 7),
      downloaded(name, '2025-12-01', 99), // outside a 30-day window
    ]);
  }

  it('answers per-day counts per event type in the seed shape', async () => {
    await seedPackage();
    const res = await get('/api/analytics?type=package&id=left-pad&days=30', alice);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      period: '30 days',
      start: '2026-02-09',
      end: '2026-03-10',
      analytics: [
        { date: '2026-03-08', event_type: 'published', count: 1 },
        { date: '2026-03-09', event_type: 'downloaded', count: 1523 },
        { date: '2026-03-10', event_type: 'downloaded', count: 7 },
      ],
    });
    const longer = await get('/api/analytics?type=package&id=left-pad&days=365', alice);
    expect(longer.json().analytics[0]).toEqual({ date: '2025-12-01', event_type: 'downloaded', count: 99 });
  });

  it('accepts the seed’s pkg-<id> form when the producer sent data.packageId', async () => {
    await ingest([
      makeEvent(clock, {
        type: 'package.published',
        ownerId: alice.id,
        subject: 'package:@acme/db',
        data: { name: '@acme/db', packageId: 'pkg-123' },
      }),
    ]);
    const res = await get('/api/analytics?type=package&id=pkg-123&days=30', alice);
    expect(res.statusCode).toBe(200);
    expect(res.json().analytics).toEqual([{ date: '2026-03-10', event_type: 'published', count: 1 }]);
    expect((await get('/api/analytics?type=package&id=pkg-123&days=30', bob)).statusCode).toBe(404);
  });

  it('keeps one rollup row per day and type however busy the package is', async () => {
    await seedPackage();
    await ingest(Array.from({ length: 200 }, () => downloaded('left-pad', '2026-03-10', 1)));
    expect(t.db.prepare("SELECT count(*) AS n FROM analytics_daily WHERE entity_id = 'left-pad'").get()).toEqual({ n: 4 });
    const res = await get('/api/analytics?type=package&id=left-pad&days=1', alice);
    expect(res.json().analytics).toEqual([{ date: '2026-03-10', event_type: 'downloaded', count: 207 }]);
  });

  it('answers 404 for a resource the caller cannot see; admins see everything', async () => {
    await seedPackage();
    const res = await get('/api/analytics?type=package&id=left-pad&days=30', bob);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no package "left-pad" with analytics you can see', code: 'RESOURCE_NOT_FOUND' });
    expect((await get('/api/analytics?type=package&id=no-such-package', alice)).statusCode).toBe(404);
    expect((await get('/api/analytics?type=user&id=' + alice.id, bob)).statusCode).toBe(404);
    expect((await get('/api/analytics?type=package&id=left-pad&days=30', admin)).statusCode).toBe(200);
    expect((await get('/api/analytics?type=package&id=left-pad')).statusCode).toBe(401);
  });

  it('counts a user’s own events under type=user', async () => {
    await seedPackage();
    await ingest([
      makeEvent(clock, { type: 'deployment.failed', ownerId: alice.id, subject: 'deployment:d1', data: { deploymentId: 'd1' } }),
    ]);
    const res = await get(`/api/analytics?type=user&id=${alice.id}&days=7`, alice);
    expect(res.json().analytics).toEqual([
      { date: '2026-03-08', event_type: 'package.published', count: 1 },
      { date: '2026-03-10', event_type: 'deployment.failed', count: 1 },
    ]);
    const dep = await get('/api/analytics?type=deployment&id=d1&days=7', alice);
    expect(dep.json().analytics).toEqual([{ date: '2026-03-10', event_type: 'failed', count: 1 }]);
  });

  it.each([
    ['days=0', 'days'],
    ['days=366', 'days'],
    ['days=abc', 'days'],
    ['days=1.5', 'days'],
    ['type=planet', 'type'],
  ])('refuses %s with 400 naming %s', async (q, field) => {
    const res = await get(`/api/analytics?type=package&id=left-pad&${q}`, alice);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('serves npm-compatible point and range download counts, zero-filled and inclusive', async () => {
    await seedPackage();
    const point = await get('/api/downloads/point/last-week/left-pad');
    expect(point.statusCode).toBe(200);
    expect(point.json()).toEqual({ downloads: 1530, start: '2026-03-04', end: '2026-03-10', package: 'left-pad' });
    const range = await get('/api/downloads/range/2026-03-08:2026-03-10/left-pad');
    expect(range.json()).toEqual({
      downloads: [
        { day: '2026-03-08', downloads: 0 },
        { day: '2026-03-09', downloads: 1523 },
        { day: '2026-03-10', downloads: 7 },
      ],
      start: '2026-03-08',
      end: '2026-03-10',
      package: 'left-pad',
    });
    expect((await get('/api/downloads/point/2026-03-09/left-pad')).json().downloads).toBe(1523);
  });

  it('handles scoped names with a slash or %2F', async () => {
    await seedPackage('@acme/http');
    expect((await get('/api/downloads/point/last-day/@acme/http')).json()).toMatchObject({ downloads: 7, package: '@acme/http' });
    expect((await get('/api/downloads/point/last-day/@acme%2Fhttp')).json()).toMatchObject({ downloads: 7, package: '@acme/http' });
  });

  it('refuses bad periods and unknown packages the way npm does', async () => {
    await seedPackage();
    for (const period of ['yesterday', '2026-02-30', '2026-03-10:2026-03-01', '2020-01-01:2026-01-01']) {
      const res = await get(`/api/downloads/range/${period}/left-pad`);
      expect(res.statusCode, period).toBe(400);
      expect(['INVALID_PERIOD', 'PERIOD_TOO_LONG']).toContain(res.json().code);
    }
    const missing = await get('/api/downloads/point/last-week/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'package nope not found', code: 'PACKAGE_NOT_FOUND' });
  });

  it('hides a private package’s downloads from everyone but its owner', async () => {
    await seedPackage('@alice/secret', { private: true });
    expect((await get('/api/downloads/point/last-week/@alice/secret')).statusCode).toBe(404);
    expect((await get('/api/downloads/point/last-week/@alice/secret', bob)).statusCode).toBe(404);
    expect((await get('/api/downloads/point/last-week/@alice/secret', alice)).json().downloads).toBe(1530);
    // The registry's own flag for a private package.
    await seedPackage('@alice/restricted', { access: 'restricted' });
    expect((await get('/api/downloads/point/last-week/@alice/restricted')).statusCode).toBe(404);
  });
});
