// Sequential service times of the marketplace's per-account reads at a large deployment count, in-process
// (app.inject, no network): one user owning N deployments, all running on a mix of tiers, some scaled, some
// stopped, some deleted. `node --import tsx scripts/bench/marketplace-scale.ts [deployments] [rounds]`
import { marketplaceFixture } from '../../test/helpers/marketplace.ts';

const n = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 20);
const f = await marketplaceFixture();
const u = f.user('enterprise');
const services = (await f.app.inject({ method: 'GET', url: '/api/services?limit=100' })).json() as { services: { slug: string }[] };
const all = await Promise.all(
  services.services.map(async (s) => {
    const d = (await f.app.inject({ method: 'GET', url: `/api/services/${s.slug}` })).json() as {
      id: string;
      pricing: { tiers: { id: string }[] };
      specifications: { regions: string[] };
    };
    return { id: d.id, tier: d.pricing.tiers[0].id, region: d.specifications.regions[0] };
  }),
);
const principal = {
  userId: u.id,
  username: 'user1',
  email: 'user1@example.test',
  role: 'user' as const,
  planId: 'enterprise',
  tokenId: 'tok-1',
  tokenKind: 'api' as const,
  readonly: false,
};
// Services whose config needs nothing beyond tier and region (the others require fields of their own).
const details = all
  .filter((s, i) => {
    try {
      f.deployments.create(principal, { serviceId: s.id, name: `probe-${i}`, config: { tier: s.tier, region: s.region } });
      return true;
    } catch {
      return false;
    }
  })
  .slice(0, 4);
const t0 = performance.now();
const ids: string[] = [];
for (let i = 0; i < n; i++) {
  const s = details[i % details.length];
  const res = f.deployments.create(principal, {
    serviceId: s.id,
    name: `d-${i}`,
    config: { tier: s.tier, region: s.region },
  });
  ids.push((res.body as { deploymentId: string }).deploymentId);
}
for (let i = 0; i < 10; i++) f.advance(60_000);
while (f.engine.tick() > 0);
f.advance(3 * 86_400_000);
console.log(`${n} deployments created and running in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

async function time(name: string, url: string) {
  // ONLY=<part of a name> times one endpoint (e.g. under --cpu-prof).
  if (process.env.ONLY && !name.includes(process.env.ONLY)) return;
  const t: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const res = await f.app.inject({ method: 'GET', url, headers: u.auth });
    t.push(performance.now() - start);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    bytes = res.body.length;
  }
  t.sort((a, b) => a - b);
  const med = t[Math.floor(t.length / 2)];
  console.log(`${name.padEnd(40)} min ${t[0].toFixed(2)} ms  median ${med.toFixed(2)} ms  body ${bytes} B`);
}

await time('GET /api/deployments/:id', `/api/deployments/${ids[Math.floor(n / 2)]}`);
await time('GET /api/deployments (20)', '/api/deployments');
await time('GET /api/deployments (100, offset 5000)', `/api/deployments?limit=100&offset=${Math.floor(n / 2)}`);
await time('GET /api/billing', '/api/billing');
await time('GET /api/services', '/api/services');
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
console.log(`heap used ${mb(process.memoryUsage().heapUsed)}, rss ${mb(process.memoryUsage().rss)}`);
await f.app.close();
