// Retention: the event store and the webhook delivery log keep 30 days (longer than GitHub's 3-day
// redelivery window, which users script around). Analytics rollups are separate tables and stay.
import type { Db } from '../lib/db.ts';

export const RETENTION_MS = 30 * 86_400_000;
const BATCH = 1000;

/** Delete what is older than the retention window, in short batches so writers are never held up long. */
export function pruneExpired(db: Db, nowMs: number): { deliveries: number; events: number } {
  const cutoff = new Date(nowMs - RETENTION_MS).toISOString();
  // Attempts go with their delivery (ON DELETE CASCADE).
  const deliveries = db.prepare(
    `DELETE FROM webhook_deliveries WHERE rowid IN (
       SELECT rowid FROM webhook_deliveries WHERE created_at < ? AND status NOT IN ('pending', 'scheduled', 'retrying') LIMIT ${BATCH})`,
  );
  const events = db.prepare(
    `DELETE FROM events WHERE rowid IN (
       SELECT rowid FROM events e WHERE received_at < ?
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id) LIMIT ${BATCH})`,
  );
  const total = { deliveries: 0, events: 0 };
  for (;;) {
    const n = db.transaction(() => deliveries.run(cutoff).changes).immediate();
    total.deliveries += n;
    if (n < BATCH) break;
  }
  for (;;) {
    const n = db.transaction(() => events.run(cutoff).changes).immediate();
    total.events += n;
    if (n < BATCH) break;
  }
  return total;
}
