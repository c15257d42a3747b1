// Webhook endpoint rules: who may subscribe (Team plan or above), to which events, at which URLs (SSRF), the
// secret shown once and its rotation, the test ping, redelivery and bulk recovery.
import type { Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { AppError, badRequest, conflict, notFound } from '../lib/errors.ts';
import { createIdentityReader, planLimitError } from '../lib/identity.ts';
import { newId, newUuid } from '../lib/ids.ts';
import { checkTarget, type Resolver, SsrfError, type SsrfReason } from '../lib/ssrf.ts';
import { EVENTS_API_VERSION } from './events.ts';
import { createEventsRepo } from './events-repo.ts';
import type { WebhookDispatcher } from './webhooks-dispatcher.ts';
import { createWebhooksRepo, type DeliveryRow, type WebhookRow } from './webhooks-repo.ts';
import { encryptSecret, generateWebhookSecret } from './webhooks-signing.ts';

/**
 * Every event type a producer emits with an owner (so it reaches webhooks): the seed README's seven and the
 * others the registry and marketplace emit. "*" subscribes to all. test/unit/api-webhooks.test.ts compares this
 * list with the types found in the producers' source, so a new event cannot arrive on "*" only.
 * package.downloaded is left out: download counts carry no owner and are never delivered.
 */
export const WEBHOOK_EVENT_TYPES = [
  'package.published',
  'package.deprecated',
  'package.unpublished',
  'package.vulnerable',
  'service.deployed',
  'service.failed',
  'deployment.started',
  'deployment.stopped',
  'deployment.failed',
  'deployment.scaled',
  'deployment.restarted',
  'deployment.restored',
  'deployment.recovered',
  'deployment.degraded',
  'deployment.suspended',
  'deployment.deleted',
  'deployment.plan_changed',
  'deployment.credentials_rotated',
  'billing.threshold',
] as const;
export const MAX_WEBHOOKS_PER_USER = 20;
// The refusals WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true lifts (lib/ssrf.ts).
const LIFTED_BY_PRIVATE_NETWORKS = new Set<SsrfReason>(['private_address', 'hostname_not_allowed']);
const RECOVER_BATCH = 1000;

export interface WebhookRulesDeps {
  db: Db;
  clock: Clock;
  encryptionKey: string;
  allowPrivateNetworks: boolean;
  dispatcher: WebhookDispatcher;
  resolve?: Resolver;
}

export function toWebhookView(w: WebhookRow) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    events: JSON.parse(w.events) as string[],
    active: w.enabled === 1,
    disabledReason: w.disabled_reason,
    failingSince: w.failing_since,
    consecutiveFailures: w.consecutive_failures,
    lastSuccessAt: w.last_success_at,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
  };
}

export function toDeliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    webhookId: d.webhook_id,
    eventId: d.event_id,
    eventType: d.event_type,
    status: d.status,
    attemptCount: d.attempt_count,
    nextAttemptAt: d.next_attempt_at,
    createdAt: d.created_at,
    updatedAt: d.updated_at,
  };
}

