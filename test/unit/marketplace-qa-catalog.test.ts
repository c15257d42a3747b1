// The marketplace as a catalog shopper and a first-time deployer meet it: "verified" follows the reviewer's
// deployments (a review written before the first deployment ran becomes verified once it has), reviews carry no
// control characters, the catalog says whether a $0 starting price is a free tier or a metered one, search
// finds services by category words and sort orders them, a missing config block is named as required, and an
// S3 bucket name belongs to one live deployment.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

describe('review verification and text', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  const post = (auth: Record<string, string>, payload: object) =>
    f.app.inject({ method: 'POST', url: '/api/services/redis-cache/reviews', headers: auth, payload });

  it('marks a review verified once its author has run the service, whenever the review was written', async () => {
    const u = f.user();
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: u.auth,
      payload: { serviceId: 'svc-redis', name: 'c', config: { tier: 'free', region: 'us-east-1' } },
    });
    expect(created.statusCode).toBe(202);
    // Written while the deployment is still provisioning: not verified yet.
    const early = await post(u.auth, { rating: 5, title: 'quick to set up' });
    expect(early.statusCode).toBe(201);
    expect(early.json()).toMatchObject({ verified: false });

    f.advance(60_000);
    const status = (await f.app.inject({ url: `/api/deployments/${created.json().deploymentId}`, headers: u.auth })).json().status;
    expect(status).toBe('running');
    const list = (await f.app.inject({ url: '/api/services/redis-cache/reviews' })).json();
    expect(list.reviews).toEqual([expect.objectContaining({ userId: u.id, verified: true })]);

    // A reviewer who never deployed it stays unverified.
    const other = f.user();
    expect((await post(other.auth, { rating: 2, title: 'never tried it' })).json()).toMatchObject({ verified: false });
  });

  it('refuses control characters in a title or body, and keeps line breaks in a body', async () => {
    const u = f.user();
    for (const payload of [
      { rating: 3, title: 'red \u001b[31malert' },
      { rating: 3, title: 'bell\u0007' },
      { rating: 3, title: 'two\nlines' },
      { rating: 3, title: 'ok', body: 'nul \u0000 byte' },
      { rating: 3, title: 'ok', body: 'clear \u001b[2J screen' },
    ]) {
      const res = await post(u.auth, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await f.app.inject({ url: '/api/services/redis-cache/reviews' })).json().total).toBe(0);

    const ok = await post(u.auth, { rating: 4, title: '<b>Fast</b> & cheap', body: 'Line one\nLine two\twith a tab' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ title: '<b>Fast</b> & cheap', body: 'Line one\nLine two\twith a tab' });
  });
});

describe('catalog starting prices', () => {
  it('says whether a $0 starting price is a free tier or a metered one', async () => {
    const f = await marketplaceFixture();
    try {
      const services = (await f.app.inject({ url: '/api/services?limit=100' })).json().services as {
        slug: string;
        startingPrice: number;
        hasFreeTier: boolean;
      }[];
      const bySlug = new Map(services.map((s) => [s.slug, s]));
      // ML inference starts with a metered CPU tier: $0 a month, but every prediction past 100k is billed.
      expect(bySlug.get('tensorflow-serving')).toMatchObject({ startingPrice: 0, hasFreeTier: false });
      expect(bySlug.get('rest-api-gateway')).toMatchObject({ startingPrice: 0, hasFreeTier: true });
      expect(bySlug.get('postgres-managed')).toMatchObject({ startingPrice: 0, hasFreeTier: true });
    } finally {
      await f.app.close();
    }
  });
});

