// The catalog: every seed service in five categories, the seed's list and detail shapes, filters, ordering.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { buildApp as buildOrchestrator } from '../../services/app.ts';
import { openOrchestratorDatabase } from '../../services/db.ts';
import { SERVICE_TEMPLATES } from '../../services/templates/index.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

const SEED_NAMES = [
  'PostgreSQL Managed',
  'MongoDB Managed',
  'Redis Cache',
  'MySQL Managed',
  'TensorFlow Serving',
  'PyTorch Inference',
  'ONNX Runtime',
  'Custom Model Hosting',
  'REST API Gateway',
  'GraphQL Proxy',
  'WebSocket Gateway',
  'S3-Compatible Object Storage',
  'CDN with edge caching',
  'File storage with versioning',
  'Serverless Functions',
  'Container Hosting',
  'Cron Jobs',
];

describe('marketplace catalog', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  it('lists every seed service in the seed shape, featured first, then premium', async () => {
    const res = await f.app.inject({ url: '/api/services?limit=100' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(SEED_NAMES.length);
    expect(body.services.map((s: { name: string }) => s.name).sort()).toEqual([...SEED_NAMES].sort());
    expect(new Set(body.services.map((s: { category: string }) => s.category))).toEqual(
      new Set(['database', 'ml', 'api', 'storage', 'compute']),
    );
    const pg = body.services.find((s: { id: string }) => s.id === 'svc-postgres');
    expect(pg).toMatchObject({
      id: 'svc-postgres',
      name: 'PostgreSQL Managed',
      slug: 'postgres-managed',
      category: 'database',
      description: expect.any(String),
      averageRating: 0,
      activeDeployments: 0,
      featured: true,
    });
    const placement = body.services.map((s: { listing: string }) => s.listing);
    const rank = { featured: 0, premium: 1, standard: 2 } as Record<string, number>;
    expect(placement.map((p: string) => rank[p])).toEqual([...placement.map((p: string) => rank[p])].sort());
    expect(placement[0]).toBe('featured');
  });

  it('filters by category with limit and offset', async () => {
    const res = await f.app.inject({ url: '/api/services?category=database&limit=2&offset=1' });
    expect(res.json().total).toBe(4);
    expect(res.json().services).toHaveLength(2);
    const ml = (await f.app.inject({ url: '/api/services?category=ml' })).json();
    expect(ml.total).toBe(4);
  });

  it('filters by region, price and rating', async () => {
    expect((await f.app.inject({ url: '/api/services?region=mars-1' })).json().total).toBe(0);
    expect((await f.app.inject({ url: '/api/services?region=eu-west-1' })).json().total).toBe(SEED_NAMES.length);
    // Every service has a $0 tier, so maxPrice=0 keeps all; minPrice=100 keeps those with a tier of $100 or more.
    const pricey = (await f.app.inject({ url: '/api/services?minPrice=100' })).json();
    expect(pricey.services.map((s: { category: string }) => s.category)).toEqual(['ml', 'ml', 'ml', 'ml']);
    expect((await f.app.inject({ url: '/api/services?minRating=4' })).json().total).toBe(0);
    // A range matches a service with one tier inside it, not a cheaper tier and a dearer one on either side.
    const ranged = (await f.app.inject({ url: '/api/services?minPrice=20&maxPrice=25' })).json();
    const detail = async (slug: string) => (await f.app.inject({ url: `/api/services/${slug}` })).json();
    for (const s of ranged.services as { slug: string }[]) {
      const prices = (await detail(s.slug)).pricing.tiers.map((t: { price: number }) => t.price);
      expect(
        prices.some((p: number) => p >= 20 && p <= 25),
        `${s.slug}: ${prices}`,
      ).toBe(true);
    }
    const postgres = (await detail('postgres-managed')).pricing.tiers.map((t: { price: number }) => t.price);
    expect(postgres).toEqual([0, 19, 50]);
    expect(ranged.services.map((s: { slug: string }) => s.slug)).not.toContain('postgres-managed');
    const inverted = await f.app.inject({ url: '/api/services?minPrice=50&maxPrice=10' });
    expect(inverted.statusCode).toBe(400);
    expect(inverted.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      error: expect.stringContaining('minPrice must not be above maxPrice'),
    });
    const bad = await f.app.inject({ url: '/api/services?category=toys' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
  });

  it('GET /api/services/:slug answers the seed detail shape', async () => {
    const res = await f.app.inject({ url: '/api/services/postgres-managed' });
    expect(res.statusCode).toBe(200);
    const d = res.json();
    expect(d).toMatchObject({
      id: 'svc-postgres',
      name: 'PostgreSQL Managed',
      description: expect.any(String),
      pricing: { model: 'subscription' },
      specifications: {
        regions: expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-1']),
        sla: { uptime: 99.95, responseTime: 50, support: '24/7' },
      },
    });
    expect(d.pricing.tiers.find((t: { id: string }) => t.id === 'starter')).toMatchObject({
      id: 'starter',
      name: 'Starter',
      price: 19,
      period: 'month',
      features: ['10 GB storage', '50 connections', '7-day backups', '24 h point-in-time recovery'],
    });
    expect((await f.app.inject({ url: '/api/services/svc-postgres' })).json().slug).toBe('postgres-managed');
    const missing = await f.app.inject({ url: '/api/services/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'no service "nope": GET /api/services lists them', code: 'SERVICE_NOT_FOUND' });
  });

  it('every template has free/paid tiers, US, EU and Asia regions and a config schema', () => {
    for (const t of SERVICE_TEMPLATES) {
      expect(t.tiers.length).toBeGreaterThanOrEqual(3);
      expect(t.regions.some((r) => r.startsWith('us-'))).toBe(true);
      expect(t.regions.some((r) => r.startsWith('eu-'))).toBe(true);
      expect(t.regions.some((r) => r.startsWith('ap-'))).toBe(true);
      expect(t.provisionSeconds).toBeGreaterThanOrEqual(5);
      expect(t.provisionSeconds).toBeLessThanOrEqual(30);
    }
  });
});

describe('orchestrator templates', () => {
  it('serves every template and 404s an unknown slug', async () => {
    const app = await buildOrchestrator({
      config: testConfig(),
      secrets: testSecrets,
      db: openOrchestratorDatabase(':memory:'),
      clock: createManualClock(),
      logger: 'silent',
    });
    try {
      const all = (await app.inject({ url: '/api/templates' })).json();
      expect(all.total).toBe(SEED_NAMES.length);
      const cron = (await app.inject({ url: '/api/templates/cron-jobs' })).json();
      expect(cron.configSchema.required).toEqual(['schedule', 'command']);
      expect((await app.inject({ url: '/api/templates/nope' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
