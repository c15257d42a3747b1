// Billing: the current cycle (current, projected, low/high), invoices with line items, budgets and thresholds.
import { csrfField, html, layout, money, type PageCtx, plural, when } from '../views.ts';

export interface BillingSummary {
  cycle: { id: string; start: string; end: string };
  currentCost: number;
  projectedCost: number;
  low: number;
  high: number;
  /** When the marketplace computed these figures: costs accrue by the minute, so the page says how fresh they are. */
  asOf?: string;
  deployments: { deploymentId: string; name: string; tier: string; status: string; currentCost: number; projectedCost: number }[];
  /** Every deployment of the cycle; `deployments` is one page of them (from `offset`, at most `limit`). */
  deploymentsTotal?: number;
  limit?: number;
  offset?: number;
}

/** Previous/next links when the cost lines span several pages (the totals above always cover all of them). */
function linesPager(b: BillingSummary) {
  const total = b.deploymentsTotal ?? b.deployments.length;
  const offset = b.offset ?? 0;
  const limit = b.limit ?? (b.deployments.length || 1);
  if (total <= b.deployments.length) return html``;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.ceil(total / limit);
  return html`<nav aria-label="Cost lines" class="pager">
  ${page > 1 ? html`<a href="/billing?page=${page - 1}" rel="prev">Previous</a>` : ''}
  <span>Deployments ${offset + 1}–${offset + b.deployments.length} of ${total}</span>
  ${page < pages ? html`<a href="/billing?page=${page + 1}" rel="next">Next</a>` : ''}
</nav>`;
}
export interface Invoice {
  id: string | null;
  cycle: string;
  status: string;
  total: number;
  lines: { deploymentId: string; name: string; tier: string; amountCents: number; usageQuantity: number }[];
}
export interface Budget {
  id: string;
  scope: { type: string; deploymentId?: string };
  amount: number;
  thresholds: { percent: number; basis: string; firedAt: string | null }[];
  onExceed: string;
}

export function renderBilling(
  ctx: PageCtx,
  b: BillingSummary | undefined,
  invoices: Invoice[],
  budgets: Budget[],
  o: {
    error?: string;
    notice?: string;
    /** The budget form as typed, shown again after a refusal so nothing has to be retyped. */
    form?: { amount: string; percent: string; onExceed: string };
  } = {},
) {
  const f = o.form ?? { amount: '', percent: '80', onExceed: 'notify' };
  const body = html`<h1>Billing</h1>
${
  b
    ? html`<h2>Cycle ${b.cycle.id}</h2>
<div class="cards">
  <div class="card"><span class="small muted">So far</span><strong class="block">${money(b.currentCost)}</strong></div>
  <div class="card"><span class="small muted">Projected</span><strong class="block">${money(b.projectedCost)}</strong><span class="small muted">range ${money(b.low)}–${money(b.high)}</span></div>
  <div class="card"><span class="small muted">Cycle</span><strong class="block">${when(b.cycle.start)}</strong><span class="small muted">to ${when(b.cycle.end)}</span></div>
</div>
${b.asOf ? html`<p class="small muted" id="billing-as-of">Computed ${when(b.asOf)}; reload for the latest figures.</p>` : ''}
${
  (b.deploymentsTotal ?? b.deployments.length) === 0
    ? html`<p>No deployments this cycle.</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-label="Cost per deployment"><table>
<thead><tr><th scope="col">Deployment</th><th scope="col">Tier</th><th scope="col">Status</th><th scope="col">So far</th><th scope="col">Projected</th></tr></thead>
<tbody>${b.deployments.map((d) => html`<tr><td><a href="/deployments/${d.deploymentId}">${d.name}</a></td><td>${d.tier}</td><td>${d.status}</td><td>${money(d.currentCost)}</td><td>${money(d.projectedCost)}</td></tr>`)}</tbody>
</table></div>
${linesPager(b)}`
}`
    : ''
}
<h2>Invoices</h2>
${invoices.length === 0 ? html`<p>No invoices yet.</p>` : ''}
${invoices.map(
  (i) => html`<details><summary>${i.cycle} · ${i.status} · ${money(i.total)}</summary>
<ul>${i.lines.map((l) => html`<li>${l.name} (${l.tier}): ${money(l.amountCents / 100)}${l.usageQuantity ? `, ${plural(l.usageQuantity, 'request')}` : ''}</li>`)}</ul></details>`,
)}
<h2>Budgets</h2>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
${budgets.length === 0 ? html`<p>No budgets.</p>` : ''}
<ul>${budgets.map(
    (
      g,
    ) => html`<li>${money(g.amount)}/month for ${g.scope.type === 'account' ? 'the account' : g.scope.deploymentId} · alerts at ${g.thresholds.map((t) => `${t.percent}% ${t.basis}${t.firedAt ? ' (reached)' : ''}`).join(', ')} · on exceed: ${g.onExceed}
<form method="post" action="/billing/budgets/${g.id}/delete" class="inline">${csrfField(ctx)}<button type="submit" class="link">Delete</button></form></li>`,
  )}</ul>
<form method="post" action="/billing/budgets" class="stack narrow">
  ${csrfField(ctx)}
  <label for="budget-amount">Monthly budget ($)</label>
  <input id="budget-amount" name="amount" type="number" min="1" step="0.01" required value="${f.amount}">
  <label for="budget-threshold">Alert at (% of budget, actual spend)</label>
  <input id="budget-threshold" name="percent" type="number" min="1" max="1000" value="${f.percent}" required>
  <label for="budget-exceed">When exceeded</label>
  <select id="budget-exceed" name="onExceed"><option value="notify">Notify me</option><option value="suspend"${f.onExceed === 'suspend' ? html` selected` : ''}>Suspend deployments</option></select>
  <button type="submit">Add budget</button>
</form>`;
  return layout({ title: 'Billing', ctx, body, notice: o.notice });
}
