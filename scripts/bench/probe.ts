// Service time of each endpoint without concurrency (sequential requests) on a small seeded suite, to tell a
// slow endpoint's own work from queueing. With a profile dir, every process writes a V8 CPU profile on exit
// after a short load per endpoint. `node --import tsx scripts/bench/probe.ts [packages] [profile-dir]`
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { endpoints } from './endpoints.ts';
import { planPackages } from './fixtures.ts';
import { runLoad } from './load.ts';
import { publishPlan } from './publish.ts';
import { BENCH_USER, seedDeployments, startOurSuite } from './suite-target.ts';

const n = Number(process.argv[2] ?? 200);
const profileDir = process.argv[3] ? path.resolve(process.argv[3]) : undefined;
const s = await startOurSuite({
  logLevel: 'warn',
  simTimeScale: 0.01,
  env: profileDir
    ? { NODE_OPTIONS: `--import ${fileURLToPath(new URL('./profile-hook.mjs', import.meta.url))}`, BENCH_PROFILE_DIR: profileDir }
    : {},
});
try {
  const plan = planPackages(n, { maxVersions: 5, scope: BENCH_USER });
  console.log('publish, 4 connections', await publishPlan(plan, s, { concurrency: 4 }));
  console.log('publish, 1 connection', await publishPlan(planPackages(30, { maxVersions: 3, seed: 7 }), s, { concurrency: 1 }));
  const d = await seedDeployments(s, 20);
  const u = s.urls;
  const list = endpoints({ plan, ...u, authorization: s.authorization, deploymentIds: d.ids });
  for (const e of list) {
    const t: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      const r = await request(e.ours.origin + e.ours.paths[i % e.ours.paths.length], { headers: e.ours.headers });
      await r.body.dump();
      t.push(performance.now() - t0);
    }
    t.sort((a, b) => a - b);
    console.log(`${e.name.padEnd(42)} sequential ms: min ${t[0].toFixed(2)}  p10 ${t[6].toFixed(2)}  median ${t[30].toFixed(2)}`);
    if (profileDir) await runLoad(e.ours, { connections: 8, warmupSeconds: 0, seconds: 3 });
  }
} finally {
  await s.stopAll();
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}
process.exit(0);
