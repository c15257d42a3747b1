// Dashboard session and CSRF, with a fake main API on a loopback port: cookie flags, CSRF on every form,
// login/logout, tokens shown once, CSP without inline scripts, friendly error pages.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { dashboardOver, FAKE_ME } from '../helpers/dashboard.ts';

let fake: FastifyInstance;
let app: Awaited<ReturnType<typeof buildApp>>;
const revoked = new Set<string>();
const calls: { method: string; url: string; auth?: string }[] = [];

beforeAll(async () => {
  fake = Fastify();
  fake.addHook('onRequest', async (req) => {
    calls.push({ method: req.method, url: req.url, auth: req.headers.authorization });
  });
  const authed = (auth?: string) => auth === 'Bearer elk_session' && !revoked.has('elk_session');
  fake.get('/health', async () => ({ status: 'ok', version: '0.1.0', uptime: 1 }));
  fake.post('/api/auth/login', async (req, reply) => {
    const b = req.body as { username: string; password: string };
    if (b.username === 'demo' && b.password === 'demo123') return { token: 'elk_session', expiresAt: '2099-01-01T00:00:00.000Z' };
    return reply.status(401).send({ error: 'invalid credentials', code: 'INVALID_CREDENTIALS' });
  });
  fake.get('/api/auth/me', async (req, reply) =>
    authed(req.headers.authorization) ? FAKE_ME : reply.status(401).send({ error: 'no', code: 'UNAUTHORIZED' }),
  );
  fake.post('/api/auth/logout', async (req) => {
    if (authed(req.headers.authorization)) revoked.add('elk_session');
    return { success: true };
  });
  fake.get('/api/auth/tokens', async () => ({
    tokens: [
      {
        id: 'tok-1',
        name: '<b>ci</b>',
        kind: 'api',
        prefix: 'elk_ab',
        readonly: false,
        createdAt: '2026-01-01T00:00:00Z',
        lastUsedAt: null,
        expiresAt: null,
      },
    ],
  }));
  fake.post('/api/auth/tokens', async (req, reply) => {
    const b = req.body as { name: string; expiresInDays?: number | null };
    if (b.expiresInDays !== undefined && !(Number(b.expiresInDays) >= 1))
      return reply.status(400).send({
        error: 'invalid body: expiresInDays: Too small: expected number to be >=1',
        code: 'VALIDATION_FAILED',
        details: [{ field: 'expiresInDays', message: 'Too small: expected number to be >=1' }],
      });
    return reply.status(201).send({ id: 'tok-2', name: b.name, token: 'elk_NEWSECRETTOKEN', kind: 'api' });
  });
  fake.delete('/api/auth/tokens/:id', async () => ({ success: true }));
  fake.post('/api/orgs', async (_req, reply) =>
    reply.status(400).send({ error: 'invalid body: name: must be lowercase letters, digits', code: 'VALIDATION_FAILED' }),
  );
  fake.get('/api/orgs/elide', async () => ({ name: 'elide', plan: 'team', role: 'owner', memberCount: 1 }));
  fake.get('/api/orgs/elide/members', async () => ({ members: [{ username: 'demo', role: 'owner', joinedAt: '2026-01-01T00:00:00Z' }] }));
  fake.put('/api/orgs/elide/members/:user', async (req, reply) =>
    reply.status(404).send({ error: `no user "${(req.params as { user: string }).user}"`, code: 'NOT_FOUND' }),
  );
  fake.get('/api/packages/search', async () => ({ results: [], total: 0, limit: 20, offset: 0 }));
  await fake.listen({ host: '127.0.0.1', port: 0 });
  const addr = fake.server.address() as { port: number };
  app = await dashboardOver(`http://127.0.0.1:${addr.port}`);
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

type Jar = Record<string, string>;
function absorb(jar: Jar, res: { headers: Record<string, unknown> }) {
  const set = res.headers['set-cookie'];
  for (const c of (Array.isArray(set) ? set : set ? [set] : []) as string[]) {
    const [pair] = c.split(';');
    const [k, v] = pair.split('=');
    if (v === '' || /Expires=Thu, 01 Jan 1970/i.test(c)) delete jar[k];
    else jar[k] = v;
  }
}
const cookieHeader = (jar: Jar) =>
  Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

async function get(jar: Jar, url: string) {
  const res = await app.inject({ method: 'GET', url, headers: { cookie: cookieHeader(jar) } });
  absorb(jar, res);
  return res;
}
async function post(jar: Jar, url: string, form: Record<string, string>) {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
  absorb(jar, res);
  return res;
}
async function login(jar: Jar) {
  const page = await get(jar, '/login');
  return post(jar, '/login', { _csrf: csrfOf(page.body), username: 'demo', password: 'demo123', next: '/account/tokens' });
}

describe('dashboard session', () => {
  it('serves pages with a strict CSP and no inline script or handler', async () => {
    const res = await get({}, '/login');
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.body).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
  });

  it('the anonymous home page needs no CSRF token: no pre-session cookie, one page for every visitor; a notice or a session gets its own', async () => {
    const first = await get({}, '/');
    const second = await get({}, '/');
    expect(first.statusCode).toBe(200);
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.body).not.toContain('_csrf');
    expect(second.body).toBe(first.body);
    const noticed = await get({}, '/?notice=deleted');
    expect(noticed.body).toContain('Deleted.');
    expect(first.body).not.toContain('Deleted.');
    const jar: Jar = {};
    await login(jar);
    const mine = await get(jar, '/');
    expect(mine.body).toContain('Signed in as');
    expect(csrfOf(mine.body)).not.toBe('');
    expect((await get({}, '/')).body).toBe(first.body);
  });

  it('logs in: session token only in an httpOnly SameSite=Lax cookie, then redirects to next', async () => {
    revoked.clear();
    const jar: Jar = {};
    const page = await get(jar, '/login');
    const pre = String(page.headers['set-cookie']);
    expect(pre).toMatch(/elide_presession=[^;]+;.*HttpOnly/);
    expect(pre).toMatch(/SameSite=Strict/);
    const res = await post(jar, '/login', { _csrf: csrfOf(page.body), username: 'demo', password: 'demo123', next: '/account/tokens' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account/tokens');
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/elide_session=elk_session;/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Lax/);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toMatch(/Secure/); // plain http here
    const tokens = await get(jar, '/account/tokens');
    expect(tokens.statusCode).toBe(200);
    expect(tokens.body).toContain('Signed in as <strong>demo</strong>');
    expect(tokens.body).toContain('&lt;b&gt;ci&lt;/b&gt;');
    expect(calls.some((c) => c.url === '/api/auth/tokens' && c.auth === 'Bearer elk_session')).toBe(true);
  });

  it('refuses an open redirect in next', async () => {
    const jar: Jar = {};
    const page = await get(jar, '/login');
    const res = await post(jar, '/login', { _csrf: csrfOf(page.body), username: 'demo', password: 'demo123', next: '//evil.test/x' });
    expect(res.headers.location).toBe('/');
  });

  it('shows wrong credentials on the form, without setting a session', async () => {
    const jar: Jar = {};
    const page = await get(jar, '/login');
    const res = await post(jar, '/login', { _csrf: csrfOf(page.body), username: 'demo', password: 'nope' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Wrong user name or password.');
    expect(jar.elide_session).toBeUndefined();
  });

  it('refuses every form POST without the CSRF token, with a wrong one, or with another session’s', async () => {
    revoked.clear();
    const jar: Jar = {};
    await login(jar);
    const other: Jar = {};
    const otherPage = await get(other, '/login');
    const forms: Record<string, string>[] = [{}, { _csrf: 'forged' }, { _csrf: csrfOf(otherPage.body) }];
    for (const form of forms) {
      const res = await post(jar, '/account/tokens', { name: 'x', ...form });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('the form expired or came from another site');
    }
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/auth/tokens')).toBe(false);
    const noCsrfLogin = await post({}, '/login', { username: 'demo', password: 'demo123' });
    expect(noCsrfLogin.statusCode).toBe(403);
  });

  it('creates a token and shows it once, revokes with a redirect', async () => {
    revoked.clear();
    const jar: Jar = {};
    await login(jar);
    const page = await get(jar, '/account/tokens');
    const created = await post(jar, '/account/tokens', { _csrf: csrfOf(page.body), name: 'deploy' });
    expect(created.statusCode).toBe(201);
    expect(created.body).toContain('<code id="new-token">elk_NEWSECRETTOKEN</code>');
    expect(created.headers['cache-control']).toBe('no-store');
    const again = await get(jar, '/account/tokens');
    expect(again.body).not.toContain('elk_NEWSECRETTOKEN');
    const revoke = await post(jar, '/account/tokens/tok-1/revoke', { _csrf: csrfOf(again.body) });
    expect(revoke.statusCode).toBe(303);
    expect(revoke.headers.location).toBe('/account/tokens?notice=token-revoked');
    expect((await get(jar, revoke.headers.location as string)).body).toContain('Token revoked.');
  });

  it('a refused token keeps what was typed in the form, escaped, so nothing has to be retyped', async () => {
    revoked.clear();
    const jar: Jar = {};
    await login(jar);
    const page = await get(jar, '/account/tokens');
    const res = await post(jar, '/account/tokens', {
      _csrf: csrfOf(page.body),
      name: 'ci "deploy" <b>',
      expiresInDays: '-3',
      readonly: '1',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('expected number to be &gt;=1');
    expect(res.body).toContain('name="name" required maxlength="100" value="ci &quot;deploy&quot; &lt;b&gt;"');
    expect(res.body).toContain('name="expiresInDays" type="number" min="1" max="3650" value="-3"');
    expect(res.body).toContain('name="readonly" value="1" checked');
    expect(res.body).not.toContain('id="new-token"');
  });

  it('a refused organization or member keeps what was typed in the form', async () => {
    revoked.clear();
    const jar: Jar = {};
    await login(jar);
    const account = await get(jar, '/account');
    const org = await post(jar, '/orgs', { _csrf: csrfOf(account.body), name: 'Bad Org' });
    expect(org.statusCode).toBe(400);
    expect(org.body).toContain('must be lowercase letters');
    expect(org.body).toContain('id="org-name" name="name" required maxlength="39" pattern="[a-z0-9][a-z0-9\\-]*" value="Bad Org"');
    const member = await post(jar, '/orgs/elide/members', { _csrf: csrfOf(account.body), username: 'nobody', role: 'admin' });
    expect(member.statusCode).toBe(404);
    expect(member.body).toContain('no user &quot;nobody&quot;');
    expect(member.body).toContain('id="member" name="username" required maxlength="100" value="nobody"');
    expect(member.body).toContain('<option selected>admin</option>');
  });

  it('logs out: revokes the token at the API and clears the cookie', async () => {
    revoked.clear();
    const jar: Jar = {};
    await login(jar);
    const page = await get(jar, '/account/tokens');
    const res = await post(jar, '/logout', { _csrf: csrfOf(page.body) });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/elide_session=;/);
    expect(revoked.has('elk_session')).toBe(true);
    const after = await app.inject({ method: 'GET', url: '/account', headers: { cookie: 'elide_session=elk_session' } });
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/login?next=%2Faccount');
  });

  it('answers unknown pages and peer refusals with friendly HTML pages', async () => {
    const res = await get({}, '/no/such/page');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('There is no page at /no/such/page.');
  });

  it('a signed-in visit while the main API is unreachable gets an error page, not a hang or a crash', async () => {
    // A port nobody listens on: the session lookup itself fails.
    const closed = Fastify();
    await closed.listen({ host: '127.0.0.1', port: 0 });
    const { port } = closed.server.address() as { port: number };
    await closed.close();
    const cut = await dashboardOver(`http://127.0.0.1:${port}`);
    try {
      const res = await cut.inject({ url: '/account/tokens', headers: { cookie: 'elide_session=elk_session' } });
      expect(res.statusCode).toBeGreaterThanOrEqual(500);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('main API');
    } finally {
      await cut.close();
    }
  });

  it('serves only the fixed static files, uPlot included', async () => {
    expect((await app.inject('/public/uPlot.iife.min.js')).statusCode).toBe(200);
    expect((await app.inject('/public/app.js')).headers['content-type']).toMatch(/javascript/);
    expect((await app.inject('/public/..%2Fapp.ts')).statusCode).toBe(404);
  });
});
