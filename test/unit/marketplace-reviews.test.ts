// Reviews and ratings (one per user per service, verified after a real deployment), the metrics route with
// the orchestrator's series, and log follow over a real socket.
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

/** A free Redis deployment named c, as the log tests start from. */
async function deployRedis(f: MarketplaceFixture, u: { auth: Record<string, string> }): Promise<string> {
  const res = await f.app.inject({
    method: 'POST',
    url: '/api/deployments',
    headers: u.auth,
    payload: { serviceId: 'svc-redis', name: 'c', config: { tier: 'free', region: 'us-east-1' } },
  });
  return res.json().deploymentId;
}

describe('reviews and ratings', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  it('keeps one review per user per service, marks verified reviewers and rolls up the average', async () => {
    const a = f.user();
    const b = f.user();
    const post = (auth: Record<string, string>, payload: object) =>
      f.app.inject({ method: 'POST', url: '/api/services/redis-cache/reviews', headers: auth, payload });
    expect((await post(a.auth, { rating: 5, title: 'fast' })).statusCode).toBe(201);
    const updated = await post(a.auth, { rating: 4, title: 'fast enough' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ rating: 4, verified: false });
    // b deploys Redis first, so b's review is verified.
    await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: b.auth,
      payload: { serviceId: 'svc-redis', name: 'c', config: { tier: 'free', region: 'us-east-1' } },
    });
    f.advance(5_000);
    expect((await post(b.auth, { rating: 1, title: 'meh', body: 'evictions' })).json()).toMatchObject({ verified: true });

    const list = (await f.app.inject({ url: '/api/services/redis-cache/reviews' })).json();
    expect(list).toMatchObject({ total: 2, averageRating: 2.5, distribution: [1, 0, 0, 1, 0] });
    const svc = (await f.app.inject({ url: '/api/services?limit=100' })).json().services.find((s: { id: string }) => s.id === 'svc-redis');
    expect(svc).toMatchObject({ averageRating: 2.5, ratingCount: 2, activeDeployments: 1 });
    expect((await f.app.inject({ url: '/api/services?minRating=2' })).json().services.map((s: { id: string }) => s.id)).toEqual([
      'svc-redis',
    ]);

    expect((await post(a.auth, { rating: 6, title: 'x' })).statusCode).toBe(400);
    expect((await post({}, { rating: 5, title: 'x' })).statusCode).toBe(401);
    expect((await f.app.inject({ method: 'DELETE', url: '/api/services/redis-cache/reviews', headers: a.auth })).statusCode).toBe(204);
    expect((await f.app.inject({ method: 'DELETE', url: '/api/services/redis-cache/reviews', headers: a.auth })).statusCode).toBe(404);
  });
});

describe('catalog listing after reviews', () => {
  it('shows a new or removed review at once, although listings are reused between changes', async () => {
    const f = await marketplaceFixture();
    try {
      const u = f.user();
      const redis = async () =>
        (await f.app.inject({ url: '/api/services?limit=100' })).json().services.find((s: { id: string }) => s.id === 'svc-redis');
      expect(await redis()).toMatchObject({ ratingCount: 0, averageRating: 0 });
      const posted = await f.app.inject({
        method: 'POST',
        url: '/api/services/redis-cache/reviews',
        headers: u.auth,
        payload: { rating: 3, title: 'fine' },
      });
      expect(posted.statusCode).toBe(201);
      expect(await redis()).toMatchObject({ ratingCount: 1, averageRating: 3 });
      expect((await f.app.inject({ method: 'DELETE', url: '/api/services/redis-cache/reviews', headers: u.auth })).statusCode).toBe(204);
      expect(await redis()).toMatchObject({ ratingCount: 0, averageRating: 0 });
    } finally {
      await f.app.close();
    }
  });
});

