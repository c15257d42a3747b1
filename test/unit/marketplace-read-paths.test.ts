// The marketplace's read paths after their batching and caching: a page of views equals the views read one by
// one, a cached transition history never hides a state change, a scale or a delete (nor keeps an event of a
// rolled-back transaction), and the billing summary pages its lines with totals that still cover every one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentView } from '../../marketplace/deployment-view.ts';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

let f: MarketplaceFixture;
let u: ReturnType<MarketplaceFixture['user']>;

beforeEach(async () => {
  f = await marketplaceFixture();
  u = f.user('enterprise');
});
afterEach(async () => f.app.close());

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  const res = await f.app.inject({ method, url, headers: u.auth, payload });
  return { status: res.statusCode, body: res.json() };
}

async function create(name: string) {
  const res = await call('POST', '/api/deployments', { serviceId: 'svc-redis', name, config: { tier: 'pro', region: 'us-east-1' } });
  expect(res.status).toBe(202);
  return res.body.deploymentId as string;
}

const get = async (id: string) => (await call('GET', `/api/deployments/${id}`)).body;

describe('deployment list: one batched read per page', () => {
  it('answers for each row exactly what GET /api/deployments/:id answers, operations included', async () => {
    const running = await create('running-one');
    const stopping = await create('stopping-one');
    const deleted = await create('deleted-one');
    f.advance(60_000);
    expect((await call('POST', `/api/deployments/${stopping}/stop`)).status).toBe(202);
    expect((await call('DELETE', `/api/deployments/${deleted}`)).status).toBe(202);
    f.advance(500);
    const provisioning = await create('provisioning-one');

    const list = await call('GET', '/api/deployments?includeDeleted=true');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(4);
    const byId = new Map((list.body.deployments as { id: string }[]).map((d) => [d.id, d]));
    for (const id of [running, stopping, deleted, provisioning]) expect(byId.get(id)).toEqual(await get(id));
    // The rows differ where the batched reads could mix them up.
    expect(byId.get(stopping)).toMatchObject({ status: 'stopping', currentOperation: { type: 'stop', status: 'running' } });
    expect(byId.get(provisioning)).toMatchObject({ currentOperation: { type: 'create' }, lastOperation: null });
    expect(byId.get(running)).toMatchObject({ currentOperation: null, lastOperation: { type: 'create', status: 'succeeded' } });
  });

  it('orders the page newest first, ties by id, and counts without deleted ones unless asked', async () => {
    // Created within the same millisecond: the id breaks the tie.
    const ids = [await create('a'), await create('b'), await create('c')];
    f.advance(1);
    const newest = await create('d');
    const page = await call('GET', '/api/deployments?limit=2&offset=1');
    expect(page.body).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.body.deployments.map((d: { id: string }) => d.id)).toEqual([...ids].sort().slice(0, 2));
    expect((await call('GET', '/api/deployments?limit=1')).body.deployments[0].id).toBe(newest);
    await call('DELETE', `/api/deployments/${newest}`);
    f.advance(10_000);
    expect((await call('GET', '/api/deployments')).body.total).toBe(3);
    expect((await call('GET', '/api/deployments?includeDeleted=true')).body.total).toBe(4);
  });
});

