// Home page: what the suite is made of and whether each part answers.
import type { PeerClient } from '../../lib/http.ts';
import { html, layout } from '../views.ts';

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

export function renderHome(health: PeerHealth[]): string {
  const body = html`<h1>Elide Marketplace</h1>
<p>Packages for npm, PyPI, Maven and RubyGems, and managed services, in one self-hosted suite.</p>
<h2>Suite status</h2>
<table>
  <caption class="visually-hidden">Processes of this suite</caption>
  <thead><tr><th scope="col">Process</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead>
  <tbody>
  ${health.map(
    (h) =>
      html`<tr><td>${h.name}</td><td class="${h.ok ? 'status-ok' : 'status-bad'}">${h.ok ? 'up' : 'down'}</td><td>${h.detail}</td></tr>`,
  )}
  </tbody>
</table>`;
  return layout({ title: 'Home', body });
}
