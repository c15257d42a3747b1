// The transition table on a manual clock (reference §1.5.3): every verb from every state it is allowed in,
// 409s naming the allowed actions, rollback of failed updates, injected failures and the stuck guard.
import { afterEach, describe, expect, it } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

let f: MarketplaceFixture;
afterEach(async () => f?.app.close());

async function setup(env: Record<string, string> = {}) {
  f = await marketplaceFixture(env);
  const u = f.user('enterprise');
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) => {
    const res = await f.app.inject({ method, url, headers: { ...u.auth, ...headers }, payload });
    return { status: res.statusCode, body: res.json() };
  };
  const create = async (payload: object = {}, headers: Record<string, string> = {}) => {
    const res = await call(
      'POST',
      '/api/deployments',
      {
        serviceId: 'svc-redis',
        name: `r${Math.random().toString(36).slice(2, 8)}`,
        config: { tier: 'pro', region: 'us-east-1' },
        ...payload,
      },
      headers,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.deploymentId as string;
  };
  const status = async (id: string) => (await call('GET', `/api/deployments/${id}`)).body.status as string;
  const history = async (id: string) =>
    ((await call('GET', `/api/deployments/${id}/events?limit=100`)).body.events as { from: string; to: string }[])
      .reverse()
      .map((e) => `${e.from}>${e.to}`);
  return { u, call, create, status, history };
}

