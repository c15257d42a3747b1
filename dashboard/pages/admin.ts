// Admin: users (role, plan, disable), the security review queue (flagged/quarantined versions: release or
// quarantine), the OSV advisory import, the service catalog's placement (featured/premium) and the
// marketplace's revenue ledger.
import { csrfField, html, layout, money, type PageCtx, when } from '../views.ts';

export interface AdminUser {
  id: string;
  username: string;
  email: string;
  role: string;
  plan: string;
  disabled: boolean;
  createdAt: string;
}
export interface Flagged {
  /** npm, pypi, maven or rubygems (older registries omit it: npm). */
  ecosystem?: string;
  name: string;
  version: string;
  verdict: string;
  findings: { rule?: string; category?: string; message?: string }[];
  scannedAt: string;
}
export interface Revenue {
  feePercent: number;
  currentCycle: { cycle: string; grossCents: number; feeCents: number };
  ledger: { cycle: string; serviceId: string; grossCents: number; feeCents: number; deployments: number }[];
}
export interface CatalogService {
  slug: string;
  name: string;
  category: string;
  listing: string;
}
export interface AdminData {
  q: string;
  users: AdminUser[];
  total: number;
  flagged?: Flagged[];
  revenue?: Revenue;
  services?: CatalogService[];
  imported?: string;
  error?: string;
  notice?: string;
}

const sel = (name: string, label: string, values: string[], cur: string, id: string) =>
  html`<label for="${id}" class="visually-hidden">${label}</label><select id="${id}" name="${name}">${values.map((v) => html`<option${v === cur ? html` selected` : ''}>${v}</option>`)}</select>`;

export function renderAdmin(ctx: PageCtx, d: AdminData) {
  const body = html`<h1>Admin</h1>
${d.error ? html`<p class="error" role="alert">${d.error}</p>` : ''}
<h2>Users</h2>
<form method="get" action="/admin" class="filters" role="search"><label for="uq">Find users</label><input id="uq" name="q" value="${d.q}" maxlength="100"><button type="submit">Search</button></form>
<p class="muted">${d.total} user${d.total === 1 ? '' : 's'}${
    // The page lists one batch (routes/admin.ts asks for 50) and has no pager: say so, or the rest look missing.
    d.total > d.users.length ? `: the first ${d.users.length} are shown, search by name or email to find the others` : ''
  }</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Users"><table>
<thead><tr><th scope="col">User</th><th scope="col">Role, plan, status</th></tr></thead>
<tbody>${d.users.map(
    (u) => html`<tr><td>${u.username}<br><span class="small muted">${u.email} · since ${when(u.createdAt)}</span></td>
<td><form method="post" action="/admin/users/${u.id}" class="row">${csrfField(ctx)}
${sel('role', `Role of ${u.username}`, ['user', 'publisher', 'admin'], u.role, `role-${u.id}`)}
${sel('plan', `Plan of ${u.username}`, ['free', 'team', 'enterprise'], u.plan, `plan-${u.id}`)}
${sel('disabled', `Status of ${u.username}`, ['active', 'disabled'], u.disabled ? 'disabled' : 'active', `dis-${u.id}`)}
<button type="submit" aria-label="Save ${u.username}">Save</button></form></td></tr>`,
  )}</tbody></table></div>
<h2>Flagged packages</h2>
${d.flagged === undefined ? html`<p class="muted">The registry's review queue is unavailable.</p>` : d.flagged.length === 0 ? html`<p>Nothing waits for review.</p>` : ''}
<ul class="results">${(d.flagged ?? []).map(
    (
      f,
    ) => html`<li class="result"><strong>${f.name}@${f.version}</strong> · ${f.ecosystem ?? 'npm'} · ${f.verdict} · scanned ${when(f.scannedAt)}
<ul>${f.findings.slice(0, 5).map((x) => html`<li>${x.category ?? ''} ${x.rule ?? ''}: ${x.message ?? ''}</li>`)}</ul>
<div class="row">${['release', 'quarantine'].map(
      (a) =>
        html`<form method="post" action="/admin/reviews" class="inline">${csrfField(ctx)}<input type="hidden" name="ecosystem" value="${f.ecosystem ?? 'npm'}"><input type="hidden" name="name" value="${f.name}"><input type="hidden" name="version" value="${f.version}"><input type="hidden" name="action" value="${a}"><button type="submit">${a === 'release' ? 'Release' : 'Quarantine'}</button></form>`,
    )}</div></li>`,
  )}</ul>
<h2>Import advisories</h2>
${d.imported ? html`<p class="notice" role="status">${d.imported}</p>` : ''}
<form method="post" action="/admin/advisories" class="stack">
  ${csrfField(ctx)}
  <label for="osv">OSV records (JSON object, array or one per line)</label>
  <textarea id="osv" name="osv" rows="6" required maxlength="60000"></textarea>
  <button type="submit">Import</button>
</form>
<h2>Service catalog</h2>
${
  d.services
    ? html`<p class="muted">Featured services are listed first, then premium ones; both are marked in the catalog.</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Service catalog placement"><table><thead><tr><th scope="col">Service</th><th scope="col">Placement</th></tr></thead>
<tbody>${d.services.map(
        (s) => html`<tr><td><a href="/services/${s.slug}">${s.name}</a> <span class="small muted">${s.category}</span></td>
<td><form method="post" action="/admin/services/${s.slug}/listing" class="row">${csrfField(ctx)}
${sel('listing', `Placement of ${s.name}`, ['featured', 'premium', 'standard'], s.listing, `listing-${s.slug}`)}
<button type="submit" aria-label="Save placement of ${s.name}">Save</button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">The service catalog is unavailable.</p>`
}
<h2>Revenue</h2>
${
  d.revenue
    ? html`<p>Current cycle ${d.revenue.currentCycle.cycle}: gross ${money(d.revenue.currentCycle.grossCents / 100)}, fee (${d.revenue.feePercent}%) ${money(d.revenue.currentCycle.feeCents / 100)}</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Revenue ledger"><table><thead><tr><th scope="col">Cycle</th><th scope="col">Service</th><th scope="col">Gross</th><th scope="col">Fee</th><th scope="col">Deployments</th></tr></thead>
<tbody>${d.revenue.ledger.map((l) => html`<tr><td>${l.cycle}</td><td>${l.serviceId}</td><td>${money(l.grossCents / 100)}</td><td>${money(l.feeCents / 100)}</td><td>${l.deployments}</td></tr>`)}</tbody></table></div>`
    : html`<p class="muted">The revenue ledger is unavailable.</p>`
}`;
  return layout({ title: 'Admin', ctx, body, notice: d.notice });
}
