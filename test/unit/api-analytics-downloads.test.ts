// npm's download-count API as a user compares it with api.npmjs.org: named periods that are also Object.prototype
// keys, the singular period of one day, bulk queries ("a,b,c"), and the other ecosystems' packages (?ecosystem=),
// which must never read the counts of an npm package of the same name.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import type { OutboxEvent } from '../../lib/outbox.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent, type TestUser } from './api-events-fixtures.ts';

describe('download counts API', () => {
  const clock = createManualClock(Date.parse('2026-03-10T15:00:00Z'));
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let alice: TestUser;

  beforeEach(async () => {
    t = await buildTestApi(clock);
    alice = addUser(t.db, clock, 'alice');
  });
  afterEach(async () => t.app.close());

  const ingest = async (events: OutboxEvent[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events } });
    expect(res.statusCode).toBe(200);
  };
  const get = (url: string, user?: TestUser) => t.app.inject({ method: 'GET', url, headers: user?.auth });
  /** A package as the registry's events name it: an npm name, or "<ecosystem>:<name>". */
  const publish = (entity: string, data: Record<string, unknown> = {}) =>
    makeEvent(clock, { type: 'package.published', ownerId: alice.id, subject: `package:${entity}`, data: { name: entity, ...data } });
  const downloaded = (entity: string, day: string, count: number) =>
    makeEvent(clock, { type: 'package.downloaded', subject: `package:${entity}`, data: { count, day } });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('refuses the period "%s" with 400, not 500', async (period) => {
    await ingest([publish('left-pad')]);
    const res = await get(`/api/downloads/point/${period}/left-pad`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_PERIOD');
  });

  it('names a one-day analytics period in the singular', async () => {
    await ingest([publish('left-pad')]);
    expect((await get('/api/analytics?type=package&id=left-pad&days=1', alice)).json().period).toBe('1 day');
    expect((await get('/api/analytics?type=package&id=left-pad&days=2', alice)).json().period).toBe('2 days');
  });

  it('answers bulk point and range queries as npm does: one entry per name, null for an unknown or private one', async () => {
    await ingest([
      publish('left-pad'),
      publish('right-pad'),
      publish('@alice/secret', { private: true }),
      downloaded('left-pad', '2026-03-09', 5),
      downloaded('right-pad', '2026-03-10', 2),
      downloaded('@alice/secret', '2026-03-10', 9),
    ]);
    const point = await get('/api/downloads/point/last-week/left-pad,right-pad,nope,@alice/secret,left-pad');
    expect(point.statusCode).toBe(200);
    expect(point.json()).toEqual({
      'left-pad': { downloads: 5, start: '2026-03-04', end: '2026-03-10', package: 'left-pad' },
      'right-pad': { downloads: 2, start: '2026-03-04', end: '2026-03-10', package: 'right-pad' },
      nope: null,
      '@alice/secret': null,
    });
    // Its owner sees a private package in a bulk answer too.
    expect((await get('/api/downloads/point/last-day/left-pad,@alice/secret', alice)).json()['@alice/secret'].downloads).toBe(9);
    const range = await get('/api/downloads/range/2026-03-09:2026-03-10/left-pad,right-pad');
    expect(range.json()).toEqual({
      'left-pad': {
        downloads: [
          { day: '2026-03-09', downloads: 5 },
          { day: '2026-03-10', downloads: 0 },
        ],
        start: '2026-03-09',
        end: '2026-03-10',
        package: 'left-pad',
      },
      'right-pad': {
        downloads: [
          { day: '2026-03-09', downloads: 0 },
          { day: '2026-03-10', downloads: 2 },
        ],
        start: '2026-03-09',
        end: '2026-03-10',
        package: 'right-pad',
      },
    });
  });

  it('refuses bulk queries over 128 packages or 365 days, and a bad name among them', async () => {
    const many = Array.from({ length: 129 }, (_, i) => `p${i}`).join(',');
    const tooMany = await get(`/api/downloads/point/last-week/${many}`);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().code).toBe('TOO_MANY_PACKAGES');
    const tooLong = await get('/api/downloads/point/2025-01-01:2026-01-01/a,b');
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().code).toBe('PERIOD_TOO_LONG');
    const bad = await get('/api/downloads/point/last-week/a,<b>');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'invalid package name "<b>"', code: 'INVALID_PACKAGE_NAME' });
  });

  it('counts a PyPI, Maven or RubyGems package under ?ecosystem=, never an npm package of the same name', async () => {
    await ingest([
      publish('requests'),
      publish('pypi:requests'),
      publish('maven:com.acme:http'),
      publish('rubygems:acme_http'),
      downloaded('requests', '2026-03-10', 1000),
      downloaded('pypi:requests', '2026-03-10', 3),
      downloaded('maven:com.acme:http', '2026-03-10', 4),
      downloaded('rubygems:acme_http', '2026-03-10', 5),
    ]);
    expect((await get('/api/downloads/point/last-day/requests')).json().downloads).toBe(1000);
    expect((await get('/api/downloads/point/last-day/requests?ecosystem=npm')).json().downloads).toBe(1000);
    const pypi = await get('/api/downloads/point/last-day/requests?ecosystem=pypi');
    expect(pypi.json()).toEqual({ downloads: 3, start: '2026-03-10', end: '2026-03-10', package: 'requests' });
    // PEP 503: "Requests" is the project "requests".
    expect((await get('/api/downloads/point/last-day/Requests?ecosystem=pypi')).json().downloads).toBe(3);
    expect((await get('/api/downloads/range/last-day/com.acme:http?ecosystem=maven')).json()).toEqual({
      downloads: [{ day: '2026-03-10', downloads: 4 }],
      start: '2026-03-10',
      end: '2026-03-10',
      package: 'com.acme:http',
    });
    expect((await get('/api/downloads/point/last-day/acme_http?ecosystem=rubygems')).json().downloads).toBe(5);
    expect((await get('/api/downloads/point/last-day/acme_http?ecosystem=pypi')).statusCode).toBe(404);
    expect((await get('/api/downloads/point/last-day/requests?ecosystem=cargo')).statusCode).toBe(400);
  });

  it('keeps a restricted package hidden when a later event does not state its access, and follows the registry’s downloads', async () => {
    await ingest([publish('@alice/secret', { access: 'restricted' }), downloaded('@alice/secret', '2026-03-10', 2)]);
    // Deprecating or flagging a package says nothing about its access: the counts stay hidden.
    await ingest([
      makeEvent(clock, {
        type: 'package.deprecated',
        ownerId: alice.id,
        subject: 'package:@alice/secret',
        data: { name: '@alice/secret' },
      }),
      makeEvent(clock, {
        type: 'package.vulnerable',
        ownerId: alice.id,
        subject: 'package:@alice/secret',
        data: { name: '@alice/secret' },
      }),
    ]);
    expect((await get('/api/downloads/point/last-day/@alice/secret')).statusCode).toBe(404);
    expect((await get('/api/downloads/point/last-day/@alice/secret', alice)).json().downloads).toBe(2);
    // npm's publish event names no access; the registry's download counts do (registry/npm/downloads.ts).
    await ingest([publish('@alice/quiet')]);
    expect((await get('/api/downloads/point/last-day/@alice/quiet')).statusCode).toBe(200);
    const restricted = makeEvent(clock, {
      type: 'package.downloaded',
      subject: 'package:@alice/quiet',
      data: { count: 1, day: '2026-03-10', access: 'restricted' },
    });
    await ingest([restricted]);
    expect((await get('/api/downloads/point/last-day/@alice/quiet')).statusCode).toBe(404);
    expect((await get('/api/downloads/point/last-day/@alice/quiet', alice)).json().downloads).toBe(1);
    // Made public again (npm access set status=public): the next count says so.
    await ingest([
      makeEvent(clock, {
        type: 'package.downloaded',
        subject: 'package:@alice/quiet',
        data: { count: 1, day: '2026-03-10', access: 'public' },
      }),
    ]);
    expect((await get('/api/downloads/point/last-day/@alice/quiet')).json().downloads).toBe(2);
  });
});
