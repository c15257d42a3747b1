// Service time of each endpoint without concurrency (sequential requests) on a small seeded suite: attributes
// a slow endpoint to its own work rather than to queueing. `node --import tsx scripts/bench/probe.ts [packages]`.

import { request } from 'undici';
import { endpoints } from './endpoints.ts';
import { planPackages } from './fixtures.ts';
import { publishPlan } from './publish.ts';
import { BENCH_USER, seedDeployments, startOurSuite } from './suite-target.ts';

const n = Number(process.argv[2] ?? 200);
const s = await startOurSuite({ logLevel: 'warn', simTimeScale: 0.01 });
try {
  const plan = planPackages(n, { maxVersions: 5, scope: BENCH_USER });
  console.log('publish', await publishPlan(plan, s, { concurrency: 4 }));
  console.log('publish c1', await publishPlan(planPackages(30, { maxVersions: 3, seed: 7 }), s, { concurrency: 1 }));
  const d = await seedDeployments(s, 20);
  const list = endpoints({
    plan,
    registry: s.urls.registry,
    api: s.urls.api,
    marketplace: s.urls.marketplace,
    dashboard: s.urls.dashboard,
    authorization: s.authorization,
    deploymentIds: d.ids,
  });
  for (const e of list) {
    const t: number[] = [];
    for (let i = 0; i < 60; i++) {
      const p = e.ours.paths[i % e.ours.paths.length];
      const t0 = performance.now();
      const r = await request(e.ours.origin + p, { headers: e.ours.headers });
      await r.body.arrayBuffer();
      t.push(performance.now() - t0);
    }
    t.sort((a, b) => a - b);
    console.log(e.name.padEnd(42), 'median ms', t[30].toFixed(2), 'min', t[0].toFixed(2));
  }
  if (process.argv[3] === 'wait') await new Promise((r) => setTimeout(r, 600_000));
} finally {
  await s.stopAll();
}
process.exit(0);