describe('deployment transition table', () => {
  it('create -> running; stop -> stopped; start -> running; restart; delete -> deleted, each on its duration', async () => {
    const { u, call, create, status, history } = await setup();
    const id = await create();
    expect(await status(id)).toBe('provisioning');
    f.advance(5_000); // redis: 5 s
    expect(await status(id)).toBe('running');

    const stop = await call('POST', `/api/deployments/${id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body).toMatchObject({ success: true, status: 'stopped', currentStatus: 'stopping' });
    f.advance(1_999);
    expect(await status(id)).toBe('stopping');
    f.advance(1);
    expect(await status(id)).toBe('stopped');
    // stop again: already the desired state -> 200, no new operation
    const again = await call('POST', `/api/deployments/${id}/stop`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ success: true, status: 'stopped', currentStatus: 'stopped' });

    expect((await call('POST', `/api/deployments/${id}/start`)).status).toBe(202);
    expect(await status(id)).toBe('starting');
    f.advance(3_000);
    expect(await status(id)).toBe('running');

    expect((await call('POST', `/api/deployments/${id}/restart`)).status).toBe(202);
    expect(await status(id)).toBe('restarting');
    f.advance(3_000);
    expect(await status(id)).toBe('running');

    const del = await call('DELETE', `/api/deployments/${id}`);
    expect(del.status).toBe(202);
    expect(await status(id)).toBe('deleting');
    f.advance(2_000);
    expect(await status(id)).toBe('deleted');
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(200);

    expect(await history(id)).toEqual([
      'pending>provisioning',
      'provisioning>running',
      'running>stopping',
      'stopping>stopped',
      'stopped>starting',
      'starting>running',
      'running>restarting',
      'restarting>running',
      'running>deleting',
      'deleting>deleted',
    ]);
    expect(f.outbox().map((e) => e.type)).toEqual([
      'service.deployed',
      'deployment.stopped',
      'deployment.started',
      'deployment.restarted',
      'deployment.deleted',
    ]);
    // Each accepted request is audited once, when it is accepted, with its actor; the no-op second stop is not.
    expect(f.auditEntries().map((a) => [a.action, a.actorId, a.actorUsername, a.target])).toEqual(
      ['create', 'stop', 'start', 'restart', 'delete'].map((verb) => [`deployment.${verb}`, u.id, 'user1', `deployment:${id}`]),
    );
    // From where, as the main API records its own entries (inject's socket address and user agent).
    expect(f.auditEntries().map((a) => [a.ip, a.userAgent])).toEqual(Array(5).fill(['127.0.0.1', 'lightMyRequest']));
    // A deleted deployment frees its name and leaves the list.
    expect((await call('GET', '/api/deployments')).body.total).toBe(0);
    // The tombstone answers for 30 days, then 404.
    f.advance(30 * 86_400_000);
    expect(await status(id)).toBe('deleted');
    f.advance(1);
    expect((await call('GET', `/api/deployments/${id}`)).status).toBe(404);
  });

  it('refuses actions not allowed in the current state with 409 naming the allowed actions', async () => {
    const { call, create } = await setup();
    const id = await create();
    const busy = await call('POST', `/api/deployments/${id}/stop`);
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({
      code: 'OPERATION_IN_PROGRESS',
      error: expect.stringContaining('is provisioning'),
      details: { status: 'provisioning', allowedActions: ['delete'], currentOperation: { type: 'create', status: 'running' } },
    });
  });

  it('start while running is a no-op and retry while running is refused', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000);
    const start = await call('POST', `/api/deployments/${id}/start`);
    expect(start.status).toBe(200);
    const retry = await call('POST', `/api/deployments/${id}/retry`);
    expect(retry.status).toBe(409);
    const name = (await call('GET', `/api/deployments/${id}`)).body.name;
    expect(retry.body).toEqual({
      error: `cannot retry deployment "${name}" while it is running: allowed actions are stop, restart, scale, change_plan, restore, backup, rotate_credentials, delete`,
      code: 'INVALID_STATE_TRANSITION',
      details: {
        status: 'running',
        allowedActions: ['stop', 'restart', 'scale', 'change_plan', 'restore', 'backup', 'rotate_credentials', 'delete'],
      },
    });
  });

  it('delete pre-empts provisioning and cancels its operation', async () => {
    const { call, create, status } = await setup();
    const id = await create();
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(202);
    f.advance(10_000);
    expect(await status(id)).toBe('deleted');
    const op = f.db.prepare("SELECT status, error_code FROM mkt_operations WHERE deployment_id = ? AND type = 'create'").get(id);
    expect(op).toEqual({ status: 'canceled', error_code: 'preempted' });
    expect(f.outbox().map((e) => e.type)).toEqual(['deployment.deleted']);
    // The create never finished, and is audited all the same: the request is the action.
    expect(f.auditEntries().map((a) => a.action)).toEqual(['deployment.create', 'deployment.delete']);
  });

  it('scale and plan change go through updating and land back in the steady state', async () => {
    const { call, create, status } = await setup();
    const id = await create();
    f.advance(5_000);
    const over = await call('POST', `/api/deployments/${id}/scale`, { instances: 9 });
    expect(over.status).toBe(422);
    expect(over.body.code).toBe('INSTANCES_OUT_OF_RANGE');
    expect((await call('POST', `/api/deployments/${id}/scale`, { instances: 3 })).status).toBe(202);
    expect(await status(id)).toBe('updating');
    f.advance(2_000); // 1 s per instance added
    const after = (await call('GET', `/api/deployments/${id}`)).body;
    expect(after).toMatchObject({ status: 'running', instances: 3 });

    // A tier the service does not have is the same 400 as on create, preview or not.
    for (const url of [`/api/deployments/${id}/plan`, `/api/deployments/${id}/plan?preview=true`]) {
      const unknown = await call('POST', url, { tier: 'platinum' });
      expect([unknown.status, unknown.body.code, unknown.body.details]).toEqual([400, 'UNKNOWN_TIER', { allowed: expect.any(Array) }]);
    }
    const downgrade = await call('POST', `/api/deployments/${id}/plan`, { tier: 'starter' });
    expect(downgrade.status).toBe(422);
    expect(downgrade.body).toEqual({
      error: 'the deployment runs 3 instances but Starter allows 2: scale down first',
      code: 'DOWNGRADE_EXCEEDS_LIMITS',
    });
    await call('POST', `/api/deployments/${id}/scale`, { instances: 1 });
    f.advance(1_000);
    const preview = await call('POST', `/api/deployments/${id}/plan?preview=true`, { tier: 'starter' });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      preview: true,
      fromPlan: 'pro',
      toPlan: 'starter',
      currentCycle: { before: expect.any(Number), after: expect.any(Number) },
    });
    expect(preview.body.currentCycle.deltaMinor).toBeLessThan(0);
    expect((await call('GET', `/api/deployments/${id}`)).body.tier).toBe('pro');
    expect((await call('POST', `/api/deployments/${id}/plan`, { tier: 'starter' })).status).toBe(202);
    expect(await status(id)).toBe('updating');
    f.advance(5_000);
    expect((await call('GET', `/api/deployments/${id}`)).body).toMatchObject({ status: 'running', tier: 'starter' });
    expect(f.outbox().map((e) => e.type)).toEqual([
      'service.deployed',
      'deployment.scaled',
      'deployment.scaled',
      'deployment.plan_changed',
    ]);
  });

  it('binds Idempotency-Key to the query string: a key used for a plan preview is refused for the real change', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000);
    const key = { 'idempotency-key': 'plan1' };
    const preview = await call('POST', `/api/deployments/${id}/plan?preview=true`, { tier: 'starter' }, key);
    expect(preview).toMatchObject({ status: 200, body: { preview: true } });
    // The same key without ?preview is another request, like another body: refused, never the preview replayed.
    const real = await call('POST', `/api/deployments/${id}/plan`, { tier: 'starter' }, key);
    expect(real.status).toBe(422);
    expect(real.body).toEqual({
      error: 'this Idempotency-Key was already used with a different request (body or query string): use a new key',
      code: 'IDEMPOTENCY_KEY_MISMATCH',
    });
    expect((await call('GET', `/api/deployments/${id}`)).body.tier).toBe('pro');
    // The identical preview is still replayed, and a new key makes the change.
    expect((await call('POST', `/api/deployments/${id}/plan?preview=true`, { tier: 'starter' }, key)).body.preview).toBe(true);
    expect((await call('POST', `/api/deployments/${id}/plan`, { tier: 'starter' }, { 'idempotency-key': 'plan2' })).status).toBe(202);
    f.advance(5_000);
    expect((await call('GET', `/api/deployments/${id}`)).body).toMatchObject({ status: 'running', tier: 'starter' });
  });

  it('backups, point-in-time window and restore in place or to a new deployment', async () => {
    const { call, create, status } = await setup();
    const id = await create();
    f.advance(5_000);
    const b = await call('POST', `/api/deployments/${id}/backups`, undefined, { 'idempotency-key': 'bk-1' });
    expect(b.status).toBe(202);
    expect(b.body).toMatchObject({ kind: 'manual', status: 'pending' });
    // A retry with the same key gets the same backup, not a second one.
    expect((await call('POST', `/api/deployments/${id}/backups`, undefined, { 'idempotency-key': 'bk-1' })).body.id).toBe(b.body.id);
    expect(
      (await call('GET', `/api/deployments/${id}/backups`)).body.backups.filter((x: { kind: string }) => x.kind === 'manual'),
    ).toHaveLength(1);
    f.advance(3_000);
    const list = (await call('GET', `/api/deployments/${id}/backups`)).body;
    expect(list.backups[0]).toMatchObject({ id: b.body.id, status: 'completed' });
    // One backup by id, as the list has it; an unknown id, or another user's deployment, is 404.
    expect((await call('GET', `/api/deployments/${id}/backups/${b.body.id}`)).body).toEqual(list.backups[0]);
    expect((await call('GET', `/api/deployments/${id}/backups/backup-nope`)).body.code).toBe('BACKUP_NOT_FOUND');
    const stranger = await f.app.inject({ url: `/api/deployments/${id}/backups/${b.body.id}`, headers: f.user().auth });
    expect([stranger.statusCode, stranger.json().code]).toEqual([404, 'DEPLOYMENT_NOT_FOUND']);

    const tooOld = await call('POST', `/api/deployments/${id}/restore`, { pointInTime: '2025-01-01T00:00:00.000Z', mode: 'in_place' });
    expect(tooOld.status).toBe(422);
    expect(tooOld.body.code).toBe('POINT_IN_TIME_OUTSIDE_WINDOW');
    expect(await status(id)).toBe('running');

    expect((await call('POST', `/api/deployments/${id}/restore`, { backupId: b.body.id, mode: 'in_place' })).status).toBe(202);
    expect(await status(id)).toBe('restoring');
    f.advance(2_100);
    expect(await status(id)).toBe('running');

    const pit = new Date(f.clock.now() - 1_000).toISOString();
    const fresh = await call('POST', `/api/deployments/${id}/restore`, { pointInTime: pit, mode: 'new', name: 'restored-copy' });
    expect(fresh.status).toBe(202);
    expect(fresh.body).toMatchObject({
      name: 'restored-copy',
      status: 'provisioning',
      restoredFrom: { deploymentId: id, pointInTime: pit },
    });
    f.advance(5_000);
    expect((await call('GET', `/api/deployments/${fresh.body.deploymentId}`)).body).toMatchObject({
      status: 'running',
      restoredFrom: { deploymentId: id },
    });
  });

  it('an in-place restore records its source in restoredFrom, the latest one replacing the previous', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000);
    const get = async () => (await call('GET', `/api/deployments/${id}`)).body;
    expect((await get()).restoredFrom).toBeNull();
    const b = await call('POST', `/api/deployments/${id}/backups`);
    f.advance(3_000);

    const fromBackup = await call('POST', `/api/deployments/${id}/restore`, { backupId: b.body.id, mode: 'in_place' });
    expect(fromBackup.status).toBe(202);
    expect(fromBackup.body.deployment.restoredFrom).toEqual({ deploymentId: id, backupId: b.body.id });
    // Refused while the restore runs, and the refusal changes nothing.
    const pit = new Date(f.clock.now() - 1_000).toISOString();
    expect((await call('POST', `/api/deployments/${id}/restore`, { pointInTime: pit, mode: 'in_place' })).status).toBe(409);
    f.advance(2_100);
    expect(await get()).toMatchObject({ status: 'running', restoredFrom: { deploymentId: id, backupId: b.body.id } });

    // A point in time outside the window is refused and leaves the recorded source as it was.
    const tooOld = await call('POST', `/api/deployments/${id}/restore`, { pointInTime: '2025-01-01T00:00:00.000Z', mode: 'in_place' });
    expect(tooOld.status).toBe(422);
    expect((await get()).restoredFrom).toEqual({ deploymentId: id, backupId: b.body.id });

    // The latest restore replaces the previous source entirely (no stale backupId).
    const fromPit = await call('POST', `/api/deployments/${id}/restore`, { pointInTime: pit, mode: 'in_place' });
    expect(fromPit.status).toBe(202);
    f.advance(2_100);
    expect(await get()).toMatchObject({ status: 'running' });
    expect((await get()).restoredFrom).toEqual({ deploymentId: id, pointInTime: pit });
  });

  it('rotates credentials, keeping the old secret valid for the grace period', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000);
    const before = (await call('GET', `/api/deployments/${id}/credentials`)).body;
    const rotated = await call('POST', `/api/deployments/${id}/credentials/rotate`, { graceHours: 2 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.version).toBe(2);
    expect(rotated.body.credentials.password).not.toBe(before.credentials.password);
    expect(rotated.body.previousValidUntil).toBe(new Date(f.clock.now() + 2 * 3600_000).toISOString());
    expect((await call('GET', `/api/deployments/${id}/credentials`)).body.credentials).toEqual(rotated.body.credentials);
  });

  it('a deleted deployment refuses autoscaling and plan previews with 409, storing nothing', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000);
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(202);
    f.advance(60_000);
    expect((await call('GET', `/api/deployments/${id}`)).body.status).toBe('deleted');
    const auto = await call('POST', `/api/deployments/${id}/scale`, { autoscaling: { enabled: true, min: 1, max: 2 } });
    expect(auto.status, JSON.stringify(auto.body)).toBe(409);
    expect(auto.body).toMatchObject({ code: 'INVALID_STATE_TRANSITION', details: { allowedActions: [] } });
    expect((await call('GET', `/api/deployments/${id}`)).body.autoscaling).toBeNull();
    expect((await call('POST', `/api/deployments/${id}/scale`, { autoscaling: { enabled: false } })).status).toBe(409);
    const preview = await call('POST', `/api/deployments/${id}/plan?preview=true`, { tier: 'starter' });
    expect(preview.status, JSON.stringify(preview.body)).toBe(409);
    expect(preview.body).toMatchObject({ code: 'INVALID_STATE_TRANSITION', details: { allowedActions: [] } });
    expect(preview.body.error).toMatch(/^cannot change the plan of deployment "r[a-z0-9]+" while it is deleted: allowed actions are none$/);
    // Stopped: scale is not an allowed action, so enabling autoscaling is refused the same way (turning it off is
    // not: {enabled: false} alone, the previous bounds kept); a plan preview is fine.
    const other = await create();
    f.advance(5_000);
    const missing = await call('POST', `/api/deployments/${other}/scale`, { autoscaling: { enabled: true } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('send min and max to enable autoscaling');
    expect((await call('POST', `/api/deployments/${other}/scale`, { autoscaling: { enabled: true, min: 1, max: 3 } })).status).toBe(200);
    await call('POST', `/api/deployments/${other}/stop`);
    f.advance(2_000);
    const stopped = await call('POST', `/api/deployments/${other}/scale`, { autoscaling: { enabled: true, min: 1, max: 2 } });
    expect(stopped.status).toBe(409);
    expect(stopped.body.details.allowedActions).not.toContain('scale');
    const off = await call('POST', `/api/deployments/${other}/scale`, { autoscaling: { enabled: false } });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect((await call('GET', `/api/deployments/${other}`)).body.autoscaling).toEqual({ enabled: false, min: 1, max: 3, targetCpu: 70 });
    expect((await call('POST', `/api/deployments/${other}/plan?preview=true`, { tier: 'starter' })).status).toBe(200);
  });

  it('rotates credentials with no body (graceHours 24) and takes an empty JSON body on a verb as no body', async () => {
    const { u, call, create } = await setup();
    const id = await create();
    f.advance(5_000);
    const bare = await f.app.inject({ method: 'POST', url: `/api/deployments/${id}/credentials/rotate`, headers: u.auth });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json().previousValidUntil).toBe(new Date(f.clock.now() + 24 * 3600_000).toISOString());
    const stop = await f.app.inject({
      method: 'POST',
      url: `/api/deployments/${id}/stop`,
      headers: { ...u.auth, 'content-type': 'application/json' },
      payload: '',
    });
    expect(stop.statusCode, stop.body).toBe(202);
    // Creating still needs a body: the answer names the missing fields.
    const empty = await f.app.inject({
      method: 'POST',
      url: '/api/deployments',
      headers: { ...u.auth, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('VALIDATION_FAILED');
    expect((await call('GET', `/api/deployments/${id}`)).body.status).toBe('stopping');
  });

  it('reads one budget by id (GET /api/billing/budgets/:id); another user gets 404', async () => {
    const { u } = await setup();
    const created = await f.app.inject({ method: 'POST', url: '/api/billing/budgets', headers: u.auth, payload: { amount: 25 } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const one = await f.app.inject({ url: `/api/billing/budgets/${id}`, headers: u.auth });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toEqual(created.json());
    const stranger = f.user('team');
    const hidden = await f.app.inject({ url: `/api/billing/budgets/${id}`, headers: stranger.auth });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe('BUDGET_NOT_FOUND');
    // Idempotency-Key on create: the replay is the same budget and says it is a replay, as the other routes do.
    const keyed = { ...u.auth, 'idempotency-key': 'budget-once' };
    const first = await f.app.inject({ method: 'POST', url: '/api/billing/budgets', headers: keyed, payload: { amount: 30 } });
    const replay = await f.app.inject({ method: 'POST', url: '/api/billing/budgets', headers: keyed, payload: { amount: 30 } });
    expect(replay.json()).toEqual(first.json());
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await f.app.inject({ method: 'DELETE', url: `/api/billing/budgets/${id}`, headers: u.auth });
    expect((await f.app.inject({ url: `/api/billing/budgets/${id}`, headers: u.auth })).statusCode).toBe(404);
  });

  it('serves logs (tail) and the transition history', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000 + 10 * 60_000);
    const logs = (await call('GET', `/api/deployments/${id}/logs?tail=5`)).body;
    expect(logs.lines).toHaveLength(5);
    expect(logs.lines[4].message).toMatch(/^served \d+ requests, avg \d+ms$/);
    const all = (await call('GET', `/api/deployments/${id}/logs?tail=1000`)).body;
    expect(all.lines[0].message).toBe('pending -> provisioning');
    expect(all.lines[1].message).toBe('provisioning -> running');
  });

  it('pages back through the logs with until, past the 200 minutes one answer covers', async () => {
    const { call, create } = await setup();
    const id = await create();
    f.advance(5_000 + 300 * 60_000);
    const q = (query: string) => call('GET', `/api/deployments/${id}/logs?${query}`);
    const last = (await q('tail=100')).body.lines as { at: string; message: string }[];
    expect(last).toHaveLength(100);
    // The page before the first line of this one: the 100 lines before it, none repeated.
    const before = (await q(`tail=100&until=${encodeURIComponent(last[0].at)}`)).body.lines as { at: string }[];
    expect(before).toHaveLength(100);
    expect(before.at(-1)!.at < last[0].at).toBe(true);
    // Three pages back reach the start of the running segment, more than 200 minutes before now.
    const third = (await q(`tail=100&until=${encodeURIComponent(before[0].at)}`)).body.lines as { at: string; message: string }[];
    const fourth = (await q(`tail=100&until=${encodeURIComponent(third[0].at)}`)).body.lines as { message: string }[];
    expect(fourth.map((l) => l.message).slice(0, 2)).toEqual(['pending -> provisioning', 'provisioning -> running']);
    // The same minute answers the same line whichever page it is on.
    const window = (await q(`since=${encodeURIComponent(before[0].at)}&until=${encodeURIComponent(last[0].at)}&tail=1000`)).body.lines;
    expect(window).toEqual(before.slice(1));
    for (const bad of [
      `since=${encodeURIComponent(last[0].at)}&until=${encodeURIComponent(last[0].at)}`,
      `until=${encodeURIComponent(last[0].at)}&follow=true`,
    ]) {
      const res = await q(bad);
      expect(res.status).toBe(400);
    }
  });
});

describe('failure injection (SIMULATION=true)', () => {
  it('a failed provisioning ends in failed, voids the charge, emits deployment.failed and service.failed; retry recovers', async () => {
    const { call, create, status } = await setup({ SIMULATION: 'true' });
    const id = await create({}, { 'x-simulate-failure': 'provisioning' });
    f.advance(5_000);
    const dep = (await call('GET', `/api/deployments/${id}`)).body;
    expect(dep).toMatchObject({
      status: 'failed',
      statusReason: 'provision_failed',
      allowedActions: ['retry', 'delete'],
      billing: { currentCost: 0 },
    });
    expect(dep.lastOperation).toMatchObject({ type: 'create', status: 'failed', error: { code: 'provision_failed' } });
    expect(f.outbox().map((e) => e.type)).toEqual(['deployment.failed', 'service.failed']);
    const restart = await call('POST', `/api/deployments/${id}/restart`);
    expect(restart.status).toBe(409);
    expect(restart.body.details.allowedActions).toEqual(['retry', 'delete']);
    // The injected failure stays with the deployment, so retry fails again: a second deployment without it succeeds.
    const ok = await create({ simulation: { failAt: ['updating'] } });
    f.advance(5_000);
    expect(await status(ok)).toBe('running');
    // A failed update rolls back to running and still reports deployment.failed.
    await call('POST', `/api/deployments/${ok}/scale`, { instances: 2 });
    f.advance(1_000);
    const rolled = (await call('GET', `/api/deployments/${ok}`)).body;
    expect(rolled).toMatchObject({
      status: 'running',
      instances: 1,
      lastOperation: { type: 'scale', status: 'failed', error: { code: 'update_failed' } },
    });
    expect(f.outbox().at(-1)).toMatchObject({ type: 'deployment.failed', data: { resultingStatus: 'running', reason: 'update_failed' } });
  });

  it('retrying a failed deployment counts against the plan limit like creating one (Free: 1 active)', async () => {
    await setup({ SIMULATION: 'true' });
    const free = f.user('free');
    const post = async (url: string, payload?: object, headers: Record<string, string> = {}) => {
      const res = await f.app.inject({ method: 'POST', url, headers: { ...free.auth, ...headers }, payload });
      return { status: res.statusCode, body: res.json() };
    };
    const body = (name: string) => ({ serviceId: 'svc-redis', name, config: { tier: 'free', region: 'us-east-1' } });
    const failed = (await post('/api/deployments', body('a'), { 'x-simulate-failure': 'provisioning' })).body.deploymentId;
    f.advance(5_000);
    // The failed one does not count: a second deployment fits in Free's one.
    const b = await post('/api/deployments', body('b'));
    expect(b.status).toBe(202);
    const retry = await post(`/api/deployments/${failed}/retry`);
    expect(retry.status, JSON.stringify(retry.body)).toBe(403);
    expect(retry.body).toMatchObject({ code: 'PLAN_LIMIT_EXCEEDED', details: { limit: 'activeDeployments', max: 1, current: 1 } });
    const after = await f.app.inject({ url: `/api/deployments/${failed}`, headers: free.auth });
    expect(after.json()).toMatchObject({ status: 'failed', currentOperation: null });
    // Deleting the other frees the slot: the retry is accepted.
    await f.app.inject({ method: 'DELETE', url: `/api/deployments/${b.body.deploymentId}`, headers: free.auth });
    expect((await post(`/api/deployments/${failed}/retry`)).status).toBe(202);
  });

  it('a hung step times out to failed at three times its duration (stuck guard)', async () => {
    const { call, create, status } = await setup({ SIMULATION: 'true' });
    const id = await create({ simulation: { hangAt: 'provisioning' } });
    f.advance(14_999);
    expect(await status(id)).toBe('provisioning');
    f.advance(1);
    expect((await call('GET', `/api/deployments/${id}`)).body).toMatchObject({ status: 'failed', statusReason: 'provision_timeout' });
  });

  it('SIM_FAILURE_RATE=1 fails every provisioning, reproducibly', async () => {
    const { create, status } = await setup({ SIMULATION: 'true', SIM_FAILURE_RATE: '1' });
    const ids = [await create(), await create()];
    f.advance(5_000);
    expect([await status(ids[0]), await status(ids[1])]).toEqual(['failed', 'failed']);
  });

  it('SIM_FAILURE_RATE is ignored unless SIMULATION=true', async () => {
    const { create, status } = await setup({ SIM_FAILURE_RATE: '1' });
    const id = await create();
    f.advance(5_000);
    expect(await status(id)).toBe('running');
  });
});