describe('cached transition history', () => {
  it('shows a stop, a scale and a delete on the very next read of the status, the list and the bill', async () => {
    const id = await create('cache-me');
    f.advance(60_000);
    const before = await get(id);
    expect(before.status).toBe('running');
    await call('GET', '/api/billing');

    // Stop: the status, the list and the cost stop accruing at once.
    expect((await call('POST', `/api/deployments/${id}/stop`)).status).toBe(202);
    expect((await get(id)).status).toBe('stopping');
    f.advance(5_000);
    const stopped = await get(id);
    expect(stopped.status).toBe('stopped');
    expect((await call('GET', '/api/deployments')).body.deployments[0].status).toBe('stopped');
    f.advance(86_400_000);
    // Not billable while stopped: a day later the cost is where the stop left it.
    expect((await get(id)).billing.currentCents).toBe(stopped.billing.currentCents);
    expect((await call('GET', '/api/billing')).body.currentCents).toBe(stopped.billing.currentCents);

    // Start and scale to 3: the extra instances accrue from the scale on.
    await call('POST', `/api/deployments/${id}/start`);
    f.advance(10_000);
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 3 })).status).toBe(202);
    f.advance(2_000);
    const scaled = await get(id);
    expect(scaled).toMatchObject({ status: 'running', instances: 3 });
    f.advance(86_400_000);
    const dayLater = await get(id);
    expect(dayLater.billing.lines.instancesCents).toBeGreaterThan(0);
    const bill = (await call('GET', '/api/billing')).body;
    expect(bill.deployments[0].lines).toEqual(dayLater.billing.lines);

    // Delete: deleting, then deleted, on the next reads.
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(202);
    expect((await get(id)).status).toBe('deleting');
    f.advance(10_000);
    expect((await get(id)).status).toBe('deleted');
    expect((await call('GET', '/api/deployments')).body.total).toBe(0);
    const events = (await call('GET', `/api/deployments/${id}/events?limit=100`)).body;
    expect(events.total).toBe(f.db.prepare('SELECT count(*) AS n FROM mkt_deployment_events WHERE deployment_id = ?').pluck().get(id));
  });

  it('never keeps an event of a rolled-back transaction', async () => {
    const id = await create('rollback');
    f.advance(60_000);
    const committed = f.repo.events(id);
    expect(() =>
      f.db.transaction(() => {
        f.repo.insertEvent({ ...committed[committed.length - 1], from_status: 'running', to_status: 'stopped', reason: 'phantom' });
        expect(f.repo.events(id)).toHaveLength(committed.length + 1);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(f.repo.events(id)).toEqual(committed);
    expect((await get(id)).status).toBe('running');
    expect(f.repo.eventsOf([id]).get(id)).toEqual(committed);
  });
});

describe('live deployments for the orchestrator (reused until the next write)', () => {
  const live = () => f.health.live(100).map((d) => `${d.id}:${d.status}:${d.instances}`);

  it('shows a deployment reaching running, a scale and a stop on the next read', async () => {
    const id = await create('watched');
    expect(live()).toEqual([]);
    f.advance(60_000);
    expect(live()).toEqual([`${id}:running:1`]);
    expect(live()).toEqual([`${id}:running:1`]);
    await call('POST', `/api/deployments/${id}/scale`, { instances: 2 });
    expect(live()).toEqual([]); // updating is not live
    f.advance(5_000);
    expect(live()).toEqual([`${id}:running:2`]);
    await call('POST', `/api/deployments/${id}/stop`);
    f.advance(5_000);
    expect(live()).toEqual([]);
  });

  it('never keeps rows read inside a transaction that rolls back', async () => {
    const id = await create('rolled');
    f.advance(60_000);
    expect(live()).toEqual([`${id}:running:1`]);
    expect(() =>
      f.db.transaction(() => {
        f.repo.setInstances(id, 3, new Date(f.clock.now()).toISOString());
        expect(live()).toEqual([`${id}:running:3`]);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(live()).toEqual([`${id}:running:1`]);
  });
});

describe('deployment snapshot for the status (reused until the next write)', () => {
  it('answers every poll exactly as fresh reads would, through provisioning, a scale and a stop', async () => {
    const id = await create('polled');
    const snap = f.repo.snapshot(id);
    expect(f.repo.snapshot(id)).toBe(snap); // nothing written: the same frozen reads
    expect(Object.isFrozen(snap?.row)).toBe(true);
    const fresh = () => JSON.parse(JSON.stringify(deploymentView(f.repo, f.repo.byId(id)!, f.clock.now())));
    // Each poll in a new second of the clock: the view is computed afresh (within a second it is reused; below).
    const pollFor = async (ms: number) => {
      for (let t = 0; t <= ms; t += 1000) {
        expect(await get(id)).toEqual(fresh());
        f.advance(1000);
      }
    };
    await pollFor(30_000);
    expect((await get(id)).status).toBe('running');
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 2 })).status).toBe(202);
    await pollFor(5_000);
    expect((await get(id)).instances).toBe(2);
    expect((await call('POST', `/api/deployments/${id}/stop`)).status).toBe(202);
    await pollFor(5_000);
    expect((await get(id)).status).toBe('stopped');
  });

  it('within one second, polls get the same view, but a write shows on the very next poll', async () => {
    const id = await create('same-second');
    f.advance(60_000 - (f.clock.now() % 1000)); // running, at the start of a second
    // A second whose first 900 ms change the fresh view (the request counter rises at least every 2 s, at 0.5 to 5
    // requests/s by the deployment's random profile), so that equal polls can only come from the reuse.
    const freshAt = (ms: number) => JSON.parse(JSON.stringify(deploymentView(f.repo, f.repo.byId(id)!, ms)));
    let start = f.clock.now();
    for (let tries = 0; tries < 5 && JSON.stringify(freshAt(start)) === JSON.stringify(freshAt(start + 900)); tries++) start += 1000;
    expect(freshAt(start + 900)).not.toEqual(freshAt(start));
    f.advance(start - f.clock.now());
    const first = await get(id);
    expect(first.status).toBe('running');
    f.advance(900);
    const again = await get(id);
    // The counters are those of the second's first poll, not recomputed 900 ms later...
    expect(again).toEqual(first);
    // (computed now, they would differ: the reuse is what made them equal)
    expect(freshAt(f.clock.now())).not.toEqual(first);
    // ...but a scale in the same second is seen at once, and so is a stop.
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 3 })).status).toBe(202);
    const scaling = await get(id);
    expect(scaling.status).toBe('updating');
    expect(scaling.currentOperation.type).toBe('scale');
    // The scale's first poll computed it afresh (the counters as of then); later polls that second reuse it.
    f.advance(99);
    expect(await get(id)).toEqual(scaling);
    // The next second is computed afresh.
    f.advance(1000);
    expect(await get(id)).toEqual(JSON.parse(JSON.stringify(deploymentView(f.repo, f.repo.byId(id)!, f.clock.now()))));
  });

  it('never keeps reads made inside a transaction that rolls back', async () => {
    const id = await create('rolled-snapshot');
    f.advance(60_000);
    expect(f.repo.snapshot(id)?.row.instances).toBe(1);
    expect(() =>
      f.db.transaction(() => {
        f.repo.setInstances(id, 3, new Date(f.clock.now()).toISOString());
        expect(f.repo.snapshot(id)?.row.instances).toBe(3);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(f.repo.snapshot(id)?.row.instances).toBe(1);
    expect((await get(id)).instances).toBe(1);
  });
});

describe('GET /api/billing: paged lines, exact totals', () => {
  it('pages the per-deployment lines while the totals cover every deployment', async () => {
    const ids = [await create('b1'), await create('b2'), await create('b3')];
    f.advance(60_000);
    await call('POST', `/api/deployments/${ids[1]}/stop`);
    f.advance(3 * 86_400_000);
    const all = (await call('GET', '/api/billing')).body;
    expect(all).toMatchObject({ deploymentsTotal: 3, limit: 100, offset: 0 });
    expect(all.deployments).toHaveLength(3);
    const sum = (k: string) => all.deployments.reduce((a: number, d: Record<string, number>) => a + d[k], 0);
    expect(all.currentCents).toBe(sum('currentCents'));
    expect(all.projectedCents).toBe(sum('projectedCents'));
    // Each line is the deployment's own cost, to the cent.
    for (const line of all.deployments) expect(line.currentCents).toBe((await get(line.deploymentId)).billing.currentCents);

    const first = (await call('GET', '/api/billing?limit=2')).body;
    const rest = (await call('GET', '/api/billing?limit=2&offset=2')).body;
    expect(first).toMatchObject({
      deploymentsTotal: 3,
      limit: 2,
      offset: 0,
      currentCents: all.currentCents,
      projectedCents: all.projectedCents,
    });
    expect([...first.deployments, ...rest.deployments]).toEqual(all.deployments);
    expect(rest.currentCost).toBe(all.currentCost);

    const bad = await call('GET', '/api/billing?limit=101');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBeTypeOf('string');
  });
});
