// Accounts: register, login, logout, me, password change, and credentials that must be refused (forged JWTs,
// bad checksums, revoked, expired, disabled).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../lib/auth.ts';
import { openDatabase } from '../../lib/db.ts';
import { generateApiToken, isWellFormedApiToken, signSessionJwt } from '../../lib/tokens.ts';
import { testSecrets } from '../helpers/config.ts';
import { type AuthFixture, buildAuthApp } from './api-auth-fixture.ts';

const UNAUTHORIZED = {
  error: 'authentication required: send Authorization: Bearer <token> (the token may be revoked or expired)',
  code: 'UNAUTHORIZED',
};
const INVALID_LOGIN = { error: 'invalid username or password', code: 'INVALID_CREDENTIALS' };

let f: AuthFixture;
afterEach(async () => f?.app.close());

describe('POST /api/auth/register', () => {
  it('201 with userId, username and an elk_ token; the new user has role user and the Free plan', async () => {
    f = await buildAuthApp();
    const res = await f.send('POST', '/api/auth/register', undefined, {
      username: 'johndoe',
      email: 'john@example.com',
      password: 'secure_password',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      userId: expect.stringMatching(/^user-/),
      username: 'johndoe',
      role: 'user',
      token: expect.any(String),
      expiresAt: '2026-01-08T00:00:00.000Z',
    });
    expect(isWellFormedApiToken(body.token)).toBe(true);
    const me = await f.get('/api/auth/me', body.token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      userId: body.userId,
      username: 'johndoe',
      email: 'john@example.com',
      role: 'user',
      plan: { id: 'free', name: 'Free', limits: { activeDeployments: 1, webhooks: false, privatePackages: false } },
      usage: { activeDeployments: null, webhooks: 0, privatePackages: null, storageBytes: null, apiTokens: 0, orgs: 0 },
      // When the account was made (npm profile get shows it): the test clock's registration time.
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    // The password is stored as a bcrypt hash, never in clear.
    const row = f.db.prepare('SELECT password_hash FROM users WHERE username = ?').get('johndoe') as { password_hash: string };
    expect(row.password_hash).toMatch(/^\$2[aby]\$04\$/);
  });

  it('400 for a reserved name (it would be the @npm or @admin scope) and a password of spaces; nothing is created', async () => {
    f = await buildAuthApp();
    const register = (username: string, password = 'secure_password') =>
      f.send('POST', '/api/auth/register', undefined, { username, email: `${username}@example.com`, password });
    for (const name of ['npm', 'admin', 'registry']) {
      const res = await register(name);
      expect([res.statusCode, res.json().code], name).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.json().error).toBe('invalid body: username: is reserved: choose another name');
    }
    const spaces = await register('spacey', '        ');
    expect([spaces.statusCode, spaces.json().error]).toEqual([400, 'invalid body: password: must contain something besides spaces']);
    expect(f.db.prepare("SELECT count(*) FROM users WHERE username IN ('npm', 'registry', 'spacey')").pluck().get()).toBe(0);
  });

  it('409 for a taken username, a taken email (any case) or an org name; nothing is created', async () => {
    f = await buildAuthApp();
    const a = await f.register('alice');
    const dupName = await f.send('POST', '/api/auth/register', undefined, {
      username: 'alice',
      email: 'other@example.com',
      password: 'password-1',
    });
    expect(dupName.statusCode).toBe(409);
    expect(dupName.json()).toEqual({ error: 'username "alice" is already taken', code: 'USERNAME_TAKEN' });
    const dupMail = await f.send('POST', '/api/auth/register', undefined, {
      username: 'alice2',
      email: 'ALICE@example.com',
      password: 'password-1',
    });
    expect(dupMail.statusCode).toBe(409);
    expect(dupMail.json()).toEqual({ error: 'an account with this email already exists', code: 'EMAIL_TAKEN' });
    expect((await f.send('POST', '/api/orgs', a.token, { name: 'acme' })).statusCode).toBe(201);
    const orgName = await f.send('POST', '/api/auth/register', undefined, {
      username: 'acme',
      email: 'acme@example.com',
      password: 'password-1',
    });
    expect(orgName.statusCode).toBe(409);
    expect(orgName.json().code).toBe('USERNAME_TAKEN');
    expect((f.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(1);
  });

  it.each([
    ['missing password', { username: 'bob', email: 'bob@example.com' }, 'password'],
    ['short password', { username: 'bob', email: 'bob@example.com', password: 'short' }, 'password'],
    ['73-byte password (bcrypt would truncate)', { username: 'bob', email: 'bob@example.com', password: 'x'.repeat(73) }, 'password'],
    ['uppercase name', { username: 'Bob', email: 'bob@example.com', password: 'password-1' }, 'username'],
    ['SQL in the name', { username: "bob'; DROP TABLE users;--", email: 'bob@example.com', password: 'password-1' }, 'username'],
    ['script in the email', { username: 'bob', email: '<script>alert(1)</script>', password: 'password-1' }, 'email'],
    ['over-long name', { username: 'b'.repeat(215), email: 'bob@example.com', password: 'password-1' }, 'username'],
    ['wrong type', { username: 42, email: 'bob@example.com', password: 'password-1' }, 'username'],
    ['extra field (role)', { username: 'bob', email: 'bob@example.com', password: 'password-1', role: 'admin' }, 'role'],
  ])('400 for %s, naming the field; nothing created', async (_what, payload, field) => {
    f = await buildAuthApp();
    const res = await f.send('POST', '/api/auth/register', undefined, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    // The field is named either as the path or, for an unexpected key, in the message.
    expect(res.json().details.some((d: { field: string; message: string }) => d.field === field || d.message.includes(`"${field}"`))).toBe(
      true,
    );
    expect((f.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(0);
  });

  it('400 for a __proto__ payload; no property pollution', async () => {
    f = await buildAuthApp();
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":"pat","email":"pat@example.com","password":"password-1","__proto__":{"role":"admin"}}',
    });
    expect(res.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect((f.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(0);
  });

  it('400 for a body that is not JSON', async () => {
    f = await buildAuthApp();
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'request body is not valid JSON', code: 'INVALID_JSON' });
  });

  it('429 with Retry-After once an IP has used its registration budget', async () => {
    f = await buildAuthApp({ rateLimits: { registerPerIp: { max: 2 } } });
    await f.register('u1');
    await f.register('u2');
    const res = await f.send('POST', '/api/auth/register', undefined, { username: 'u3', email: 'u3@example.com', password: 'password-1' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3600');
    expect(res.json()).toEqual({ error: 'too many requests: try again in 3600 seconds', code: 'RATE_LIMITED' });
    // Another IP is not affected.
    const other = await f.send(
      'POST',
      '/api/auth/register',
      undefined,
      { username: 'u3', email: 'u3@example.com', password: 'password-1' },
      { remoteAddress: '10.0.0.9' },
    );
    expect(other.statusCode).toBe(201);
  });
});

describe('POST /api/auth/login', () => {
  it('200 with a session token that expires after TOKEN_EXPIRY (7 days)', async () => {
    f = await buildAuthApp();
    const u = await f.register('carol');
    const res = await f.send('POST', '/api/auth/login', undefined, { username: 'carol', password: 'carol-password' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      userId: u.userId,
      username: 'carol',
      role: 'user',
      token: expect.stringMatching(/^elk_/),
      expiresAt: '2026-01-08T00:00:00.000Z',
    });
    const token = res.json().token;
    const row = f.db.prepare("SELECT kind FROM api_tokens WHERE kind = 'session' AND name = 'login session'").get();
    expect(row).toEqual({ kind: 'session' });
    expect((await f.get('/api/auth/me', token)).statusCode).toBe(200);
    f.clock.advance(7 * 86_400_000);
    const expired = await f.get('/api/auth/me', token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual(UNAUTHORIZED);
  });

  it('unknown user and wrong password give the same 401 body; both are audited', async () => {
    f = await buildAuthApp();
    await f.register('dave');
    const unknown = await f.send('POST', '/api/auth/login', undefined, { username: 'nobody', password: 'whatever-1' });
    const wrong = await f.send('POST', '/api/auth/login', undefined, { username: 'dave', password: 'not-his-password' });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
    expect(unknown.json()).toEqual(INVALID_LOGIN);
    const actions = f.db.prepare("SELECT actor_username FROM audit_log WHERE action = 'auth.login.failed' ORDER BY id").all();
    expect(actions).toEqual([{ actor_username: 'nobody' }, { actor_username: 'dave' }]);
  });

  it('an unknown user costs the same one bcrypt compare as a wrong password (no timing oracle)', async () => {
    f = await buildAuthApp();
    await f.register('dora');
    const spy = vi.spyOn(bcrypt, 'compare');
    try {
      await f.send('POST', '/api/auth/login', undefined, { username: 'nobody', password: 'whatever-1' });
      await f.send('POST', '/api/auth/login', undefined, { username: 'dora', password: 'not-her-password' });
      expect(spy).toHaveBeenCalledTimes(2);
      const hashes = spy.mock.calls.map((c) => String(c[1]));
      // Both compares run against a real bcrypt hash of the configured cost.
      expect(hashes.every((h) => /^\$2[aby]\$04\$.{53}$/.test(h))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('400 for missing fields or extra fields', async () => {
    f = await buildAuthApp();
    expect((await f.send('POST', '/api/auth/login', undefined, { username: 'x' })).statusCode).toBe(400);
    expect((await f.send('POST', '/api/auth/login', undefined, { username: 'x', password: 'y', admin: true })).statusCode).toBe(400);
  });

  it('429 with Retry-After after 3 attempts on one name, even from different IPs, and the window ends by itself', async () => {
    f = await buildAuthApp({ rateLimits: { loginPerUser: { max: 3 } } });
    await f.register('erin');
    for (let i = 0; i < 3; i++) {
      const r = await f.send(
        'POST',
        '/api/auth/login',
        undefined,
        { username: 'erin', password: 'guess-0000' },
        { remoteAddress: `10.0.0.${i + 1}` },
      );
      expect(r.statusCode).toBe(401);
    }
    const limited = await f.send(
      'POST',
      '/api/auth/login',
      undefined,
      { username: 'erin', password: 'erin-password' },
      { remoteAddress: '10.0.0.99' },
    );
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.json()).toEqual({ error: 'too many requests: try again in 60 seconds', code: 'RATE_LIMITED' });
    // No permanent lockout: after the window the right password works.
    f.clock.advance(60_000);
    expect((await f.send('POST', '/api/auth/login', undefined, { username: 'erin', password: 'erin-password' })).statusCode).toBe(200);
  });

  it('X-Forwarded-For does not change the rate-limit key (trustProxy is off)', async () => {
    f = await buildAuthApp({ rateLimits: { loginPerIp: { max: 2 } } });
    for (let i = 0; i < 2; i++)
      await f.send(
        'POST',
        '/api/auth/login',
        undefined,
        { username: `n${i}`, password: 'guess-0000' },
        { headers: { 'x-forwarded-for': `1.2.3.${i}` } },
      );
    const res = await f.send(
      'POST',
      '/api/auth/login',
      undefined,
      { username: 'n9', password: 'guess-0000' },
      { headers: { 'x-forwarded-for': '9.9.9.9' } },
    );
    expect(res.statusCode).toBe(429);
  });
});

describe('requests forwarded by our own processes', () => {
  it('x-elide-client-ip names the client only with the internal token (the registry forwarding npm login)', async () => {
    f = await buildAuthApp({ rateLimits: { loginPerIp: { max: 1 } } });
    const login = (headers: Record<string, string>) =>
      f.send('POST', '/api/auth/login', undefined, { username: 'nobody', password: 'guess-0000' }, { headers });
    const internal = { 'x-internal-token': testSecrets.internalToken };
    expect((await login({ ...internal, 'x-elide-client-ip': '203.0.113.1' })).statusCode).toBe(401);
    expect((await login({ ...internal, 'x-elide-client-ip': '203.0.113.2' })).statusCode).toBe(401);
    expect((await login({ ...internal, 'x-elide-client-ip': '203.0.113.1' })).statusCode).toBe(429);
    // Without the internal token the header is ignored: the socket address (127.0.0.1) is the key.
    expect((await login({ 'x-elide-client-ip': '198.51.100.1' })).statusCode).toBe(401);
    expect((await login({ 'x-elide-client-ip': '198.51.100.2', 'x-internal-token': 'wrong-token-0123456789' })).statusCode).toBe(429);
    const ips = f.db.prepare("SELECT ip FROM audit_log WHERE action = 'auth.login.failed' ORDER BY id").all();
    expect(ips).toEqual([{ ip: '203.0.113.1' }, { ip: '203.0.113.2' }, { ip: '127.0.0.1' }]);
  });
});

describe('POST /api/auth/logout', () => {
  it('revokes the token used; it is refused afterwards; other sessions keep working', async () => {
    f = await buildAuthApp();
    const u = await f.register('fay');
    const second = (await f.send('POST', '/api/auth/login', undefined, { username: 'fay', password: 'fay-password' })).json().token;
    const res = await f.send('POST', '/api/auth/logout', u.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    expect((await f.get('/api/auth/me', u.token)).json()).toEqual(UNAUTHORIZED);
    expect((await f.get('/api/auth/me', second)).statusCode).toBe(200);
    expect((await f.send('POST', '/api/auth/logout', u.token)).statusCode).toBe(401);
  });

  it('401 without a token', async () => {
    f = await buildAuthApp();
    const res = await f.send('POST', '/api/auth/logout', undefined);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });
});

describe('credentials that are refused with 401', () => {
  it('a token with a bad checksum, an unknown well-formed token, garbage, and an unknown scheme', async () => {
    f = await buildAuthApp();
    const u = await f.register('gus');
    const last = u.token.at(-1) === 'A' ? 'B' : 'A';
    const badCrc = u.token.slice(0, -1) + last;
    for (const header of [`Bearer ${badCrc}`, `Bearer ${generateApiToken()}`, 'Bearer nonsense', `Token ${u.token}`, 'Bearer ']) {
      const res = await f.get('/api/auth/me', undefined, { headers: { authorization: header } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(UNAUTHORIZED);
    }
  });

  it('JWTs: a valid session JWT works; alg none, wrong key, HS512, expired, altered and revoked ones are refused', async () => {
    f = await buildAuthApp();
    const u = await f.register('hana');
    const sid = (f.db.prepare('SELECT id FROM api_tokens WHERE user_id = ?').get(u.userId) as { id: string }).id;
    const claims = { sub: u.userId, sid, ver: 0 };
    const good = signSessionJwt(testSecrets.jwtSecret, claims, 900);
    expect((await f.get('/api/auth/me', good)).json().username).toBe('hana');

    const opts = { issuer: 'elide-marketplace', audience: 'elide-marketplace', expiresIn: 900 };
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url');
    const payload = header({ ...claims, iss: 'elide-marketplace', aud: 'elide-marketplace', exp: Math.floor(Date.now() / 1000) + 900 });
    const [h, p, s] = good.split('.');
    const forged = [
      `${header({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      jwt.sign(claims, 'a-different-secret-0123456789abcdef', { ...opts, algorithm: 'HS256' }),
      jwt.sign(claims, testSecrets.jwtSecret, { ...opts, algorithm: 'HS512' }),
      jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }, testSecrets.jwtSecret, {
        algorithm: 'HS256',
        issuer: opts.issuer,
        audience: opts.audience,
      }),
      jwt.sign(claims, testSecrets.jwtSecret, { ...opts, algorithm: 'HS256', audience: 'someone-else' }),
      `${h}.${header({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'user-other' })}.${s}`,
      signSessionJwt(testSecrets.jwtSecret, { ...claims, ver: 1 }, 900),
    ];
    for (const token of forged) {
      const res = await f.get('/api/auth/me', token);
      expect(res.statusCode, token).toBe(401);
      expect(res.json()).toEqual(UNAUTHORIZED);
    }
    await f.send('POST', '/api/auth/logout', u.token);
    expect((await f.get('/api/auth/me', good)).statusCode).toBe(401);
  });

  it('a token with a bad checksum is refused without touching the database', () => {
    let opened = 0;
    const auth = createAuthenticator(() => {
      opened++;
      throw new Error('no database in this test');
    }, testSecrets.jwtSecret);
    const good = generateApiToken();
    const bad = good.slice(0, -1) + (good.at(-1) === 'A' ? 'B' : 'A');
    expect(auth.authenticate({ kind: 'bearer', token: bad })).toBeUndefined();
    expect(auth.authenticate({ kind: 'bearer', token: 'elk_short' })).toBeUndefined();
    expect(opened).toBe(0);
    // A well-formed one does reach the database (and is refused when it cannot be read).
    expect(auth.authenticate({ kind: 'bearer', token: good })).toBeUndefined();
    expect(opened).toBe(1);
  });

  it('a JWT that is not valid yet (nbf in the future) is refused', async () => {
    f = await buildAuthApp();
    const u = await f.register('nell');
    const sid = (f.db.prepare('SELECT id FROM api_tokens WHERE user_id = ?').get(u.userId) as { id: string }).id;
    const early = jwt.sign({ sub: u.userId, sid, ver: 0 }, testSecrets.jwtSecret, {
      algorithm: 'HS256',
      issuer: 'elide-marketplace',
      audience: 'elide-marketplace',
      expiresIn: 900,
      notBefore: 600,
    });
    expect((await f.get('/api/auth/me', early)).statusCode).toBe(401);
  });

  it('tokens and JWTs of a deleted user are refused', async () => {
    f = await buildAuthApp();
    const u = await f.register('olaf');
    const sid = (f.db.prepare('SELECT id FROM api_tokens WHERE user_id = ?').get(u.userId) as { id: string }).id;
    const token = signSessionJwt(testSecrets.jwtSecret, { sub: u.userId, sid, ver: 0 }, 900);
    f.db.prepare('DELETE FROM users WHERE id = ?').run(u.userId);
    expect((await f.get('/api/auth/me', u.token)).json()).toEqual(UNAUTHORIZED);
    expect((await f.get('/api/auth/me', token)).json()).toEqual(UNAUTHORIZED);
  });

  it('Basic auth carries a token as the password for its own user name only', async () => {
    f = await buildAuthApp();
    const u = await f.register('ivan');
    await f.register('judy');
    const basic = (user: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${u.token}`).toString('base64')}` } });
    expect((await f.get('/api/auth/me', undefined, basic('ivan'))).statusCode).toBe(200);
    expect((await f.get('/api/auth/me', undefined, basic('__token__'))).statusCode).toBe(200);
    expect((await f.get('/api/auth/me', undefined, basic('judy'))).statusCode).toBe(401);
  });
});

describe('identity rows kept between requests', () => {
  // Every process keeps the rows of recent credentials until the identity tables may have changed: these are
  // the ways a kept row could outlive the truth.
  it('another process revoking a token or disabling its user is seen on the next request', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-cache-'));
    f = await buildAuthApp({}, path.join(dir, 'marketplace.db'));
    const reader = openDatabase(path.join(dir, 'marketplace.db'), { readonly: true });
    try {
      const auth = createAuthenticator(
        () => reader,
        testSecrets.jwtSecret,
        () => f.clock.now(),
      );
      const ann = await f.register('ann');
      const bob = await f.register('bob');
      const bobJwt = (await f.send('POST', '/api/auth/login', undefined, { username: 'bob', password: 'bob-password' })).json().token;
      const who = (token: string) => auth.authenticate({ kind: 'bearer', token }, '127.0.0.1')?.username;
      expect([who(ann.token), who(ann.token), who(bob.token), who(bobJwt)]).toEqual(['ann', 'ann', 'bob', 'bob']);

      expect((await f.send('POST', '/api/auth/logout', ann.token)).statusCode).toBe(200);
      expect(who(ann.token)).toBeUndefined();
      expect(who(bob.token)).toBe('bob');

      f.db.prepare('UPDATE users SET disabled_at = ? WHERE username = ?').run(new Date().toISOString(), 'bob');
      expect(who(bob.token)).toBeUndefined();
      expect(who(bobJwt)).toBeUndefined();
    } finally {
      reader.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("this process's own writes are seen at once, and a row read inside a rolled-back transaction is not kept", async () => {
    f = await buildAuthApp();
    const auth = createAuthenticator(
      () => f.db,
      testSecrets.jwtSecret,
      () => f.clock.now(),
    );
    const cy = await f.register('cy');
    const who = () => auth.authenticate({ kind: 'bearer', token: cy.token }, '127.0.0.1')?.username;
    expect(who()).toBe('cy');
    const revokeInside = f.db.transaction(() => {
      f.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ?').run(new Date().toISOString(), cy.userId);
      expect(who()).toBeUndefined();
      throw new Error('roll back');
    });
    expect(revokeInside).toThrow('roll back');
    expect(who()).toBe('cy');
    f.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ?').run(new Date().toISOString(), cy.userId);
    expect(who()).toBeUndefined();
  });

  it('a kept row still expires on time and still checks the CIDR list per request', async () => {
    f = await buildAuthApp();
    const auth = createAuthenticator(
      () => f.db,
      testSecrets.jwtSecret,
      () => f.clock.now(),
    );
    const dee = await f.register('dee');
    f.db.prepare('UPDATE api_tokens SET cidr_allow = ? WHERE user_id = ?').run(JSON.stringify(['10.0.0.0/8']), dee.userId);
    const who = (ip: string) => auth.authenticate({ kind: 'bearer', token: dee.token }, ip)?.username;
    expect([who('10.1.2.3'), who('192.0.2.1'), who('10.1.2.3')]).toEqual(['dee', undefined, 'dee']);
    f.clock.set(Date.parse(dee.expiresAt));
    expect(who('10.1.2.3')).toBeUndefined();
  });
});

describe('POST /api/auth/password', () => {
  it('403 for a wrong current password; nothing changes', async () => {
    f = await buildAuthApp();
    const u = await f.register('kim');
    const res = await f.send('POST', '/api/auth/password', u.token, { currentPassword: 'wrong-password', newPassword: 'new-password-1' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'the current password is not correct', code: 'WRONG_PASSWORD' });
    expect((await f.send('POST', '/api/auth/login', undefined, { username: 'kim', password: 'kim-password' })).statusCode).toBe(200);
  });

  it('changes the password, revokes every other session and voids older JWTs; the current token and API tokens stay', async () => {
    f = await buildAuthApp();
    const u = await f.register('lea');
    const other = (await f.send('POST', '/api/auth/login', undefined, { username: 'lea', password: 'lea-password' })).json().token;
    const api = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'ci' })).json().token;
    const sid = (
      f.db.prepare("SELECT id FROM api_tokens WHERE user_id = ? AND name = 'registration session'").get(u.userId) as { id: string }
    ).id;
    const oldJwt = signSessionJwt(testSecrets.jwtSecret, { sub: u.userId, sid, ver: 0 }, 900);
    const res = await f.send('POST', '/api/auth/password', u.token, { currentPassword: 'lea-password', newPassword: 'brand-new-pass' });
    expect(res.statusCode).toBe(200);
    // revokedTokens counts the sessions signed out: the other login, not the API token.
    expect(res.json()).toEqual({ success: true, revokedTokens: 1 });
    expect((await f.get('/api/auth/me', u.token)).statusCode).toBe(200);
    expect((await f.get('/api/auth/me', other)).statusCode).toBe(401);
    // An API token (a CI job's) lives until revoked or expired, as GitHub keeps personal access tokens.
    expect((await f.get('/api/auth/me', api)).statusCode).toBe(200);
    expect((await f.get('/api/auth/me', oldJwt)).statusCode).toBe(401);
    expect((await f.send('POST', '/api/auth/login', undefined, { username: 'lea', password: 'lea-password' })).statusCode).toBe(401);
    expect((await f.send('POST', '/api/auth/login', undefined, { username: 'lea', password: 'brand-new-pass' })).statusCode).toBe(200);
  });

  it('400 PASSWORD_UNCHANGED for a new password equal to the current one; nothing changes', async () => {
    f = await buildAuthApp();
    const u = await f.register('ned');
    const other = (await f.send('POST', '/api/auth/login', undefined, { username: 'ned', password: 'ned-password' })).json().token;
    const res = await f.send('POST', '/api/auth/password', u.token, { currentPassword: 'ned-password', newPassword: 'ned-password' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'the new password is the same as the current one: choose another; nothing was changed',
      code: 'PASSWORD_UNCHANGED',
      details: [{ field: 'newPassword', message: 'must differ from the current password' }],
    });
    expect((await f.get('/api/auth/me', other)).statusCode).toBe(200);
    const version = f.db.prepare('SELECT token_version FROM users WHERE id = ?').get(u.userId) as { token_version: number };
    expect(version.token_version).toBe(0);
    expect(f.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.password.change'").get()).toEqual({ n: 0 });
  });

  it('400 for a too-short new password, 401 without a token', async () => {
    f = await buildAuthApp();
    const u = await f.register('max');
    expect(
      (await f.send('POST', '/api/auth/password', u.token, { currentPassword: 'max-password', newPassword: 'short' })).statusCode,
    ).toBe(400);
    expect(
      (await f.send('POST', '/api/auth/password', undefined, { currentPassword: 'max-password', newPassword: 'long-enough-1' })).statusCode,
    ).toBe(401);
  });
});
