// The deployment state machine (reference §1.5): states, which actions each allows, the transient steps an
// operation walks through and how long each takes. Pure: no SQL, no clock, no Fastify.
export type DeploymentStatus =
  | 'pending'
  | 'provisioning'
  | 'running'
  | 'degraded'
  | 'updating'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'restoring'
  | 'suspended'
  | 'failed'
  | 'deleting'
  | 'deleted';

export type OperationType =
  | 'create'
  | 'retry'
  | 'start'
  | 'stop'
  | 'restart'
  | 'scale'
  | 'change_plan'
  | 'restore_in_place'
  | 'suspend'
  | 'resume'
  | 'delete';

/** What a user may ask for (names in allowedActions and in 409 bodies). */
export type Action =
  | 'start'
  | 'stop'
  | 'restart'
  | 'retry'
  | 'resume'
  | 'scale'
  | 'change_plan'
  | 'restore'
  | 'backup'
  | 'rotate_credentials'
  | 'delete';

export const TRANSIENT: ReadonlySet<DeploymentStatus> = new Set([
  'pending',
  'provisioning',
  'updating',
  'restarting',
  'stopping',
  'starting',
  'restoring',
  'deleting',
]);

/** States in which the flat price accrues (reference §1.5.2). */
export const BILLABLE: ReadonlySet<DeploymentStatus> = new Set([
  'provisioning',
  'running',
  'degraded',
  'updating',
  'restarting',
  'stopping',
  'starting',
  'restoring',
]);

/** States in which the service answers requests (usage accrues, uptime counts). */
export const SERVING: ReadonlySet<DeploymentStatus> = new Set(['running', 'degraded', 'updating']);

/** Counted against the plan's active-deployment limit: everything that still exists and has not failed. */
export const INACTIVE_FOR_LIMIT: readonly DeploymentStatus[] = ['failed', 'deleting', 'deleted'];

export function allowedActions(status: DeploymentStatus, everRunning: boolean): Action[] {
  switch (status) {
    case 'running':
    case 'degraded':
      return ['stop', 'restart', 'scale', 'change_plan', 'restore', 'backup', 'rotate_credentials', 'delete'];
    case 'stopped':
      return ['start', 'change_plan', 'restore', 'backup', 'rotate_credentials', 'delete'];
    case 'failed':
      return everRunning ? ['restart', 'delete'] : ['retry', 'delete'];
    case 'suspended':
      return ['resume', 'delete'];
    case 'deleting':
    case 'deleted':
      return [];
    default:
      // Transient: one operation at a time; only delete pre-empts it.
      return ['delete'];
  }
}

/** Seconds a transient step takes at SIM_TIME_SCALE=1 (reference §1.5.3). */
export function stepSeconds(
  step: DeploymentStatus,
  ctx: { provisionSeconds: number; instancesAdded?: number; instancesRemoved?: number; restoreGb?: number },
): number {
  switch (step) {
    case 'pending':
      return 1;
    case 'provisioning':
      return ctx.provisionSeconds;
    case 'stopping':
    case 'deleting':
      return 2;
    case 'starting':
    case 'restarting':
      return 3;
    case 'updating':
      return ctx.instancesAdded !== undefined || ctx.instancesRemoved !== undefined
        ? Math.max(0.5, (ctx.instancesAdded ?? 0) * 1 + (ctx.instancesRemoved ?? 0) * 0.5)
        : 5;
    case 'restoring':
      return 2 + (ctx.restoreGb ?? 0);
    default:
      return 0;
  }
}

/** The first transient status of an operation and the steady status it lands in on success. */
export function operationPath(type: OperationType, returnTo: DeploymentStatus): { steps: DeploymentStatus[]; success: DeploymentStatus } {
  switch (type) {
    case 'create':
    // The seed's POST /api/deployments answers status "provisioning": the queue step (pending) is instant.
    case 'retry':
      return { steps: ['provisioning'], success: 'running' };
    case 'start':
    case 'resume':
      return { steps: ['starting'], success: 'running' };
    case 'stop':
      return { steps: ['stopping'], success: 'stopped' };
    case 'suspend':
      return { steps: ['stopping'], success: 'suspended' };
    case 'restart':
      return { steps: ['restarting'], success: 'running' };
    case 'scale':
    case 'change_plan':
      return { steps: ['updating'], success: returnTo };
    case 'restore_in_place':
      return { steps: ['restoring'], success: 'running' };
    case 'delete':
      return { steps: ['deleting'], success: 'deleted' };
  }
}

/** Where a failed step leaves the deployment: non-destructive updates roll back (reference "Rollback rule"). */
export function failureOutcome(step: DeploymentStatus, returnTo: DeploymentStatus): { status: DeploymentStatus; reason: string } {
  if (step === 'updating') return { status: returnTo, reason: 'update_failed' };
  const verb: Partial<Record<DeploymentStatus, string>> = {
    provisioning: 'provision',
    starting: 'start',
    stopping: 'stop',
    restarting: 'restart',
    restoring: 'restore',
  };
  return { status: 'failed', reason: `${verb[step] ?? step}_failed` };
}

/** Steps that may fail (deleting retries forever and pending only queues). */
export const FAILABLE: ReadonlySet<DeploymentStatus> = new Set([
  'provisioning',
  'starting',
  'stopping',
  'restarting',
  'updating',
  'restoring',
]);
