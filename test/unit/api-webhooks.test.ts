// Webhook endpoints: the seed's create/list shapes, the secret shown once and encrypted at rest, plan and
// event-name rules, SSRF refusals at creation, ownership (404), patch, delete, rotation; Standard Webhooks
// signing checked against the reference test vector and the standardwebhooks package.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from '../../api/webhooks.ts';
import { decryptSecret, encryptSecret, signatureOf, signedHeaders, verifyWebhook } from '../../api/webhooks-signing.ts';
import { RELAYED_AUDIT_ACTIONS } from '../../lib/audit-outbox.ts';
import { createManualClock } from '../../lib/clock.ts';
import { testSecrets } from '../helpers/config.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent, type TestUser } from './api-events-fixtures.ts';

describe('webhook signing', () => {
  const secret = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
  const body =
    '{"id":"evt_01JABCDEF0123456789XYZ0000","type":"service.deployed","timestamp":"2025-01-01T00:00:00.000Z","apiVersion":"2025-01-01","data":{"deploymentId":"dep_123","status":"running"}}';

  it('matches the reference test vector', () => {
    expect(signatureOf(secret, 'evt_01JABCDEF0123456789XYZ0000', 1735689600, body)).toBe('v1,LMhhoQawhjzq3gSr3ta+PUrlIsBA2l/b5y8XOb8JIPg=');
  });

  it('is accepted by the standardwebhooks package; tampering and stale timestamps are not', () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([secret], 'msg_1', ts, body);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'service.deployed' });
    expect(() => new Webhook(secret).verify(body.replace('running', 'stopped'), headers)).toThrow();
    const stale = signedHeaders([secret], 'msg_1', ts - 360, body);
    expect(() => new Webhook(secret).verify(body, stale)).toThrow();
    expect(verifyWebhook(headers, body, secret)).toBe(true);
    expect(verifyWebhook(stale, body, secret)).toBe(false);
    expect(verifyWebhook(headers, `${body} `, secret)).toBe(false);
  });

  it('encrypts secrets at rest with the suite key', () => {
    const enc = encryptSecret(secret, testSecrets.encryptionKey);
    expect(enc).not.toContain('AAECAwQF');
    expect(decryptSecret(enc, testSecrets.encryptionKey)).toBe(secret);
    expect(() => decryptSecret(enc, Buffer.alloc(32, 1).toString('base64'))).toThrow();
  });
});

