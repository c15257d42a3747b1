// How a deployment looks on the wire: the seed's GET /api/deployments/:id shape ({id, name, status, endpoint,
// metrics:{requests, errors, avgResponseTime, uptime}, billing:{currentCost, projectedCost, currency}}) plus
// the state machine's fields (allowedActions, operations, plan, instances).
import { metricsFor } from '../services/metrics.ts';
import { findTemplate } from '../services/templates/index.ts';
import { cycleOf, dollars } from './billing.ts';
import { costOf, segmentsOf, uptimeInputs } from './deployment-usage.ts';
import { autoscalingOf, type DeploymentRow, type DeploymentsRepo, type EventRow, type OperationRow } from './deployments-repo.ts';
import { allowedActions } from './lifecycle.ts';

export function operationView(op: OperationRow | undefined) {
  if (!op) return null;
  return {
    id: op.id,
    type: op.type,
    status: op.status,
    step: op.status === 'running' ? op.step : null,
    dueAt: op.due_at,
    createdAt: op.created_at,
    finishedAt: op.finished_at,
    error: op.error_code ? { code: op.error_code, message: op.error_message ?? '' } : null,
  };
}

/** What a view reads besides the row; a page of views reads it for all its rows at once (deploymentViews). */
export interface ViewReads {
  events: readonly EventRow[];
  currentOp: OperationRow | undefined;
  lastOp: OperationRow | undefined;
}

const readsOf = (repo: DeploymentsRepo, id: string): ViewReads => ({
  events: repo.events(id),
  currentOp: repo.currentOp(id),
  lastOp: repo.lastOp(id),
});

/** The views of a page of deployments with three statements in all, rather than three per row. */
export function deploymentViews(repo: DeploymentsRepo, deps: DeploymentRow[], nowMs: number) {
  if (deps.length === 0) return [];
  const ids = deps.map((d) => d.id);
  const events = repo.eventsOf(ids);
  const current = repo.currentOps(ids);
  const last = repo.lastOps(ids);
  return deps.map((dep) =>
    deploymentView(repo, dep, nowMs, { events: events.get(dep.id) ?? [], currentOp: current.get(dep.id), lastOp: last.get(dep.id) }),
  );
}

export function deploymentView(repo: DeploymentsRepo, dep: DeploymentRow, nowMs: number, reads: ViewReads = readsOf(repo, dep.id)) {
  const t = findTemplate(dep.service_id);
  const { events } = reads;
  const segments = segmentsOf(dep, events, nowMs);
  const up = uptimeInputs(dep, segments, nowMs);
  const cycle = cycleOf(nowMs);
  const cost = costOf(dep, events, cycle, nowMs);
  const m = metricsFor(dep.id, t?.category ?? 'compute', {
    ...up,
    instances: dep.instances,
    degraded: dep.status === 'degraded',
    sinceReadyMs: dep.ready_at ? nowMs - Date.parse(dep.ready_at) : 0,
  });
  return {
    id: dep.id,
    name: dep.name,
    status: dep.status,
    endpoint: dep.status === 'deleted' ? null : dep.endpoint,
    metrics: m,
    billing: {
      currentCost: dollars(cost.currentCents),
      projectedCost: dollars(cost.projectedCents),
      currency: 'USD',
      billingCycle: 'monthly',
      low: dollars(cost.lowCents),
      high: dollars(cost.highCents),
      currentCents: cost.currentCents,
      projectedCents: cost.projectedCents,
      cycle: { id: cycle.id, start: new Date(cycle.startMs).toISOString(), end: new Date(cycle.endMs).toISOString() },
      lines: cost.lines,
    },
    serviceId: dep.service_id,
    serviceSlug: t?.slug ?? dep.service_id,
    serviceName: t?.name ?? dep.service_id,
    category: t?.category ?? null,
    tier: dep.tier_id,
    region: dep.region,
    config: JSON.parse(dep.config) as Record<string, unknown>,
    instances: dep.instances,
    autoscaling: autoscalingOf(dep),
    desiredStatus: dep.desired_status,
    statusReason: dep.status_reason,
    allowedActions: allowedActions(dep.status, dep.ever_running === 1),
    currentOperation: operationView(reads.currentOp),
    lastOperation: operationView(reads.lastOp),
    restoredFrom: dep.restored_from ? (JSON.parse(dep.restored_from) as Record<string, unknown>) : null,
    createdAt: dep.created_at,
    updatedAt: dep.updated_at,
    stateChangedAt: dep.state_changed_at,
    readyAt: dep.ready_at,
  };
}

export type DeploymentView = ReturnType<typeof deploymentView>;
