// Deployment rules: create (validated against the service's tiers, regions and config schema, the caller's
// plan limit and Idempotency-Key), read own, and the lifecycle verbs with 409s that name the allowed actions.
import type { Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import { badRequest, conflict, notFound, unprocessable } from '../lib/errors.ts';
import { assertPlanAllows, type IdentityReader } from '../lib/identity.ts';
import { newId } from '../lib/ids.ts';
import { findTemplate, findTier, requireTier, type ServiceTemplate, tierRegions } from '../services/templates/index.ts';
import { auditDeploymentAction } from './audit.ts';
import type { BillingService } from './billing-service.ts';
import type { CredentialCipher } from './credentials.ts';
import type { DeploymentEngine } from './deployment-engine.ts';
import { deploymentExtras } from './deployment-extras.ts';
import { type DeploymentView, deploymentView, deploymentViews, operationView } from './deployment-view.ts';
import type { DeploymentRow, DeploymentSnapshot, DeploymentsRepo, EventRow, OperationParams } from './deployments-repo.ts';
import { createIdempotency, type SavedResponse } from './idempotency.ts';
import { type Action, allowedActions, type DeploymentStatus, type OperationType, TRANSIENT } from './lifecycle.ts';
import type { ServiceProvisioner } from './service-provisioner.ts';

// Status views kept within one second (about 3 KB each with their JSON).
const VIEWS_PER_SECOND_MAX = 5_000;

export interface SimulationOptions {
  failAt?: string[];
  hangAt?: string;
}

export interface CreateInput {
  serviceId: string;
  name: string;
  config: { tier: string; region: string } & Record<string, unknown>;
  simulation?: SimulationOptions;
}

export interface DeploymentDeps {
  db: Db;
  repo: DeploymentsRepo;
  engine: DeploymentEngine;
  billing: BillingService;
  clock: Clock;
  config: Config;
  cipher: CredentialCipher;
  provisioner: ServiceProvisioner;
  identity: IdentityReader;
}

const iso = (ms: number) => new Date(ms).toISOString();
const TOMBSTONE_MS = 30 * 86_400_000;

function estimatedTime(ms: number): string {
  const hi = Math.ceil(ms / 1000);
  if (ms < 1000) return 'under 1 second';
  return `${Math.max(1, Math.floor(hi / 2))}-${hi} seconds`;
}

export function createDeploymentService(d: DeploymentDeps) {
  const { db, repo, engine, clock } = d;
  const idem = createIdempotency(db, clock, d.cipher);

  /** The caller's own deployment, or 404 (never 403: another user's id must not be confirmed to exist). */
  function owned(p: Principal, id: string): DeploymentRow {
    return ownedRow(p, id, repo.byId(id));
  }
  function ownedRow(p: Principal, id: string, dep: DeploymentRow | undefined): DeploymentRow {
    // A deleted deployment stays readable as a tombstone for 30 days, then answers 404 like any unknown id.
    const expired = dep?.deleted_at && clock.now() - Date.parse(dep.deleted_at) > TOMBSTONE_MS;
    if (!dep || dep.owner_id !== p.userId || expired) throw notFound(`no deployment "${id}" in your account`, 'DEPLOYMENT_NOT_FOUND');
    return dep;
  }

  function validate(input: CreateInput): { t: ServiceTemplate; extra: Record<string, unknown> } {
    const t = findTemplate(input.serviceId);
    if (!t) throw badRequest(`unknown service "${input.serviceId}": GET /api/services lists the catalog`, undefined, 'UNKNOWN_SERVICE');
    const { tier: tierId, region, ...rest } = input.config;
    const tier = requireTier(t, tierId);
    const regions = tierRegions(t, tier);
    if (!regions.includes(region))
      throw badRequest(
        `${t.name} ${tier.name} is not offered in region "${region}": choose one of ${regions.join(', ')}`,
        { allowed: regions },
        'UNKNOWN_REGION',
      );
    const parsed = t.configSchema.safeParse(rest);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => {
        // zod words a missing key as a type error ("expected object, received undefined"): say it is required
        // and where the shape of the service's config is described.
        // (zod leaves the input out of its issues, so its message is what tells a missing key.)
        const missing = i.code === 'invalid_type' && /received undefined$/.test(i.message);
        const message = missing ? `required (${i.expected}): GET /api/services/${t.slug} shows its configSchema` : i.message;
        return { field: ['config', ...i.path.map(String)].join('.'), message };
      });
      throw badRequest(
        `invalid config for ${t.name}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
        issues,
        'CONFIG_INVALID',
      );
    }
    const extra = parsed.data as Record<string, unknown>;
    // The instances to start with (ML services' minInstances): within the tier's range, as a scale is.
    if (typeof extra.minInstances === 'number' && (extra.minInstances < tier.instances.min || extra.minInstances > tier.instances.max))
      throw unprocessable(
        'INSTANCES_OUT_OF_RANGE',
        `the ${tier.name} tier allows ${tier.instances.min}-${tier.instances.max} instances: ask for fewer, or choose a bigger tier`,
        { min: tier.instances.min, max: tier.instances.max, field: 'config.minInstances' },
      );
    return { t, extra };
  }

  function simulationParams(sim: SimulationOptions | undefined, header: string | undefined): Pick<OperationParams, 'failAt' | 'hangAt'> {
    if (!sim && !header) return {};
    if (!d.config.SIMULATION)
      throw badRequest('failure injection is only accepted when the server runs with SIMULATION=true', undefined, 'SIMULATION_DISABLED');
    const failAt = [...(sim?.failAt ?? []), ...(header ? header.split(',').map((s) => s.trim()) : [])];
    return { failAt: failAt.length ? failAt : undefined, hangAt: sim?.hangAt };
  }

  /** Insert a deployment and start provisioning it. Call inside the write transaction. */
  function insertDeployment(p: Principal, input: CreateInput, sim: Pick<OperationParams, 'failAt' | 'hangAt'>, restoredFrom?: object) {
    const { t, extra } = validate(input);
    if (repo.byOwnerName(p.userId, input.name))
      throw conflict(`you already have a deployment named "${input.name}": choose another name`, 'DEPLOYMENT_NAME_TAKEN');
    // An S3 bucket name is global (the endpoint is https://s3.<region>.elide.services/<bucket>): two deployments
    // holding one name would share an endpoint. Checked inside the create transaction, so two racing creates
    // cannot both take it.
    if (typeof extra.bucketName === 'string' && repo.bucketTaken(t.id, extra.bucketName))
      throw conflict(`the bucket name "${extra.bucketName}" is taken: choose another bucketName`, 'BUCKET_NAME_TAKEN');
    const plan = d.identity.planOf(p.userId);
    if (plan) assertPlanAllows(plan, 'activeDeployments', repo.countActive(p.userId));
    // A new deployment falls in every account-wide budget: one that is spent and suspends on exceed would suspend it
    // at its next evaluation, after billing it past the cap.
    const budget = d.billing.blockingBudget(p.userId, null);
    if (budget)
      throw conflict(
        `budget "${budget}" is spent for this cycle and suspends on exceed: raise it or remove it, then deploy`,
        'BUDGET_EXCEEDED',
        { budgetId: budget },
      );
    const id = newId('deploy');
    const provisioned = d.provisioner.provision(
      { deploymentId: id, name: input.name, tier: input.config.tier, region: input.config.region, config: extra },
      t,
    );
    const at = iso(clock.now());
    repo.insert({
      id,
      owner_id: p.userId,
      service_id: t.id,
      tier_id: input.config.tier,
      region: input.config.region,
      name: input.name,
      config: JSON.stringify(extra),
      status: 'pending',
      desired_status: 'running',
      instances: typeof extra.minInstances === 'number' ? extra.minInstances : findTier(t, input.config.tier)!.instances.min,
      endpoint: provisioned.endpoint,
      simulation: sim.failAt || sim.hangAt ? JSON.stringify(sim) : null,
      restored_from: restoredFrom ? JSON.stringify(restoredFrom) : null,
      created_at: at,
      updated_at: at,
      state_changed_at: at,
    });
    repo.putCreds(id, d.cipher.encrypt(id, provisioned.credentials), null, null);
    const op = engine.begin(repo.byId(id)!, 'create', { returnTo: 'running', ...sim });
    auditDeploymentAction(
      db,
      clock,
      p,
      'deployment.create',
      { id, name: input.name },
      {
        serviceId: t.id,
        tier: input.config.tier,
        region: input.config.region,
        ...(restoredFrom ? { restoredFrom } : {}),
      },
    );
    return {
      deploymentId: id,
      name: input.name,
      status: 'provisioning' as const,
      endpoint: provisioned.endpoint,
      credentials: provisioned.credentials,
      estimatedTime: estimatedTime(Date.parse(op.due_at!) - clock.now()),
      serviceId: t.id,
      tier: input.config.tier,
      region: input.config.region,
      operation: operationView(op),
    };
  }

  function create(p: Principal, input: CreateInput, o: { idempotencyKey?: string; simulateHeader?: string } = {}): SavedResponse {
    const key = idem.check(o.idempotencyKey);
    validate(input);
    const sim = simulationParams(input.simulation, o.simulateHeader);
    return db
      .transaction(() =>
        idem.run(p.userId, key, 'POST /api/deployments', input, () => ({ status: 202, body: insertDeployment(p, input, sim) })),
      )
      .immediate();
  }

  // "cannot change the plan of deployment x", not "cannot change plan deployment x".
  const ACTION_PHRASE: Partial<Record<Action, string>> = {
    change_plan: 'change the plan of',
    rotate_credentials: 'rotate the credentials of',
    backup: 'back up',
  };

  function refuse(dep: DeploymentRow, action: Action): never {
    const allowed = allowedActions(dep.status, dep.ever_running === 1);
    const current = repo.currentOp(dep.id);
    if (TRANSIENT.has(dep.status) && current) {
      throw conflict(
        `deployment "${dep.name}" is ${dep.status}: wait for the ${current.type} operation to finish (allowed now: ${allowed.join(', ') || 'none'})`,
        'OPERATION_IN_PROGRESS',
        { status: dep.status, allowedActions: allowed, currentOperation: operationView(current) },
      );
    }
    throw conflict(
      `cannot ${ACTION_PHRASE[action] ?? action} deployment "${dep.name}" while it is ${dep.status}: allowed actions are ${allowed.join(', ') || 'none'}`,
      'INVALID_STATE_TRANSITION',
      { status: dep.status, allowedActions: allowed },
    );
  }

  /** Refuse unless the action is allowed now. */
  function assertAllowed(dep: DeploymentRow, action: Action) {
    if (!allowedActions(dep.status, dep.ever_running === 1).includes(action)) refuse(dep, action);
  }

  const VERBS: Record<
    'start' | 'stop' | 'restart' | 'retry' | 'resume' | 'delete',
    { op: OperationType; desired: DeploymentRow['desired_status']; done: DeploymentStatus[] }
  > = {
    start: { op: 'start', desired: 'running', done: ['starting', 'running'] },
    stop: { op: 'stop', desired: 'stopped', done: ['stopping', 'stopped'] },
    restart: { op: 'restart', desired: 'running', done: [] },
    retry: { op: 'retry', desired: 'running', done: [] },
    resume: { op: 'resume', desired: 'running', done: [] },
    delete: { op: 'delete', desired: 'deleted', done: ['deleting', 'deleted'] },
  };

  /** start | stop | restart | retry | resume | delete. A verb whose desired state is already set is a no-op (200). */
  function act(p: Principal, id: string, verb: keyof typeof VERBS): SavedResponse {
    return db
      .transaction(() => {
        const dep = owned(p, id);
        const v = VERBS[verb];
        const reply = (status: number) => {
          const now = repo.byId(id)!;
          return {
            status,
            body: {
              success: true,
              status: v.op === 'delete' ? 'deleted' : now.desired_status,
              currentStatus: now.status,
              deployment: deploymentView(repo, now, clock.now()),
            },
          };
        };
        if (v.done.includes(dep.status) && dep.desired_status === v.desired) return reply(200);
        assertAllowed(dep, verb);
        // A failed deployment does not count against the plan's active-deployment limit, so bringing one back
        // (retry, or restart of one that ran) must fit in the limit, as creating one does: otherwise a Free
        // account could run a second deployment by creating one while another sits failed, then retrying it.
        if (dep.status === 'failed' && v.desired === 'running') {
          const plan = d.identity.planOf(p.userId);
          if (plan) assertPlanAllows(plan, 'activeDeployments', repo.countActive(p.userId));
        }
        // A spent suspend-on-exceed budget keeps its scope down: bringing a deployment up (resume, start, or back
        // from failed) would only run until the next evaluation suspends it, billing past the cap meanwhile.
        const bringsUp = verb === 'resume' || verb === 'start' || (dep.status === 'failed' && v.desired === 'running');
        const budget = bringsUp ? d.billing.blockingBudget(p.userId, id) : undefined;
        if (budget)
          throw conflict(
            `budget "${budget}" is spent for this cycle and suspends on exceed: raise it or remove it, then ${verb}`,
            'BUDGET_EXCEEDED',
            {
              budgetId: budget,
            },
          );
        if (verb === 'delete') engine.cancelCurrent(dep);
        repo.setDesired(id, v.desired, iso(clock.now()));
        const returnTo: DeploymentStatus = dep.status === 'degraded' ? 'running' : dep.status;
        const sim = dep.simulation ? (JSON.parse(dep.simulation) as SimulationOptions) : {};
        const op = engine.begin(repo.byId(id)!, v.op, { returnTo, ...sim });
        auditDeploymentAction(db, clock, p, `deployment.${verb}`, dep, { operationId: op.id });
        return reply(202);
      })
      .immediate();
  }

  function list(p: Principal, q: { limit: number; offset: number; includeDeleted: boolean }) {
    const now = clock.now();
    // Tombstones past their 30 days answer 404 on their own, so they are not listed either.
    const deletedSince = q.includeDeleted ? iso(now - TOMBSTONE_MS) : null;
    const rows = repo.listOwn(p.userId, deletedSince, q.limit, q.offset);
    return {
      deployments: deploymentViews(repo, rows, now),
      total: repo.countOwn(p.userId, deletedSince),
      limit: q.limit,
      offset: q.offset,
    };
  }

  // A status is polled (the CLI's --wait, the dashboard, every few seconds per open page). Its reads come from the
  // repo's snapshot and history, which are new objects after any write to the deployment. The view itself (metrics,
  // uptime and cost, about a quarter of a status request's CPU) is computed once per deployment per second of the
  // clock and reused, with its JSON, until that second ends or a write replaces the snapshot or the history: a
  // state change shows on the very next poll, while the counters are at most a second old. The ownership rule runs
  // on every request, as everywhere else. Views are shared: callers never mutate them.
  let viewsSecond = Number.NaN;
  interface CachedView {
    snap: DeploymentSnapshot;
    events: readonly EventRow[];
    view: DeploymentView;
    json?: string;
  }
  const views = new Map<string, CachedView>();
  function currentView(p: Principal, id: string): CachedView {
    const snap = repo.snapshot(id);
    const dep = ownedRow(p, id, snap?.row as DeploymentRow | undefined);
    const events = repo.events(id);
    const now = clock.now();
    const second = Math.floor(now / 1000);
    if (second !== viewsSecond) {
      views.clear();
      viewsSecond = second;
    }
    const hit = views.get(id);
    if (hit && hit.snap === snap && hit.events === events) return hit;
    // ownedRow has thrown unless the snapshot exists.
    const entry: CachedView = {
      snap: snap as DeploymentSnapshot,
      events,
      view: deploymentView(repo, dep, now, { events, currentOp: snap?.currentOp, lastOp: snap?.lastOp }),
    };
    // Bounded by the deployments polled within one second.
    if (views.size < VIEWS_PER_SECOND_MAX) views.set(id, entry);
    return entry;
  }
  const get = (p: Principal, id: string): DeploymentView => currentView(p, id).view;
  /** get() as JSON text, serialised once per cached view. */
  const statusJson = (p: Principal, id: string): string => {
    const entry = currentView(p, id);
    entry.json ??= JSON.stringify(entry.view);
    return entry.json;
  };

  /** Any mutating call under Idempotency-Key: the first answer is saved and replayed (DESIGN.md §5). */
  function idempotent(
    principalId: string,
    key: string | undefined,
    route: string,
    body: unknown,
    fn: () => SavedResponse,
    query?: string,
  ): SavedResponse {
    const k = idem.check(key);
    return db.transaction(() => idem.run(principalId, k, route, body, fn, query)).immediate();
  }

  const extras = deploymentExtras({ ...d, owned, assertAllowed, insertDeployment, idem });

  return { create, act, list, get, statusJson, owned, idempotent, ...extras };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
