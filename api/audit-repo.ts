// All SQL on audit_log, as prepared statements. Filters are bound parameters, never concatenated input.
import type { Db } from '../lib/db.ts';

export interface AuditRow {
  id: number;
  actor_id: string | null;
  actor_username: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string | null;
  created_at: string;
  /** The outbox id of an entry relayed from another process; null for the main API's own. */
  event_id: string | null;
}

export interface AuditFilter {
  actorId?: string;
  actorUsername?: string;
  action?: string;
  since?: string;
  limit: number;
  offset: number;
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;

export function createAuditRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO audit_log (actor_id, actor_username, action, target, ip, user_agent, details, created_at, event_id)
     VALUES (@actor_id, @actor_username, @action, @target, @ip, @user_agent, @details, @created_at, @event_id)
     ON CONFLICT(event_id) DO NOTHING`,
  );
  // One statement for every filter combination: a NULL parameter disables its condition.
  const where = `WHERE (@actorId IS NULL OR actor_id = @actorId)
    AND (@actorUsername IS NULL OR actor_username = @actorUsername)
    AND (@action IS NULL OR action = @action)
    AND (@since IS NULL OR created_at >= @since)`;
  const list = db.prepare(`SELECT * FROM audit_log ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`);
  const count = db.prepare(`SELECT count(*) AS n FROM audit_log ${where}`);
  const params = (f: AuditFilter) => ({
    actorId: f.actorId ?? null,
    actorUsername: f.actorUsername ?? null,
    action: f.action ?? null,
    since: f.since ?? null,
  });
  return {
    /** The new row's id, or undefined when an entry with this event_id is already recorded (a relay's resend). */
    insert(row: Omit<AuditRow, 'id'>): number | undefined {
      const r = insert.run(row);
      return r.changes === 1 ? Number(r.lastInsertRowid) : undefined;
    },
    list: (f: AuditFilter) => list.all({ ...params(f), limit: f.limit, offset: f.offset }) as AuditRow[],
    count: (f: AuditFilter) => (count.get(params(f)) as { n: number }).n,
  };
}
