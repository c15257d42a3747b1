// All SQL on webhook endpoints, their secrets, deliveries and attempts, as prepared statements.
import type { Db } from '../lib/db.ts';
import { newId } from '../lib/ids.ts';

export interface WebhookRow {
  id: string;
  owner_id: string;
  url: string;
  description: string | null;
  events: string;
  enabled: number;
  disabled_reason: 'manual' | 'consecutive_failures' | 'gone_410' | 'ssrf_blocked' | null;
  failing_since: string | null;
  consecutive_failures: number;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SecretRow {
  id: string;
  webhook_id: string;
  secret_enc: string;
  created_at: string;
  expires_at: string | null;
}

export type DeliveryStatus = 'pending' | 'scheduled' | 'retrying' | 'succeeded' | 'failed' | 'skipped';
export type Trigger = 'scheduled' | 'manual' | 'recover' | 'test';

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  next_trigger: Trigger;
  lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  attempt_number: number;
  trigger: Trigger;
  url: string;
  resolved_ip: string | null;
  request_headers: string;
  started_at: string;
  duration_ms: number;
  response_status: number | null;
  response_body: string | null;
  outcome: string;
  error: string | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  eventType?: string;
  since?: string;
  until?: string;
  /** Keyset cursor: rows strictly older than (createdAt, id). */
  before?: { createdAt: string; id: string };
  limit: number;
}

export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;

export const matchesEvent = (events: string[], type: string) => events.includes('*') || events.includes(type);

