// The REST, auth, webhook and marketplace rows of the bad-input catalogue (A1-A5, U1/U4/U6/U8, W1) against the
// real main API and marketplace: each case answers its documented status and code and writes no row
// (users, tokens, orgs, webhooks, deployments counted in marketplace.db before and after every case).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, signSessionJwt } from '../../lib/tokens.ts';
import { type BadCase, send, verdict } from '../helpers/bad-input.ts';
import { createUser, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import type { Suite } from '../helpers/suite.ts';

type Target = 'api' | 'marketplace';

function rows(dbFile: string): number {
  const db = new Database(dbFile, { readonly: true, timeout: 10_000 });
  try {
    return [
      'users',
      'api_tokens',
      'orgs',
      'org_members',
      'webhooks',
      'webhook_secrets',
      'mkt_deployments',
      'mkt_budgets',
      'mkt_reviews',
    ].reduce((n, t) => n + (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, 0);
  } finally {
    db.close();
  }
}

describe('bad input: REST API, auth, webhooks, marketplace', () => {
  let suite: Suite;
  let u: SuiteUser;
  let session: string;
  const cases: (BadCase & { on: Target })[] = [];

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'marketplace']);
    u = await createUser(suite, 'bad-api', { role: 'user' });
    const login = await fetch(`${suite.urls.api}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.username, password: u.password }),
    });
    expect(login.status).toBe(200);
    // A genuine session JWT for the login's session row, signed like the dashboard's; the forgeries vary it.
    const loginToken = ((await login.json()) as { token: string }).token;
    const idb = new Database(suite.config.DATABASE_PATH, { readonly: true });
    const sid = (idb.prepare('SELECT id FROM api_tokens WHERE token_hash = ?').get(hashToken(loginToken)) as { id: string }).id;
    const ver = (idb.prepare('SELECT token_version AS v FROM users WHERE id = ?').get(u.id) as { v: number }).v;
    idb.close();
    const secret = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'jwt-secret'), 'utf8').trim();
    const base = { sub: u.id, sid, ver };
    session = signSessionJwt(secret, base, 900);
    const claims = jwt.decode(session) as Record<string, unknown>;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const me = (id: string, what: string, token: string): BadCase & { on: Target } => ({
      on: 'api',
      id,
      what,
      path: '/api/auth/me',
      headers: { authorization: `Bearer ${token}` },
      status: 401,
    });
    const post = (on: Target, id: string, what: string, p: string, body: unknown, status: number | number[], code?: string) => ({
      on,
      id,
      what,
      method: 'POST',
      path: p,
      headers: { ...u.auth, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      status,
      code,
    });
    const hook = (id: string, url: string) =>
      post('api', id, `webhook URL ${url}`, '/api/webhooks', { url, events: ['*'] }, 422, 'WEBHOOK_URL_NOT_ALLOWED');
    const deploy = (id: string, what: string, body: unknown, status: number, code?: string) =>
      post('marketplace', id, what, '/api/deployments', body, status, code);

    cases.push(
      // U1: JWT forgery; the genuine session is checked to work below, so each 401 is the forgery's doing.
      me('U1a', 'JWT alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`),
      me(
        'U1b',
        'JWT signed with another key',
        jwt.sign(base, 'not-the-server-secret-0123456789', {
          algorithm: 'HS256',
          expiresIn: 600,
          issuer: 'elide-marketplace',
          audience: 'elide-marketplace',
        }),
      ),
      me(
        'U1c',
        'JWT expired an hour ago',
        jwt.sign({ ...base, exp: Math.floor(Date.now() / 1000) - 3600 }, secret, { algorithm: 'HS256' }),
      ),
      me(
        'U1d',
        'JWT with future nbf',
        jwt.sign({ ...base, nbf: Math.floor(Date.now() / 1000) + 3600 }, secret, { algorithm: 'HS256', expiresIn: 7200 }),
      ),
      me(
        'U1e',
        'JWT with wrong issuer',
        jwt.sign(base, secret, { algorithm: 'HS256', expiresIn: 600, issuer: 'evil', audience: 'elide-marketplace' }),
      ),
      me(
        'U1f',
        'JWT with wrong audience',
        jwt.sign(base, secret, { algorithm: 'HS256', expiresIn: 600, issuer: 'elide-marketplace', audience: 'evil' }),
      ),
      me(
        'U1g',
        'JWT HS512 (algorithm not pinned)',
        jwt.sign(base, secret, { algorithm: 'HS512', expiresIn: 600, issuer: 'elide-marketplace', audience: 'elide-marketplace' }),
      ),
      me(
        'U1h',
        'JWT payload tampered (sub changed)',
        `${session.split('.')[0]}.${b64({ ...claims, sub: 'user-admin' })}.${session.split('.')[2]}`,
      ),
      me('U2a', 'elk_ token with a bad checksum', `${u.token.slice(0, -2)}${u.token.endsWith('AA') ? 'BB' : 'AA'}`),
      me('U2b', 'random bearer garbage', 'x'.repeat(5000)),
      post(
        'api',
        'U4a',
        'login with an unknown user',
        '/api/auth/login',
        { username: 'nobody-here', password: 'whatever-123' },
        401,
        'INVALID_CREDENTIALS',
      ),
      post(
        'api',
        'U4b',
        'login with a wrong password',
        '/api/auth/login',
        { username: u.username, password: 'wrong-password-1' },
        401,
        'INVALID_CREDENTIALS',
      ),
      post(
        'api',
        'U6',
        'register with a 73-byte password',
        '/api/auth/register',
        { username: 'long-pw', email: 'lp@example.test', password: 'p'.repeat(73) },
        [400, 201],
      ),
      post(
        'api',
        'A1a',
        '__proto__ in a register body',
        '/api/auth/register',
        '{"username":"proto-user","email":"p@example.test","password":"password-123","__proto__":{"role":"admin"}}',
        400,
      ),
      post(
        'api',
        'A1b',
        'constructor.prototype in a token body',
        '/api/auth/tokens',
        '{"name":"t","constructor":{"prototype":{"role":"admin"}}}',
        400,
      ),
      post(
        'api',
        'A2a',
        'role field on register',
        '/api/auth/register',
        { username: 'role-user', email: 'r@example.test', password: 'password-123', role: 'admin' },
        400,
      ),
      post('api', 'A4a', 'invalid JSON', '/api/auth/register', '{"username": ', 400),
      post('api', 'A4b', '10 000-deep nesting', '/api/orgs', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, 400),
      {
        ...post('api', 'A4c', 'JSON body sent as text/plain', '/api/orgs', '{"name":"plain-org"}', 415),
        headers: { ...u.auth, 'content-type': 'text/plain' },
      },
      post('api', 'A4d', '2 MiB JSON body', '/api/orgs', JSON.stringify({ name: 'big', pad: 'x'.repeat(2 * 1024 * 1024) }), [400, 413]),
      post(
        'api',
        'A4e',
        'invalid UTF-8 bytes',
        '/api/orgs',
        Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1'),
        400,
      ),
      post('api', 'A4f', 'org name with path traversal', '/api/orgs', { name: '../../etc' }, 400),
      { on: 'api', id: 'A5a', what: 'limit=1e9', path: '/api/orgs?limit=1000000000', headers: u.auth, status: [400, 200] },
      { on: 'api', id: 'A5b', what: 'offset=-1', path: '/api/audit?offset=-1', headers: u.auth, status: 400 },
      {
        on: 'api',
        id: 'A5c',
        what: 'SQL in a filter',
        path: `/api/audit?action=${encodeURIComponent("x' OR 1=1;DROP TABLE users;--")}`,
        headers: u.auth,
        status: [200, 400],
      },
      {
        on: 'api',
        id: 'A6',
        what: 'internal route with a user token',
        method: 'POST',
        path: '/internal/users/ensure',
        headers: { ...u.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'x', email: 'x@example.test', password: 'password-123', role: 'admin', plan: 'team' }),
        status: 403,
        code: 'INTERNAL_ONLY',
      },
      hook('W1a', 'http://127.0.0.1/hook'),
      hook('W1b', 'http://[::1]/hook'),
      hook('W1c', 'http://[::ffff:127.0.0.1]/hook'),
      hook('W1d', 'http://[0:0:0:0:0:ffff:7f00:1]/hook'),
      hook('W1e', 'http://2130706433/hook'),
      hook('W1f', 'http://0x7f.1/hook'),
      hook('W1g', 'http://169.254.169.254/latest/meta-data'),
      hook('W1h', 'http://metadata.google.internal/'),
      hook('W1i', 'http://10.0.0.1/hook'),
      hook('W1j', 'http://[fd00::1]/hook'),
      hook('W1k', 'http://[64:ff9b::7f00:1]/hook'),
      hook('W1l', 'file:///etc/passwd'),
      hook('W1m', 'gopher://example.com/'),
      hook('W1n', 'http://user:pw@example.com/hook'),
      hook('W1o', 'http://localhost:3000/hook'),
      hook('W1p', 'http://0.0.0.0/hook'),
      post('api', 'W1q', 'unknown event type', '/api/webhooks', { url: 'https://example.com/hook', events: ['no.such.event'] }, 400),
      deploy(
        'D1',
        'unknown service',
        { serviceId: 'svc-nope', name: 'x1', config: { tier: 'starter', region: 'eu-west-1' } },
        400,
        'UNKNOWN_SERVICE',
      ),
      deploy(
        'D2',
        'unknown tier',
        { serviceId: 'svc-postgres', name: 'x2', config: { tier: 'galactic', region: 'eu-west-1' } },
        400,
        'UNKNOWN_TIER',
      ),
      deploy(
        'D3',
        'unknown region',
        { serviceId: 'svc-postgres', name: 'x3', config: { tier: 'starter', region: 'mars-1' } },
        400,
        'UNKNOWN_REGION',
      ),
      deploy(
        'D4',
        'owner_id smuggled in the body',
        { serviceId: 'svc-postgres', name: 'x4', owner_id: 'user-admin', config: { tier: 'starter', region: 'eu-west-1' } },
        400,
      ),
      deploy(
        'D5',
        'name with a newline and markup',
        { serviceId: 'svc-postgres', name: 'a\n<script>', config: { tier: 'starter', region: 'eu-west-1' } },
        400,
      ),
      {
        on: 'marketplace',
        id: 'D6',
        what: 'deployment without a token',
        method: 'POST',
        path: '/api/deployments',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serviceId: 'svc-postgres', name: 'x6', config: { tier: 'starter', region: 'eu-west-1' } }),
        status: 401,
      },
      post('marketplace', 'D7', 'budget with a negative amount', '/api/billing/budgets', { amount: -5 }, 400, 'BUDGET_INVALID'),
      {
        on: 'marketplace',
        id: 'D8',
        what: 'GET a deployment id with traversal',
        path: '/api/deployments/..%2f..%2fetc',
        headers: u.auth,
        status: [400, 404],
      },
    );
  }, 120_000);
  afterAll(async () => suite?.stopAll());

  it('accepts the genuine session (control for the forged JWTs)', async () => {
    const res = await fetch(`${suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${session}` } });
    expect(res.status).toBe(200);
  });

  it('answers every case with its documented status and writes no row', async () => {
    const failures: string[] = [];
    const bodies: Record<string, string> = {};
    for (const c of cases) {
      const before = rows(suite.config.DATABASE_PATH);
      const r = await send(c.on === 'api' ? suite.urls.api : suite.urls.marketplace, c);
      bodies[c.id] = r.body;
      const problems = verdict(c, r);
      const created = r.status < 300 && ['U6'].includes(c.id);
      const after = rows(suite.config.DATABASE_PATH);
      if (!created && after !== before) problems.push(`rows ${before} -> ${after}`);
      if (problems.length) failures.push(`${c.id} ${c.what}: ${problems.join('; ')}`);
    }
    // U4: an unknown user and a wrong password are indistinguishable (same status, same error and code).
    const strip = (b: string) => JSON.stringify({ ...JSON.parse(b), requestId: undefined });
    if (strip(bodies.U4a) !== strip(bodies.U4b)) failures.push(`U4 bodies differ: ${bodies.U4a} vs ${bodies.U4b}`);
    // A1: no prototype pollution reached the process (a fresh object still has no role).
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    console.info(`bad-input-api: ${cases.length} cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 300_000);
});
