// Webhooks: list and create (secret shown once), and a webhook's page: test ping, enable/disable, the
// delivery log with attempts and redelivery.
import type { Me } from '../session.ts';
import { csrfField, html, layout, type PageCtx, plural, when } from '../views.ts';
import { PLANS_SET_BY_ADMINS } from './account.ts';

export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  active: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  createdAt: string;
}
export interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  createdAt: string;
}
export interface Attempt {
  attemptNumber: number;
  trigger: string;
  responseStatus: number | null;
  outcome: string;
  durationMs: number;
  error: string | null;
  startedAt: string;
}

/** Whether the caller's plan includes webhooks (the main API's plan limit `webhooks`, false on Free). */
export const planAllowsWebhooks = (me: Me) => me.plan.limits?.webhooks !== false;

/**
 * What a user whose plan has no webhooks sees instead of the form (the API would refuse it with "upgrade to Team",
 * but plans here are changed by administrators, as the account page says).
 */
export const webhooksNotInPlan = (me: Me) =>
  `Your ${me.plan.name} plan does not include webhooks. ${me.role === 'admin' ? 'Change your plan on the Admin page.' : PLANS_SET_BY_ADMINS}`;

export function renderWebhooks(
  ctx: PageCtx,
  me: Me,
  hooks: WebhookView[],
  o: { created?: { id: string; secret: string }; error?: string; values?: Record<string, string>; notice?: string } = {},
) {
  const v = o.values ?? {};
  const body = html`<h1>Webhooks</h1>
${
  o.created
    ? html`<div class="secret-once" role="status"><p><strong>Webhook created.</strong> Its signing secret is shown only now:</p>
<pre class="snippet"><code id="new-secret">${o.created.secret}</code></pre><button type="button" class="copy" data-copy="new-secret">Copy secret</button>
<p><a href="/webhooks/${o.created.id}">Open the webhook</a></p></div>`
    : ''
}
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<h2>Add a webhook</h2>
${
  planAllowsWebhooks(me)
    ? html`<form method="post" action="/webhooks" class="stack narrow">
  ${csrfField(ctx)}
  <label for="wh-url">Receiver URL</label>
  <input id="wh-url" name="url" type="url" required maxlength="2048" placeholder="https://example.com/hooks" value="${v.url ?? ''}">
  <label for="wh-events">Events (comma separated, * for all)</label>
  <input id="wh-events" name="events" required maxlength="500" value="${v.events ?? '*'}">
  <label for="wh-desc">Description</label>
  <input id="wh-desc" name="description" maxlength="500" value="${v.description ?? ''}">
  <button type="submit">Create webhook</button>
</form>`
    : html`<p id="webhooks-plan-limit">${webhooksNotInPlan(me)} <a href="/account">See your plan</a>.</p>`
}
<h2>Your webhooks</h2>
${hooks.length === 0 ? html`<p>None yet.</p>` : ''}
<ul class="results">${hooks.map(
    (
      h,
    ) => html`<li class="result"><a href="/webhooks/${h.id}"><strong>${h.url}</strong></a> ${h.active ? html`<span class="status status-running">active</span>` : html`<span class="status status-failed">disabled</span>`}
<p class="small muted">${h.events.join(', ')} · ${h.description ?? ''}</p></li>`,
  )}</ul>`;
  return layout({ title: 'Webhooks', ctx, body, notice: o.notice });
}

export function renderWebhook(
  ctx: PageCtx,
  h: WebhookView,
  deliveries: Delivery[],
  o: { test?: Attempt; error?: string; notice?: string; attempts?: { delivery: string; list: Attempt[] }; secret?: string } = {},
) {
  const form = (action: string, label: string, extra = html``) =>
    html`<form method="post" action="/webhooks/${h.id}/${action}" class="inline">${csrfField(ctx)}${extra}<button type="submit">${label}</button></form>`;
  const body = html`<h1>Webhook</h1>
<p><code>${h.url}</code> ${h.active ? html`<span class="status status-running">active</span>` : html`<span class="status status-failed">disabled</span>`} ${h.disabledReason ? html`<span class="muted">(${h.disabledReason})</span>` : ''}</p>
<p class="small muted">Events: ${h.events.join(', ')} · created ${when(h.createdAt)} · last success ${when(h.lastSuccessAt)} · ${plural(h.consecutiveFailures, 'failure')} in a row</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
${o.secret ? html`<div class="secret-once" role="status"><p>New signing secret, shown only now (the old ones keep signing for 24 hours):</p><pre class="snippet"><code id="new-secret">${o.secret}</code></pre><button type="button" class="copy" data-copy="new-secret">Copy secret</button></div>` : ''}
${o.test ? html`<p class="notice" role="status" id="test-result">Test ping: ${o.test.outcome}${o.test.responseStatus !== null ? `, HTTP ${o.test.responseStatus}` : ''} in ${o.test.durationMs} ms${o.test.error ? ` (${o.test.error})` : ''}</p>` : ''}
<div class="row">
${form('test', 'Send test')}
${form('active', h.active ? 'Disable' : 'Enable', html`<input type="hidden" name="active" value="${h.active ? 'false' : 'true'}">`)}
${form('rotate', 'Rotate secret')}
${form('delete', 'Delete webhook')}
</div>
<h2>Deliveries</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Deliveries"><table>
<thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${deliveries.map(
    (
      d,
    ) => html`<tr><td>${d.eventType}</td><td>${d.status}</td><td><a href="/webhooks/${h.id}?delivery=${d.id}">${d.attemptCount}</a></td><td>${when(d.createdAt)}</td>
<td>${form(`deliveries/${d.id}/redeliver`, 'Redeliver')}</td></tr>`,
  )}</tbody></table></div>
${
  o.attempts
    ? html`<h2>Attempts of ${o.attempts.delivery}</h2><ol>${o.attempts.list.map(
        (a) =>
          html`<li>${when(a.startedAt)} · ${a.trigger} · ${a.outcome}${a.responseStatus !== null ? ` · HTTP ${a.responseStatus}` : ''} · ${a.durationMs} ms${a.error ? ` · ${a.error}` : ''}</li>`,
      )}</ol>`
    : ''
}`;
  return layout({ title: 'Webhook', ctx, body, notice: o.notice });
}
