// All SQL on the event store and the notification feed, as prepared statements.
import type { Db } from '../lib/db.ts';

export interface EventRow {
  id: string;
  type: string;
  owner_id: string | null;
  subject: string | null;
  body: string;
  occurred_at: string;
  received_at: string;
}

export interface EventFilter {
  ownerId: string;
  types?: string[];
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

export interface NotificationRow {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  event_id: string | null;
  email_status: 'pending' | 'sent' | 'failed' | 'not_configured' | 'none';
  email_attempts: number;
  created_at: string;
  sent_at: string | null;
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;

export function createEventsRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO events (id, type, owner_id, subject, body, occurred_at, received_at)
     VALUES (@id, @type, @owner_id, @subject, @body, @occurred_at, @received_at) ON CONFLICT(id) DO NOTHING`,
  );
  const byId = db.prepare('SELECT * FROM events WHERE id = ?');
  const insertNotification = db.prepare(
    `INSERT INTO notifications (id, user_id, kind, title, body, event_id, email_status, created_at)
     VALUES (@id, @user_id, @kind, @title, @body, @event_id, @email_status, @created_at)`,
  );
  const pendingEmail = db.prepare(
    `SELECT n.*, u.email FROM notifications n JOIN users u ON u.id = n.user_id
     WHERE n.email_status = 'pending' ORDER BY n.created_at LIMIT ?`,
  );
  const markEmail = db.prepare('UPDATE notifications SET email_status = ?, email_attempts = email_attempts + 1, sent_at = ? WHERE id = ?');
  const notificationsOf = db.prepare('SELECT * FROM notifications WHERE user_id = ? ORDER BY created_at DESC LIMIT ?');

  function where(f: EventFilter): { sql: string; args: unknown[] } {
    const parts = ['owner_id = ?'];
    const args: unknown[] = [f.ownerId];
    if (f.types?.length) {
      parts.push(`type IN (${f.types.map(() => '?').join(',')})`);
      args.push(...f.types);
    }
    if (f.since) {
      parts.push('occurred_at >= ?');
      args.push(f.since);
    }
    if (f.until) {
      parts.push('occurred_at < ?');
      args.push(f.until);
    }
    return { sql: parts.join(' AND '), args };
  }

  return {
    /** True when the event was new; false when this id was already stored (a relay's resend). */
    insert: (e: EventRow) => insert.run(e).changes === 1,
    findById: (id: string) => byId.get(id) as EventRow | undefined,
    list(f: EventFilter): { rows: EventRow[]; total: number } {
      const w = where(f);
      const total = (db.prepare(`SELECT count(*) AS n FROM events WHERE ${w.sql}`).get(...w.args) as { n: number }).n;
      const rows = db
        .prepare(`SELECT * FROM events WHERE ${w.sql} ORDER BY occurred_at DESC, id LIMIT ? OFFSET ?`)
        .all(...w.args, f.limit, f.offset) as EventRow[];
      return { rows, total };
    },
    insertNotification: (n: Omit<NotificationRow, 'email_attempts' | 'sent_at'>) => insertNotification.run(n),
    pendingEmails: (limit: number) => pendingEmail.all(limit) as (NotificationRow & { email: string })[],
    markEmail: (id: string, status: NotificationRow['email_status'], at: string | null) => markEmail.run(status, at, id),
    notificationsOf: (userId: string, limit: number) => notificationsOf.all(userId, limit) as NotificationRow[],
  };
}
