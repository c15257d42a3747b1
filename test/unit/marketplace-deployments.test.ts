// Deployments: the seed's create/get/stop shapes, validation of bad input, plan limits, idempotency, IDOR,
// credentials encrypted at rest, and the events each transition produces.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

const pg = (name = 'production-db', config: Record<string, unknown> = {}) => ({
  serviceId: 'svc-postgres',
  name,
  config: { tier: 'pro', region: 'us-east-1', ...config },
});

describe('POST /api/deployments', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  it('answers the seed shape with a real PostgreSQL connection string, then reaches running on time', async () => {
    const u = f.user();
    const res = await f.app.inject({ method: 'POST', url: '/api/deployments', headers: u.auth, payload: pg() });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({
      deploymentId: expect.stringMatching(/^deploy-[a-z0-9]{12}$/),
      name: 'production-db',
      status: 'provisioning',
      estimatedTime: '5-10 seconds',
    });
    const id = body.deploymentId;
    expect(body.endpoint).toBe(`${id}.db.elide.services:5432`);
    expect(body.credentials.connectionString).toMatch(
      new RegExp(`^postgresql://user_[a-z0-9]{8}:[A-Za-z0-9]{24}@${id}\\.db\\.elide\\.services:5432/defaultdb\\?sslmode=require$`),
    );
    expect(res.headers.location).toBe(`/api/deployments/${id}`);

    // Not in clear at rest.
    const row = f.db.prepare('SELECT ciphertext FROM mkt_credentials WHERE deployment_id = ?').get(id) as { ciphertext: string };
    expect(row.ciphertext).not.toContain(body.credentials.password);

    f.advance(9_999);
    expect((await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json().status).toBe('provisioning');
    f.advance(1);
    const got = (await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json();
    expect(got).toMatchObject({ id, name: 'production-db', status: 'running', endpoint: `${id}.db.elide.services:5432` });
    expect(Object.keys(got.metrics)).toEqual(expect.arrayContaining(['requests', 'errors', 'avgResponseTime', 'uptime']));
    expect(got.billing).toMatchObject({ currency: 'USD', currentCost: expect.any(Number), projectedCost: expect.any(Number) });
    expect(got.allowedActions).toEqual(['stop', 'restart', 'scale', 'change_plan', 'restore', 'backup', 'rotate_credentials', 'delete']);

    // An hour of serving: deterministic metrics, and the cost of 1 h 10 s on $50/month.
    f.advance(3_600_000);
    const later = (await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json();
    expect(later.metrics.requests).toBeGreaterThan(1000);
    expect(later.metrics.uptime).toBe(100);
    // floor(5000e6 * 3,610,000 ms / 2,592,000,000 ms) µ = 6963.7 -> 7 cents
    expect(later.billing.currentCents).toBe(7);
    const again = (await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json();
    expect(again.metrics).toEqual(later.metrics);

    const creds = (await f.app.inject({ url: `/api/deployments/${id}/credentials`, headers: u.auth })).json();
    expect(creds.credentials).toEqual(body.credentials);

    expect(f.outbox().map((e) => e.type)).toEqual(['service.deployed']);
    expect(f.outbox()[0]).toMatchObject({ ownerId: u.id, data: { deploymentId: id, status: 'running', serviceId: 'svc-postgres' } });
  });

  it("formats each engine's connection string", async () => {
    const u = f.user('enterprise');
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['svc-mysql', { tier: 'starter', region: 'eu-west-1' }, /^mysql:\/\/user_\w+:\w+@deploy-\w+\.db\.elide\.services:3306\/defaultdb/],
      [
        'svc-mongodb',
        { tier: 'starter', region: 'eu-west-1' },
        /^mongodb\+srv:\/\/user_\w+:\w+@deploy-\w+\.mongo\.elide\.services\/defaultdb\?retryWrites=true&w=majority$/,
      ],
      ['svc-redis', { tier: 'free', region: 'us-east-1' }, /^rediss:\/\/default:\w{32}@deploy-\w+\.cache\.elide\.services:6380$/],
      [
        'svc-tensorflow',
        {
          tier: 'gpu',
          region: 'us-west-2',
          model: { framework: 'tensorflow', version: '2.13', modelPath: 's3://my-models/sentiment-model.pb', name: 'sentiment' },
        },
        /^https:\/\/deploy-\w+\.ml\.elide\.services\/v1\/models\/sentiment:predict$/,
      ],
      ['svc-graphql', { tier: 'free', region: 'ap-southeast-1' }, /^https:\/\/deploy-\w+\.api\.elide\.services\/graphql$/],
      ['svc-websocket', { tier: 'free', region: 'ap-southeast-1' }, /^wss:\/\//],
      [
        'svc-s3',
        { tier: 'free', region: 'eu-central-1' },
        /^s3:\/\/AKIA[A-Z2-7]{16}:\w{40}@s3\.eu-central-1\.elide\.services\/deploy-\w+$/,
      ],
      [
        'svc-cron',
        { tier: 'free', region: 'us-east-1', schedule: '*/5 * * * *', command: 'node job.js' },
        /^https:\/\/deploy-\w+\.cron\.elide\.services\/v1\/jobs\/deploy-\w+\/runs$/,
      ],
    ];
    // The seed README's "Deploy ML Model" example, verbatim.
    const ml = await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: u.auth,
      payload: {
        serviceId: 'ml-inference',
        name: 'sentiment',
        config: {
          tier: 'gpu',
          region: 'us-west-2',
          model: { framework: 'tensorflow', version: '2.13', modelPath: 's3://my-models/sentiment-model.pb' },
        },
      },
    });
    expect(ml.statusCode, ml.body).toBe(202);
    expect(ml.json().credentials.connectionString).toMatch(/^https:\/\/deploy-\w+\.ml\.elide\.services\/v1\/models\/sentiment:predict$/);
    // Custom hosting serves the protocol of the framework its model names: TorchServe for PyTorch, KServe v2 for the
    // others that are not TensorFlow.
    for (const [framework, path] of [
      ['pytorch', '/predictions/m'],
      ['onnx', '/v2/models/m/infer'],
      ['sklearn', '/v2/models/m/infer'],
    ]) {
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/deployments',
        headers: u.auth,
        payload: {
          serviceId: 'ml-inference',
          name: `custom-${framework}`,
          config: { tier: 'cpu', region: 'us-west-2', model: { framework, version: '1.0', modelPath: 's3://models/m', name: 'm' } },
        },
      });
      expect(res.statusCode, res.body).toBe(202);
      expect(new URL(res.json().credentials.connectionString).pathname).toBe(path);
    }
    for (const [serviceId, config, re] of cases) {
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/deployments',
        headers: u.auth,
        payload: { serviceId, name: serviceId, config },
      });
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json().credentials.connectionString).toMatch(re);
    }
  });

  it('refuses bad input with a clear error and creates nothing', async () => {
    const u = f.user();
    const post = (payload: unknown) =>
      f.app.inject({ method: 'POST', url: '/api/deployments', headers: u.auth, payload: payload as object });
    const unknownService = await post({ ...pg(), serviceId: 'svc-nope' });
    expect(unknownService.statusCode).toBe(400);
    expect(unknownService.json()).toEqual({
      error: 'unknown service "svc-nope": GET /api/services lists the catalog',
      code: 'UNKNOWN_SERVICE',
    });
    const badTier = await post(pg('a', { tier: 'platinum' }));
    expect(badTier.statusCode).toBe(400);
    expect(badTier.json()).toEqual({
      error: 'PostgreSQL Managed has no tier "platinum": choose one of free, starter, pro',
      code: 'UNKNOWN_TIER',
      details: { allowed: ['free', 'starter', 'pro'] },
    });
    const badRegion = await post(pg('a', { tier: 'free', region: 'us-west-2' }));
    expect(badRegion.statusCode).toBe(400);
    expect(badRegion.json()).toMatchObject({ code: 'UNKNOWN_REGION', details: { allowed: ['us-east-1', 'eu-west-1', 'ap-southeast-1'] } });
    const badConfig = await post({
      serviceId: 'svc-cron',
      name: 'c',
      config: { tier: 'free', region: 'us-east-1', schedule: '61 * * * *', command: 'x' },
    });
    expect(badConfig.statusCode).toBe(400);
    expect(badConfig.json()).toMatchObject({
      code: 'CONFIG_INVALID',
      details: [{ field: 'config.schedule', message: expect.stringContaining('cron') }],
    });
    const unknownKey = await post(pg('a', { shoeSize: 42 }));
    expect(unknownKey.json().code).toBe('CONFIG_INVALID');
    const missingModel = await post({ serviceId: 'svc-pytorch', name: 'm', config: { tier: 'cpu', region: 'us-east-1' } });
    expect(missingModel.json()).toMatchObject({ code: 'CONFIG_INVALID', details: [{ field: 'config.model' }] });
    const badName = await post(pg('-bad name'));
    expect(badName.statusCode).toBe(400);
    expect(badName.json().code).toBe('VALIDATION_FAILED');
    const sim = await post({ ...pg('s'), simulation: { failAt: ['provisioning'] } });
    expect(sim.json()).toEqual({
      error: 'failure injection is only accepted when the server runs with SIMULATION=true',
      code: 'SIMULATION_DISABLED',
    });
    expect((f.db.prepare('SELECT count(*) AS n FROM mkt_deployments').get() as { n: number }).n).toBe(0);

    expect((await post(pg())).statusCode).toBe(202);
    const dup = await post(pg());
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toEqual({
      error: 'you already have a deployment named "production-db": choose another name',
      code: 'DEPLOYMENT_NAME_TAKEN',
    });
    // Another user may use the same name.
    expect((await f.app.inject({ method: 'POST', url: '/api/deployments', headers: f.user().auth, payload: pg() })).statusCode).toBe(202);
  });

  it('refuses anonymous callers and over-the-limit plans with 403 naming the limit', async () => {
    expect((await f.app.inject({ method: 'POST', url: '/api/deployments', payload: pg() })).statusCode).toBe(401);
    const u = f.user('free');
    expect(
      (await f.app.inject({ method: 'POST', url: '/api/deployments', headers: u.auth, payload: pg('one', { tier: 'free' }) })).statusCode,
    ).toBe(202);
    const over = await f.app.inject({ method: 'POST', url: '/api/deployments', headers: u.auth, payload: pg('two', { tier: 'free' }) });
    expect(over.statusCode).toBe(403);
    expect(over.json()).toMatchObject({
      code: 'PLAN_LIMIT_EXCEEDED',
      error:
        'your Free plan allows 1 active deployment (stopped ones count until deleted): delete one or upgrade to Team for up to 10 active deployments (Enterprise: unlimited)',
      details: { limit: 'activeDeployments', plan: 'free', max: 1, current: 1 },
    });
  });

  it('honours Idempotency-Key: retries replay one deployment, another body is refused', async () => {
    const u = f.user();
    const send = (payload: object, key = 'create-1') =>
      f.app.inject({ method: 'POST', url: '/api/deployments', headers: { ...u.auth, 'idempotency-key': key }, payload });
    const results = await Promise.all([send(pg()), send(pg()), send(pg())]);
    expect(results.map((r) => r.statusCode)).toEqual([202, 202, 202]);
    expect(new Set(results.map((r) => r.json().deploymentId)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
    expect((f.db.prepare('SELECT count(*) AS n FROM mkt_deployments').get() as { n: number }).n).toBe(1);
    const mismatch = await send(pg('other'));
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json().code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    // After 24 h the key may be reused.
    f.clock.advance(24 * 3600_000 + 1);
    expect((await send(pg('other'))).statusCode).toBe(202);
    // Expired answers are deleted as new ones are saved: the table keeps about a day of keys.
    const keys = () => (f.db.prepare('SELECT key FROM mkt_idempotency ORDER BY created_at').all() as { key: string }[]).map((r) => r.key);
    expect(keys()).toEqual(['create-1']);
    f.clock.advance(24 * 3600_000 + 1);
    expect((await send(pg('third'), 'create-2')).statusCode).toBe(202);
    expect(keys()).toEqual(['create-2']);
  });

  it('on Free, a stopped deployment keeps its slot: the 403 says to delete one, and deleting frees it', async () => {
    const u = f.user('free');
    const post = (name: string) =>
      f.app.inject({ method: 'POST', url: '/api/deployments', headers: u.auth, payload: pg(name, { tier: 'free' }) });
    const id = (await post('one')).json().deploymentId;
    f.advance(10_000);
    expect((await f.app.inject({ method: 'POST', url: `/api/deployments/${id}/stop`, headers: u.auth })).statusCode).toBe(202);
    f.advance(10_000);
    expect((await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json().status).toBe('stopped');
    const over = await post('two');
    expect(over.statusCode).toBe(403);
    expect(over.json().error).toMatch(/\(stopped ones count until deleted\): delete one or upgrade to Team/);
    expect((await f.app.inject({ method: 'DELETE', url: `/api/deployments/${id}`, headers: u.auth })).statusCode).toBe(202);
    f.advance(10_000);
    expect((await post('two')).statusCode).toBe(202);
  });

  it('seals saved Idempotency-Key responses: no column holds the password, and a replay answers the same body', async () => {
    const u = f.user();
    const send = () =>
      f.app.inject({ method: 'POST', url: '/api/deployments', headers: { ...u.auth, 'idempotency-key': 'sealed-1' }, payload: pg() });
    const first = await send();
    expect(first.statusCode).toBe(202);
    const { password, connectionString } = first.json().credentials as { password: string; connectionString: string };
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    const rows = f.db.prepare('SELECT * FROM mkt_idempotency').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    for (const [column, value] of Object.entries(rows[0])) {
      expect(String(value), column).not.toContain(password);
      expect(String(value), column).not.toContain(connectionString);
    }
    const replay = await send();
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual(first.json());
    // A sealed response opens only on its own row: moved to another caller's key, it counts as absent.
    const other = f.user();
    f.db.prepare('UPDATE mkt_idempotency SET principal_id = ?').run(other.id);
    const moved = await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: { ...other.auth, 'idempotency-key': 'sealed-1' },
      payload: pg(),
    });
    expect(moved.headers['idempotent-replayed']).toBeUndefined();
    expect(moved.json().deploymentId).not.toBe(first.json().deploymentId);
  });

  it('a plain-JSON response saved before sealing counts as expired, and migration 005 deletes such rows', async () => {
    const u = f.user();
    const legacy = f.db.prepare(
      'INSERT INTO mkt_idempotency (principal_id, key, route, body_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const hash = createHash('sha256').update(JSON.stringify(pg())).digest('hex');
    const at = new Date(f.clock.now()).toISOString();
    legacy.run(u.id, 'old-1', 'POST /api/deployments', hash, 202, JSON.stringify({ deploymentId: 'deploy-old', password: 'x' }), at);
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: { ...u.auth, 'idempotency-key': 'old-1' },
      payload: pg(),
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.json().deploymentId).not.toBe('deploy-old');
    expect(f.db.prepare('SELECT response FROM mkt_idempotency').pluck().all()).toEqual([expect.not.stringContaining('{')]);

    legacy.run(u.id, 'old-2', 'POST /api/deployments', hash, 202, JSON.stringify({ deploymentId: 'deploy-old', password: 'x' }), at);
    f.db.exec(fs.readFileSync(new URL('../../marketplace/migrations/005-idempotency-sealed.sql', import.meta.url), 'utf8'));
    expect(f.db.prepare('SELECT key FROM mkt_idempotency').pluck().all()).toEqual(['old-1']);
  });

  it("answers 404 for another user's deployment on every route", async () => {
    const owner = f.user();
    const other = f.user();
    const id = (await f.app.inject({ method: 'POST', url: '/api/deployments', headers: owner.auth, payload: pg() })).json().deploymentId;
    const routes: [string, string, object?][] = [
      ['GET', `/api/deployments/${id}`],
      ['GET', `/api/deployments/${id}/credentials`],
      ['GET', `/api/deployments/${id}/logs`],
      ['GET', `/api/deployments/${id}/events`],
      ['GET', `/api/deployments/${id}/backups`],
      ['POST', `/api/deployments/${id}/stop`],
      ['POST', `/api/deployments/${id}/scale`, { instances: 2 }],
      ['POST', `/api/deployments/${id}/plan`, { tier: 'starter' }],
      ['DELETE', `/api/deployments/${id}`],
    ];
    for (const [method, url, payload] of routes) {
      const res = await f.app.inject({ method: method as 'GET', url, headers: other.auth, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toEqual({ error: `no deployment "${id}" in your account`, code: 'DEPLOYMENT_NOT_FOUND' });
    }
    expect((await f.app.inject({ url: '/api/deployments', headers: other.auth })).json()).toMatchObject({ deployments: [], total: 0 });
    expect((await f.app.inject({ url: '/api/deployments', headers: owner.auth })).json().total).toBe(1);
  });
});