describe('catalog search and sort', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  const slugs = async (query: string) => {
    const res = await f.app.inject({ url: `/api/services?limit=100&${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().services as { slug: string }[]).map((s) => s.slug);
  };

  it('finds services by category words, engine and tier, every word having to match', async () => {
    // "database" is in no name or description, but it is what a shopper types for the four databases.
    expect((await slugs('q=database')).sort()).toEqual(['mongodb-managed', 'mysql-managed', 'postgres-managed', 'redis-cache']);
    expect((await slugs('q=machine%20learning')).sort()).toEqual([
      'custom-model-hosting',
      'onnx-runtime',
      'pytorch-inference',
      'tensorflow-serving',
    ]);
    expect((await slugs('q=gpu')).length).toBe(4);
    expect(await slugs('q=postgres%20database')).toEqual(['postgres-managed']);
    expect(await slugs('q=postgres%20storage')).toEqual([]);
    expect(await slugs('q=POSTGRES')).toEqual(['postgres-managed']);
  });

  it('sorts by price, rating and popularity on request, featured first by default', async () => {
    const byDefault = await slugs('category=storage');
    expect(byDefault[0]).toBe('s3-object-storage');
    const compute = (await f.app.inject({ url: '/api/services?category=compute&sort=price' })).json().services as {
      slug: string;
      startingPrice: number;
    }[];
    const prices = compute.map((s) => s.startingPrice);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));

    const u = f.user();
    const v = f.user();
    const review = (auth: Record<string, string>, slug: string, rating: number) =>
      f.app.inject({ method: 'POST', url: `/api/services/${slug}/reviews`, headers: auth, payload: { rating, title: 'ok' } });
    await review(u.auth, 'mysql-managed', 5);
    await review(u.auth, 'redis-cache', 4);
    await review(v.auth, 'redis-cache', 4);
    await review(u.auth, 'postgres-managed', 2);
    expect((await slugs('category=database&sort=rating')).slice(0, 3)).toEqual(['mysql-managed', 'redis-cache', 'postgres-managed']);

    const bad = await f.app.inject({ url: '/api/services?sort=cheapest' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('catalog sort by popularity', () => {
  it('puts the most deployed service first', async () => {
    const f = await marketplaceFixture();
    try {
      const u = f.user();
      // Running before the first catalog read: live counts are reused for up to two seconds (catalog.ts).
      const created = await f.app.inject({
        method: 'POST',
        url: '/api/deployments',
        headers: u.auth,
        payload: { serviceId: 'svc-mongodb', name: 'm', config: { tier: 'free', region: 'us-east-1' } },
      });
      expect(created.statusCode).toBe(202);
      // Only a live deployment counts: let it finish provisioning.
      f.advance(60_000);
      const id = created.json().deploymentId;
      expect((await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json().status).toBe('running');
      const services = (await f.app.inject({ url: '/api/services?category=database&sort=popular' })).json().services;
      expect(services[0]).toMatchObject({ slug: 'mongodb-managed', activeDeployments: 1 });
      // Without a sort the featured PostgreSQL leads.
      expect((await f.app.inject({ url: '/api/services?category=database' })).json().services[0].slug).toBe('postgres-managed');
    } finally {
      await f.app.close();
    }
  });
});

describe('deploy config errors a person can act on', () => {
  it('names a missing config block as required and says where its shape is described', async () => {
    const f = await marketplaceFixture();
    try {
      const u = f.user();
      // The seed README's "deploy ml-inference" without its model block.
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/deployments',
        headers: u.auth,
        payload: { serviceId: 'ml-inference', name: 'm', config: { tier: 'gpu', region: 'us-west-2' } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error:
          'invalid config for Custom Model Hosting: config.model: required (object): GET /api/services/custom-model-hosting shows its configSchema',
        code: 'CONFIG_INVALID',
        details: [{ field: 'config.model', message: 'required (object): GET /api/services/custom-model-hosting shows its configSchema' }],
      });
      // A value of the wrong type keeps zod's own words.
      const wrong = await f.app.inject({
        method: 'POST',
        url: '/api/deployments',
        headers: u.auth,
        payload: { serviceId: 'svc-postgres', name: 'p', config: { tier: 'free', region: 'us-east-1', storageGb: 'ten' } },
      });
      expect(wrong.json().details).toEqual([{ field: 'config.storageGb', message: 'Invalid input: expected number, received string' }]);
    } finally {
      await f.app.close();
    }
  });
});

describe('S3 bucket names', () => {
  it('gives a bucket name to one live deployment at a time, across accounts, and a restored copy its own bucket', async () => {
    const f = await marketplaceFixture();
    try {
      const a = f.user();
      const b = f.user();
      const bucket = (auth: Record<string, string>, name: string, bucketName: string) =>
        f.app.inject({
          method: 'POST',
          url: '/api/deployments',
          headers: auth,
          payload: { serviceId: 'svc-s3', name, config: { tier: 'standard', region: 'us-east-1', bucketName } },
        });
      const first = await bucket(a.auth, 'assets', 'assets');
      expect(first.statusCode).toBe(202);
      expect(first.json().endpoint).toBe('https://s3.us-east-1.elide.services/assets');
      // Another account, same name: it would share the first one's endpoint.
      const clash = await bucket(b.auth, 'mine', 'assets');
      expect(clash.statusCode).toBe(409);
      expect(clash.json()).toEqual({ error: 'the bucket name "assets" is taken: choose another bucketName', code: 'BUCKET_NAME_TAKEN' });
      expect((await bucket(b.auth, 'mine', 'assets-b')).statusCode).toBe(202);

      f.advance(60_000);
      const id = first.json().deploymentId;
      const backup = await f.app.inject({ method: 'POST', url: `/api/deployments/${id}/backups`, headers: a.auth });
      expect(backup.statusCode).toBe(202);
      f.advance(60_000);
      const copy = await f.app.inject({
        method: 'POST',
        url: `/api/deployments/${id}/restore`,
        headers: a.auth,
        payload: { backupId: backup.json().id, mode: 'new', name: 'assets-copy' },
      });
      expect(copy.statusCode).toBe(202);
      expect(copy.json().endpoint).toBe(`https://s3.us-east-1.elide.services/${copy.json().deploymentId}`);

      // Deleted, the name is free again.
      expect((await f.app.inject({ method: 'DELETE', url: `/api/deployments/${id}`, headers: a.auth })).statusCode).toBe(202);
      f.advance(60_000);
      expect((await f.app.inject({ url: `/api/deployments/${id}`, headers: a.auth })).json().status).toBe('deleted');
      expect((await bucket(b.auth, 'taken-over', 'assets')).statusCode).toBe(202);
    } finally {
      await f.app.close();
    }
  });
});

