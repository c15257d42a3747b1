// API tokens: create (shown once, sha256 at rest), list, revoke, read-only, expiry, CIDR allow-list,
// last use, and the IDOR cases (another user's token id is 404 and stays alive).
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken, isWellFormedApiToken } from '../../lib/tokens.ts';
import { testSecrets } from '../helpers/config.ts';
import { type AuthFixture, buildAuthApp } from './api-auth-fixture.ts';

let f: AuthFixture;
afterEach(async () => f?.app.close());

describe('POST /api/auth/tokens', () => {
  it('201 with the token shown once; only its sha256 is stored; it authenticates', async () => {
    f = await buildAuthApp();
    const u = await f.register('alice');
    const res = await f.send('POST', '/api/auth/tokens', u.token, {
      name: 'ci',
      expiresInDays: 30,
      readonly: true,
      cidrAllow: ['127.0.0.0/8'],
    });
    expect(res.statusCode).toBe(201);
    const t = res.json();
    expect(t).toEqual({
      id: expect.stringMatching(/^tok-/),
      name: 'ci',
      kind: 'api',
      token: expect.any(String),
      prefix: `${t.token.slice(0, 8)}…${t.token.slice(-4)}`,
      readonly: true,
      cidrAllow: ['127.0.0.0/8'],
      createdAt: '2026-01-01T00:00:00.000Z',
      lastUsedAt: null,
      expiresAt: '2026-01-31T00:00:00.000Z',
    });
    expect(isWellFormedApiToken(t.token)).toBe(true);
    const row = f.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(t.id) as Record<string, unknown>;
    expect(row.token_hash).toBe(hashToken(t.token));
    expect(JSON.stringify(row)).not.toContain(t.token);
    const me = await f.get('/api/auth/me', t.token);
    expect(me.json()).toMatchObject({ username: 'alice', tokenKind: 'api', readonly: true });
  });

  it('400 for a missing name, a bad CIDR, a negative expiry or an extra field; 401 without a token', async () => {
    f = await buildAuthApp();
    const u = await f.register('bob');
    for (const body of [
      {},
      { name: 'x', cidrAllow: ['not-an-ip'] },
      { name: 'x', cidrAllow: ['10.0.0.0/33'] },
      { name: 'x', expiresInDays: -1 },
      { name: 'x', userId: 'user-other' },
    ]) {
      const res = await f.send('POST', '/api/auth/tokens', u.token, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await f.send('POST', '/api/auth/tokens', undefined, { name: 'x' })).statusCode).toBe(401);
    expect((f.db.prepare("SELECT count(*) AS n FROM api_tokens WHERE kind = 'api'").get() as { n: number }).n).toBe(0);
  });

  it('403 when a read-only token tries to create a token', async () => {
    f = await buildAuthApp();
    const u = await f.register('cara');
    const ro = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'ro', readonly: true })).json().token;
    const res = await f.send('POST', '/api/auth/tokens', ro, { name: 'escalate' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: 'this token is read-only: use a read-write token to make changes (npm token create makes one, as does the dashboard)',
      code: 'TOKEN_READONLY',
    });
  });

  it('429 with Retry-After past the per-user creation budget', async () => {
    f = await buildAuthApp({ rateLimits: { tokenCreatePerUser: { max: 2 } } });
    const u = await f.register('dan');
    for (let i = 0; i < 2; i++) expect((await f.send('POST', '/api/auth/tokens', u.token, { name: `t${i}` })).statusCode).toBe(201);
    const res = await f.send('POST', '/api/auth/tokens', u.token, { name: 't3' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3600');
  });

  it('an expiring token stops working at its expiry; a CIDR-bound token only works from its range', async () => {
    f = await buildAuthApp();
    const u = await f.register('eve');
    const short = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'short', expiresInDays: 1 })).json().token;
    const bound = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'bound', cidrAllow: ['10.0.0.0/8', '2001:db8::/32'] })).json()
      .token;
    expect((await f.get('/api/auth/me', short)).statusCode).toBe(200);
    // From outside its ranges the 401 says so, with the challenge npm reads to print "Login is not allowed from
    // your IP address" (EAUTHIP); an expired token keeps the generic answer.
    const outside = await f.get('/api/auth/me', bound);
    expect(outside.statusCode).toBe(401);
    expect(outside.headers['www-authenticate']).toBe('ipaddress');
    expect(outside.json()).toEqual({
      error:
        'this token may be used only from 10.0.0.0/8, 2001:db8::/32, and this request came from 127.0.0.1: use it from there, or create a token for this address',
      code: 'TOKEN_ADDRESS_NOT_ALLOWED',
      details: { allowed: ['10.0.0.0/8', '2001:db8::/32'], ip: '127.0.0.1' },
    });
    expect((await f.get('/api/auth/me', bound, { remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    f.clock.advance(86_400_000);
    const expired = await f.get('/api/auth/me', short);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('UNAUTHORIZED');
    expect(expired.headers['www-authenticate']).toBeUndefined();
    // Revoked, a bound token is refused the generic way wherever it comes from.
    const listed = (await f.get('/api/auth/tokens', u.token)).json().tokens as { id: string; name: string }[];
    await f.send('DELETE', `/api/auth/tokens/${listed.find((t) => t.name === 'bound')!.id}`, u.token);
    expect((await f.get('/api/auth/me', bound)).json().code).toBe('UNAUTHORIZED');
  });
});

