// npm's account commands against the real main API (listening on a loopback port, as the registry's accounts
// client calls it): `npm token create` bodies as npm 11.19.1 sends them, `npm adduser` with a taken name, the
// team endpoints of `npm access grant`, and the messages of the name/version/tag checks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp as buildApi } from '../../api/app.ts';
import { openApiDatabase } from '../../api/db.ts';
import { createManualClock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import { buildApp as buildRegistry } from '../../registry/app.ts';
import { createMemoryBlobStore } from '../../registry/blob-store.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { assertTag, assertVersion } from '../../registry/npm/names.ts';
import { createSigner, generateSigningKeyPem } from '../../registry/npm/signing.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';
import { addOrg, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type App = Awaited<ReturnType<typeof buildRegistry>>;
let api: Awaited<ReturnType<typeof buildApi>>;
let identity: Db;
let registry: App;
let session: string;
const clock = createManualClock(Date.parse('2026-11-26T10:00:00Z'));

beforeAll(async () => {
  identity = openApiDatabase(':memory:');
  api = await buildApi({ config: testConfig(), secrets: testSecrets, db: identity, clock, logger: 'silent' });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  registry = await buildRegistry({
    config: testConfig({ ELIDE_API_URL: url }),
    secrets: testSecrets,
    db: openRegistryDatabase(':memory:'),
    identityDb: () => identity,
    clock,
    logger: 'silent',
    blobs: createMemoryBlobStore(() => clock.now()),
    signer: createSigner(generateSigningKeyPem()),
  });
  for (const [username, role] of [
    ['alice', 'publisher'],
    ['bob', 'user'],
  ]) {
    const made = await api.inject({
      method: 'POST',
      url: '/internal/users/ensure',
      headers: { 'x-internal-token': testSecrets.internalToken },
      payload: { username, email: `${username}@example.test`, password: `${username}-password`, role, plan: 'team' },
    });
    expect(made.statusCode).toBe(200);
  }
  const alice = identity.prepare("SELECT id FROM users WHERE username = 'alice'").get() as { id: string };
  addOrg(identity, 'acme', [[{ id: alice.id, username: 'alice', token: '', readonlyToken: '' }, 'owner']]);
  const login = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'alice-password' } });
  session = login.json().token;
});

afterAll(async () => {
  await registry?.close();
  await api?.close();
});

// Each password check is a login, and logins are limited to 10 a minute per user name: a fresh window per test.
beforeEach(() => clock.advance(61_000));

const json = { 'content-type': 'application/json' };
const apiTokens = () => (identity.prepare("SELECT count(*) AS n FROM api_tokens WHERE kind = 'api'").get() as { n: number }).n;
/** `npm token create` (npm 11.19.1, lib/commands/token.js): name is null without --name; the password always. */
const createToken = (body: Record<string, unknown>, token = session) =>
  registry.inject({
    method: 'POST',
    url: '/npm/-/npm/v1/tokens',
    headers: { ...json, authorization: `Bearer ${token}` },
    payload: JSON.stringify({ name: null, password: 'alice-password', ...body }),
  });
const publish = (token: string, name: string) =>
  registry.inject({
    method: 'PUT',
    url: docPath(name),
    headers: { ...json, authorization: `Bearer ${token}` },
    payload: JSON.stringify(publishBody(name, '1.0.0')),
  });