function validateEvents(events: string[]): string[] {
  const unknown = events.filter((e) => e !== '*' && !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length) {
    throw badRequest(
      `unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      { unknown, allowed: WEBHOOK_EVENT_TYPES },
      'UNKNOWN_EVENT_TYPE',
    );
  }
  // "*" already means every type: a list naming it and others is stored as "*" alone, so it reads as what it does.
  return events.includes('*') ? ['*'] : [...new Set(events)];
}

export function createWebhookRules(d: WebhookRulesDeps) {
  const repo = createWebhooksRepo(d.db);
  const events = createEventsRepo(d.db);
  const identity = createIdentityReader(() => d.db);
  const now = () => new Date(d.clock.now()).toISOString();

  async function checkUrl(url: string): Promise<void> {
    try {
      await checkTarget(url, { allowPrivateNetworks: d.allowPrivateNetworks, resolve: d.resolve });
    } catch (err) {
      if (!(err instanceof SsrfError)) throw err;
      // Only for what the setting lifts (never metadata or reserved addresses): a team testing against a local
      // receiver learns the switch exists, and that it is the operator's, not theirs.
      const hint = LIFTED_BY_PRIVATE_NETWORKS.has(err.reason)
        ? '; an operator can allow private networks with WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true'
        : '';
      throw new AppError(422, 'WEBHOOK_URL_NOT_ALLOWED', `webhook URL not allowed: ${err.message}${hint}`, { reason: err.reason });
    }
  }

  function owned(p: Principal, id: string): WebhookRow {
    const w = repo.findById(id);
    if (!w || w.owner_id !== p.userId) throw notFound(`no webhook "${id}"`, 'WEBHOOK_NOT_FOUND');
    return w;
  }

  /** Queue a webhook.test event for one endpoint; the ping is a delivery like any other, logged the same way. */
  function queuePing(w: WebhookRow, at: string, dueNow: boolean): DeliveryRow {
    const id = newUuid();
    const body = JSON.stringify({
      id,
      type: 'webhook.test',
      timestamp: at,
      apiVersion: EVENTS_API_VERSION,
      account: w.owner_id,
      data: { webhookId: w.id, message: 'ping' },
    });
    events.insert({ id, type: 'webhook.test', owner_id: w.owner_id, subject: `webhook:${w.id}`, body, occurred_at: at, received_at: at });
    const deliveryId = newId('whdl');
    repo.insertDelivery({
      id: deliveryId,
      webhook_id: w.id,
      event_id: id,
      event_type: 'webhook.test',
      status: 'pending',
      next_attempt_at: dueNow ? at : null,
      next_trigger: 'test',
      created_at: at,
    });
    return repo.findDelivery(deliveryId)!;
  }

  return {
    owned,
    async create(p: Principal, input: { url: string; events: string[]; description?: string }) {
      const plan = identity.planOf(p.userId);
      if (!plan?.webhooks) throw planLimitError('webhooks', plan ?? identity.plan('free')!);
      const types = validateEvents(input.events);
      await checkUrl(input.url);
      const secret = generateWebhookSecret();
      const at = now();
      const w = d.db
        .transaction(() => {
          if (repo.listByOwner(p.userId, 1, 0).total >= MAX_WEBHOOKS_PER_USER) {
            throw conflict(`you already have ${MAX_WEBHOOKS_PER_USER} webhooks: delete one first`, 'WEBHOOK_LIMIT');
          }
          const id = newId('webhook');
          repo.insert({
            id,
            owner_id: p.userId,
            url: input.url,
            description: input.description ?? null,
            events: JSON.stringify(types),
            created_at: at,
          });
          repo.insertSecret(id, encryptSecret(secret, d.encryptionKey), at);
          const row = repo.findById(id)!;
          // Like GitHub's ping on creation; a failed ping does not block creation.
          queuePing(row, at, true);
          return row;
        })
        .immediate();
      d.dispatcher.kick();
      return { webhook: w, secret };
    },

    async update(p: Principal, id: string, input: { url?: string; events?: string[]; description?: string | null; active?: boolean }) {
      owned(p, id);
      const types = input.events && validateEvents(input.events);
      if (input.url) await checkUrl(input.url);
      const at = now();
      return d.db
        .transaction(() => {
          const w = owned(p, id);
          const fields: Partial<WebhookRow> = { updated_at: at };
          if (input.url) fields.url = input.url;
          if (types) fields.events = JSON.stringify(types);
          if (input.description !== undefined) fields.description = input.description;
          if (input.active === true && !w.enabled) {
            // Re-enabling clears the failure streak but does not replay: the user calls recover.
            Object.assign(fields, { enabled: 1, disabled_reason: null, failing_since: null, consecutive_failures: 0 });
          } else if (input.active === false && w.enabled) {
            Object.assign(fields, { enabled: 0, disabled_reason: 'manual' });
            repo.skipPending(id, at);
          }
          repo.update(id, fields);
          return repo.findById(id)!;
        })
        .immediate();
    },

    remove(p: Principal, id: string) {
      d.db.transaction(() => repo.remove(owned(p, id).id)).immediate();
    },

    rotate(p: Principal, id: string, expireOldAfterHours: number) {
      const secret = generateWebhookSecret();
      const at = d.clock.now();
      const secretId = d.db
        .transaction(() => {
          owned(p, id);
          const sid = repo.insertSecret(id, encryptSecret(secret, d.encryptionKey), new Date(at).toISOString());
          // During the overlap both signatures are sent (Standard Webhooks zero-downtime rotation).
          repo.expireOtherSecrets(id, sid, new Date(at + expireOldAfterHours * 3_600_000).toISOString(), new Date(at).toISOString());
          return sid;
        })
        .immediate();
      return { secretId, secret, previousSecretsExpireAt: new Date(at + expireOldAfterHours * 3_600_000).toISOString() };
    },

    /** A synchronous ping: the attempt is returned and does not touch the failure streak. */
    async test(p: Principal, id: string) {
      const w = owned(p, id);
      const delivery = d.db.transaction(() => queuePing(w, now(), false)).immediate();
      return (await d.dispatcher.attempt(delivery, 'test'))!;
    },

    redeliver(p: Principal, id: string, deliveryId: string) {
      const w = owned(p, id);
      const delivery = repo.findDelivery(deliveryId);
      if (!delivery || delivery.webhook_id !== w.id)
        throw notFound(`no delivery "${deliveryId}" for webhook "${id}"`, 'DELIVERY_NOT_FOUND');
      if (!w.enabled) throw conflict('this webhook is disabled: re-enable it first with PATCH {"active":true}', 'WEBHOOK_DISABLED');
      repo.requeue(delivery.id, now(), 'manual');
      d.dispatcher.kick();
      return repo.findDelivery(delivery.id)!;
    },

    /** Requeue failed deliveries created in [since, until), oldest first, at most 1000 per call. */
    recover(p: Principal, id: string, since: string, until: string | undefined) {
      const w = owned(p, id);
      if (!w.enabled) throw conflict('this webhook is disabled: re-enable it first with PATCH {"active":true}', 'WEBHOOK_DISABLED');
      const end = until ?? now();
      if (end <= since) throw badRequest('"until" must be after "since"', undefined, 'INVALID_WINDOW');
      const at = now();
      const rows = d.db
        .transaction(() => {
          const found = repo.failedInWindow(id, since, end, RECOVER_BATCH + 1);
          for (const r of found.slice(0, RECOVER_BATCH)) repo.requeue(r.id, at, 'recover');
          return found;
        })
        .immediate();
      d.dispatcher.kick();
      return { requeued: Math.min(rows.length, RECOVER_BATCH), hasMore: rows.length > RECOVER_BATCH };
    },
  };
}
