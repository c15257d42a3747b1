// Activity: the signed-in user's audit log (the main API's GET /api/audit), newest first, filtered by action and
// paged. Every value is user-influenced (a user agent, a token name, a deployment name): all of it goes through
// `html`, and details are summarized as words, never dumped as JSON.
import { html, layout, type PageCtx, whenExact } from '../views.ts';

export interface AuditEntry {
  id: number;
  action: string;
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

export interface ActivityView {
  entries: AuditEntry[];
  /** Every entry matching the filter; `entries` is one page of them. */
  total: number;
  page: number;
  pageSize: number;
  /** The action filter as typed ('' for every action). */
  action: string;
  error?: string;
}

/** Enough of a user agent to recognize the client; the whole string is in the cell's title. */
const USER_AGENT_SHOWN = 40;
/** A details summary longer than this is cut in the cell, whole in its title. */
const DETAILS_SHOWN = 200;

/** Cut by code points, so an emoji or a CJK character is never split into a broken half. */
function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

/** One detail value as words: lists joined, {from, to} as an arrow, objects as "key: value" one level down
 * (deeper ones elided: a summary, not a dump). */
function valueText(v: unknown, depth: number): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v !== 'object') return String(v);
  if (depth >= 2) return '…';
  if (Array.isArray(v)) return v.length ? v.map((x) => valueText(x, depth + 1)).join(', ') : 'none';
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length === 2 && 'from' in o && 'to' in o) return `${valueText(o.from, depth + 1)} → ${valueText(o.to, depth + 1)}`;
  return `(${pairs(o, depth + 1)})`;
}
const pairs = (o: Record<string, unknown>, depth: number) =>
  Object.entries(o)
    .map(([k, v]) => `${k}: ${valueText(v, depth)}`)
    .join(', ');

/** The details of an entry as "key: value" pairs, e.g. "name: ci, readonly: no" or "plan: free → team". */
export const detailsText = (details: Record<string, unknown> | null) => (details ? pairs(details, 0) : '');

const activityHref = (action: string, page = 1) => {
  const q = new URLSearchParams();
  if (action) q.set('action', action);
  if (page > 1) q.set('page', String(page));
  const s = q.toString();
  return `/account/activity${s ? `?${s}` : ''}`;
};

function entryRow(e: AuditEntry) {
  const ua = e.userAgent ?? '';
  const details = detailsText(e.details);
  const shownDetails = clip(details, DETAILS_SHOWN);
  return html`<tr><td><time datetime="${e.createdAt}">${whenExact(e.createdAt)}</time></td><td><a href="${activityHref(e.action)}"><code>${e.action}</code></a></td><td>${e.target ?? '–'}</td><td>${e.ip ?? '–'}</td><td${ua ? html` title="${ua}"` : ''}>${ua ? clip(ua, USER_AGENT_SHOWN) : '–'}</td><td${shownDetails !== details ? html` title="${details}"` : ''}>${shownDetails || '–'}</td></tr>`;
}

export function renderActivity(ctx: PageCtx, v: ActivityView) {
  const pages = Math.max(1, Math.ceil(v.total / v.pageSize));
  const first = (v.page - 1) * v.pageSize;
  const empty =
    v.total === 0
      ? html`<p>${v.action ? `No activity with the action “${v.action}” yet.` : 'No activity recorded for your account yet.'}</p>`
      : html`<p>This page is past the oldest entry: <a href="${activityHref(v.action)}">back to the newest</a>.</p>`;
  const body = html`<h1>Activity</h1>
<p class="muted">What was done with your account, newest first: sign-ins, tokens, organizations, packages, deployments, billing. Times are UTC.</p>
<form method="get" action="/account/activity" class="filters" role="search">
  <label for="activity-action">Action</label>
  <input id="activity-action" name="action" value="${v.action}" maxlength="100" placeholder="token.create">
  <button type="submit">Filter</button>
  ${v.action ? html`<a href="/account/activity">Show every action</a>` : ''}
</form>
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}
${
  v.entries.length === 0
    ? v.error
      ? ''
      : empty
    : html`<div class="table-scroll" tabindex="0" role="region" aria-label="Activity"><table><caption class="visually-hidden">Activity, newest first</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">IP</th><th scope="col">User agent</th><th scope="col">Details</th></tr></thead>
<tbody>${v.entries.map(entryRow)}</tbody></table></div>
${
  pages > 1
    ? html`<nav aria-label="Activity pages" class="pager">
  ${v.page > 1 ? html`<a href="${activityHref(v.action, v.page - 1)}" rel="prev">Newer</a>` : ''}
  <span>Entries ${first + 1}–${first + v.entries.length} of ${v.total}</span>
  ${v.page < pages ? html`<a href="${activityHref(v.action, v.page + 1)}" rel="next">Older</a>` : ''}
</nav>`
    : ''
}`
}`;
  return layout({ title: 'Activity', ctx, body });
}
