// Found in a QA pass on the main API: reserved scopes as org names, spaces around a login name or an email, the
// OpenAPI description of anonymous routes and of the webhook delete, site-local IPv6 webhook targets, an empty
// delivery-log window, and webhooks of an account an admin has disabled.
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cidrWithin } from '../../api/tokens.ts';
import { createManualClock } from '../../lib/clock.ts';
import { registerOpenApi } from '../../lib/openapi.ts';
import { checkTarget, classifyAddress, SsrfError } from '../../lib/ssrf.ts';
import { testSecrets } from '../helpers/config.ts';
import { type AuthFixture, buildAuthApp } from './api-auth-fixture.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent } from './api-events-fixtures.ts';
import { startReceiver } from './api-webhooks-receiver.ts';

let f: AuthFixture | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await f?.app.close();
  f = undefined;
  for (const c of closers.splice(0)) await c();
});

describe('orgs: a new org cannot take a reserved scope', () => {
  it('400 for @npm, @security, @registry as for a user name; nothing is created; the seed still ensures @elide', async () => {
    f = await buildAuthApp();
    const u = await f.register('alice');
    for (const name of ['npm', 'security', 'registry', 'support', 'root']) {
      const res = await f.send('POST', '/api/orgs', u.token, { name });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', error: 'invalid body: name: is reserved: choose another name' });
    }
    expect(f.db.prepare('SELECT count(*) AS n FROM orgs').get()).toEqual({ n: 0 });
    // An ordinary name is still fine, and the seed's internal route may still create the operators' own scope.
    expect((await f.send('POST', '/api/orgs', u.token, { name: 'acme' })).statusCode).toBe(201);
    const seeded = await f.app.inject({
      method: 'POST',
      url: '/internal/orgs/ensure',
      headers: { 'x-internal-token': testSecrets.internalToken },
      payload: { name: 'elide', owner: 'alice' },
    });
    expect(seeded.statusCode).toBe(200);
    expect((await f.get('/api/orgs/elide', u.token)).json()).toMatchObject({ name: 'elide', role: 'owner' });
  });
});

describe('accounts: spaces around a name or an email', () => {
  it('login drops the spaces around the user name; register drops those around the email', async () => {
    f = await buildAuthApp();
    const reg = await f.send('POST', '/api/auth/register', undefined, {
      username: 'dana',
      email: '  Dana@Example.com ',
      password: 'dana-password',
    });
    expect(reg.statusCode).toBe(201);
    expect(f.db.prepare("SELECT email FROM users WHERE username = 'dana'").get()).toEqual({ email: 'Dana@Example.com' });
    const login = await f.send('POST', '/api/auth/login', undefined, { username: ' Dana\t', password: 'dana-password' });
    expect(login.statusCode).toBe(200);
    expect(login.json().username).toBe('dana');
    // Only spaces is still no name.
    expect((await f.send('POST', '/api/auth/login', undefined, { username: '   ', password: 'dana-password' })).statusCode).toBe(400);
  });
});

describe('login rate limit: a stranger cannot keep the owner out', () => {
  it("spending a name's budget from elsewhere leaves the owner's own address its own budget, limited alike", async () => {
    f = await buildAuthApp({ rateLimits: { loginPerUser: { max: 3 }, loginPerUserIp: { max: 3 } } });
    await f.register('gwen', { remoteAddress: '10.0.0.1' });
    const attempt = (password: string, remoteAddress: string) =>
      f!.send('POST', '/api/auth/login', undefined, { username: 'gwen', password }, { remoteAddress });
    // An attacker spends the name's budget, from one address or many; the next stranger is still refused.
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) expect((await attempt('guess-0000', ip)).statusCode).toBe(401);
    expect((await attempt('guess-0000', '203.0.113.1')).statusCode).toBe(429);
    expect((await attempt('gwen-password', '198.51.100.7')).statusCode).toBe(429);
    // The owner, from the address they registered from, signs in within the same minute.
    expect((await attempt('gwen-password', '10.0.0.1')).statusCode).toBe(200);
    // That address is limited too: guessing from it meets its own 429.
    for (let i = 0; i < 2; i++) expect((await attempt('guess-0000', '10.0.0.1')).statusCode).toBe(401);
    expect((await attempt('gwen-password', '10.0.0.1')).statusCode).toBe(429);
    // An address signed in from long ago is a stranger's again.
    f.clock.advance(31 * 86_400_000);
    for (let i = 0; i < 3; i++) await attempt('guess-0000', '203.0.113.9');
    expect((await attempt('gwen-password', '10.0.0.1')).statusCode).toBe(429);
  });
});