describe('GET /api/auth/tokens', () => {
  it('lists live tokens and sessions with prefix and last use, never the secret or its hash', async () => {
    f = await buildAuthApp();
    const u = await f.register('fred');
    const created = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'deploy' })).json();
    f.clock.advance(120_000);
    await f.get('/api/auth/me', created.token);
    const res = await f.get('/api/auth/tokens', u.token);
    expect(res.statusCode).toBe(200);
    const { tokens } = res.json();
    expect(tokens.map((t: { name: string }) => t.name).sort()).toEqual(['deploy', 'registration session']);
    const deploy = tokens.find((t: { name: string }) => t.name === 'deploy');
    expect(deploy).toEqual({ ...created, token: undefined, lastUsedAt: '2026-01-01T00:02:00.000Z' } as unknown as typeof deploy);
    expect(res.body).not.toContain(created.token);
    expect(res.body).not.toContain(hashToken(created.token));
  });

  it('lists every API token however many login sessions are newer (a script logging in per CI run)', async () => {
    f = await buildAuthApp();
    const u = await f.register('gina');
    const ci = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'ci' })).json();
    f.clock.advance(1000);
    const insert = f.db.prepare(
      `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at, expires_at)
       VALUES (?, ?, 'session', 'login session', ?, 'elk_', ?, '2027-01-01T00:00:00.000Z')`,
    );
    const at = new Date(f.clock.now()).toISOString();
    for (let i = 0; i < 600; i++) insert.run(`tok-s${i}`, u.userId, `hash-${i}`, at);
    const { tokens } = (await f.get('/api/auth/tokens', u.token)).json();
    expect(tokens.filter((t: { kind: string }) => t.kind === 'api').map((t: { id: string }) => t.id)).toEqual([ci.id]);
    expect(tokens.length).toBe(401);
    expect((await f.get('/api/auth/me', u.token)).json().usage.apiTokens).toBe(1);
    // Revoking it from the list still works.
    expect((await f.send('DELETE', `/api/auth/tokens/${ci.id}`, u.token)).statusCode).toBe(200);
  });

  it('401 without a token', async () => {
    f = await buildAuthApp();
    expect((await f.get('/api/auth/tokens')).statusCode).toBe(401);
  });
});

describe('DELETE /api/auth/tokens/:id', () => {
  it("revokes the caller's token (refused at once); a second revoke is 404", async () => {
    f = await buildAuthApp();
    const u = await f.register('gina');
    const t = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'old' })).json();
    const res = await f.send('DELETE', `/api/auth/tokens/${t.id}`, u.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    expect((await f.get('/api/auth/me', t.token)).statusCode).toBe(401);
    const again = await f.send('DELETE', `/api/auth/tokens/${t.id}`, u.token);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({ error: `no active token with id "${t.id}"`, code: 'TOKEN_NOT_FOUND' });
    expect(f.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action IN ('token.create', 'token.revoke')").get()).toEqual({ n: 2 });
  });

  it("IDOR: user B can neither see nor revoke user A's tokens (404, token still works)", async () => {
    f = await buildAuthApp();
    const a = await f.register('hank');
    const b = await f.register('iris');
    const ta = (await f.send('POST', '/api/auth/tokens', a.token, { name: 'a-token' })).json();
    const res = await f.send('DELETE', `/api/auth/tokens/${ta.id}`, b.token);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: `no active token with id "${ta.id}"`, code: 'TOKEN_NOT_FOUND' });
    expect((await f.get('/api/auth/me', ta.token)).statusCode).toBe(200);
    const listB = await f.get('/api/auth/tokens', b.token);
    expect(listB.body).not.toContain(ta.id);
  });
});

describe('POST /internal/tokens/used', () => {
  it('records last use reported by other processes in a batch; never moves it backwards; 403 without the internal token', async () => {
    f = await buildAuthApp();
    const u = await f.register('jack');
    const t = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'npm' })).json();
    const headers = { 'x-internal-token': testSecrets.internalToken };
    const res = await f.send(
      'POST',
      '/internal/tokens/used',
      undefined,
      { tokenIds: [t.id, 'tok-unknown'], at: '2026-01-02T00:00:00Z' },
      { headers },
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ updated: 1 });
    await f.send('POST', '/internal/tokens/used', undefined, { tokenIds: [t.id], at: '2026-01-01T12:00:00Z' }, { headers });
    const row = f.db.prepare('SELECT last_used_at FROM api_tokens WHERE id = ?').get(t.id);
    expect(row).toEqual({ last_used_at: '2026-01-02T00:00:00.000Z' });
    const denied = await f.send('POST', '/internal/tokens/used', u.token, { tokenIds: [t.id] });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({ error: "this route is for the suite's own processes", code: 'INTERNAL_ONLY' });
    expect((await f.send('POST', '/internal/tokens/used', undefined, { tokenIds: [] }, { headers })).statusCode).toBe(400);
  });
});
