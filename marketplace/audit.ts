// The audit entry of a user's action on a deployment, written to the marketplace outbox in the action's own
// transaction (lib/audit-outbox.ts). Only user requests call this: the engine's automatic operations (auto-heal,
// autoscaling, budget suspension) and the outcomes of operations are not user actions.

import { enqueueAudit, type RelayedAuditAction } from '../lib/audit-outbox.ts';
import type { Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';

export function auditDeploymentAction(
  db: Db,
  clock: Clock,
  p: Principal,
  action: RelayedAuditAction & `deployment.${string}`,
  dep: { id: string; name: string },
  details: Record<string, unknown> = {},
): void {
  enqueueAudit(db, { table: 'marketplace_outbox' }, clock, p, action, `deployment:${dep.id}`, { name: dep.name, ...details });
}