export function createWebhooksRepo(db: Db) {
  const s = {
    insert: db.prepare(
      `INSERT INTO webhooks (id, owner_id, url, description, events, enabled, created_at, updated_at)
       VALUES (@id, @owner_id, @url, @description, @events, 1, @created_at, @created_at)`,
    ),
    byId: db.prepare('SELECT * FROM webhooks WHERE id = ?'),
    byOwner: db.prepare('SELECT * FROM webhooks WHERE owner_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?'),
    countByOwner: db.prepare('SELECT count(*) AS n FROM webhooks WHERE owner_id = ?'),
    // Only while the owner's plan includes webhooks: a downgrade to Free stops deliveries (the endpoints are kept,
    // and deliver again after an upgrade), as the plan's limit is checked only when a webhook is created. Nor while
    // an admin has disabled the owner: a suspended account's data no longer goes to the URLs it registered.
    enabledByOwner: db.prepare(
      `SELECT w.id, w.events FROM webhooks w JOIN users u ON u.id = w.owner_id JOIN plans p ON p.id = u.plan_id
       WHERE w.owner_id = ? AND w.enabled = 1 AND p.webhooks = 1 AND u.disabled_at IS NULL`,
    ),
    ownerDisabled: db.prepare('SELECT 1 FROM users WHERE id = ? AND disabled_at IS NOT NULL'),
    remove: db.prepare('DELETE FROM webhooks WHERE id = ?'),
    insertSecret: db.prepare('INSERT INTO webhook_secrets (id, webhook_id, secret_enc, created_at) VALUES (?, ?, ?, ?)'),
    activeSecrets: db.prepare(
      'SELECT * FROM webhook_secrets WHERE webhook_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, rowid DESC',
    ),
    // min(): a secret already due to expire keeps the earlier time. A leaked secret is rotated with a short
    // expiry, and a later routine rotation must not give it another day.
    expireSecrets: db.prepare(
      `UPDATE webhook_secrets SET expires_at = min(coalesce(expires_at, @expiresAt), @expiresAt)
       WHERE webhook_id = @webhookId AND id != @keepId AND (expires_at IS NULL OR expires_at > @now)`,
    ),
    insertDelivery: db.prepare(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, status, next_attempt_at, next_trigger, created_at, updated_at)
       VALUES (@id, @webhook_id, @event_id, @event_type, @status, @next_attempt_at, @next_trigger, @created_at, @created_at)
       ON CONFLICT (webhook_id, event_id) DO NOTHING`,
    ),
    delivery: db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?'),
    due: db.prepare(
      `SELECT id FROM webhook_deliveries WHERE status IN ('pending', 'scheduled', 'retrying') AND next_attempt_at <= ?
       AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?`,
    ),
    lease: db.prepare('UPDATE webhook_deliveries SET lease_until = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)'),
    releaseLeases: db.prepare('UPDATE webhook_deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL'),
    nextDue: db.prepare(`SELECT min(next_attempt_at) AS t FROM webhook_deliveries WHERE status IN ('pending', 'scheduled', 'retrying')`),
    settle: db.prepare(
      `UPDATE webhook_deliveries SET status = @status, attempt_count = attempt_count + @counted, next_attempt_at = @next_attempt_at,
       next_trigger = 'scheduled', lease_until = NULL, updated_at = @updated_at WHERE id = @id`,
    ),
    // A delivery still retrying stays 'retrying' when a manual attempt is queued: if that attempt fails too, the
    // automatic schedule goes on (the dispatcher reads the status) instead of ending as 'failed'.
    requeue: db.prepare(
      `UPDATE webhook_deliveries SET status = CASE WHEN status = 'retrying' THEN 'retrying' ELSE 'pending' END,
       next_attempt_at = ?, next_trigger = ?, lease_until = NULL, updated_at = ? WHERE id = ?`,
    ),
    insertAttempt: db.prepare(
      `INSERT INTO webhook_attempts (id, delivery_id, attempt_number, trigger, url, resolved_ip, request_headers, started_at,
       duration_ms, response_status, response_body, outcome, error)
       VALUES (@id, @delivery_id, @attempt_number, @trigger, @url, @resolved_ip, @request_headers, @started_at, @duration_ms,
       @response_status, @response_body, @outcome, @error)`,
    ),
    attempts: db.prepare('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt_number, started_at'),
    attemptCount: db.prepare('SELECT count(*) AS n FROM webhook_attempts WHERE delivery_id = ?'),
    succeeded: db.prepare(
      'UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL, last_success_at = ?, updated_at = ? WHERE id = ?',
    ),
    failed: db.prepare(
      `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, ?), updated_at = ?
       WHERE id = ?`,
    ),
    disable: db.prepare('UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1'),
    skipPending: db.prepare(
      `UPDATE webhook_deliveries SET status = 'skipped', next_attempt_at = NULL, lease_until = NULL, updated_at = ?
       WHERE webhook_id = ? AND status IN ('pending', 'scheduled', 'retrying')`,
    ),
    failedInWindow: db.prepare(
      `SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = 'failed' AND created_at >= ? AND created_at < ?
       ORDER BY created_at, id LIMIT ?`,
    ),
  };

  return {
    insert: (w: Pick<WebhookRow, 'id' | 'owner_id' | 'url' | 'description' | 'events' | 'created_at'>) => s.insert.run(w),
    findById: (id: string) => s.byId.get(id) as WebhookRow | undefined,
    listByOwner: (ownerId: string, limit: number, offset: number) => ({
      rows: s.byOwner.all(ownerId, limit, offset) as WebhookRow[],
      total: (s.countByOwner.get(ownerId) as { n: number }).n,
    }),
    update(id: string, fields: Partial<Omit<WebhookRow, 'id' | 'owner_id' | 'created_at'>>) {
      const keys = Object.keys(fields);
      if (keys.length === 0) return;
      db.prepare(`UPDATE webhooks SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
    },
    /** Whether an admin has disabled this user (their queued deliveries are not sent). */
    ownerDisabled: (userId: string) => s.ownerDisabled.get(userId) !== undefined,
    remove: (id: string) => s.remove.run(id),
    insertSecret: (webhookId: string, secretEnc: string, at: string) => {
      const id = newId('whsk');
      s.insertSecret.run(id, webhookId, secretEnc, at);
      return id;
    },
    activeSecrets: (webhookId: string, at: string) => s.activeSecrets.all(webhookId, at) as SecretRow[],
    /** Every other live secret expires at `expiresAt`, or earlier if it already had an earlier expiry. */
    expireOtherSecrets: (webhookId: string, keepId: string, expiresAt: string, now: string) =>
      s.expireSecrets.run({ expiresAt, webhookId, keepId, now }),
    /** Fan a stored event out to its owner's enabled endpoints that subscribe to its type. */
    enqueueForEvent(eventId: string, type: string, ownerId: string, now: string): number {
      let n = 0;
      for (const w of s.enabledByOwner.all(ownerId) as { id: string; events: string }[]) {
        if (!matchesEvent(JSON.parse(w.events) as string[], type)) continue;
        n += s.insertDelivery.run({
          id: newId('whdl'),
          webhook_id: w.id,
          event_id: eventId,
          event_type: type,
          status: 'pending',
          next_attempt_at: now,
          next_trigger: 'scheduled',
          created_at: now,
        }).changes;
      }
      return n;
    },
    insertDelivery: (
      d: Pick<DeliveryRow, 'id' | 'webhook_id' | 'event_id' | 'event_type' | 'status' | 'next_attempt_at' | 'next_trigger' | 'created_at'>,
    ) => s.insertDelivery.run(d),
    findDelivery: (id: string) => s.delivery.get(id) as DeliveryRow | undefined,
    /** A plain read: lets an idle worker skip the write transaction (marketplace.db is shared by processes). */
    anyDue: (now: string) => (s.due.all(now, now, 1) as unknown[]).length > 0,
    /** Lease up to `limit` due deliveries (call inside an IMMEDIATE transaction). */
    leaseDue(now: string, leaseUntil: string, limit: number): string[] {
      const ids = (s.due.all(now, now, limit) as { id: string }[]).map((r) => r.id);
      return ids.filter((id) => s.lease.run(leaseUntil, id, now).changes === 1);
    },
    /** At start-up: leases held by a process that died mid-attempt are void (one main API per data folder). */
    releaseLeases: () => s.releaseLeases.run().changes,
    nextDueAt: () => (s.nextDue.get() as { t: string | null }).t,
    settle: (d: { id: string; status: DeliveryStatus; counted: 0 | 1; next_attempt_at: string | null; updated_at: string }) =>
      s.settle.run(d),
    requeue: (id: string, at: string, trigger: Trigger) => s.requeue.run(at, trigger, at, id),
    insertAttempt: (a: AttemptRow) => s.insertAttempt.run(a),
    attemptsOf: (deliveryId: string) => s.attempts.all(deliveryId) as AttemptRow[],
    attemptCount: (deliveryId: string) => (s.attemptCount.get(deliveryId) as { n: number }).n,
    markSucceeded: (webhookId: string, at: string) => s.succeeded.run(at, at, webhookId),
    markFailed: (webhookId: string, at: string) => s.failed.run(at, at, webhookId),
    disable: (webhookId: string, reason: NonNullable<WebhookRow['disabled_reason']>, at: string) =>
      s.disable.run(reason, at, webhookId).changes === 1,
    skipPending: (webhookId: string, at: string) => s.skipPending.run(at, webhookId).changes,
    failedInWindow: (webhookId: string, since: string, until: string, limit: number) =>
      s.failedInWindow.all(webhookId, since, until, limit) as DeliveryRow[],
    listDeliveries(webhookId: string, f: DeliveryFilter): DeliveryRow[] {
      const parts = ['webhook_id = ?'];
      const args: unknown[] = [webhookId];
      const add = (sql: string, ...values: unknown[]) => {
        parts.push(sql);
        args.push(...values);
      };
      if (f.status) add('status = ?', f.status);
      if (f.eventType) add('event_type = ?', f.eventType);
      if (f.since) add('created_at >= ?', f.since);
      if (f.until) add('created_at < ?', f.until);
      if (f.before) add('(created_at < ? OR (created_at = ? AND id < ?))', f.before.createdAt, f.before.createdAt, f.before.id);
      return db
        .prepare(`SELECT * FROM webhook_deliveries WHERE ${parts.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`)
        .all(...args, f.limit) as DeliveryRow[];
    },
  };
}
