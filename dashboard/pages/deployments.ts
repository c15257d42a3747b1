// Deployments: the list with live status (public/app.js polls /deployments/live.json) and the deployment
// page: timeline and metrics charts (both kept current by polling activity.json), logs tail, credentials on demand, cost, and the actions the state allows.

import { tierPrice } from '../../lib/tier-price.ts';
import { csrfField, html, layout, money, num, type PageCtx, type SafeHtml, when } from '../views.ts';
import { chart, dailySeries, lastDays, periodLinks } from './charts.ts';
import type { TierView } from './services.ts';

export interface DeploymentView {
  id: string;
  name: string;
  status: string;
  endpoint: string | null;
  serviceSlug: string;
  serviceName: string;
  tier: string;
  region: string;
  instances: number;
  statusReason: string | null;
  allowedActions: string[];
  metrics: { requests: number; errors: number; avgResponseTime: number; uptime: number };
  billing: { currentCost: number; projectedCost: number; low?: number; high?: number };
  currentOperation: { type: string; step: string | null } | null;
  createdAt: string;
}
export interface SeriesPoint {
  at: string;
  requests: number;
  errors: number;
  avgResponseTime: number;
  p95ResponseTime: number;
}
export interface Extras {
  events: { from: string; to: string; at: string; reason: string | null }[];
  series: SeriesPoint[];
  logs: { at: string; level: string; message: string }[];
  backups: { id: string; createdAt: string; status?: string; kind?: string }[];
  tiers: Pick<TierView, 'id' | 'name' | 'price' | 'model' | 'usage' | 'instances'>[];
  credentials?: Record<string, unknown>;
  preview?: { toPlan: string; currentCycle: { before: number; after: number; deltaMinor: number } } & Record<string, unknown>;
  analytics?: { rows: { date: string; event_type: string; count: number }[]; days: number };
  error?: string;
  notice?: string;
}

const statusBadge = (s: string, id?: string) =>
  html`<span class="status status-${s}"${id ? html` data-status-of="${id}"` : ''}>${s}</span>`;

export function renderDeployments(ctx: PageCtx, list: DeploymentView[], notice?: string) {
  const body = html`<h1>Deployments</h1>
<p><a href="/services">Deploy a service</a></p>
${
  list.length === 0
    ? html`<p>No deployments yet.</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-label="Deployments"><table data-live="/deployments/live.json">
<thead><tr><th scope="col">Name</th><th scope="col">Service</th><th scope="col">Status</th><th scope="col">Region</th><th scope="col">Cost this cycle</th></tr></thead>
<tbody>${list.map(
        (d) =>
          // data-cost-of: public/app.js rewrites the cost with each poll, as it does the status, so the two agree.
          html`<tr><td><a href="/deployments/${d.id}">${d.name}</a></td><td>${d.serviceName} (${d.tier})</td><td>${statusBadge(d.status, d.id)}</td><td>${d.region}</td><td data-cost-of="${d.id}">${money(d.billing.currentCost)}</td></tr>`,
      )}</tbody></table></div>`
}`;
  return layout({ title: 'Deployments', ctx, body, notice });
}

const actionForm = (ctx: PageCtx, id: string, action: string, label: string, cls = '') =>
  html`<form method="post" action="/deployments/${id}/action" class="inline">${csrfField(ctx)}<input type="hidden" name="action" value="${action}"><button type="submit" class="${cls}">${label}</button></form>`;