describe('npm token create with npm 11 options', () => {
  it('--packages-and-scopes-permission read-only gives a read-only token: publish is refused with TOKEN_READONLY', async () => {
    const res = await createToken({ packages_and_scopes_permission: 'read-only' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ readonly: true, token: expect.stringMatching(/^elk_/) });
    expect(res.headers['npm-notice']).toBeUndefined();
    const token = res.json().token;
    const refused = await publish(token, '@alice/ro-pkg');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('TOKEN_READONLY');
    // It still reads: whoami answers.
    const who = await registry.inject({ method: 'GET', url: '/npm/-/whoami', headers: { authorization: `Bearer ${token}` } });
    expect(who.json()).toEqual({ username: 'alice' });
  });

  it('the old readonly: true body is still honoured; read-write (the default) publishes and says so in npm-notice', async () => {
    const ro = await createToken({ readonly: true });
    expect(ro.json().readonly).toBe(true);
    expect((await publish(ro.json().token, '@alice/ro-old')).statusCode).toBe(403);
    // npm 11 sends nothing for --read-only: this body is what `npm token create --read-only` sends.
    const rw = await createToken({});
    expect(rw.statusCode).toBe(201);
    expect(rw.json().readonly).toBe(false);
    expect(rw.headers['npm-notice']).toContain('--packages-and-scopes-permission read-only');
    expect((await publish(rw.json().token, '@alice/rw-pkg')).statusCode).toBe(201);
  });

  it('expires (days, as npm sends --expires 30) gives the token an expiry', async () => {
    const res = await createToken({ expires: 30, name: 'ci' });
    expect(res.statusCode).toBe(201);
    expect(res.json().expires).toBe(new Date(clock.now() + 30 * 86_400_000).toISOString());
    const row = identity.prepare("SELECT expires_at FROM api_tokens WHERE name = 'ci'").get() as { expires_at: string };
    expect(row.expires_at).toBe(res.json().expires);
  });

  it('an expiry outside the main API limits is refused in npm terms, and nothing is stored', async () => {
    const before = apiTokens();
    const long = await createToken({ expires: 100_000 });
    expect(long.statusCode).toBe(400);
    expect(long.json().error).toMatch(/^invalid token request: expires \(days, --expires\): /);
    const zero = await createToken({ expires: -1 });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error).toContain('whole number of days');
    expect(apiTokens()).toBe(before);
  });

  it.each([
    [{ packages_and_scopes_permission: 'read-everything' }, /must be "read-only" or "read-write"/],
    [{ packages_and_scopes_permission: 'no-access' }, /no access to packages/],
    [{ orgs_permission: 'read-only' }, /--orgs-permission read-only needs --packages-and-scopes-permission read-only/],
    [{ orgs_permission: 'no-access', packages_and_scopes_permission: 'read-only' }, /--orgs-permission no-access cannot be honoured/],
    [{ packages: ['@alice/one'] }, /--packages cannot limit it/],
    [{ scopes: ['@acme'] }, /--scopes cannot limit it/],
    [{ readonly: 'yes' }, /readonly must be true or false/],
    [{ cidr_whitelist: [10] }, /cidr_whitelist must be a list/],
  ])('%j is refused with 400 rather than widened, and no token is stored', async (body, message) => {
    const before = apiTokens();
    const res = await createToken(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(message);
    expect(apiTokens()).toBe(before);
  });

  it('requires the password, as npmjs does (npm always prompts for it); a wrong one is 401', async () => {
    const before = apiTokens();
    const missing = await registry.inject({
      method: 'POST',
      url: '/npm/-/npm/v1/tokens',
      headers: { ...json, authorization: `Bearer ${session}` },
      payload: JSON.stringify({ name: 'nopw' }),
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'PASSWORD_REQUIRED', error: expect.stringContaining('--password') });
    const wrong = await createToken({ password: 'not-it' });
    expect(wrong.statusCode).toBe(401);
    expect(apiTokens()).toBe(before);
  });
});