describe('tokens: a token made with an API token is no wider than it', () => {
  it('inherits its expiry and address ranges; a later expiry or a wider range is 403 TOKEN_SCOPE_EXCEEDED', async () => {
    f = await buildAuthApp();
    const u = await f.register('erin');
    // inject() comes from 127.0.0.1, inside the parent's range.
    const parent = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'ci', expiresInDays: 7, cidrAllow: ['127.0.0.0/8'] })).json();
    const child = await f.send('POST', '/api/auth/tokens', parent.token, { name: 'child' });
    expect(child.statusCode).toBe(201);
    expect(child.json()).toMatchObject({ expiresAt: parent.expiresAt, cidrAllow: ['127.0.0.0/8'] });

    const later = await f.send('POST', '/api/auth/tokens', parent.token, { name: 'later', expiresInDays: 30 });
    expect(later.statusCode).toBe(403);
    expect(later.json()).toMatchObject({ code: 'TOKEN_SCOPE_EXCEEDED', details: { field: 'expiresInDays' } });
    const wider = await f.send('POST', '/api/auth/tokens', parent.token, { name: 'wider', cidrAllow: ['127.0.0.1', '0.0.0.0/0'] });
    expect(wider.statusCode).toBe(403);
    expect(wider.json()).toMatchObject({ code: 'TOKEN_SCOPE_EXCEEDED', details: { field: 'cidrAllow', outside: ['0.0.0.0/0'] } });
    // Nothing was made by the refusals: the parent, the child and the registration session are all there is.
    expect(f.db.prepare("SELECT count(*) AS n FROM api_tokens WHERE kind = 'api'").get()).toEqual({ n: 2 });

    // Narrower is fine; a login session (the password was given) still makes unbound, everlasting tokens.
    const narrow = await f.send('POST', '/api/auth/tokens', parent.token, { name: 'narrow', expiresInDays: 1, cidrAllow: ['127.0.0.1'] });
    expect(narrow.statusCode).toBe(201);
    expect(narrow.json().cidrAllow).toEqual(['127.0.0.1']);
    const free = await f.send('POST', '/api/auth/tokens', u.token, { name: 'free' });
    expect(free.json()).toMatchObject({ expiresAt: null, cidrAllow: null });
  });

  it('cidrWithin compares ranges by family and prefix', () => {
    expect(cidrWithin('10.1.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(cidrWithin('10.0.0.5', '10.0.0.0/24')).toBe(true);
    expect(cidrWithin('10.0.0.0/8', '10.0.0.0/16')).toBe(false);
    expect(cidrWithin('11.0.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrWithin('2001:db8:1::/48', '2001:db8::/32')).toBe(true);
    expect(cidrWithin('10.0.0.1', '2001:db8::/32')).toBe(false);
  });
});

describe('OpenAPI matches the routes', () => {
  it('register and login need no credential; deleting a webhook answers 204', async () => {
    f = await buildAuthApp();
    const doc = (await f.get('/openapi.json')).json();
    // The document requires a bearer token everywhere unless an operation lifts it.
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/auth/register'].post.security).toEqual([]);
    expect(doc.paths['/api/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/auth/me'].get.security).toBeUndefined();
    expect(Object.keys(doc.paths['/api/webhooks/{id}'].delete.responses)).toEqual(['204', 'default']);
    // The password change names its answer's fields.
    const pw = doc.paths['/api/auth/password'].post.responses['200'].content['application/json'].schema;
    expect(pw.required).toEqual(['success', 'revokedTokens']);
    // Every operation describes the one error body as its default response.
    for (const [path, ops] of Object.entries<
      Record<string, { responses: Record<string, { content: Record<string, { schema: { required: string[] } }> }> }>
    >(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.responses.default?.content['application/json'].schema.required, `${method} ${path}`).toEqual(['error', 'code']);
      }
    }
  });

  it('the webhook delete answers 204 with no body, as described', async () => {
    // Private networks allowed, so creating needs no DNS; nothing is sent in this test (the worker is off).
    const t = await buildTestApi(createManualClock(), { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
    closers.push(() => t.app.close());
    const owner = addUser(t.db, createManualClock(), 'deleter');
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: owner.auth,
      payload: { url: 'http://127.0.0.1/hook', events: ['*'] },
    });
    expect(made.statusCode).toBe(201);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/webhooks/${made.json().id}`, headers: owner.auth });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
  });
});

describe('OpenAPI error responses (lib/openapi.ts, shared by the main API, the marketplace and the orchestrator)', () => {
  it('a route with no schema at all keeps its 200 and gains the error body', async () => {
    const app = Fastify({ logger: false });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await registerOpenApi(app, { title: 't', description: 'd' });
    app.get('/bare', async () => ({ ok: true }));
    app.get('/typed', { schema: { response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true }));
    closers.push(() => app.close());
    await app.ready();
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    for (const p of ['/bare', '/typed']) {
      expect(Object.keys(paths[p].get.responses)).toEqual(['200', 'default']);
      expect(paths[p].get.responses.default.content['application/json'].schema.required).toEqual(['error', 'code']);
    }
  });
});

describe('webhook URL checks: site-local IPv6', () => {
  it('fec0::/10 is private, refused unless private networks are allowed', async () => {
    expect(classifyAddress('fec0::1')).toBe('private');
    expect(classifyAddress('feff:ffff::1')).toBe('private');
    const err = await checkTarget('http://[fec0::1]/hook', { allowPrivateNetworks: false }).catch((e) => e);
    expect(err).toBeInstanceOf(SsrfError);
    expect((err as SsrfError).reason).toBe('private_address');
  });
});

describe('webhooks of a disabled account, and the delivery log window', () => {
  const clock = createManualClock(Math.floor(Date.now() / 1000) * 1000);

  async function setup() {
    clock.set(Math.floor(Date.now() / 1000) * 1000);
    const t = await buildTestApi(clock, { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }, { worker: false, random: () => 0.5 });
    const receiver = await startReceiver([{ status: 500 }]);
    closers.push(
      () => t.app.close(),
      () => receiver.close(),
    );
    const owner = addUser(t.db, clock, 'hooked');
    const admin = addUser(t.db, clock, 'boss', 'enterprise', 'admin');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: owner.auth,
      payload: { url: receiver.url, events: ['package.published'] },
    });
    expect(created.statusCode).toBe(201);
    await t.pipeline.dispatcher.runDue(); // the creation ping
    receiver.received.length = 0;
    const publish = async () => {
      const e = makeEvent(clock, { type: 'package.published', ownerId: owner.id, subject: 'package:left-pad', data: { name: 'left-pad' } });
      const res = await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events: [e] } });
      expect(res.statusCode).toBe(200);
    };
    const setDisabled = async (disabled: boolean) => {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/admin/users/${owner.id}`, headers: admin.auth, payload: { disabled } });
      expect(res.statusCode).toBe(200);
    };
    // Read from the table: the disabled owner's own token cannot read the log.
    const log = async () =>
      t.db
        .prepare(
          "SELECT status, attempt_count AS attemptCount FROM webhook_deliveries WHERE event_type = 'package.published' ORDER BY created_at, id",
        )
        .all() as { status: string; attemptCount: number }[];
    return { t, receiver, owner, webhookId: created.json().id as string, publish, setDisabled, log };
  }

  it('no event is queued while the owner is disabled, and a delivery still retrying is not sent again', async () => {
    const { t, receiver, publish, setDisabled, log } = await setup();
    // A delivery that failed once (the receiver answers 500) is waiting for its retry.
    await publish();
    expect(await t.pipeline.dispatcher.runDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect(await log()).toMatchObject([{ status: 'retrying', attemptCount: 1 }]);

    await setDisabled(true);
    await publish();
    clock.advance(60_000); // past the first retry's time
    await t.pipeline.dispatcher.runDue();
    expect(receiver.received).toHaveLength(1);
    // The new event found no endpoint to queue for; the retry was dropped rather than sent to the suspended account's URL.
    expect(await log()).toMatchObject([{ status: 'skipped', attemptCount: 1 }]);

    // Enabled again, new events are delivered as before.
    await setDisabled(false);
    await publish();
    await t.pipeline.dispatcher.runDue();
    expect(receiver.received).toHaveLength(2);
  });

  it('400 INVALID_WINDOW when "until" is not after "since", as for recover', async () => {
    const { t, owner, webhookId } = await setup();
    const get = (q: string) => t.app.inject({ method: 'GET', url: `/api/webhooks/${webhookId}/deliveries?${q}`, headers: owner.auth });
    for (const q of ['since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00Z']) {
      const res = await get(q);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: '"until" must be after "since"', code: 'INVALID_WINDOW' });
    }
    expect((await get('since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z')).statusCode).toBe(200);
  });
});
