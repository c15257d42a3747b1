// 1,000 simultaneous deployments progress correctly and on time at a high time scale, and a single
// deployment read stays cheap while they do (timings are printed, not asserted: the bench measures speed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TEMPLATES } from '../../services/templates/index.ts';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

describe('1,000 deployments at SIM_TIME_SCALE=0.01', () => {
  let f: MarketplaceFixture;
  const ids: { id: string; due: number }[] = [];
  let auth: Record<string, string>;

  beforeAll(async () => {
    f = await marketplaceFixture({ SIM_TIME_SCALE: '0.01' });
    auth = f.user('enterprise').auth;
  });
  afterAll(async () => f.app.close());

  it('creates 1,000 deployments of every service and brings each to running at its own deadline', async () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      const t = SERVICE_TEMPLATES[i % SERVICE_TEMPLATES.length];
      const config: Record<string, unknown> = { tier: t.tiers[1].id, region: 'us-east-1' };
      if (t.category === 'ml')
        config.model = { framework: t.engine === 'custom-model' ? 'onnx' : t.engine, version: '1.0', modelPath: 's3://m/x' };
      if (t.engine === 'functions') config.runtime = 'nodejs20';
      if (t.engine === 'containers') config.image = 'nginx:1.25';
      if (t.engine === 'cron') Object.assign(config, { schedule: '0 * * * *', command: 'run' });
      const res = f.deployments.create(
        {
          userId: 'user-1',
          username: 'user1',
          email: '',
          role: 'user',
          planId: 'enterprise',
          tokenId: 't',
          tokenKind: 'api',
          readonly: false,
        },
        { serviceId: t.id, name: `d${i}`, config: config as { tier: string; region: string } },
      );
      const body = res.body as { deploymentId: string; operation: { dueAt: string } };
      ids.push({ id: body.deploymentId, due: Date.parse(body.operation.dueAt) });
      // Time moves while they are created: each has its own deadline.
      if (i % 100 === 99) f.clock.advance(50);
    }
    const createMs = performance.now() - started;

    // Halfway: exactly those past their deadline are running.
    f.clock.advance(100);
    let t0 = performance.now();
    f.engine.tick();
    const tickMs = performance.now() - t0;
    const now = f.clock.now();
    const status = f.db.prepare('SELECT id, status FROM mkt_deployments').all() as { id: string; status: string }[];
    const byId = new Map(status.map((s) => [s.id, s.status]));
    for (const d of ids) expect(byId.get(d.id)).toBe(d.due <= now ? 'running' : 'provisioning');

    t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      const res = await f.app.inject({ url: `/api/deployments/${ids[i * 10].id}`, headers: auth });
      expect(res.statusCode).toBe(200);
    }
    const getMs = (performance.now() - t0) / 100;

    f.clock.advance(400);
    f.engine.tick();
    const all = f.db.prepare("SELECT count(*) AS n FROM mkt_deployments WHERE status = 'running'").get() as { n: number };
    expect(all.n).toBe(1000);
    // Every provisioning -> running transition is stamped with its own deadline, not the tick time.
    const late = f.db
      .prepare(
        "SELECT count(*) AS n FROM mkt_deployment_events e JOIN mkt_operations o ON o.id = e.operation_id WHERE e.to_status = 'running' AND e.at <> o.finished_at",
      )
      .get() as { n: number };
    expect(late.n).toBe(0);
    expect(f.outbox().filter((e) => e.type === 'service.deployed')).toHaveLength(1000);
    console.log(
      `1,000 deployments: create ${createMs.toFixed(0)} ms total, tick ${tickMs.toFixed(0)} ms, GET /api/deployments/:id ${getMs.toFixed(2)} ms avg`,
    );
  });
});