function actions(ctx: PageCtx, d: DeploymentView, x: Extras): SafeHtml {
  const can = new Set(d.allowedActions);
  const tier = x.tiers.find((t) => t.id === d.tier);
  // After a preview the previewed tier stays chosen, so "Change plan" applies what was just priced.
  const chosenTier = x.preview?.toPlan ?? d.tier;
  return html`<section aria-labelledby="act-h" data-refresh="actions"><h2 id="act-h">Actions</h2>
<div class="row">
${['start', 'stop', 'restart', 'retry', 'resume'].filter((a) => can.has(a)).map((a) => actionForm(ctx, d.id, a, a[0].toUpperCase() + a.slice(1)))}
${can.has('backup') ? html`<form method="post" action="/deployments/${d.id}/backups" class="inline">${csrfField(ctx)}<button type="submit">Back up now</button></form>` : ''}
${can.has('delete') ? html`<a class="button danger" href="/deployments/${d.id}/delete">Delete…</a>` : ''}
</div>
${
  can.has('scale') && tier
    ? html`<form method="post" action="/deployments/${d.id}/scale" class="row">${csrfField(ctx)}<label for="instances">Instances (${tier.instances.min}–${tier.instances.max})</label><input id="instances" name="instances" type="number" min="${tier.instances.min}" max="${tier.instances.max}" value="${d.instances}" required><button type="submit">Scale</button></form>`
    : ''
}
${
  can.has('change_plan')
    ? html`<form method="post" action="/deployments/${d.id}/plan" class="row">${csrfField(ctx)}<label for="plan-tier">Plan</label><select id="plan-tier" name="tier">${x.tiers.map((t) => html`<option value="${t.id}"${t.id === chosenTier ? html` selected` : ''}>${t.name} (${tierPrice(t)})</option>`)}</select><button type="submit" name="step" value="preview">Preview cost</button>${x.preview ? html`<button type="submit" name="step" value="apply">Change plan</button>` : ''}</form>`
    : ''
}
${
  x.preview
    ? html`<p role="status" class="notice">Changing to ${x.preview.toPlan}: projected cost this cycle ${money(x.preview.currentCycle.before / 100)} → ${money(x.preview.currentCycle.after / 100)} (${x.preview.currentCycle.deltaMinor >= 0 ? '+' : ''}${money(x.preview.currentCycle.deltaMinor / 100)}).</p>`
    : ''
}
${
  x.backups.length && can.has('restore')
    ? html`<form method="post" action="/deployments/${d.id}/restore" class="row">${csrfField(ctx)}<label for="backup">Restore backup</label><select id="backup" name="backupId">${x.backups.map(
        (b) =>
          // A backup still being taken cannot be restored yet (the marketplace would answer 409 BACKUP_NOT_READY).
          b.status === 'pending'
            ? html`<option value="${b.id}" disabled>${when(b.createdAt)} ${b.kind ?? ''} (in progress)</option>`
            : html`<option value="${b.id}">${when(b.createdAt)} ${b.kind ?? ''}</option>`,
      )}</select><label class="check"><input type="checkbox" name="confirm" value="1" required> Replace the current data (changes since the backup are lost)</label><button type="submit">Restore</button></form>`
    : ''
}
</section>`;
}

function analyticsSection(id: string, a: NonNullable<Extras['analytics']>) {
  const days = lastDays(a.days);
  const series = dailySeries(a.rows, days);
  return html`<h3>Events per day, last ${a.days} days</h3>
${periodLinks((n) => `/deployments/${id}?days=${n}`, a.days)}
${
  series.length
    ? chart(
        'events',
        'Deployment events per day',
        days.map((d) => Date.parse(d) / 1000),
        series,
      )
    : html`<p class="muted">No events in this period.</p>`
}`;
}

/** The timeline entries and chart columns the page shows, also answered as JSON for live updates. */
export function activityOf(x: Pick<Extras, 'events' | 'series'>) {
  return {
    events: x.events.map((e) => ({ when: when(e.at), from: e.from, to: e.to, reason: e.reason })),
    xs: x.series.map((p) => Date.parse(p.at) / 1000),
    requests: x.series.map((p) => p.requests),
    errors: x.series.map((p) => p.errors),
    average: x.series.map((p) => p.avgResponseTime),
    p95: x.series.map((p) => p.p95ResponseTime),
  };
}