describe('webhook endpoints API', () => {
  const start = Date.parse('2026-03-10T12:00:00Z');
  const clock = createManualClock(start);
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let team: TestUser;
  let free: TestUser;
  let other: TestUser;

  beforeEach(async () => {
    clock.set(start);
    // Default configuration: private networks are NOT reachable. A public-looking IP literal needs no DNS.
    t = await buildTestApi(clock);
    team = addUser(t.db, clock, 'team-user', 'team');
    free = addUser(t.db, clock, 'free-user', 'free');
    other = addUser(t.db, clock, 'other-user', 'enterprise');
  });
  afterEach(async () => t.app.close());

  const create = (user: TestUser, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/webhooks', headers: user.auth, payload });
  const publicUrl = 'https://93.184.216.34/hook';

  it('creates a webhook in the seed shape and shows the secret only once', async () => {
    const res = await create(team, { url: publicUrl, events: ['package.published', 'service.deployed'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      webhookId: expect.stringMatching(/^webhook-/),
      url: publicUrl,
      events: ['package.published', 'service.deployed'],
      active: true,
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await t.app.inject({ method: 'GET', url: '/api/webhooks', headers: team.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().webhooks).toEqual([
      expect.objectContaining({
        id: body.webhookId,
        url: publicUrl,
        events: ['package.published', 'service.deployed'],
        active: true,
        createdAt: '2026-03-10T12:00:00.000Z',
      }),
    ]);
    const one = await t.app.inject({ method: 'GET', url: `/api/webhooks/${body.webhookId}`, headers: team.auth });
    expect(JSON.stringify(list.json()) + one.body).not.toContain(body.secret.slice(6));
    expect(one.json().secrets).toHaveLength(1);
    const stored = t.db.prepare('SELECT secret_enc FROM webhook_secrets').get() as { secret_enc: string };
    expect(stored.secret_enc).not.toContain(body.secret.slice(6));
  });

  it('stops delivering once the owner is downgraded to a plan without webhooks, and delivers again after an upgrade', async () => {
    expect((await create(team, { url: publicUrl, events: ['package.published'] })).statusCode).toBe(201);
    const deliveriesOf = async () => {
      const e = makeEvent(clock, { type: 'package.published', ownerId: team.id, data: { name: 'x' } });
      const res = await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events: [e] } });
      expect(res.statusCode).toBe(200);
      return t.db.prepare('SELECT count(*) FROM webhook_deliveries WHERE event_id = ?').pluck().get(e.id);
    };
    expect(await deliveriesOf()).toBe(1);
    t.db.prepare("UPDATE users SET plan_id = 'free' WHERE id = ?").run(team.id);
    expect(await deliveriesOf()).toBe(0);
    t.db.prepare("UPDATE users SET plan_id = 'team' WHERE id = ?").run(team.id);
    expect(await deliveriesOf()).toBe(1);
  });

  it('needs the Team plan or above', async () => {
    const res = await create(free, { url: publicUrl, events: ['package.published'] });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      error: 'your Free plan does not include webhooks: upgrade to Team to use them',
      code: 'PLAN_LIMIT_EXCEEDED',
    });
    expect((await t.app.inject({ method: 'POST', url: '/api/webhooks', payload: { url: publicUrl, events: ['*'] } })).statusCode).toBe(401);
  });

  it('refuses unknown event names with the list of allowed ones', async () => {
    const res = await create(team, { url: publicUrl, events: ['package.published', 'package.exploded'] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'unknown event type: package.exploded',
      code: 'UNKNOWN_EVENT_TYPE',
      details: { unknown: ['package.exploded'] },
    });
    expect(res.json().details.allowed).toContain('deployment.failed');
    expect((await create(team, { url: publicUrl, events: [] })).statusCode).toBe(400);
  });

  it('stores a list naming "*" as "*" alone, and each other type once', async () => {
    expect((await create(team, { url: publicUrl, events: ['*', 'deployment.started'] })).json().events).toEqual(['*']);
    expect((await create(team, { url: publicUrl, events: ['package.published', 'package.published'] })).json().events).toEqual([
      'package.published',
    ]);
  });

  it.each([
    ['http://127.0.0.1:9999/hook', 'private_address'],
    ['http://[::ffff:127.0.0.1]:9999/', 'private_address'],
    ['http://2130706433:9999/', 'private_address'],
    ['http://0177.0.0.1:9999/', 'private_address'],
    ['http://10.0.0.8/', 'private_address'],
    ['http://169.254.169.254/latest/meta-data', 'metadata_address'],
    ['http://localhost:9999/', 'hostname_not_allowed'],
    ['ftp://93.184.216.34/', 'scheme_not_allowed'],
    ['https://u:p@93.184.216.34/', 'credentials_in_url'],
  ])('refuses %s at creation with 422 (%s) when private networks are not allowed (the default)', async (url, reason) => {
    const res = await create(team, { url, events: ['package.published'] });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'WEBHOOK_URL_NOT_ALLOWED', details: { reason } });
    expect(res.json().error).toMatch(/^webhook URL not allowed: /);
  });

  it('answers 404 for another user’s webhook on every route', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    for (const [method, url] of [
      ['GET', `/api/webhooks/${id}`],
      ['PATCH', `/api/webhooks/${id}`],
      ['DELETE', `/api/webhooks/${id}`],
      ['POST', `/api/webhooks/${id}/test`],
      ['POST', `/api/webhooks/${id}/secrets/rotate`],
      ['GET', `/api/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: other.auth,
        payload: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toEqual({ error: `no webhook "${id}"`, code: 'WEBHOOK_NOT_FOUND' });
    }
  });

  it('patches url, events and active; re-checks the new URL; deletes', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/webhooks/${id}`,
      headers: team.auth,
      payload: { events: ['deployment.failed'], active: false, description: 'ops' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ events: ['deployment.failed'], active: false, disabledReason: 'manual', description: 'ops' });
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/api/webhooks/${id}`,
      headers: team.auth,
      payload: { url: 'http://10.0.0.1/' },
    });
    expect(bad.statusCode).toBe(422);
    const back = await t.app.inject({ method: 'PATCH', url: `/api/webhooks/${id}`, headers: team.auth, payload: { active: true } });
    expect(back.json()).toMatchObject({ active: true, disabledReason: null, consecutiveFailures: 0 });
    const del = await t.app.inject({ method: 'DELETE', url: `/api/webhooks/${id}`, headers: team.auth });
    expect(del.statusCode).toBe(204);
    const audit = t.db.prepare("SELECT action, target, details FROM audit_log WHERE action LIKE 'webhook.%' ORDER BY id").all() as {
      action: string;
      details: string | null;
    }[];
    expect(audit.map((a) => a.action)).toEqual(['webhook.create', 'webhook.update', 'webhook.update', 'webhook.delete']);
    expect(JSON.stringify(audit)).not.toContain('whsec_');
    expect((await t.app.inject({ method: 'GET', url: `/api/webhooks/${id}`, headers: team.auth })).statusCode).toBe(404);
  });

  it('rotates the secret: the new one is shown once and the old one expires after the overlap', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${id}/secrets/rotate`,
      headers: team.auth,
      payload: { expireOldAfterHours: 2 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ secret: expect.stringMatching(/^whsec_/), previousSecretsExpireAt: '2026-03-10T14:00:00.000Z' });
    expect((await t.app.inject({ method: 'GET', url: `/api/webhooks/${id}`, headers: team.auth })).json().secrets).toHaveLength(2);
    const tooLong = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${id}/secrets/rotate`,
      headers: team.auth,
      payload: { expireOldAfterHours: 500 },
    });
    expect(tooLong.statusCode).toBe(400);
  });

  it('rotates with no body at all (or an empty JSON body) using the documented 24 h default, like the CLI and curl send it', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    const bare = await t.app.inject({ method: 'POST', url: `/api/webhooks/${id}/secrets/rotate`, headers: team.auth });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json()).toMatchObject({ secret: expect.stringMatching(/^whsec_/), previousSecretsExpireAt: '2026-03-11T12:00:00.000Z' });
    const emptyJson = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${id}/secrets/rotate`,
      headers: { ...team.auth, 'content-type': 'application/json' },
      payload: '',
    });
    expect(emptyJson.statusCode, emptyJson.body).toBe(200);
    // A route that needs a body still names what is missing, never a 400 about an empty JSON body.
    const recover = await t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${id}/recover`,
      headers: { ...team.auth, 'content-type': 'application/json' },
      payload: '',
    });
    expect(recover.statusCode).toBe(400);
    expect(recover.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(recover.json().error).toContain('expected object, received undefined');
  });

  it('a later rotation never extends a secret already scheduled to expire (a leaked one is rotated with a short expiry)', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    const rotate = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: `/api/webhooks/${id}/secrets/rotate`, headers: team.auth, payload });
    expect((await rotate({ expireOldAfterHours: 1 })).json().previousSecretsExpireAt).toBe('2026-03-10T13:00:00.000Z');
    clock.advance(10 * 60_000);
    // The default 24 h applies to the secret that had no expiry; the original keeps its 13:00.
    expect((await rotate({})).json().previousSecretsExpireAt).toBe('2026-03-11T12:10:00.000Z');
    const secrets = (await t.app.inject({ method: 'GET', url: `/api/webhooks/${id}`, headers: team.auth })).json().secrets;
    expect(secrets.map((s: { expiresAt: string | null }) => s.expiresAt)).toEqual([
      null,
      '2026-03-11T12:10:00.000Z',
      '2026-03-10T13:00:00.000Z',
    ]);
    // A shorter expiry still shortens every older secret.
    await rotate({ expireOldAfterHours: 0.5 });
    const after = (await t.app.inject({ method: 'GET', url: `/api/webhooks/${id}`, headers: team.auth })).json().secrets;
    expect(after.map((s: { expiresAt: string | null }) => s.expiresAt)).toEqual([
      null,
      '2026-03-10T12:40:00.000Z',
      '2026-03-10T12:40:00.000Z',
      '2026-03-10T12:40:00.000Z',
    ]);
  });

  it('refuses unknown body fields on create, rotate and recover, as on every other route', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    for (const [url, payload] of [
      ['/api/webhooks', { url: publicUrl, events: ['*'], foo: 1 }],
      [`/api/webhooks/${id}/secrets/rotate`, { foo: 1 }],
      [`/api/webhooks/${id}/recover`, { since: '2026-03-10T00:00:00Z', foo: 1 }],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, headers: team.auth, payload });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const secrets = (await t.app.inject({ method: 'GET', url: `/api/webhooks/${id}`, headers: team.auth })).json().secrets;
    expect(secrets).toHaveLength(1);
  });

  it('subscribes by name to every event type a producer emits, including plan changes and credential rotation', async () => {
    const id = (await create(team, { url: publicUrl, events: ['*'] })).json().webhookId;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/webhooks/${id}`,
      headers: team.auth,
      payload: { events: ['deployment.plan_changed', 'deployment.credentials_rotated'] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().events).toEqual(['deployment.plan_changed', 'deployment.credentials_rotated']);
    const emitted = producerEventTypes();
    expect(emitted).toEqual(expect.arrayContaining(['deployment.plan_changed', 'deployment.credentials_rotated', 'package.published']));
    // package.downloaded carries no ownerId (download counts), so it never reaches a webhook.
    const missing = emitted.filter((type) => type !== 'package.downloaded' && !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type));
    expect(missing, 'emitted by a producer but not subscribable by name').toEqual([]);
  });

  it('names the operator setting in a private-address refusal, and only there', async () => {
    const res = await create(team, { url: 'http://10.0.0.8/', events: ['*'] });
    expect(res.json().error).toBe(
      'webhook URL not allowed: the URL points at a private, loopback or link-local address (10.0.0.8); ' +
        'an operator can allow private networks with WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true',
    );
    const local = await create(team, { url: 'http://localhost:9999/', events: ['*'] });
    expect(local.json().error).toMatch(/an operator can allow private networks with WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true$/);
    const metadata = await create(team, { url: 'http://169.254.169.254/', events: ['*'] });
    expect(metadata.json().error).not.toContain('WEBHOOKS_ALLOW_PRIVATE_NETWORKS');
  });
});

/**
 * Event types the producers emit, read from their source (no import across process folders): every quoted
 * '<package|deployment|service|billing>.<name>' literal in a file that enqueues or emits events.
 */
function producerEventTypes(): string[] {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const found = new Set<string>();
  for (const dir of ['registry', 'marketplace', 'services']) {
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(join(root, dir, file), 'utf8');
      if (!/enqueueEvent\(|\bemit\(/.test(text)) continue;
      // Audit actions (lib/audit-outbox.ts) sit beside the events in the same files but are not events.
      for (const m of text.matchAll(/'((?:package|deployment|service|billing)\.[a-z0-9_]+)'/g))
        if (m[1] !== 'package.json' && !(m[1] in RELAYED_AUDIT_ACTIONS)) found.add(m[1]);
    }
  }
  return [...found].sort();
}
