// Audit entries for the registry's and the marketplace's user actions, written to the producer's
// transactional outbox in the same transaction as the action. An action that committed is therefore recorded
// even when the main API is down (the relay sends it later), and the main API records each entry once, by
// id (api/events.ts). These entries are not events: they are never stored as events, counted in analytics or
// sent to webhooks, so they can name the actor without revealing it to a third party.
// Why not derive entries from the public events: the marketplace's deployment events report outcomes (running,
// stopped, deleted) when an operation finishes. The request that started the operation emits none. A create
// that fails, or is cancelled by a delete, would leave no trace, and the same events also follow automatic
// actions (auto-heal restart, autoscaling, budget suspension) that nobody asked for.
import type { Principal } from './auth.ts';
import type { Clock } from './clock.ts';
import type { Db } from './db.ts';
import { enqueueEvent, type OutboxTable } from './outbox.ts';

/** The outbox type of an audit entry; the main API's ingest records these in audit_log and nowhere else. */
export const AUDIT_ENTRY_TYPE = 'audit.entry';

/**
 * Every action another process records, and where it is recorded (the table in docs/API-AUTH.md "Audit
 * actions" lists the same). Automatic actions and outcomes (downloads, scans, a deployment becoming running
 * or degraded, auto-heal, autoscaling, budget suspension, billing thresholds) are not user actions and have no
 * entry.
 */
export const RELAYED_AUDIT_ACTIONS = {
  'package.publish': 'registry: a new version published (npm, PyPI, Maven, RubyGems)',
  'package.deprecate': 'registry: npm deprecate or undeprecate of versions',
  'package.unpublish': 'registry: npm unpublish of versions or of the whole package',
  'package.owner.set': 'registry: npm owner add or rm (details: the new maintainers)',
  'package.dist_tag.set': 'registry: npm dist-tag add',
  'package.dist_tag.remove': 'registry: npm dist-tag rm',
  'package.access.set': 'registry: npm access public or restricted',
  'deployment.create': 'marketplace: POST /api/deployments, or a restore into a new deployment',
  'deployment.start': 'marketplace: POST /api/deployments/:id/start',
  'deployment.stop': 'marketplace: POST /api/deployments/:id/stop',
  'deployment.restart': 'marketplace: POST /api/deployments/:id/restart',
  'deployment.retry': 'marketplace: POST /api/deployments/:id/retry',
  'deployment.resume': 'marketplace: POST /api/deployments/:id/resume',
  'deployment.delete': 'marketplace: DELETE /api/deployments/:id',
  'deployment.scale': 'marketplace: a change of instances or autoscaling',
  'deployment.plan.change': 'marketplace: a tier change (not a preview)',
  'deployment.credentials.rotate': 'marketplace: credentials rotation',
  'deployment.backup.create': 'marketplace: a manual backup',
  'deployment.restore': 'marketplace: a restore from a backup or a point in time',
  'budget.create': 'marketplace: POST /api/billing/budgets',
  'budget.update': 'marketplace: PUT /api/billing/budgets/:id (a new version)',
  'budget.delete': 'marketplace: DELETE /api/billing/budgets/:id',
} as const;

export type RelayedAuditAction = keyof typeof RELAYED_AUDIT_ACTIONS;

export interface RelayedAuditEntry {
  actorId: string;
  actorUsername: string;
  action: RelayedAuditAction;
  /** What was acted on, named as the matching event's subject: "package:<name>", "deployment:<id>". */
  target: string;
  /** A few identifying fields. Never secrets, credentials or whole request bodies. */
  details?: Record<string, unknown>;
  /** The request's origin, as the main API records its own entries (the principal carries it: request-auth.ts). */
  ip?: string;
  userAgent?: string;
}

/**
 * Records that `actor` did `action` to `target`. Call inside the producer's write transaction, beside the change it
 * records. Returns the entry's id.
 */
export function enqueueAudit(
  db: Db,
  table: OutboxTable,
  clock: Clock,
  actor: Pick<Principal, 'userId' | 'username' | 'ip' | 'userAgent'>,
  action: RelayedAuditAction,
  target: string,
  details?: Record<string, unknown>,
): string {
  const entry: RelayedAuditEntry = {
    actorId: actor.userId,
    actorUsername: actor.username,
    action,
    target,
    ...(details && { details }),
    ...(actor.ip && { ip: actor.ip }),
    // The main API keeps 512 characters of a user agent; a hostile one does not travel bigger.
    ...(actor.userAgent && { userAgent: actor.userAgent.slice(0, 512) }),
  };
  return enqueueEvent(db, table, clock, { type: AUDIT_ENTRY_TYPE, subject: target, data: { ...entry } });
}