describe('ML minInstances and region filters', () => {
  it('starts an ML deployment with its minInstances, within the tier, and refuses more than the tier allows', async () => {
    const f = await marketplaceFixture();
    try {
      const u = f.user();
      const model = { framework: 'tensorflow', version: '2.13', modelPath: 's3://models/m1' };
      const deploy = (name: string, minInstances: number) =>
        f.app.inject({
          method: 'POST',
          url: '/api/deployments',
          headers: u.auth,
          payload: { serviceId: 'svc-tensorflow', name, config: { tier: 'cpu', region: 'us-east-1', model, minInstances } },
        });
      const two = await deploy('two', 2);
      expect(two.statusCode).toBe(202);
      expect((await f.app.inject({ url: `/api/deployments/${two.json().deploymentId}`, headers: u.auth })).json().instances).toBe(2);
      const tooMany = await deploy('twenty', 20);
      expect(tooMany.statusCode).toBe(422);
      expect(tooMany.json()).toMatchObject({
        code: 'INSTANCES_OUT_OF_RANGE',
        details: { min: 1, max: 3, field: 'config.minInstances' },
      });
      expect((await f.app.inject({ url: '/api/deployments', headers: u.auth })).json().total).toBe(1);
    } finally {
      await f.app.close();
    }
  });

  it('reads a region filter in any case', async () => {
    const f = await marketplaceFixture();
    try {
      const lower = (await f.app.inject({ url: '/api/services?region=eu-west-1' })).json();
      const upper = (await f.app.inject({ url: '/api/services?region=EU-WEST-1' })).json();
      expect(lower.total).toBeGreaterThan(0);
      expect(upper.total).toBe(lower.total);
    } finally {
      await f.app.close();
    }
  });
});
