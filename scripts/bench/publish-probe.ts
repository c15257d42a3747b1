// Publish throughput into a registry that already holds many packages, and the registry's peak memory under a
// read load afterwards (issue #11 hot spots 1-3). Pre-fills through the real publish path once (`--snapshot`
// keeps that data folder so later runs copy it instead of publishing it again), then measures new versions
// published at `--concurrency` connections, then loads packuments and tarballs and reads VmHWM.
//   node --import tsx scripts/bench/publish-probe.ts --packages 2000 --snapshot /tmp/elide-prefill-2000
// `--spread-popularity` first gives the pre-filled packages popularities spread evenly over [0, 1), as a rescore
// of a registry whose downloads are spread does: half of them are then protected from typosquats, and every
// publish's look-alike check compares its name with each of those (the bench's own publishes see none).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { endpoints } from './endpoints.ts';
import { type PackagePlan, planPackages } from './fixtures.ts';
import { runLoad } from './load.ts';
import { publishPlan } from './publish.ts';
import { BENCH_USER, cpuTicks, type OurSuite, rssOf, startOurSuite } from './suite-target.ts';

const { values: args } = parseArgs({
  options: {
    packages: { type: 'string', default: '2000' },
    measure: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    snapshot: { type: 'string' },
    'load-seconds': { type: 'string', default: '10' },
    /** Packages the read load rotates over (the bench samples 200). */
    sample: { type: 'string', default: '200' },
    /** A folder for V8 CPU profiles of the processes (scripts/bench/profile-hook.mjs). */
    profile: { type: 'string' },
    'spread-popularity': { type: 'boolean', default: false },
  },
});
const packages = Number(args.packages);
const concurrency = Number(args.concurrency);
const prefillPlan = planPackages(packages, { maxVersions: 1, scope: BENCH_USER });

/** New packages (distinct names) with 1-3 versions, each also depending on one pre-filled package. */
function measuredPlan(count: number, prefill: PackagePlan): PackagePlan {
  const raw = planPackages(count, { maxVersions: 3, seed: 7 });
  const rename = (n: string) => `probe-${n}`;
  const list = raw.packages.map((p, i) => ({
    ...p,
    name: rename(p.name),
    dependencies: [...p.dependencies.map(rename), prefill.packages[(i * 7919) % prefill.packages.length].name],
  }));
  return { packages: list, installTree: [], totalVersions: raw.totalVersions };
}

const profileEnv: Record<string, string> | undefined = args.profile
  ? {
      NODE_OPTIONS: `--import ${fileURLToPath(new URL('./profile-hook.mjs', import.meta.url))}`,
      BENCH_PROFILE_DIR: path.resolve(args.profile),
    }
  : process.env.PROBE_NODE_OPTIONS
    ? { NODE_OPTIONS: process.env.PROBE_NODE_OPTIONS }
    : undefined;
const start = (dataDir?: string) =>
  startOurSuite({ logLevel: 'warn', simTimeScale: 0.01, only: ['api', 'registry'], dataDir, env: profileEnv });

function copyDir(from: string, to: string) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.includes(`${path.sep}logs`) });
}

/** Popularity i/n for the i-th package (by id) of a stopped suite's registry.db: half are at 0.5 or more. */
function spreadPopularity(dataDir: string) {
  const db = new Database(path.join(dataDir, 'registry.db'));
  try {
    const ids = db.prepare("SELECT name FROM packages WHERE ecosystem = 'npm' ORDER BY id").pluck().all() as string[];
    const set = db.prepare("UPDATE package_scores SET popularity = ? WHERE ecosystem = 'npm' AND name = ?");
    // Only scored packages have a row to update: the counts printed are of rows actually changed.
    let updated = 0;
    let protectedNames = 0;
    db.transaction(() => {
      for (const [i, name] of ids.entries()) {
        const changed = set.run(i / ids.length, name).changes;
        updated += changed;
        if (i / ids.length >= 0.5) protectedNames += changed;
      }
    })();
    console.log(`popularity spread over ${updated} of ${ids.length} packages (${protectedNames} protected)`);
  } finally {
    db.close();
  }
}

async function prefilled(): Promise<OurSuite> {
  const snapshot = args.snapshot ? path.resolve(args.snapshot) : undefined;
  if (snapshot && fs.existsSync(path.join(snapshot, 'registry.db'))) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-publish-probe-'));
    copyDir(snapshot, dataDir);
    console.log(`pre-filled registry copied from ${snapshot}`);
    if (args['spread-popularity']) spreadPopularity(dataDir);
    return start(dataDir);
  }
  const s = await start();
  const r = await publishPlan(prefillPlan, s, {
    concurrency,
    progress: (done, total) => console.log(`  pre-fill ${done}/${total}`),
  });
  console.log('pre-fill publish', r);
  if (!snapshot && !args['spread-popularity']) return s;
  await s.stopAll();
  if (snapshot) copyDir(s.dataDir, snapshot);
  if (args['spread-popularity']) spreadPopularity(s.dataDir);
  return start(s.dataDir);
}

const s = await prefilled();
try {
  const plan = measuredPlan(Number(args.measure), prefillPlan);
  const ticks = () => [cpuTicks(s.pid('registry')), cpuTicks(s.pid('api'))];
  const before = ticks();
  const r = await publishPlan(plan, s, { concurrency });
  console.log(`publish into ${packages} packages, ${concurrency} connections:`, r);
  // CPU time per version (clock ticks are 10 ms): what the throughput would be on an idle core, unlike the
  // wall-clock rate on a shared machine.
  const [registryMs, apiMs] = ticks().map((t, i) => ((t - before[i]) * 10) / r.versions);
  console.log(`CPU per version: registry ${registryMs.toFixed(1)} ms, main API ${apiMs.toFixed(1)} ms`);
  console.log('registry memory after the publishes', rssOf(s.pid('registry')));
  const seconds = Number(args['load-seconds']);
  const list = endpoints({
    plan: prefillPlan,
    ...s.urls,
    authorization: s.authorization,
    deploymentIds: [],
    sampleSize: Number(args.sample),
  }).filter((e) => ['full packument', 'abbreviated packument', 'tarball'].includes(e.name));
  for (const e of list) {
    const l = await runLoad(e.ours, { connections: 32, warmupSeconds: 1, seconds });
    console.log(`${e.name.padEnd(24)} ${l.rps} req/s p95 ${l.p95} ms non2xx ${l.non2xx}`);
  }
  console.log('registry memory after the loads (VmRSS, VmHWM peak)', rssOf(s.pid('registry')));
} finally {
  await s.stopAll();
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}
process.exit(0);
