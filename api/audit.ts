// The audit log: who did what to what, from where. Security-relevant actions of the main API are recorded
// here directly; the other processes send theirs through POST /internal/audit.
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { type AuditFilter, type AuditRow, createAuditRepo } from './audit-repo.ts';

export interface AuditEntry {
  actorId?: string | null;
  actorUsername?: string | null;
  action: string;
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown> | null;
}

/** Where a request came from, for the audit trail. */
export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
}

export type AuditLog = ReturnType<typeof createAuditLog>;

export function createAuditLog(db: Db, clock: Clock) {
  const repo = createAuditRepo(db);
  return {
    /** Record one entry. Safe inside a caller's transaction (a plain INSERT). */
    record(e: AuditEntry): number {
      return repo.insert({
        actor_id: e.actorId ?? null,
        actor_username: e.actorUsername ?? null,
        action: e.action,
        target: e.target ?? null,
        ip: e.ip ?? null,
        // A hostile user agent cannot bloat the log.
        user_agent: e.userAgent ? e.userAgent.slice(0, 512) : null,
        details: e.details ? JSON.stringify(e.details) : null,
        created_at: new Date(clock.now()).toISOString(),
      });
    },
    list(f: AuditFilter) {
      return { entries: repo.list(f).map(toEntry), total: repo.count(f) };
    },
  };
}

export function toEntry(r: AuditRow) {
  return {
    id: r.id,
    actorId: r.actor_id,
    actorUsername: r.actor_username,
    action: r.action,
    target: r.target,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
    createdAt: r.created_at,
  };
}
