// Account: plan with usage against limits, tokens (create shown once, list, revoke), organizations and members.
import type { Me } from '../session.ts';
import { bytes, csrfField, html, layout, type PageCtx, type SafeHtml, when } from '../views.ts';
import { packageHref } from './packages.ts';

export interface TokenRow {
  id: string;
  name: string;
  kind: string;
  prefix: string;
  readonly: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** Users cannot change their own plan here (no self-service billing): every page that meets a plan limit says so. */
export const PLANS_SET_BY_ADMINS = html`Plans are set by this registry's administrators: ask one to move your account to another plan.`;

const limitText = (v: unknown) =>
  v === null || v === undefined ? 'unlimited' : typeof v === 'boolean' ? (v ? 'included' : 'not included') : String(v);

export function renderAccount(
  ctx: PageCtx,
  me: Me,
  myPackages: { name: string; version: string | null }[],
  notice?: string,
  error?: string,
  /** The organization name as typed, shown again after a refusal. */
  orgName = '',
) {
  const limits = me.plan.limits ?? {};
  const body = html`<h1>Account</h1>
<p>${me.username} · ${me.email} · role ${me.role}</p>
<h2>Plan: ${me.plan.name}</h2>
<table><caption class="visually-hidden">Usage against plan limits</caption>
<thead><tr><th scope="col">Limit</th><th scope="col">Used</th><th scope="col">Plan allows</th></tr></thead>
<tbody>
<tr><td>Active deployments</td><td>${me.usage.activeDeployments ?? '–'}</td><td>${limitText(limits.activeDeployments)}</td></tr>
<tr><td>Webhooks</td><td>${me.usage.webhooks ?? '–'}</td><td>${limitText(limits.webhooks)}</td></tr>
<tr><td>Private packages</td><td>${me.usage.privatePackages ?? '–'}</td><td>${limitText(limits.privatePackages)}</td></tr>
<tr><td>API tokens</td><td>${me.usage.apiTokens ?? '–'}</td><td>–</td></tr>
<tr><td>Package storage</td><td>${me.usage.storageBytes == null ? '–' : bytes(me.usage.storageBytes)}</td><td>–</td></tr>
</tbody></table>
${me.role === 'admin' ? '' : html`<p class="muted">${PLANS_SET_BY_ADMINS}</p>`}
<p><a href="/account/tokens">Manage API tokens</a> · <a href="/account/password">Change password</a> · <a href="/account/activity">Activity</a></p>
<h2>Organizations</h2>
${me.orgs.length ? html`<ul>${me.orgs.map((o) => html`<li><a href="/orgs/${encodeURIComponent(o.name)}">@${o.name}</a> (${o.role})</li>`)}</ul>` : html`<p>None yet.</p>`}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/orgs" class="row">${csrfField(ctx)}<label for="org-name">New organization</label><input id="org-name" name="name" required maxlength="39" pattern="[a-z0-9][a-z0-9\\-]*" value="${orgName}"><button type="submit">Create</button></form>
<h2>My packages</h2>
${myPackages.length ? html`<ul>${myPackages.map((p) => html`<li><a href="${packageHref(p.name, 'npm')}">${p.name}</a> ${p.version ?? ''}</li>`)}</ul>` : html`<p>No packages in your scopes yet.</p>`}`;
  return layout({ title: 'Account', ctx, body, notice });
}

export function renderTokens(
  ctx: PageCtx,
  tokens: TokenRow[],
  o: {
    created?: { name: string; token: string };
    error?: string;
    notice?: string;
    /** What was typed, shown again after a refusal so nothing has to be retyped. */
    form?: { name: string; expiresInDays: string; readonly: boolean };
  } = {},
) {
  const f = o.form ?? { name: '', expiresInDays: '', readonly: false };
  const body = html`<h1>API tokens</h1>
${
  o.created
    ? html`<div class="secret-once" role="status">
  <p><strong>Token “${o.created.name}” created.</strong> Copy it now: it will not be shown again.</p>
  <pre class="snippet"><code id="new-token">${o.created.token}</code></pre>
  <button type="button" class="copy" data-copy="new-token">Copy token</button>
</div>`
    : ''
}
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<h2>Create a token</h2>
<form method="post" action="/account/tokens" class="stack narrow">
  ${csrfField(ctx)}
  <label for="token-name">Name</label>
  <input id="token-name" name="name" required maxlength="100" value="${f.name}">
  <label for="token-days">Expires after (days, empty for never)</label>
  <input id="token-days" name="expiresInDays" type="number" min="1" max="3650" value="${f.expiresInDays}">
  <label class="check"><input type="checkbox" name="readonly" value="1"${f.readonly ? html` checked` : ''}> Read-only</label>
  <button type="submit">Create token</button>
</form>
<h2>Your tokens</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Your tokens"><table><caption class="visually-hidden">API tokens</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Kind</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
${tokens.map(
  (
    t,
  ) => html`<tr><td>${t.name}${t.readonly ? ' (read-only)' : ''}</td><td><code>${t.prefix}</code></td><td>${t.kind}</td><td>${when(t.lastUsedAt)}</td><td>${when(t.expiresAt)}</td>
<td>${t.kind === 'session' ? '' : html`<form method="post" action="/account/tokens/${t.id}/revoke" class="inline">${csrfField(ctx)}<button type="submit" class="danger" aria-label="Revoke token ${t.name}">Revoke</button></form>`}</td></tr>`,
)}
</tbody></table></div>`;
  return layout({ title: 'API tokens', ctx, body, notice: o.notice });
}

/** A destructive button with the box that must be ticked first (required in the form, checked again by the route). */
const confirmedButton = (id: string, confirm: SafeHtml, button: string, buttonLabel?: string) =>
  html`<label class="check" for="${id}"><input type="checkbox" id="${id}" name="confirm" value="1" required> ${confirm}</label><button type="submit" class="danger"${buttonLabel ? html` aria-label="${buttonLabel}"` : ''}>${button}</button>`;

export function renderOrg(
  ctx: PageCtx,
  /** `role` is the viewer's in the org; null for a site admin who is not a member (the API lets them in). */
  org: { name: string; plan: string; role: string | null; memberCount: number },
  members: { username: string; role: string; joinedAt: string }[],
  o: { error?: string; notice?: string; form?: { username: string; role: string } } = {},
) {
  const manage = org.role === 'owner' || org.role === 'admin';
  const me = ctx.user?.username;
  const orgPath = `/orgs/${encodeURIComponent(org.name)}`;
  // Only owners may remove an owner (docs/API-AUTH.md): an admin gets no button the API would refuse. One's own
  // row has none either: leaving is the form below the table.
  const removable = (m: { username: string; role: string }) => manage && m.username !== me && (m.role !== 'owner' || org.role === 'owner');
  const f = o.form ?? { username: '', role: 'member' };
  const body = html`<h1>@${org.name}</h1>
<p>Plan ${org.plan} · your role: ${org.role ?? 'not a member'} · ${org.memberCount} member${org.memberCount === 1 ? '' : 's'}</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<div class="table-scroll" tabindex="0" role="region" aria-label="Members"><table><caption class="visually-hidden">Members</caption>
<thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Joined</th>${manage ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
<tbody>${members.map(
    (m, i) =>
      html`<tr><td>${m.username}</td><td>${m.role}</td><td>${when(m.joinedAt)}</td>${
        manage
          ? html`<td>${
              removable(m)
                ? html`<form method="post" action="${orgPath}/members/${encodeURIComponent(m.username)}/remove" class="row">${csrfField(ctx)}${confirmedButton(`remove-${i}`, html`Confirm<span class="visually-hidden">: remove ${m.username}</span>`, 'Remove', `Remove ${m.username}`)}</form>`
                : ''
            }</td>`
          : ''
      }</tr>`,
  )}</tbody></table></div>
${
  manage
    ? html`<h2>Add or change a member</h2>
<form method="post" action="${orgPath}/members" class="stack narrow">
  ${csrfField(ctx)}
  <label for="member">User name</label><input id="member" name="username" required maxlength="100" value="${f.username}">
  <label for="member-role">Role</label>
  <select id="member-role" name="role">${['member', 'admin', 'owner'].map((r) => html`<option${r === f.role ? html` selected` : ''}>${r}</option>`)}</select>
  <button type="submit">Save member</button>
</form>`
    : ''
}
${
  org.role
    ? html`<h2>Leave @${org.name}</h2>
<form method="post" action="${orgPath}/leave" class="stack narrow">
  ${csrfField(ctx)}
  ${confirmedButton('leave-confirm', html`I lose access to the private packages of @${org.name}`, 'Leave organization')}
</form>`
    : ''
}`;
  return layout({ title: `@${org.name}`, ctx, body, notice: o.notice });
}
