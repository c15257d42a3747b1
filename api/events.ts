// The event pipeline's receiving end: every producer's outbox relay posts here. Each event is stored once
// by id; a new one is counted into analytics, fanned out to matching webhooks and, for the kinds people
// must hear about, turned into a notification, all in the one transaction that stores it. The same relays
// carry the registry's and the marketplace's audit entries (lib/audit-outbox.ts): those go to the audit log,
// once by id, and nowhere else.
import { z } from 'zod';
import { AUDIT_ENTRY_TYPE } from '../lib/audit-outbox.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { newId } from '../lib/ids.ts';
import type { OutboxEvent } from '../lib/outbox.ts';
import { recordEvent } from './analytics.ts';
import { createAnalyticsRepo } from './analytics-repo.ts';
import { createAuditLog } from './audit.ts';
import { createEventsRepo, type EventRow } from './events-repo.ts';
import { createWebhooksRepo } from './webhooks-repo.ts';

/** The envelope's apiVersion: receivers can branch on it when the shape changes. */
export const EVENTS_API_VERSION = '2026-01-01';

// Standard Webhooks: dot-delimited names of [a-z0-9_].
export const EventTypeSchema = z
  .string()
  .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, 'must be dot-delimited lowercase words, e.g. package.published');

export const OutboxEventSchema = z.object({
  id: z.string().min(1).max(128),
  type: EventTypeSchema.max(100),
  ownerId: z.string().max(128).nullish(),
  subject: z.string().max(600).nullish(),
  data: z.record(z.string(), z.unknown()),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** The body every webhook attempt sends, serialized once when the event is stored. */
export function serializeEnvelope(e: OutboxEvent): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    timestamp: new Date(e.occurredAt).toISOString(),
    apiVersion: EVENTS_API_VERSION,
    account: e.ownerId ?? undefined,
    subject: e.subject ?? undefined,
    data: e.data,
  });
}

export function eventFromRow(r: EventRow) {
  const env = JSON.parse(r.body) as { data: Record<string, unknown> };
  return { id: r.id, type: r.type, subject: r.subject, data: env.data, occurredAt: r.occurred_at, receivedAt: r.received_at };
}

const str = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback);

/** The notification a person gets for an event, when it is one they must hear about. */
export function notificationFor(e: OutboxEvent): { kind: string; title: string; body: string } | undefined {
  const d = e.data;
  const what = e.subject ?? 'a resource';
  switch (e.type) {
    // The marketplace sends service.failed together with deployment.failed for a failed first provisioning:
    // one email per failure, so only deployment.failed notifies.
    case 'deployment.failed': {
      const dep = str(d.deploymentId, what);
      const reason = (d.error as { message?: string } | undefined)?.message ?? (typeof d.reason === 'string' ? d.reason : undefined);
      const name = typeof d.name === 'string' && d.name !== dep ? ` (${d.name})` : '';
      return {
        kind: 'deployment_failed',
        title: `Deployment ${dep} failed`,
        body: `Deployment ${dep}${name} failed${reason ? `: ${reason}` : ''}. Open the dashboard for its status and logs.`,
      };
    }
    case 'billing.threshold': {
      const percent = d.percent ?? d.thresholdPercent;
      const money = (minor: unknown) =>
        typeof minor === 'number' ? `${(minor / 100).toFixed(2)} ${typeof d.currency === 'string' ? d.currency : 'USD'}` : undefined;
      const spent = money(d.basis === 'forecast' ? d.projectedMinor : d.currentMinor);
      return {
        kind: 'billing_threshold',
        title: 'Billing threshold reached',
        body: `Your ${d.basis === 'forecast' ? 'projected ' : ''}spending${spent ? ` (${spent})` : ''} reached ${
          typeof percent === 'number' ? percent : 'a set share'
        }% of your budget${money(d.amountMinor) ? ` of ${money(d.amountMinor)}` : ''}. Review your deployments and budget in the dashboard.`,
      };
    }
    case 'package.vulnerable':
    case 'package.flagged': {
      const pkg = [str(d.name, what), typeof d.version === 'string' ? d.version : ''].filter(Boolean).join('@');
      return {
        kind: 'package_flagged',
        title: `Package ${pkg} was flagged by the security scanner`,
        body: `The scanner flagged ${pkg}${typeof d.reason === 'string' ? `: ${d.reason}` : ''}. Review the findings in the dashboard.`,
      };
    }
    default:
      return undefined;
  }
}

export interface IngestResult {
  stored: number;
  duplicates: number;
}

export function createEventIngest(db: Db, clock: Clock) {
  const events = createEventsRepo(db);
  const analytics = createAnalyticsRepo(db);
  const webhooks = createWebhooksRepo(db);
  const audit = createAuditLog(db, clock);

  /** Store a batch in one IMMEDIATE transaction; ids already stored are skipped (relay resends). */
  function ingest(batch: OutboxEvent[]): IngestResult {
    const now = new Date(clock.now()).toISOString();
    return db
      .transaction(() => {
        let stored = 0;
        for (const e of batch) {
          // Not an event: never stored, counted or delivered, so the actor it names stays in the audit log.
          if (e.type === AUDIT_ENTRY_TYPE) {
            if (audit.recordRelayed(e)) stored++;
            continue;
          }
          const isNew = events.insert({
            id: e.id,
            type: e.type,
            owner_id: e.ownerId ?? null,
            subject: e.subject ?? null,
            body: serializeEnvelope(e),
            occurred_at: new Date(e.occurredAt).toISOString(),
            received_at: now,
          });
          if (!isNew) continue;
          stored++;
          recordEvent(analytics, e, now);
          if (e.ownerId) {
            webhooks.enqueueForEvent(e.id, e.type, e.ownerId, now);
            const n = notificationFor(e);
            if (n)
              events.insertNotification({
                id: newId('ntf'),
                user_id: e.ownerId,
                event_id: e.id,
                email_status: 'pending',
                created_at: now,
                ...n,
              });
          }
        }
        return { stored, duplicates: batch.length - stored };
      })
      .immediate();
  }

  return { ingest, repo: events };
}