describe('metrics and log follow', () => {
  it('GET /metrics answers current figures and an empty series when no orchestrator is configured', async () => {
    const f = await marketplaceFixture();
    try {
      const u = f.user();
      const id = await deployRedis(f, u);
      f.advance(5_000 + 60_000);
      const m = (await f.app.inject({ url: `/api/deployments/${id}/metrics`, headers: u.auth })).json();
      expect(m).toMatchObject({ deploymentId: id, status: 'running', series: [], seriesAvailable: false });
      expect(m.current.requests).toBeGreaterThan(0);
    } finally {
      await f.app.close();
    }
  });

  it('follows logs as Server-Sent Events', async () => {
    const f = await marketplaceFixture();
    try {
      const u = f.user();
      const id = await deployRedis(f, u);
      f.advance(5_000);
      await f.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = f.app.server.address() as AddressInfo;
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/api/deployments/${id}/logs?follow=true`, { headers: u.auth, signal: ac.signal });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      while ((text.match(/event: log/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"message":"pending -> provisioning"');
      expect(text).toContain('"message":"provisioning -> running"');
      // Closing the server ends the stream instead of waiting for the follower.
      const closed = f.app.close();
      while (!(await reader.read()).done);
      await closed;
      ac.abort();
    } finally {
      if (f.db.open) await f.app.close();
    }
  });

  // The stream re-authenticates on every poll, as a new request would: each way of losing access ends it within a
  // poll (a second) with a final "end" event saying why. Timers are faked so a poll is one advance, not a real second.
  // [what happens, doing it, the end event's code, the status of a new log request with the same credential]
  const losses: [
    string,
    (f: MarketplaceFixture, u: { id: string; auth: Record<string, string> }, id: string) => unknown,
    string,
    number,
  ][] = [
    [
      'the token is revoked',
      (f, u) => f.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ?').run(new Date(f.clock.now()).toISOString(), u.id),
      'UNAUTHORIZED',
      401,
    ],
    [
      'the account is disabled',
      (f, u) => f.db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(new Date(f.clock.now()).toISOString(), u.id),
      'UNAUTHORIZED',
      401,
    ],
    [
      'the deployment is no longer theirs',
      (f, _u, id) => f.db.prepare("UPDATE mkt_deployments SET owner_id = 'someone-else' WHERE id = ?").run(id),
      'DEPLOYMENT_NOT_FOUND',
      404,
    ],
    [
      // The stream sends the last transition ("deleting -> deleted") before it ends, not 10 minutes of nothing.
      'the deployment is deleted',
      async (f, u, id) => {
        expect((await f.app.inject({ method: 'DELETE', url: `/api/deployments/${id}`, headers: u.auth })).statusCode).toBe(202);
        f.advance(60_000);
      },
      'DEPLOYMENT_NOT_FOUND',
      // The tombstone's logs stay readable for its 30 days; only the live stream has nothing left to follow.
      200,
    ],
  ];
  for (const [what, lose, code, again] of losses) {
    it(`ends an open log stream within a poll when ${what}`, async () => {
      const f = await marketplaceFixture();
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
      try {
        const u = f.user();
        const id = await deployRedis(f, u);
        f.advance(5_000);
        let ended = false;
        const stream = f.app.inject({ url: `/api/deployments/${id}/logs?follow=true`, headers: u.auth }).finally(() => {
          ended = true;
        });
        await vi.advanceTimersByTimeAsync(3_000);
        expect(ended).toBe(false);
        await lose(f, u, id);
        await vi.advanceTimersByTimeAsync(1_000);
        expect(ended).toBe(true);
        const text = (await stream).payload;
        expect(text).toContain('event: log');
        if (what === 'the deployment is deleted') expect(text).toContain('"message":"deleting -> deleted"');
        const last = text.trim().split('\n\n').at(-1)!;
        expect(last).toMatch(/^event: end\ndata: /);
        expect(JSON.parse(last.split('data: ')[1])).toMatchObject({ code, error: expect.any(String) });
        // A new request with the same credential is refused too.
        expect((await f.app.inject({ url: `/api/deployments/${id}/logs`, headers: u.auth })).statusCode).toBe(again);
      } finally {
        vi.useRealTimers();
        await f.app.close();
      }
    });
  }
});
