// The webhook delivery worker: leases due deliveries, checks the target again (SSRF: DNS may have changed),
// signs the stored body, POSTs it through a pinned connection, logs the attempt and schedules the retry or
// disables the endpoint (marketplace-billing-webhooks.md section 4.3, "Delivery rules").
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { newId } from '../lib/ids.ts';
import type { Resolver } from '../lib/ssrf.ts';
import { createEventsRepo } from './events-repo.ts';
import { type AttemptRow, createWebhooksRepo, type DeliveryRow, type Trigger, type WebhookRow } from './webhooks-repo.ts';
import { sendWebhook } from './webhooks-send.ts';
import { decryptSecret, redactHeaders, signedHeaders } from './webhooks-signing.ts';

/** Delay before attempt n+1 after attempt n failed (Standard Webhooks example schedule: 10 attempts, ~75.6 h). */
export const RETRY_SCHEDULE_MS = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400].map((s) => s * 1000);
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
const RETRY_AFTER_CAP_MS = 3_600_000;
/** Auto-disable: no 2xx for 5 days and at least 10 consecutive failures (Svix's rule). */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
export const DISABLE_AFTER_FAILURES = 10;
const PER_ENDPOINT_CONCURRENCY = 5;
const LEASE_MS = 60_000;

export interface DispatcherDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  encryptionKey: string;
  allowPrivateNetworks: boolean;
  /** WEBHOOK_RETRY_TIME_SCALE */
  timeScale: number;
  resolve?: Resolver;
  /** Jitter source in [0, 1); tests pass () => 0.5 for no jitter. */
  random?: () => number;
  timeouts?: { connectMs: number; headersMs: number; bodyMs: number; totalMs: number };
  /** Called after a notification row was written (the email worker wakes up). */
  onNotification?: () => void;
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

