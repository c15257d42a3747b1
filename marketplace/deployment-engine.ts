// Moves deployments through the state machine: starts operations, and on each tick applies every step whose
// deadline (stored in mkt_operations.due_at) has passed, in due order. Because deadlines are data, a restarted
// process simply finds them on its first tick: the deployment still arrives where it was going.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import { newId } from '../lib/ids.ts';
import { enqueueEvent } from '../lib/outbox.ts';
import { seededRandom } from '../lib/prng.ts';
import { findTemplate } from '../services/templates/index.ts';
import type { DeploymentRow, DeploymentsRepo, OperationParams, OperationRow } from './deployments-repo.ts';
import { type DeploymentStatus, FAILABLE, failureOutcome, type OperationType, operationPath, stepSeconds } from './lifecycle.ts';

export interface EngineDeps {
  db: Db;
  repo: DeploymentsRepo;
  clock: Clock;
  config: Config;
  logger?: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

export type DeploymentEngine = ReturnType<typeof createDeploymentEngine>;

export function createDeploymentEngine(d: EngineDeps) {
  const { repo, clock, config } = d;
  const scaled = (seconds: number) => Math.max(1, Math.round(seconds * 1000 * config.SIM_TIME_SCALE));

  function stepMs(dep: DeploymentRow, step: DeploymentStatus, params: OperationParams): number {
    const t = findTemplate(dep.service_id);
    const added = params.instances !== undefined ? Math.max(0, params.instances - dep.instances) : undefined;
    const removed = params.instances !== undefined ? Math.max(0, dep.instances - params.instances) : undefined;
    return scaled(stepSeconds(step, { provisionSeconds: t?.provisionSeconds ?? 10, instancesAdded: added, instancesRemoved: removed }));
  }

  function emit(dep: DeploymentRow, type: string, data: Record<string, unknown>) {
    enqueueEvent(d.db, { table: 'marketplace_outbox' }, clock, {
      type,
      ownerId: dep.owner_id,
      subject: `deployment:${dep.id}`,
      data: { deploymentId: dep.id, name: dep.name, serviceId: dep.service_id, tier: dep.tier_id, region: dep.region, ...data },
    });
  }

  /** The public events a transition produces (seed README "Supported events" + reference transitions). */
  function eventFor(from: DeploymentStatus, to: DeploymentStatus, firstRun: boolean): string[] {
    if (to === 'running') {
      if (from === 'provisioning') return firstRun ? ['service.deployed'] : ['deployment.started'];
      if (from === 'starting') return ['deployment.started'];
      if (from === 'restarting') return ['deployment.restarted'];
      if (from === 'restoring') return ['deployment.restored'];
      if (from === 'degraded') return ['deployment.recovered'];
      return [];
    }
    if (to === 'stopped' && from === 'stopping') return ['deployment.stopped'];
    if (to === 'suspended') return ['deployment.suspended'];
    if (to === 'degraded') return ['deployment.degraded'];
    if (to === 'deleted') return ['deployment.deleted'];
    if (to === 'failed') return from === 'provisioning' ? ['deployment.failed', 'service.failed'] : ['deployment.failed'];
    return [];
  }

  /** Record a status change: the row, the history (with the plan and instances in effect) and the events. */
  function transition(
    dep: DeploymentRow,
    to: DeploymentStatus,
    opts: { opId?: string | null; reason?: string | null; atMs?: number } = {},
  ) {
    // A step completes at its deadline even when the tick runs late (or after a restart), so history,
    // billing and metrics do not depend on when the process happened to be up.
    const at = iso(opts.atMs ?? clock.now());
    const firstRun = to === 'running' && dep.ever_running === 0;
    repo.setStatus(dep.id, to, opts.reason ?? null, at);
    const now = repo.byId(dep.id)!;
    repo.insertEvent({
      deployment_id: dep.id,
      from_status: dep.status,
      to_status: to,
      at,
      tier_id: now.tier_id,
      instances: now.instances,
      operation_id: opts.opId ?? null,
      reason: opts.reason ?? null,
    });
    for (const type of eventFor(dep.status, to, firstRun)) {
      emit(now, type, {
        status: to,
        previousStatus: dep.status,
        operationId: opts.opId ?? null,
        reason: opts.reason ?? null,
        endpoint: now.endpoint,
      });
    }
    return now;
  }

  /** Start an operation: its first transient step and deadline. Call inside the write transaction. */
  function begin(dep: DeploymentRow, type: OperationType, params: OperationParams): OperationRow {
    const { steps } = operationPath(type, params.returnTo);
    const first = steps[0];
    const now = clock.now();
    let ms = stepMs(dep, first, params);
    // The stuck guard: a hung step is failed at 3x its expected duration (reference §1.5.3).
    if (params.hangAt === first) {
      ms *= 3;
      params.hung = true;
    }
    const id = newId('op');
    repo.insertOp({ id, deployment_id: dep.id, type, step: first, params, due_at: iso(now + ms), created_at: iso(now) });
    transition(dep, first, { opId: id });
    return repo.opById(id)!;
  }

  /** Cancel whatever runs (delete pre-empts it). */
  function cancelCurrent(dep: DeploymentRow) {
    const op = repo.currentOp(dep.id);
    if (op) repo.opFinish(op.id, 'canceled', iso(clock.now()), 'preempted', 'canceled by delete');
  }

  function shouldFail(dep: DeploymentRow, op: OperationRow, step: DeploymentStatus, params: OperationParams): boolean {
    if (!config.SIMULATION || !FAILABLE.has(step)) return false;
    if (params.failAt?.includes(step)) return true;
    return config.SIM_FAILURE_RATE > 0 && seededRandom(config.SIM_SEED, dep.id, op.id, step)() < config.SIM_FAILURE_RATE;
  }

  function fail(dep: DeploymentRow, op: OperationRow, step: DeploymentStatus, params: OperationParams, reason: string) {
    const outcome = failureOutcome(step, params.returnTo);
    const code = reason.endsWith('_timeout') ? reason : outcome.reason;
    const message = code.endsWith('_timeout') ? `the ${step} step did not complete in time` : `the ${step} step failed`;
    const atMs = Date.parse(op.due_at!);
    repo.opFinish(op.id, 'failed', iso(atMs), code, message);
    const after = transition(dep, outcome.status, { opId: op.id, reason: code, atMs });
    // A rolled-back update stays in its steady state but still reports the failure (reference "Rollback rule").
    if (outcome.status !== 'failed')
      emit(after, 'deployment.failed', { status: after.status, resultingStatus: after.status, operationId: op.id, reason: code });
  }

  /** Apply one due step of one operation. Call inside a write transaction. */
  function advance(opId: string, nowMs: number): boolean {
    const op = repo.opById(opId);
    if (op?.status !== 'running' || !op.due_at || Date.parse(op.due_at) > nowMs || !op.step) return false;
    const dep = repo.byId(op.deployment_id)!;
    const params = JSON.parse(op.params) as OperationParams;
    const step = op.step;
    if (params.hung) {
      fail(dep, op, step, params, `${step === 'provisioning' ? 'provision' : step}_timeout`);
      return true;
    }
    if (shouldFail(dep, op, step, params)) {
      fail(dep, op, step, params, 'failed');
      return true;
    }

    const path = operationPath(op.type, params.returnTo);
    const i = path.steps.indexOf(step);
    const next = path.steps[i + 1];
    if (next) {
      let ms = stepMs(dep, next, params);
      if (params.hangAt === next) {
        ms *= 3;
        params.hung = true;
      }
      // The next deadline counts from the previous one, so a late tick does not stretch the schedule.
      repo.opStep(op.id, next, iso(Date.parse(op.due_at) + ms), params);
      transition(dep, next, { opId: op.id, atMs: Date.parse(op.due_at) });
      return true;
    }
    const atMs = Date.parse(op.due_at);
    const at = iso(atMs);
    if (op.type === 'scale' && params.instances !== undefined) repo.setInstances(dep.id, params.instances, at);
    if (op.type === 'change_plan' && params.tierId) repo.setPlan(dep.id, params.tierId, at);
    repo.opFinish(op.id, 'succeeded', at);
    // Suspended by a budget says why (reference §1.5.1 statusReason), so a client can tell it from a failure.
    const reason = op.type === 'suspend' ? 'budget_exceeded' : null;
    const after = transition(repo.byId(dep.id)!, path.success, { opId: op.id, atMs, reason });
    if (op.type === 'scale') emit(after, 'deployment.scaled', { instances: after.instances, operationId: op.id });
    if (op.type === 'change_plan')
      emit(after, 'deployment.plan_changed', { fromTier: params.fromTierId, toTier: after.tier_id, operationId: op.id });
    return true;
  }

  const applyOne = d.db.transaction((opId: string, nowMs: number) => advance(opId, nowMs));
  // One IMMEDIATE transaction (one fsync) per chunk of due steps; each step in its own savepoint, so one
  // bad row is logged and skipped without undoing the others.
  const applyChunk = d.db.transaction((ops: OperationRow[], nowMs: number) => {
    let n = 0;
    for (const op of ops) {
      try {
        if (applyOne(op.id, nowMs)) n++;
      } catch (err) {
        d.logger?.error({ err, operationId: op.id }, 'could not apply a provisioning step; it stays due');
      }
    }
    return n;
  });

  /** Apply every due step (several per deployment if the clock jumped), oldest deadline first. */
  function tick(nowMs = clock.now(), batch = 200): number {
    let applied = 0;
    for (let round = 0; round < 100; round++) {
      const due = repo.due(iso(nowMs), batch);
      if (due.length === 0) break;
      const n = applyChunk.immediate(due, nowMs);
      applied += n;
      if (n === 0) break;
    }
    return applied;
  }

  return { begin, transition, cancelCurrent, tick, emit, stepMs };
}
