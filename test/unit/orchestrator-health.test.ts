// The orchestrator watching live deployments: deterministic samples kept as a time series, degraded after
// three failed checks and recovered after two good ones, autoscaling by the HPA rule with its pacing.
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations, runMigrations } from '../../lib/db.ts';
import { createPeerClient } from '../../lib/http.ts';
import { buildOrchestrator, httpMarketplacePort } from '../../services/app.ts';
import { createHealthMonitor, healthyAt, type MarketplacePort } from '../../services/health-monitor.ts';
import { metricsFor } from '../../services/metrics.ts';
import { testSecrets } from '../helpers/config.ts';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

describe('orchestrator health monitor', () => {
  let f: MarketplaceFixture;
  let u: ReturnType<MarketplaceFixture['user']>;
  let id: string;
  let port: MarketplacePort;

  beforeEach(async () => {
    f = await marketplaceFixture();
    runMigrations(f.db, 'orchestrator', loadMigrations(fileURLToPath(new URL('../../services/migrations', import.meta.url))));
    u = f.user('enterprise');
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: u.auth,
      payload: { serviceId: 'svc-functions', name: 'fn', config: { tier: 'pro', region: 'us-east-1', runtime: 'nodejs20' } },
    });
    id = res.json().deploymentId;
    f.advance(8_000);
    // Over HTTP, as the orchestrator process reaches the marketplace: a route missing on either side fails here.
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    const { port: listening } = f.app.server.address() as { port: number };
    port = httpMarketplacePort(
      createPeerClient({
        name: 'marketplace',
        baseUrl: `http://127.0.0.1:${listening}`,
        timeoutMs: 5_000,
        internalToken: testSecrets.internalToken,
      }),
    );
  });
  afterEach(async () => f.app.close());

  const status = async () => (await f.app.inject({ url: `/api/deployments/${id}`, headers: u.auth })).json();

  it('reads every live deployment page after page (keyset by id) and sends reports in pages of the same size', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/deployments',
        headers: u.auth,
        payload: { serviceId: 'svc-functions', name: `fn-${i}`, config: { tier: 'pro', region: 'us-east-1', runtime: 'nodejs20' } },
      });
      expect(res.statusCode, res.body).toBe(202);
    }
    f.advance(8_000);
    const { port: listening } = f.app.server.address() as { port: number };
    const peer = createPeerClient({
      name: 'marketplace',
      baseUrl: `http://127.0.0.1:${listening}`,
      timeoutMs: 5_000,
      internalToken: testSecrets.internalToken,
    });
    const asked: string[] = [];
    const counted: typeof peer = {
      ...peer,
      get(path, o) {
        asked.push(`GET ${path}`);
        return peer.get(path, o);
      },
      post(path, body, o) {
        asked.push(`POST ${path} ${(body as { reports: unknown[] }).reports.length}`);
        return peer.post(path, body, o);
      },
    };
    const paged = httpMarketplacePort(counted, 3);
    const ids = (await paged.live()).map((d) => d.id);
    const everyLive = (f.db.prepare("SELECT id FROM mkt_deployments WHERE status = 'running' ORDER BY id").all() as { id: string }[]).map(
      (r) => r.id,
    );
    expect(everyLive).toHaveLength(7);
    expect(ids).toEqual(everyLive);
    expect(asked).toEqual(
      [
        '/internal/deployments/live?limit=3&after=',
        `/internal/deployments/live?limit=3&after=${everyLive[2]}`,
        `/internal/deployments/live?limit=3&after=${everyLive[5]}`,
      ].map((p) => `GET ${p}`),
    );
    asked.length = 0;
    // Seven failed checks in three requests of at most three: every deployment counts one failure.
    await paged.reportHealth(ids.map((id) => ({ id, healthy: false })));
    const failures = f.db.prepare("SELECT health_failures AS n FROM mkt_deployments WHERE status = 'running'").all();
    expect(failures).toEqual(ids.map(() => ({ n: 1 })));
    expect(asked).toEqual([3, 3, 1].map((n) => `POST /internal/deployments/health ${n}`));
    // The marketplace refuses a page larger than its maximum with a clear 400.
    const tooMany = await f.app.inject({
      url: '/internal/deployments/live?limit=5001',
      headers: { 'x-internal-token': testSecrets.internalToken },
    });
    expect(tooMany.statusCode).toBe(400);
  });

  it('marks degraded after 3 failed checks and recovered after 2 passing ones, with events', async () => {
    let ok = true;
    const m = createHealthMonitor({ db: f.db, clock: f.clock, marketplace: port, timeScale: 1, healthy: () => ok });
    await m.round();
    ok = false;
    await m.round();
    await m.round();
    expect((await status()).status).toBe('running');
    await m.round();
    const degraded = await status();
    expect(degraded.status).toBe('degraded');
    expect(degraded.metrics.avgResponseTime).toBe(
      metricsFor(id, 'compute', { servingMs: 1, downMs: 0, instances: 1, degraded: true, sinceReadyMs: 0 }).avgResponseTime,
    );
    ok = true;
    await m.round();
    expect((await status()).status).toBe('degraded');
    await m.round();
    expect((await status()).status).toBe('running');
    expect(f.outbox().map((e) => e.type)).toEqual(['service.deployed', 'deployment.degraded', 'deployment.recovered']);
    // Steady and healthy: the counters stay at their cap and the marketplace's part of a round writes nothing.
    await m.round();
    expect(f.db.prepare('SELECT health_failures AS f, health_passes AS p FROM mkt_deployments WHERE id = ?').get(id)).toEqual({
      f: 0,
      p: 2,
    });
    const before = f.db.prepare('SELECT total_changes() AS n').get();
    expect(f.health.reportMany([{ id, healthy: true }])).toEqual([]);
    expect(f.db.prepare('SELECT total_changes() AS n').get()).toEqual(before);
  });

  it('reports only the checks that can change something: failures, degraded deployments, the pass after a failure', async () => {
    let ok = true;
    const sent: { id: string; healthy: boolean }[][] = [];
    const recording: MarketplacePort = {
      ...port,
      reportHealth: async (reports) => {
        sent.push(reports);
        return port.reportHealth(reports);
      },
    };
    const m = createHealthMonitor({ db: f.db, clock: f.clock, marketplace: recording, timeScale: 1, healthy: () => ok });
    expect(await m.round()).toMatchObject({ checked: 1, reported: 1 }); // the first check is always sent
    expect(await m.round()).toMatchObject({ checked: 1, reported: 0 }); // steady and running: nothing to say
    expect(await m.round()).toMatchObject({ reported: 0 });
    ok = false;
    for (let i = 0; i < 3; i++) expect(await m.round()).toMatchObject({ reported: 1 });
    expect((await status()).status).toBe('degraded');
    ok = true;
    // Degraded: every pass is sent (two recover it), then the running deployment goes quiet again.
    expect(await m.round()).toMatchObject({ reported: 1 });
    expect(await m.round()).toMatchObject({ reported: 1 });
    expect((await status()).status).toBe('running');
    expect(await m.round()).toMatchObject({ reported: 0 });
    // One failure, then a pass: the pass is sent, so the failure count goes back to 0 and never adds up to 3.
    ok = false;
    expect(await m.round()).toMatchObject({ reported: 1 });
    ok = true;
    expect(await m.round()).toMatchObject({ reported: 1 });
    expect(f.db.prepare('SELECT health_failures AS f FROM mkt_deployments WHERE id = ?').get(id)).toEqual({ f: 0 });
    expect(sent.flat().map((r) => r.healthy)).toEqual([true, false, false, false, true, true, false, true]);
    // A restarted orchestrator knows nothing yet: it sends everything once.
    const restarted = createHealthMonitor({ db: f.db, clock: f.clock, marketplace: recording, timeScale: 1, healthy: () => ok });
    expect(await restarted.round()).toMatchObject({ reported: 1 });
    expect(await restarted.round()).toMatchObject({ reported: 0 });
  });

  it('refuses a malformed health round without changing anything', async () => {
    const post = (payload: unknown) =>
      f.app.inject({
        method: 'POST',
        url: '/internal/deployments/health',
        headers: { 'x-internal-token': testSecrets.internalToken },
        payload: payload as object,
      });
    expect((await post({ reports: [{ id, healthy: 'no' }] })).statusCode).toBe(400);
    expect((await post({ reports: [{ id, healthy: false, extra: 1 }] })).statusCode).toBe(400);
    expect((await f.app.inject({ method: 'POST', url: '/internal/deployments/health', payload: { reports: [] } })).statusCode).toBe(403);
    expect(f.db.prepare('SELECT health_failures AS f FROM mkt_deployments WHERE id = ?').get(id)).toEqual({ f: 0 });
    expect((await post({ reports: [{ id: 'deploy-unknown', healthy: false }] })).json()).toEqual({ changed: [] });
  });

  it('restarts a deployment that stays degraded for more than 5 minutes', async () => {
    const m = createHealthMonitor({ db: f.db, clock: f.clock, marketplace: port, timeScale: 1, healthy: () => false });
    for (let i = 0; i < 3; i++) await m.round();
    expect((await status()).status).toBe('degraded');
    f.advance(5 * 60_000);
    await m.round();
    expect((await status()).status).toBe('degraded');
    f.advance(1);
    await m.round();
    expect((await status()).status).toBe('restarting');
    f.advance(3_000);
    expect((await status()).status).toBe('running');
    expect(f.outbox().map((e) => e.type)).toEqual(['service.deployed', 'deployment.degraded', 'deployment.restarted']);
  });

  it('keeps deterministic samples as a time series', async () => {
    const run = async () => {
      const m = createHealthMonitor({ db: f.db, clock: f.clock, marketplace: port, timeScale: 1 });
      const out = [];
      for (let i = 0; i < 3; i++) {
        f.clock.advance(10_000);
        await m.round();
      }
      out.push(...m.series(id, 0));
      return out;
    };
    const first = await run();
    expect(first).toHaveLength(3);
    expect(first[0]).toMatchObject({
      requests: expect.any(Number),
      cpu: expect.any(Number),
      instances: 1,
      healthy: healthyAt({ id, readyAt: (await status()).readyAt }, Date.parse(String(first[0].at))),
    });
    // The same deployment at the same instants gives the same numbers.
    f.clock.set(f.clock.now() - 30_000);
    f.db.prepare('DELETE FROM orch_metric_samples').run();
    expect(await run()).toEqual(first);
  });

  it('autoscales one instance per event, at most once a minute, and scales down only after 5 minutes', async () => {
    await f.app.inject({
      method: 'POST',
      url: `/api/deployments/${id}/scale`,
      headers: u.auth,
      payload: { autoscaling: { enabled: true, min: 1, max: 3, targetCpu: 50 } },
    });
    let cpu = 100;
    const m = createHealthMonitor({ db: f.db, clock: f.clock, marketplace: port, timeScale: 1, healthy: () => true, cpu: () => cpu });
    await m.round();
    expect((await status()).status).toBe('updating');
    f.advance(1_000);
    expect((await status()).instances).toBe(2);
    f.advance(30_000);
    await m.round(); // under 60 s since the last event: no change
    expect((await status()).instances).toBe(2);
    f.advance(30_000);
    await m.round();
    f.advance(1_000);
    expect((await status()).instances).toBe(3);
    f.advance(60_000);
    await m.round(); // clamped at max
    expect((await status()).status).toBe('running');
    cpu = 10;
    await m.round(); // low starts now
    f.advance(240_000);
    await m.round();
    expect((await status()).instances).toBe(3);
    f.advance(61_000);
    await m.round();
    f.advance(1_000);
    expect((await status()).instances).toBe(2);
    expect(f.outbox().filter((e) => e.type === 'deployment.scaled')).toHaveLength(3);
  });

  it('serves the series to the marketplace over /internal/metrics with the internal token only', async () => {
    const { app, monitor } = await buildOrchestrator({
      config: f.config,
      secrets: testSecrets,
      db: f.db,
      clock: f.clock,
      logger: 'silent',
      marketplace: port,
    });
    await monitor.round();
    const denied = await app.inject({ url: `/internal/metrics/${id}` });
    expect(denied.statusCode).toBe(403);
    const res = await app.inject({ url: `/internal/metrics/${id}`, headers: { 'x-internal-token': testSecrets.internalToken } });
    expect(res.json().samples).toHaveLength(1);
  });
});