export function createWebhookDispatcher(d: DispatcherDeps) {
  const repo = createWebhooksRepo(d.db);
  const events = createEventsRepo(d.db);
  const random = d.random ?? Math.random;
  const t = d.timeouts ?? { connectMs: 5000, headersMs: 10_000, bodyMs: 10_000, totalMs: 15_000 };
  const iso = (ms: number) => new Date(ms).toISOString();

  const send = (url: string, body: string, headers: Record<string, string>) =>
    sendWebhook({
      url,
      body,
      headers,
      allowPrivateNetworks: d.allowPrivateNetworks,
      resolve: d.resolve,
      timeouts: t,
      nowMs: d.clock.now(),
    });

  function notifyDisabled(w: WebhookRow, reason: string, now: string) {
    events.insertNotification({
      id: newId('ntf'),
      user_id: w.owner_id,
      kind: 'webhook_disabled',
      title: `Webhook endpoint ${w.url} was disabled`,
      body: `We disabled your webhook endpoint ${w.url} (${w.id}): ${reason}. Fix it, re-enable it with PATCH /api/webhooks/${w.id} {"active":true}, then replay missed events with POST /api/webhooks/${w.id}/recover.`,
      event_id: null,
      email_status: 'pending',
      created_at: now,
    });
  }

  /** Attempt one leased delivery now and record the outcome. Returns the attempt row. */
  async function attempt(delivery: DeliveryRow, trigger: Trigger): Promise<AttemptRow | undefined> {
    const w = repo.findById(delivery.webhook_id);
    const event = events.findById(delivery.event_id);
    const startedMs = d.clock.now();
    // A delivery queued before its owner was disabled is not sent either (nor retried for days): skipped, as on a
    // manual disable of the endpoint.
    if (!w || !event || (!w.enabled && trigger !== 'test') || repo.ownerDisabled(w.owner_id)) {
      repo.settle({ id: delivery.id, status: 'skipped', counted: 0, next_attempt_at: null, updated_at: iso(startedMs) });
      return undefined;
    }
    const secrets = repo.activeSecrets(w.id, iso(startedMs)).map((s) => decryptSecret(s.secret_enc, d.encryptionKey));
    const headers = signedHeaders(secrets, event.id, Math.floor(startedMs / 1000), event.body);
    const wall = Date.now();
    const r = await send(w.url, event.body, headers);
    const nowMs = d.clock.now();
    const now = iso(nowMs);
    const row: AttemptRow = {
      id: newId('what'),
      delivery_id: delivery.id,
      attempt_number: repo.attemptCount(delivery.id) + 1,
      trigger,
      url: w.url,
      resolved_ip: r.resolvedIp,
      request_headers: JSON.stringify(redactHeaders(headers)),
      started_at: iso(startedMs),
      duration_ms: Date.now() - wall,
      response_status: r.status,
      response_body: r.body,
      outcome: r.outcome,
      error: r.error,
    };
    let notified = false;
    d.db
      .transaction(() => {
        repo.insertAttempt(row);
        const counts = trigger !== 'test';
        if (r.outcome === 'succeeded') {
          repo.settle({ id: delivery.id, status: 'succeeded', counted: 1, next_attempt_at: null, updated_at: now });
          if (counts) repo.markSucceeded(w.id, now);
          return;
        }
        if (r.status === 410 && counts) {
          repo.settle({ id: delivery.id, status: 'failed', counted: 1, next_attempt_at: null, updated_at: now });
          if (repo.disable(w.id, 'gone_410', now)) {
            repo.skipPending(w.id, now);
            notifyDisabled(w, 'it answered 410 Gone', now);
            notified = true;
          }
          return;
        }
        const n = delivery.attempt_count + 1;
        // Another attempt in flight may have disabled the endpoint meanwhile: then this one is not retried.
        const stillEnabled = repo.findById(w.id)?.enabled === 1;
        // A manual redelivery of a delivery that was still retrying must not cancel its remaining automatic attempts
        // (Svix keeps the schedule on a manual resend): it fails back into the schedule.
        const automatic = trigger === 'scheduled' || (trigger === 'manual' && delivery.status === 'retrying');
        const retry = automatic && !r.abort && n < MAX_ATTEMPTS && stillEnabled;
        let next: string | null = null;
        if (retry) {
          const scheduled = RETRY_SCHEDULE_MS[n - 1] * (0.9 + 0.2 * random());
          const asked = r.retryAfterMs === undefined ? 0 : Math.min(r.retryAfterMs, RETRY_AFTER_CAP_MS);
          next = iso(nowMs + Math.round(Math.max(scheduled, asked) * d.timeScale));
        }
        repo.settle({ id: delivery.id, status: retry ? 'retrying' : 'failed', counted: 1, next_attempt_at: next, updated_at: now });
        if (!counts) return;
        if (trigger === 'scheduled' && n >= MAX_ATTEMPTS) {
          // In the account feed only: the endpoint itself is what is failing.
          events.insertNotification({
            id: newId('ntf'),
            user_id: w.owner_id,
            kind: 'webhook_exhausted',
            title: `Webhook delivery ${delivery.id} failed after ${MAX_ATTEMPTS} attempts`,
            body: `Event ${delivery.event_id} (${delivery.event_type}) could not be delivered to ${w.url}. Redeliver it with POST /api/webhooks/${w.id}/deliveries/${delivery.id}/redeliver.`,
            event_id: delivery.event_id,
            email_status: 'none',
            created_at: now,
          });
        }
        repo.markFailed(w.id, now);
        const fresh = repo.findById(w.id)!;
        const failingFor = nowMs - Date.parse(fresh.failing_since ?? now);
        if (fresh.consecutive_failures >= DISABLE_AFTER_FAILURES && failingFor >= DISABLE_AFTER_MS * d.timeScale) {
          if (repo.disable(w.id, 'consecutive_failures', now)) {
            repo.skipPending(w.id, now);
            notifyDisabled(w, `it failed ${fresh.consecutive_failures} times in a row since ${fresh.failing_since}`, now);
            notified = true;
          }
        }
      })
      .immediate();
    if (notified) d.onNotification?.();
    return row;
  }

  let running: Promise<number> | undefined;
  let again = false;

  /** Attempt every due delivery. Concurrent calls wait for the run in flight, then run once more. */
  async function runDue(): Promise<number> {
    if (running) {
      again = true;
      await running;
      return running ?? runDue();
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        const nowMs = d.clock.now();
        if (!repo.anyDue(iso(nowMs))) break;
        const ids = d.db.transaction(() => repo.leaseDue(iso(nowMs), iso(nowMs + LEASE_MS), 50)).immediate();
        const perEndpoint = new Map<string, DeliveryRow[]>();
        for (const id of ids) {
          const row = repo.findDelivery(id)!;
          perEndpoint.set(row.webhook_id, [...(perEndpoint.get(row.webhook_id) ?? []), row]);
        }
        // At most PER_ENDPOINT_CONCURRENCY requests in flight to one endpoint; endpoints run side by side.
        await Promise.all(
          [...perEndpoint.values()].map(async (rows) => {
            for (let i = 0; i < rows.length; i += PER_ENDPOINT_CONCURRENCY) {
              await Promise.all(
                rows.slice(i, i + PER_ENDPOINT_CONCURRENCY).map((row) =>
                  // One failing delivery (e.g. its endpoint deleted mid-attempt) must not stop the others.
                  attempt(row, row.next_trigger).catch((err) => d.logger.error({ err, delivery: row.id }, 'webhook attempt failed')),
                ),
              );
            }
          }),
        );
        total += ids.length;
        if (ids.length === 50) again = true;
      } while (again);
      return total;
    })();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  /** Run now, then sleep until the next delivery is due (at most maxSleepMs, so clock jumps are noticed). */
  function loop(maxSleepMs = 1000) {
    if (stopped) return;
    clearTimeout(timer);
    runDue()
      .catch((err) => d.logger.error({ err }, 'webhook worker run failed'))
      .finally(() => {
        if (stopped) return;
        const next = repo.nextDueAt();
        const wait = next ? Math.min(maxSleepMs, Math.max(5, Date.parse(next) - d.clock.now())) : maxSleepMs;
        clearTimeout(timer);
        timer = setTimeout(() => loop(maxSleepMs), wait);
        timer.unref();
      });
  }

  return {
    runDue,
    attempt,
    send,
    start() {
      stopped = false;
      // A crash mid-attempt left its lease: send again now (at-least-once, same webhook-id) rather than later.
      const released = d.db.transaction(() => repo.releaseLeases()).immediate();
      if (released) d.logger.info({ released }, 'webhook worker: resuming deliveries interrupted by a restart');
      loop();
    },
    /** Wake the worker (new deliveries were queued). */
    kick() {
      if (!stopped) loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
