// The dashboard in front of the real main API: the main API limits logins per client address, and the dashboard
// used to call it from its own address for every visitor, so one visitor's 100 wrong passwords a minute answered
// 429 to everyone else's correct ones. It now names the visitor (x-elide-client-ip next to the internal token).
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { RATE_LIMITS } from '../../lib/rate-limit.ts';
import { dashboardOver } from '../helpers/dashboard.ts';
import { buildAuthApp } from './api-auth-fixture.ts';

let api: Awaited<ReturnType<typeof buildAuthApp>>;
let dashboard: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  api = await buildAuthApp();
  await api.ensureUser('victim', 'publisher');
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  dashboard = await dashboardOver(`http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`);
});

afterAll(async () => {
  await dashboard?.close();
  await api?.app.close();
});

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

/** A browser at one address: its pre-session cookie and CSRF token, then form posts. */
async function visitor(remoteAddress: string) {
  const page = await dashboard.inject({ method: 'GET', url: '/login', remoteAddress });
  const cookie = String(page.headers['set-cookie']).split(';')[0];
  const csrf = csrfOf(page.body);
  return (url: string, form: Record<string, string>, extra: Partial<InjectOptions> = {}) =>
    dashboard.inject({
      method: 'POST',
      url,
      remoteAddress,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
      ...extra,
    });
}

describe('the dashboard names its visitors to the main API', () => {
  it("one visitor spending the login budget does not lock out another's login", async () => {
    const attacker = await visitor('203.0.113.9');
    for (let i = 0; i < RATE_LIMITS.loginPerIp.max; i++) {
      const res = await attacker('/login', { username: `nobody${i}`, password: 'wrong-password' });
      expect(res.statusCode).toBe(401);
    }
    expect((await attacker('/login', { username: 'nobody-more', password: 'wrong-password' })).statusCode).toBe(429);

    const victim = await visitor('198.51.100.7');
    const res = await victim('/login', { username: 'victim', password: 'victim-password', next: '/account' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect(String(res.headers['set-cookie'])).toMatch(/^elide_session=elk_/);
  });

  it('the audit log records the visitor, not the dashboard', async () => {
    const row = api.db.prepare("SELECT ip FROM audit_log WHERE action = 'auth.login.failed' AND target = 'nobody0'").get() as
      | { ip: string }
      | undefined;
    expect(row?.ip).toBe('203.0.113.9');
  });
});
