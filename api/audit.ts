// The audit log: who did what to what, from where. Security-relevant actions of the main API are recorded
// here directly. The registry's and the marketplace's user actions arrive as audit entries in their outboxes
// (lib/audit-outbox.ts), recorded once by id when the event ingest receives them (api/events.ts);
// POST /internal/audit records an entry sent directly, with no retry and no deduplication.
import { z } from 'zod';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import type { OutboxEvent } from '../lib/outbox.ts';
import { type AuditFilter, type AuditRow, createAuditRepo } from './audit-repo.ts';

/** An entry another process sends: the body of POST /internal/audit, and the data of a relayed audit entry. */
export const AuditRecordSchema = z.strictObject({
  actorId: z.string().max(64).nullish(),
  actorUsername: z.string().max(214).nullish(),
  action: z.string().regex(/^[a-z][a-z0-9_.-]{0,99}$/, 'must be a dotted lowercase name such as package.publish'),
  target: z.string().max(1000).nullish(),
  ip: z.string().max(64).nullish(),
  userAgent: z.string().max(2000).nullish(),
  details: z.record(z.string(), z.unknown()).nullish(),
});

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
  const row = (e: AuditEntry, at: number, eventId: string | null): Omit<AuditRow, 'id'> => ({
    actor_id: e.actorId ?? null,
    actor_username: e.actorUsername ?? null,
    action: e.action,
    target: e.target ?? null,
    ip: e.ip ?? null,
    // A hostile user agent cannot bloat the log.
    user_agent: e.userAgent ? e.userAgent.slice(0, 512) : null,
    details: e.details ? JSON.stringify(e.details) : null,
    created_at: new Date(at).toISOString(),
    event_id: eventId,
  });
  return {
    /** Record one entry. Safe inside a caller's transaction (a plain INSERT). */
    record(e: AuditEntry): number {
      // Without an event_id no conflict is possible, so there is always a new row.
      return repo.insert(row(e, clock.now(), null)) as number;
    },
    /**
     * Record an audit entry that arrived through another process's outbox, once per outbox id, dated when the
     * action happened rather than when it arrived. Call inside the ingest transaction. Returns false when the
     * entry was already recorded, or is malformed: a malformed entry is dropped rather than refused, because
     * a refused entry would block the producer's relay.
     */
    recordRelayed(e: OutboxEvent): boolean {
      const parsed = AuditRecordSchema.safeParse(e.data);
      if (!parsed.success) return false;
      return repo.insert(row(parsed.data, Date.parse(e.occurredAt), e.id)) !== undefined;
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
