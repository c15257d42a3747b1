// Transactional outbox (DESIGN.md section 4). A producer writes its event in the same transaction as the
// change (enqueueEvent inside db.transaction), and a relay loop posts pending events to the main API's
// POST /internal/events, which stores each once by id. A process that is down delays events, never loses them.
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { commitWithoutFsync, type Db } from './db.ts';
import type { PeerClient } from './http.ts';
import { newUuid } from './ids.ts';

export interface OutboxEvent {
  id: string;
  type: string;
  /** Who the event concerns (the user whose webhooks and /api/events see it), when known. */
  ownerId?: string | null;
  /** The resource it is about, e.g. "package:@elide/http" or "deployment:deploy-abc". */
  subject?: string | null;
  data: Record<string, unknown>;
  occurredAt: string;
}

export interface OutboxTable {
  /** Table name in the producer's database: "outbox" (registry) or "marketplace_outbox". */
  table: 'outbox' | 'marketplace_outbox';
}

/** Call inside the producer's write transaction. Returns the event id. */
export function enqueueEvent(
  db: Db,
  { table }: OutboxTable,
  clock: Clock,
  e: { type: string; ownerId?: string | null; subject?: string | null; data: Record<string, unknown> },
): string {
  const event: OutboxEvent = {
    id: newUuid(),
    type: e.type,
    ownerId: e.ownerId ?? null,
    subject: e.subject ?? null,
    data: e.data,
    occurredAt: new Date(clock.now()).toISOString(),
  };
  db.prepare(`INSERT INTO ${table} (id, type, payload, created_at) VALUES (?, ?, ?, ?)`).run(
    event.id,
    event.type,
    JSON.stringify(event),
    event.occurredAt,
  );
  return event.id;
}

export interface RelayOptions extends OutboxTable {
  db: Db;
  api: PeerClient;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
  batchSize?: number;
}

/**
 * Deliver pending events in order of creation. A row is deleted only after the main API answered 2xx, so a
 * crash between post and delete re-sends the event, and the main API's idempotency by id drops the copy.
 */
export function startOutboxRelay(o: RelayOptions): { stop: () => void; flush: () => Promise<number> } {
  const batch = o.batchSize ?? 100;
  const pending = o.db.prepare(`SELECT id, payload FROM ${o.table} ORDER BY created_at, rowid LIMIT ?`);
  const remove = o.db.prepare(`DELETE FROM ${o.table} WHERE id = ?`);
  const bump = o.db.prepare(`UPDATE ${o.table} SET attempts = attempts + 1 WHERE id = ?`);
  let running = false;
  let failures = 0;

  async function flush(): Promise<number> {
    if (running) return 0;
    running = true;
    let sent = 0;
    try {
      for (;;) {
        const rows = pending.all(batch) as { id: string; payload: string }[];
        if (rows.length === 0) break;
        const events = rows.map((r) => JSON.parse(r.payload) as OutboxEvent);
        try {
          await o.api.post('/internal/events', { events }, { timeoutMs: 5000 });
        } catch (err) {
          commitWithoutFsync(o.db, () => {
            for (const r of rows) bump.run(r.id);
          });
          if (failures++ % 20 === 0)
            o.logger.warn({ err: (err as Error).message, pending: rows.length }, 'event relay: main API not reachable; will retry');
          break;
        }
        failures = 0;
        // A delete lost to a power cut only re-sends these events, which the main API drops by id.
        commitWithoutFsync(o.db, () => {
          for (const r of rows) remove.run(r.id);
        });
        sent += rows.length;
        if (rows.length < batch) break;
      }
    } finally {
      running = false;
    }
    return sent;
  }

  // A commit that failed (the database locked past the short wait, or closing) leaves its rows pending for the
  // next run; caught here, because a rejection nobody handles would end the process.
  const timer = setInterval(
    () =>
      void flush().catch((err: NodeJS.ErrnoException) =>
        o.logger.warn({ code: err.code, err: err.message }, 'event relay: could not record a delivery; will retry'),
      ),
    o.intervalMs ?? 500,
  );
  timer.unref();
  return { stop: () => clearInterval(timer), flush };
}
