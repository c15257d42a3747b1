// Home page: a search box, where to go next, and whether each part of the suite answers.
import type { PeerClient } from '../../lib/http.ts';
import { html, layout, money, num, type PageCtx, when } from '../views.ts';
import { packageHref } from './packages.ts';

export interface PeerHealth {
  name: string;
  ok: boolean;
  detail: string;
}

export async function peerHealth(peers: PeerClient[], requestId: string): Promise<PeerHealth[]> {
  return Promise.all(
    peers.map(async (p) => {
      try {
        const h = await p.get<{ status: string; version: string; uptime: number }>('/health', { requestId, timeoutMs: 1000 });
        return { name: p.name, ok: h?.status === 'ok', detail: h ? `v${h.version}, up ${h.uptime}s` : 'no answer' };
      } catch (err) {
        return { name: p.name, ok: false, detail: (err as Error).message };
      }
    }),
  );
}

export interface HomeData {
  perEcosystem: { ecosystem: string; total: number | null }[];
  services: number | null;
  recent: { name: string; version: string | null; updatedAt: string }[];
  mine?: { deployments: number; currentCost: number; projectedCost: number };
}

export function renderHome(ctx: PageCtx, health: PeerHealth[], data: HomeData, notice?: string): string {
  const body = html`<h1>Elide Marketplace</h1>
<p>Packages for npm, PyPI, Maven and RubyGems, and managed services, in one self-hosted suite.</p>
<form method="get" action="/packages" class="search" role="search">
  <label for="home-q" class="visually-hidden">Search packages</label>
  <input id="home-q" name="q" type="search" placeholder="Search packages" maxlength="200">
  <button type="submit">Search</button>
</form>
<div class="cards">
  <a class="card" href="/packages"><strong>Packages</strong><br>Browse and search the registry.</a>
  <a class="card" href="/services"><strong>Services</strong><br>Databases, ML, APIs, storage and compute.</a>
  ${ctx.user ? html`<a class="card" href="/deployments"><strong>My deployments</strong><br>Status, metrics, logs and cost.</a>` : html`<a class="card" href="/login"><strong>Log in</strong><br>To deploy and manage your account.</a>`}
</div>
<h2>What the suite holds</h2>
<div class="cards">
${data.perEcosystem.map((e) => html`<a class="card" href="/packages?ecosystem=${e.ecosystem}"><span class="small muted">${e.ecosystem} packages</span><strong class="block">${e.total == null ? '–' : num(e.total)}</strong></a>`)}
  <a class="card" href="/services"><span class="small muted">Services</span><strong class="block">${data.services == null ? '–' : num(data.services)}</strong></a>
  ${data.mine ? html`<a class="card" href="/billing"><span class="small muted">Deployments billed this cycle · cost</span><strong class="block">${data.mine.deployments} · ${money(data.mine.currentCost)}</strong><span class="small muted">projected ${money(data.mine.projectedCost)}</span></a>` : ''}
</div>
<h2>Recent publishes</h2>
${data.recent.length ? html`<ul>${data.recent.map((r) => html`<li><a href="${packageHref(r.name, 'npm')}">${r.name}</a> ${r.version ?? ''} <span class="small muted">${when(r.updatedAt)}</span></li>`)}</ul>` : html`<p>Nothing published yet.</p>`}
<h2>Suite status</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Suite status"><table>
  <caption class="visually-hidden">Processes of this suite</caption>
  <thead><tr><th scope="col">Process</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead>
  <tbody>
  ${health.map(
    (h) =>
      html`<tr><td>${h.name}</td><td class="${h.ok ? 'status-ok' : 'status-bad'}">${h.ok ? 'up' : 'down'}</td><td>${h.detail}</td></tr>`,
  )}
  </tbody>
</table></div>`;
  return layout({ title: 'Home', ctx, body, notice });
}
