// Edge cases of a deployment's life a QA pass found: a scale overtaken by the one in flight, an in-place
// restore of a stopped deployment, the backups of a deleted one, the metric series' window, autoscaling
// decisions that no longer fit, and budget input that was silently rewritten or ignored.
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations, runMigrations } from '../../lib/db.ts';
import { buildOrchestrator } from '../../services/app.ts';
import { testSecrets } from '../helpers/config.ts';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const internal = { 'x-internal-token': testSecrets.internalToken };

type Orchestrator = Awaited<ReturnType<typeof buildOrchestrator>>;

describe('deployment edge cases', () => {
  let f: MarketplaceFixture;
  let u: ReturnType<MarketplaceFixture['user']>;
  let orch: Orchestrator;

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
    headers: Record<string, string> = u.auth,
  ) => {
    const res = await f.app.inject({ method, url, headers, payload });
    return { status: res.statusCode, body: res.statusCode === 204 ? null : res.json() };
  };
  const deploy = async (name: string, tier: string) => {
    const res = await call('POST', '/api/deployments', { serviceId: 'svc-postgres', name, config: { tier, region: 'us-east-1' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    f.advance(60_000);
    return res.body.deploymentId as string;
  };
  const get = async (id: string) => (await call('GET', `/api/deployments/${id}`)).body;

  beforeEach(async () => {
    // The marketplace reads its series from a real orchestrator app on the same database, as over HTTP.
    f = await marketplaceFixture(
      {},
      {
        metricsSource: async (id, range) =>
          (
            await orch.app.inject({
              url: `/internal/metrics/${id}?${new URLSearchParams({ ...range, limit: String(range.limit) })}`,
              headers: internal,
            })
          ).json(),
      },
    );
    runMigrations(f.db, 'orchestrator', loadMigrations(fileURLToPath(new URL('../../services/migrations', import.meta.url))));
    orch = await buildOrchestrator({ config: f.config, secrets: testSecrets, db: f.db, clock: f.clock, logger: 'silent' });
    u = f.user('team');
  });
  afterEach(async () => {
    await orch.app.close();
    await f.app.close();
  });

  it('refuses a scale back to the current count while a scale to another count runs, instead of a 200 the running scale overrides', async () => {
    const id = await deploy('db', 'pro');
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 3 })).status).toBe(202);

    const back = await call('POST', `/api/deployments/${id}/scale`, { instances: 1 });
    expect(back.status).toBe(409);
    expect(back.body).toMatchObject({ code: 'OPERATION_IN_PROGRESS', details: { allowedActions: ['delete'] } });
    // Asking again for the count in flight is the idempotent no-op.
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 3 })).status).toBe(200);

    f.advance(60_000);
    expect(await get(id)).toMatchObject({ status: 'running', instances: 3 });

    // A deleted deployment is not scaled "successfully" to the count it had.
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(202);
    f.advance(60_000);
    const gone = await call('POST', `/api/deployments/${id}/scale`, { instances: 3 });
    expect(gone.status).toBe(409);
    expect(gone.body).toMatchObject({ code: 'INVALID_STATE_TRANSITION', details: { status: 'deleted', allowedActions: [] } });
  });

  it('an in-place restore of a stopped deployment wants it running, so its projection bills the rest of the cycle', async () => {
    const id = await deploy('db', 'starter');
    f.advance(DAY);
    const backupId = (await call('GET', `/api/deployments/${id}/backups`)).body.backups[0].id;
    await call('POST', `/api/deployments/${id}/stop`);
    f.advance(60_000);

    const res = await call('POST', `/api/deployments/${id}/restore`, { backupId, mode: 'in_place' });
    expect(res.status).toBe(202);
    f.advance(60_000);
    const dep = await get(id);
    expect(dep).toMatchObject({ status: 'running', desiredStatus: 'running', allowedActions: expect.arrayContaining(['stop']) });
    // Running from March 2 to the end of March is the whole $19 (capped): not the ~$0.63 run so far.
    expect(dep.billing.projectedCents).toBe(1900);
  });

  it('a deleted deployment keeps its backups as they were, gains no scheduled ones, and refuses a restore with the allowed actions', async () => {
    const id = await deploy('db', 'starter');
    f.advance(3 * DAY);
    await call('DELETE', `/api/deployments/${id}`);
    f.advance(60_000);
    const deletedAt = Date.parse((await get(id)).stateChangedAt);
    const atDeletion = (await call('GET', `/api/deployments/${id}/backups`)).body.backups;
    expect(atDeletion.length).toBeGreaterThan(0);

    f.advance(2 * DAY);
    const later = (await call('GET', `/api/deployments/${id}/backups`)).body.backups as { id: string; createdAt: string }[];
    for (const b of later) expect(Date.parse(b.createdAt)).toBeLessThan(deletedAt);
    // Listing again two days later shows the same backups with the same sizes (a backup is fixed when taken).
    expect(later).toEqual(atDeletion);

    for (const body of [
      { backupId: atDeletion[0].id, mode: 'new' },
      { backupId: 'bkp-unknown', mode: 'new' },
      { backupId: atDeletion[0].id, mode: 'in_place' },
    ]) {
      const res = await call('POST', `/api/deployments/${id}/restore`, body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body).toMatchObject({ code: 'INVALID_STATE_TRANSITION', details: { status: 'deleted', allowedActions: [] } });
    }
    expect((await call('GET', '/api/deployments')).body.total).toBe(0);
  });

  it('a manual backup still running when its deployment is deleted ends failed, not completed', async () => {
    const id = await deploy('db', 'starter');
    const backup = (await call('POST', `/api/deployments/${id}/backups`)).body;
    expect(backup.status).toBe('pending');
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(202);
    f.advance(DAY);
    expect((await call('GET', `/api/deployments/${id}/backups/${backup.id}`)).body).toMatchObject({ status: 'failed', completedAt: null });
  });

  it('a restore to a new deployment of a 63-character name gets a generated name that keeps to the 63-character rule', async () => {
    const long = `d${'b'.repeat(62)}`;
    const id = await deploy(long, 'starter');
    f.advance(DAY);
    const backupId = (await call('GET', `/api/deployments/${id}/backups`)).body.backups[0].id;
    const res = await call('POST', `/api/deployments/${id}/restore`, { backupId, mode: 'new' });
    expect(res.status).toBe(202);
    expect(res.body.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
    expect(res.body.name.startsWith(`${long.slice(0, 49)}-restore-`)).toBe(true);
  });

  it('accepts instants with a UTC offset (as `date -Iseconds` prints them) in logs, metrics and restore', async () => {
    const id = await deploy('db', 'starter');
    f.advance(2 * HOUR);
    // One hour ago, written as +02:00 local time.
    const local = new Date(f.clock.now() - HOUR + 2 * HOUR).toISOString().replace('.000Z', '+02:00');
    const logs = await call('GET', `/api/deployments/${id}/logs?since=${encodeURIComponent(local)}`);
    expect(logs.status).toBe(200);
    for (const l of logs.body.lines) expect(Date.parse(l.at)).toBeGreaterThan(f.clock.now() - HOUR);
    const m = await call('GET', `/api/deployments/${id}/metrics?since=${encodeURIComponent(local)}`);
    expect(m.status).toBe(200);
    expect(m.body.since).toBe(new Date(f.clock.now() - HOUR).toISOString());
    const r = await call('POST', `/api/deployments/${id}/restore`, { pointInTime: local, mode: 'new', name: 'db-pitr' });
    expect(r.status).toBe(202);
    expect(r.body.restoredFrom.pointInTime).toBe(new Date(f.clock.now() - HOUR).toISOString());
  });

  it('GET /metrics shows the latest hour by default and the latest samples of a long range, saying when it cut older ones', async () => {
    const id = await deploy('db', 'starter');
    const ready = Date.parse((await get(id)).readyAt);
    // Three days of samples every 10 minutes, as the orchestrator records them.
    const insert = f.db.prepare(
      'INSERT INTO orch_metric_samples (deployment_id, at, interval_ms, requests, errors, avg_ms, p95_ms, cpu, memory, instances, healthy) VALUES (?, ?, 600000, 100, 0, 5, 12, 20, 30, 1, 1)',
    );
    f.clock.advance(3 * DAY);
    const inserted: string[] = [];
    for (let t = ready + 600_000; t <= f.clock.now(); t += 600_000) inserted.push(new Date(t).toISOString());
    for (const at of inserted) insert.run(id, at);
    const now = f.clock.now();

    const m = (await call('GET', `/api/deployments/${id}/metrics`)).body;
    expect(m).toMatchObject({ seriesAvailable: true, truncated: false, until: new Date(now).toISOString() });
    expect(m.series.length).toBe(6);
    for (const s of m.series) expect(Date.parse(s.at)).toBeGreaterThanOrEqual(now - HOUR);

    const long = (await call('GET', `/api/deployments/${id}/metrics?since=${new Date(ready).toISOString()}&limit=10`)).body;
    expect(long.truncated).toBe(true);
    expect(long.series.map((s: { at: string }) => s.at)).toEqual(inserted.slice(-10));

    const backwards = await call(
      'GET',
      `/api/deployments/${id}/metrics?since=${new Date(now).toISOString()}&until=${new Date(ready).toISOString()}`,
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe('INVALID_RANGE');

    // Stopped two hours ago: the default window is the hour before it stopped, not two empty hours.
    await call('POST', `/api/deployments/${id}/stop`);
    f.advance(2 * HOUR);
    const stopped = (await call('GET', `/api/deployments/${id}/metrics`)).body;
    expect(stopped.series.length).toBeGreaterThan(0);
    expect(Date.parse(stopped.until)).toBe(Date.parse((await get(id)).stateChangedAt));
  });

  it('the orchestrator serves a range [since, until] as its latest samples in time order', async () => {
    const insert = f.db.prepare(
      'INSERT INTO orch_metric_samples (deployment_id, at, interval_ms, requests, errors, avg_ms, p95_ms, cpu, memory, instances, healthy) VALUES (?, ?, 10000, 1, 0, 5, 12, 20, 30, 1, 1)',
    );
    const at = (min: number) => new Date(Date.UTC(2026, 2, 1, 0, min)).toISOString();
    for (let min = 0; min < 30; min++) insert.run('deploy-x', at(min));
    const res = await orch.app.inject({ url: `/internal/metrics/deploy-x?since=${at(5)}&until=${at(20)}&limit=4`, headers: internal });
    expect(res.json()).toMatchObject({ truncated: true, samples: [17, 18, 19, 20].map((min) => ({ at: at(min) })) });
    const bad = await orch.app.inject({ url: `/internal/metrics/deploy-x?since=${at(20)}&until=${at(5)}`, headers: internal });
    expect(bad.statusCode).toBe(400);
  });

  it('applies an autoscaling decision only while autoscaling is on and the count fits its bounds and the tier', async () => {
    const id = await deploy('db', 'pro');
    const autoscale = (instances: number) =>
      f.app.inject({ method: 'POST', url: `/internal/deployments/${id}/autoscale`, headers: internal, payload: { instances } });

    // Turned off after the orchestrator read the settings: its decision is dropped.
    await call('POST', `/api/deployments/${id}/scale`, { autoscaling: { enabled: true, min: 1, max: 3 } });
    await call('POST', `/api/deployments/${id}/scale`, { autoscaling: { enabled: false } });
    expect((await autoscale(2)).json()).toEqual({ started: false });
    // Beyond the autoscaling max (lowered since): dropped too.
    await call('POST', `/api/deployments/${id}/scale`, { autoscaling: { enabled: true, min: 1, max: 2 } });
    expect((await autoscale(3)).json()).toEqual({ started: false });
    expect((await get(id)).instances).toBe(1);
    expect((await autoscale(2)).json()).toEqual({ started: true });
    f.advance(60_000);
    expect((await get(id)).instances).toBe(2);

    // A manual count outside the autoscaling bounds would be walked back by the autoscaler: refused, unless the
    // same request turns autoscaling off.
    const outside = await call('POST', `/api/deployments/${id}/scale`, { instances: 4 });
    expect(outside.status).toBe(422);
    expect(outside.body).toMatchObject({ code: 'INSTANCES_OUT_OF_RANGE', details: { autoscaling: { min: 1, max: 2 } } });
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 4, autoscaling: { enabled: false } })).status).toBe(202);
    f.advance(60_000);
    expect((await get(id)).instances).toBe(4);

    // A downgrade to Starter (max 2) with autoscaling allowed up to 5 would let it scale past the tier.
    await call('POST', `/api/deployments/${id}/scale`, { instances: 2, autoscaling: { enabled: true, min: 1, max: 5 } });
    f.advance(60_000);
    const down = await call('POST', `/api/deployments/${id}/plan`, { tier: 'starter' });
    expect(down.status).toBe(422);
    expect(down.body).toMatchObject({ code: 'DOWNGRADE_EXCEEDS_LIMITS', details: { autoscalingMax: 5, tierMax: 2 } });
    expect((await get(id)).tier).toBe('pro');
  });

  it('refuses options a verb does not take, and a plan change whose preview flags disagree, changing nothing', async () => {
    const id = await deploy('db', 'starter');
    const stop = await call('POST', `/api/deployments/${id}/stop`, { force: true });
    expect(stop.status).toBe(400);
    expect(stop.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ message: expect.stringContaining('force') }] });
    const backup = await call('POST', `/api/deployments/${id}/backups`, { name: 'before-migration' });
    expect(backup.status).toBe(400);
    expect((await call('GET', `/api/deployments/${id}/backups`)).body.backups.filter((b: { kind: string }) => b.kind === 'manual')).toEqual(
      [],
    );
    // The CLI sends {} and the dashboard nothing: both still work.
    expect((await call('POST', `/api/deployments/${id}/backups`, {})).status).toBe(202);

    const conflict = await call('POST', `/api/deployments/${id}/plan?preview=true`, { tier: 'pro', preview: false });
    expect(conflict.status).toBe(400);
    expect(conflict.body.code).toBe('PREVIEW_CONFLICT');
    expect((await call('POST', `/api/deployments/${id}/plan?preview=true`, { tier: 'pro' })).body.preview).toBe(true);
    expect(await get(id)).toMatchObject({ status: 'running', tier: 'starter' });
    expect((await call('POST', `/api/deployments/${id}/stop`)).status).toBe(202);
  });

  it('a spent suspend-on-exceed budget suspends a deployment that was mid-restart when it crossed, and refuses new ones', async () => {
    const db1 = await deploy('db1', 'pro');
    const db2 = await deploy('db2', 'pro');
    // Two $50 deployments: $16 is crossed on day 5.
    await call('POST', '/api/billing/budgets', { amount: 16, onExceed: 'suspend' });
    f.clock.advance(5 * DAY);
    expect((await call('POST', `/api/deployments/${db2}/restart`)).status).toBe(202);
    f.billing.evaluate(u.id);
    f.advance(60_000);
    expect((await get(db1)).status).toBe('suspended');
    expect((await get(db2)).status).toBe('running');
    // The next evaluation (every 60 simulated seconds) catches the one that was restarting.
    f.billing.evaluate(u.id);
    f.advance(60_000);
    expect(await get(db2)).toMatchObject({ status: 'suspended', statusReason: 'budget_exceeded' });

    const more = await call('POST', '/api/deployments', {
      serviceId: 'svc-postgres',
      name: 'db3',
      config: { tier: 'pro', region: 'us-east-1' },
    });
    expect(more.status).toBe(409);
    expect(more.body).toMatchObject({ code: 'BUDGET_EXCEEDED', error: expect.stringContaining('then deploy') });
    expect((await call('GET', '/api/deployments')).body.total).toBe(2);
  });

  it('lists a deleted deployment with includeDeleted only while its tombstone reads, not after its 30 days', async () => {
    const id = await deploy('db', 'starter');
    await call('DELETE', `/api/deployments/${id}`);
    f.advance(29 * DAY);
    expect((await call('GET', '/api/deployments?includeDeleted=true')).body).toMatchObject({ total: 1, deployments: [{ id }] });
    f.advance(2 * DAY);
    expect((await call('GET', `/api/deployments/${id}`)).status).toBe(404);
    expect((await call('GET', '/api/deployments?includeDeleted=true')).body).toMatchObject({ total: 0, deployments: [] });
  });

  it('refuses budget input it would otherwise rewrite or ignore, and stores nothing', async () => {
    const id = await deploy('db', 'starter');
    const subCent = await call('POST', '/api/billing/budgets', { amount: 10.005 });
    expect(subCent.status).toBe(400);
    expect(subCent.body.details).toEqual([{ field: 'amount', message: 'must be in whole cents (at most 2 decimals)' }]);
    expect((await call('POST', '/api/billing/budgets', { amount: 19.99 })).body.amountCents).toBe(1999);
    expect((await call('POST', '/api/billing/budgets', { amount: 5, deploymentId: '' })).status).toBe(400);

    const account = (await call('GET', '/api/billing/budgets')).body.budgets[0];
    const rescope = await call('PUT', `/api/billing/budgets/${account.id}`, { amount: 7, deploymentId: id });
    expect(rescope.status).toBe(400);
    expect(rescope.body).toMatchObject({ code: 'BUDGET_INVALID', details: { scope: { type: 'account' } } });
    expect((await call('GET', `/api/billing/budgets/${account.id}`)).body).toMatchObject({
      version: 1,
      amountCents: 1999,
      scope: { type: 'account' },
    });
    // Naming the scope it already has is fine.
    const scoped = (await call('POST', '/api/billing/budgets', { amount: 5, deploymentId: id })).body;
    expect((await call('PUT', `/api/billing/budgets/${scoped.id}`, { amount: 6, deploymentId: id })).body).toMatchObject({
      version: 2,
      amountCents: 600,
    });
    expect((await call('GET', '/api/billing/budgets')).body.total).toBe(2);
  });
});
