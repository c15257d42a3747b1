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
    `INSERT INTO audit_log (actor_id, actor_username, action, target, ip, user_agent, details, created_at)
     VALUES (@actor_id, @actor_username, @action, @target, @ip, @user_agent, @details, @created_at)`,
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
    insert: (row: Omit<AuditRow, 'id'>) => Number(insert.run(row).lastInsertRowid),
    list: (f: AuditFilter) => list.all({ ...params(f), limit: f.limit, offset: f.offset }) as AuditRow[],
    count: (f: AuditFilter) => (count.get(params(f)) as { n: number }).n,
  };
}
