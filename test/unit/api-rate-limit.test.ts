// The shared SQLite rate limiter: fixed windows, Retry-After, two connections (two processes) share one budget.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiDatabase } from '../../api/db.ts';
import { createManualClock } from '../../lib/clock.ts';
import { openDatabase } from '../../lib/db.ts';
import { AppError } from '../../lib/errors.ts';
import { createRateLimiter, openRateLimitDb, withOverrides } from '../../lib/rate-limit.ts';

const rule = { name: 'test', max: 3, windowSeconds: 60 };

describe('createRateLimiter', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('allows max requests per window, then 429 with Retry-After until the window ends', () => {
    const db = openApiDatabase(':memory:');
    const clock = createManualClock(Date.parse('2026-01-01T00:00:10Z'));
    const limiter = createRateLimiter(() => db, clock.now);
    expect([1, 2, 3].map(() => limiter.hit(rule, 'k').allowed)).toEqual([true, true, true]);
    const refused = limiter.hit(rule, 'k');
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 50 });
    expect(limiter.hit(rule, 'other').allowed).toBe(true);
    let thrown: unknown;
    try {
      limiter.enforce([[rule, 'k']]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).statusCode).toBe(429);
    expect((thrown as AppError).headers).toEqual({ 'retry-after': '50' });
    expect((thrown as AppError).message).toBe('too many requests: try again in 50 seconds');
    clock.advance(50_000);
    expect(limiter.hit(rule, 'k')).toEqual({ allowed: true, remaining: 2, retryAfterSeconds: 60 });
  });

  it('peek counts nothing; assertNotExhausted refuses only once the budget is spent', () => {
    const db = openApiDatabase(':memory:');
    const limiter = createRateLimiter(
      () => db,
      () => 0,
    );
    expect(limiter.peek(rule, 'k')).toEqual({ allowed: true, remaining: 3, retryAfterSeconds: 60 });
    for (let i = 0; i < 3; i++) {
      limiter.assertNotExhausted(rule, 'k');
      limiter.hit(rule, 'k');
    }
    expect(() => limiter.assertNotExhausted(rule, 'k')).toThrow('too many requests');
    limiter.reset(rule, 'k');
    expect(limiter.peek(rule, 'k').allowed).toBe(true);
  });

  it('two connections to one file (two processes) share a single budget', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-'));
    dirs.push(dir);
    const file = path.join(dir, 'marketplace.db');
    openApiDatabase(file).close();
    const a = openDatabase(file);
    const b = openRateLimitDb(file);
    const la = createRateLimiter(
      () => a,
      () => 1000,
    );
    const lb = createRateLimiter(b, () => 1000);
    expect([la.hit(rule, 'ip').allowed, lb.hit(rule, 'ip').allowed, la.hit(rule, 'ip').allowed]).toEqual([true, true, true]);
    expect(lb.hit(rule, 'ip').allowed).toBe(false);
    expect(la.hit(rule, 'ip').allowed).toBe(false);
    a.close();
    b().close();
  });

  it('503 RATE_LIMIT_UNAVAILABLE while the main API has not created rate_limits yet', () => {
    const db = openDatabase(':memory:');
    const limiter = createRateLimiter(
      () => db,
      () => 0,
    );
    let thrown: unknown;
    try {
      limiter.hit(rule, 'k');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect([(thrown as AppError).statusCode, (thrown as AppError).code]).toEqual([503, 'RATE_LIMIT_UNAVAILABLE']);
  });

  it('withOverrides changes one budget and keeps the rest', () => {
    const r = withOverrides({ loginPerUser: { max: 2 } });
    expect(r.loginPerUser).toEqual({ name: 'login-user', max: 2, windowSeconds: 60 });
    expect(r.loginPerIp.max).toBe(100);
  });
});