export function renderDeployment(ctx: PageCtx, d: DeploymentView, x: Extras) {
  const a = activityOf(x);
  // Drawn even when empty: public/app.js fills them from activity.json while the deployment runs.
  const charts = html`${chart('requests', 'Requests per interval', a.xs, [
    { label: 'requests', values: a.requests },
    { label: 'errors', values: a.errors },
  ])}
${chart('latency', 'Latency (ms)', a.xs, [
  { label: 'average', values: a.average },
  { label: 'p95', values: a.p95 },
])}
<p class="muted" id="series-empty"${a.xs.length ? html` hidden` : ''}>No time series yet: points appear while the deployment runs.</p>`;
  const body = html`<h1>${d.name}</h1>
<p data-refresh="status">${statusBadge(d.status, d.id)} ${d.currentOperation ? html`<span class="muted">${d.currentOperation.type}${d.currentOperation.step ? `: ${d.currentOperation.step}` : ''}</span>` : ''} ${d.statusReason ? html`<span class="muted">${d.statusReason}</span>` : ''}</p>
<p class="muted" data-live-one="/deployments/live.json?id=${d.id}" data-refresh="summary">${d.serviceName} · tier ${d.tier} · ${d.region} · ${d.instances} instance${d.instances === 1 ? '' : 's'} · endpoint <code>${d.endpoint ?? '–'}</code></p>
${x.error ? html`<p class="error" role="alert">${x.error}</p>` : ''}
<div class="cards">
  <div class="card"><span class="small muted">Cost this cycle</span><strong class="block" id="current-cost">${money(d.billing.currentCost)}</strong></div>
  <div class="card"><span class="small muted">Projected for the cycle</span><strong class="block" id="projected-cost">${money(d.billing.projectedCost)}</strong></div>
  <div class="card"><span class="small muted">Requests</span><strong class="block" id="metric-requests">${num(d.metrics.requests)}</strong></div>
  <div class="card"><span class="small muted">Errors</span><strong class="block">${num(d.metrics.errors)}</strong></div>
  <div class="card"><span class="small muted">Avg. latency</span><strong class="block">${d.metrics.avgResponseTime} ms</strong></div>
  <div class="card"><span class="small muted">Uptime</span><strong class="block" id="metric-uptime">${d.metrics.uptime}%</strong></div>
</div>
${actions(ctx, d, x)}
<h2>Metrics</h2>
${charts}
${x.analytics ? analyticsSection(d.id, x.analytics) : ''}
<h2 id="credentials">Credentials</h2>
${
  x.credentials
    ? html`<dl class="creds">${Object.entries(x.credentials).map(([k, v]) => html`<dt>${k}</dt><dd><code>${typeof v === 'string' ? v : JSON.stringify(v)}</code></dd>`)}</dl>`
    : html`<p><a class="button" href="/deployments/${d.id}?reveal=credentials#credentials">Reveal credentials</a></p>`
}
<div data-refresh="rotate">${
    d.allowedActions.includes('rotate_credentials')
      ? html`<form method="post" action="/deployments/${d.id}/rotate" class="row">${csrfField(ctx)}<label for="grace">Keep the old password for (hours)</label><input id="grace" name="graceHours" type="number" min="0" max="720" value="24"><button type="submit">Rotate credentials</button></form>`
      : ''
  }</div>
<h2>Timeline</h2>
<ol class="timeline" aria-live="polite" data-activity="/deployments/${d.id}/activity.json">${a.events.map((e) => html`<li><time>${e.when}</time> ${e.from} → <strong>${e.to}</strong>${e.reason ? html` <span class="muted">(${e.reason})</span>` : ''}</li>`)}</ol>
<h2>Logs</h2>
<pre class="logs" tabindex="0" aria-label="Latest log lines" aria-live="off" data-logs="/deployments/${d.id}/logs.json">${x.logs.map((l) => `${l.at} ${l.level.toUpperCase()} ${l.message}\n`)}</pre>
<p><a href="/deployments/${d.id}">Refresh</a></p>`;
  return layout({
    title: d.name,
    ctx,
    body,
    notice: x.notice,
    scripts: ['uPlot.iife.min.js', 'charts.js'],
  });
}

export function renderDeleteConfirm(ctx: PageCtx, d: DeploymentView, error?: string) {
  const body = html`<h1>Delete ${d.name}?</h1>
<p>This stops billing and removes the deployment and its data. It cannot be undone.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/deployments/${d.id}/delete" class="stack narrow">
  ${csrfField(ctx)}
  <label for="confirm">Type the deployment name (<strong>${d.name}</strong>) to confirm</label>
  <input id="confirm" name="confirm" required autocomplete="off">
  <button type="submit" class="danger">Delete deployment</button>
  <a href="/deployments/${d.id}">Cancel</a>
</form>`;
  return layout({ title: `Delete ${d.name}`, ctx, body });
}