describe('npm adduser / login (CouchDB flow)', () => {
  const couch = (body: Record<string, unknown>) =>
    registry.inject({
      method: 'PUT',
      url: `/npm/-/user/org.couchdb.user:${body.name}`,
      headers: json,
      payload: JSON.stringify({ _id: `org.couchdb.user:${body.name}`, type: 'user', roles: [], ...body }),
    });

  it('adduser with a taken name and a wrong password says the name is taken (409, as npmjs)', async () => {
    const user = await couch({ name: 'bob', password: 'guessing-123', email: 'someone@example.test' });
    expect(user.statusCode).toBe(409);
    expect(user.json()).toMatchObject({ code: 'USERNAME_TAKEN', error: expect.stringContaining('"bob" is already taken') });
    const org = await couch({ name: 'acme', password: 'guessing-123', email: 'someone@example.test' });
    expect(org.statusCode).toBe(409);
    expect(org.json().code).toBe('USERNAME_TAKEN');
  });

  it('adduser of an existing account with its password logs in; login with a wrong one stays 401', async () => {
    const ok = await couch({ name: 'bob', password: 'bob-password', email: 'bob@example.test' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().token).toMatch(/^elk_/);
    const bad = await couch({ name: 'bob', password: 'guessing-123' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('bad username/password, access denied');
  });

  it('adduser with a free name but a taken e-mail address answers 409 naming both', async () => {
    const res = await couch({ name: 'carol', password: 'carol-password-1', email: 'bob@example.test' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'ACCOUNT_TAKEN', error: expect.stringContaining('e-mail address') });
  });
});

describe('team endpoints', () => {
  it.each([
    ['PUT', '/npm/-/team/acme/devs/package', { package: '@acme/x', permissions: 'read-only' }],
    ['DELETE', '/npm/-/team/acme/devs/package', { package: '@acme/x' }],
    ['GET', '/npm/-/team/acme/devs/package', undefined],
    ['PUT', '/npm/-/team/acme/devs/user', { user: 'bob' }],
    ['GET', '/npm/-/org/acme/team', undefined],
  ] as const)('%s %s answers 400 TEAMS_UNSUPPORTED with what to do instead', async (method, url, body) => {
    const res = await registry.inject({
      method,
      url,
      headers: { ...json, authorization: `Bearer ${session}` },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: 'TEAMS_UNSUPPORTED',
      error:
        'teams are not supported on this registry: every member of the org acme can read and publish its packages; add people with npm org set acme <user>',
    });
  });
});

describe('version and dist-tag messages', () => {
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };

  it('a tag is refused for what is actually wrong with it', () => {
    expect(message(() => assertTag('a/b'))).toBe(
      'invalid dist-tag "a/b": a tag can only contain letters, digits, ".", "_" and "-": "/" is not allowed',
    );
    expect(message(() => assertTag('✓'))).toContain('"✓" is not allowed');
    expect(message(() => assertTag('t'.repeat(300)))).toContain('a tag can be at most 128 characters long (this one has 300)');
    expect(message(() => assertTag('-beta'))).toContain('must start with a letter or a digit');
    expect(message(() => assertTag('v1'))).toContain('looks like a version or range');
    expect(message(() => assertTag(''))).toContain('a tag is required');
    expect(assertTag('next-2')).toBe('next-2');
  });

  it('a version with build metadata is refused saying npm drops it, and naming the version to use', () => {
    expect(message(() => assertVersion('1.0.0+build.1'))).toBe(
      'invalid version "1.0.0+build.1": build metadata ("+build.1") is not part of an npm version (npm publish drops it and installs ignore it): use 1.0.0',
    );
    expect(message(() => assertVersion('v1.2.3'))).toBe('invalid version "v1.2.3": write it as 1.2.3');
    expect(message(() => assertVersion('1.0'))).toContain('versions must be valid semver');
    expect(message(() => assertVersion('../../etc/passwd'))).toContain('versions must be valid semver');
    expect(assertVersion('2.0.0-beta.1')).toBe('2.0.0-beta.1');
  });
});

describe('npm profile get', () => {
  it('shows when the account was created and last changed, from the main API', async () => {
    const res = await registry.inject({ method: 'GET', url: '/npm/-/npm/v1/user', headers: { authorization: `Bearer ${session}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'alice',
      email: 'alice@example.test',
      tfa: false,
      created: '2026-11-26T10:00:00.000Z',
      updated: '2026-11-26T10:00:00.000Z',
    });
  });
});

describe('gem signin (POST /rubygems/api/v1/api_key)', () => {
  const signin = (user: string, password: string, form: string, path = '/rubygems/api/v1/api_key') =>
    registry.inject({
      method: 'POST',
      url: path,
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: form,
    });
  const tokenRow = (name: string) =>
    identity.prepare("SELECT readonly FROM api_tokens WHERE kind = 'api' AND name = ? AND revoked_at IS NULL").get(name) as
      | { readonly: number }
      | undefined;
  const liveSessions = () =>
    (identity.prepare("SELECT count(*) AS n FROM api_tokens WHERE kind = 'session' AND revoked_at IS NULL").get() as { n: number }).n;

  it('trades the e-mail or handle and password for an API key, read-write only with a scope that changes gems', async () => {
    const sessions = liveSessions();
    const rw = await signin('alice@example.test', 'alice-password', 'name=laptop-alice&index_rubygems=true&push_rubygem=true');
    expect(rw.statusCode).toBe(200);
    expect(rw.headers['content-type']).toMatch(/^text\/plain/);
    expect(rw.body).toMatch(/^elk_/);
    expect(tokenRow('laptop-alice')).toEqual({ readonly: 0 });
    // The key works for gem push's authentication (the bare key in Authorization, as gem sends it).
    const me = await api.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${rw.body}` } });
    expect(me.json().username).toBe('alice');
    // gem joins "#{host}/api/v1/..." to a host written with its slash.
    const ro = await signin('alice', 'alice-password', 'name=ci-index&index_rubygems=true', '/rubygems//api/v1/api_key');
    expect(ro.statusCode).toBe(200);
    expect(tokenRow('ci-index')).toEqual({ readonly: 1 });
    // The login session used to make the keys is ended at once.
    expect(liveSessions()).toBe(sessions);
  });

  it("a wrong password or an unknown e-mail gets rubygems.org's 401 with the Basic challenge, and no key", async () => {
    for (const [user, password] of [
      ['alice@example.test', 'wrong-password'],
      ['nobody@example.test', 'alice-password'],
    ]) {
      const res = await signin(user, password, 'name=never&push_rubygem=true');
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="rubygems"');
      expect(res.body).toBe('HTTP Basic: Access denied.\n');
    }
    expect(tokenRow('never')).toBeUndefined();
    const none = await registry.inject({ method: 'POST', url: '/rubygems/api/v1/api_key', payload: 'name=x' });
    expect(none.statusCode).toBe(401);
  });
});
