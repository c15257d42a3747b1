// SIGKILL the marketplace during provisioning and plan changes (reliability-security.md F1 for billing): after
// each restart every acknowledged deployment exists and resumes to running, acknowledged plan changes hold, a
// replay of an acknowledged create (same Idempotency-Key) makes no second deployment, and billing neither
// loses (monotonic across the kill) nor double-counts (each line within price x elapsed / cycle length).
// CRASH_KILLS (default 2) for the long version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import { type Suite, waitFor } from '../helpers/suite.ts';

const KILLS = Number(process.env.CRASH_KILLS ?? 2);

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies asserted field by field
type Json = any;

describe('marketplace crash loop during provisioning and plan changes', () => {
  let suite: Suite;
  let u: SuiteUser;
  const acked = new Map<string, { key: string; body: string; tier: string; createdAt: number }>();

  const api = async (method: string, p: string, body?: unknown, key?: string): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${suite.urls.marketplace}${p}`, {
      method,
      headers: { ...u.auth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  };
  const billing = async () => (await api('GET', '/api/billing')).json;

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'marketplace', 'orchestrator'], { env: { SIM_TIME_SCALE: '0.05' } });
    u = await createUser(suite, 'crash-mkt', { role: 'user', plan: 'enterprise' });
  }, 120_000);
  afterAll(async () => suite?.stopAll());

  it(`keeps every acknowledged deployment and charge across ${KILLS} SIGKILLs`, async () => {
    let planChanges = 0;
    let before: Json;
    for (let round = 0; round < KILLS; round++) {
      // Plan change on a deployment of the previous round, then new creates, then the kill mid-provisioning.
      const previous = [...acked.entries()].find(([, d]) => d.tier === 'starter');
      if (previous) {
        await waitFor(async () => (await api('GET', `/api/deployments/${previous[0]}`)).json?.status === 'running', 60_000, 'running');
        const r = await api('POST', `/api/deployments/${previous[0]}/plan`, { tier: 'pro' }, `plan-${round}`);
        expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
        previous[1].tier = 'pro';
        planChanges++;
      }
      await Promise.all(
        [0, 1, 2].map(async (i) => {
          const key = `create-${round}-${i}`;
          const body = { serviceId: 'svc-postgres', name: `crash-${round}-${i}`, config: { tier: 'starter', region: 'eu-west-1' } };
          const r = await api('POST', '/api/deployments', body, key);
          expect(r.status, JSON.stringify(r.json)).toBe(202);
          acked.set(r.json.deploymentId, { key, body: JSON.stringify(body), tier: 'starter', createdAt: Date.now() });
        }),
      );
      before = await billing();
      await suite.stop('marketplace', 'SIGKILL');
      await suite.start('marketplace');

      for (const [id, d] of acked) {
        const r = await api('GET', `/api/deployments/${id}`);
        expect(r.status).toBe(200);
        // A replay of the acknowledged create answers the same deployment: no second one, no second charge.
        const replay = await api('POST', '/api/deployments', JSON.parse(d.body), d.key);
        expect(replay.json?.deploymentId ?? replay.json?.id).toBe(id);
      }
      const after = await billing();
      expect(after.currentCents).toBeGreaterThanOrEqual(before.currentCents);
    }

    for (const id of acked.keys())
      await waitFor(
        async () => (await api('GET', `/api/deployments/${id}`)).json?.status === 'running',
        60_000,
        `${id} to resume to running`,
      );
    const list = (await api('GET', '/api/deployments?limit=100')).json;
    expect((list.deployments ?? list.items ?? list).length ?? list.total).toBe(acked.size);

    // The formula bound: a line never exceeds its tier's monthly price for the whole time since creation.
    const service = (await api('GET', '/api/services/svc-postgres')).json;
    const priceCents = (tier: string) => Math.round(Number(service.pricing.tiers.find((t: Json) => t.id === tier).price) * 100);
    const b = await billing();
    const cycleMs = Date.parse(b.cycle.end) - Date.parse(b.cycle.start);
    const first = Math.min(...[...acked.values()].map((d) => d.createdAt));
    for (const line of b.deployments) {
      const d = acked.get(line.deploymentId);
      expect(d).toBeDefined();
      const bound = (Math.max(priceCents('starter'), priceCents('pro')) * (Date.now() - first + 5_000)) / cycleMs + 1;
      expect(line.currentCents, line.deploymentId).toBeLessThanOrEqual(Math.ceil(bound));
      expect(line.tier).toBe(d?.tier);
    }
    console.info(`crash-marketplace figures: ${JSON.stringify({ kills: KILLS, deployments: acked.size, planChanges, lost: 0 })}`);
  }, 600_000);
});
