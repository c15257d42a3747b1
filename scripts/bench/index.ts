// `npm run bench` / `bench:quick`: boots the suite, Verdaccio 6.8.0 and a bare Fastify ceiling on loopback,
// seeds them through the npm protocol, loads every hot path side by side and reports ratios (issue #11).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../test/helpers/suite.ts';
import { type CeilingServer, startCeiling } from './ceiling.ts';
import { endpoints } from './endpoints.ts';
import { planPackages } from './fixtures.ts';
import { defaultGenerator, type LoadGenerator, type LoadResult, medianOfRounds, runLoad } from './load.ts';
import { timeInstalls } from './npm-install.ts';
import { publishPlan, round } from './publish.ts';
import { type BenchResults, docBlock, terminalReport, writeDoc } from './report.ts';
import { BENCH_USER, cpuTicks, type OurSuite, rssOf, seedDeployments, startOurSuite, waitUntilIdle } from './suite-target.ts';
import { installVerdaccio, startVerdaccio, type VerdaccioTarget } from './verdaccio.ts';

const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    packages: { type: 'string' },
    deployments: { type: 'string' },
    'max-versions': { type: 'string' },
    connections: { type: 'string', default: '32' },
    generator: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    'install-runs': { type: 'string' },
    'publish-concurrency': { type: 'string', default: '4' },
    'no-verdaccio': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    out: { type: 'string' },
    'write-doc': { type: 'boolean', default: false },
    'no-doc': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const quick = a.quick;
const int = (v: string | undefined, full: number, q: number) => (v === undefined ? (quick ? q : full) : Number.parseInt(v, 10));
const generator = (a.generator ?? defaultGenerator()) as LoadGenerator;
if (!['wrk', 'autocannon'].includes(generator)) {
  console.error(`--generator must be wrk or autocannon, not ${JSON.stringify(generator)}`);
  process.exit(2);
}
const params = {
  quick,
  generator,
  packages: int(a.packages, 10_000, 300),
  deployments: int(a.deployments, 1000, 50),
  maxVersions: int(a['max-versions'], 20, 1),
  connections: int(a.connections, 32, 32),
  seconds: int(a.seconds, 10, 2),
  warmupSeconds: int(a.warmup, 3, 1),
  rounds: int(a.rounds, 3, 1),
  installRuns: int(a['install-runs'], 5, 1),
  publishConcurrency: int(a['publish-concurrency'], 4, 4),
  verdaccio: !quick && !a['no-verdaccio'],
  logLevel: a['log-level'],
  installTree: 50,
  totalVersions: 0,
};
// Outside the work tree by default: `biome check .` (npm run lint) would flag a generated JSON file in it.
const outFile = path.resolve(a.out ?? path.join(os.tmpdir(), 'elide-bench', quick ? 'quick.json' : 'latest.json'));
const writeDocToo = a['write-doc'] || (!quick && !a['no-doc']);
const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

const cpus = os.cpus();
const results: BenchResults = {
  startedAt: new Date().toISOString(),
  command: `npm run ${quick ? 'bench:quick' : 'bench'}${
    process.argv.length > 2
      ? ` -- ${process.argv
          .slice(2)
          .filter((x) => x !== '--quick')
          .join(' ')}`
      : ''
  }`.trim(),
  machine: {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  },
  params,
  publish: {},
  loads: [],
  install: {},
  rss: {},
};

let ours: OurSuite | undefined;
let verdaccio: VerdaccioTarget | undefined;
let ceiling: CeilingServer | undefined;
let hopCeiling: CeilingServer | undefined;

async function cleanup() {
  await Promise.allSettled([ours?.stopAll(), verdaccio?.stop(), hopCeiling?.stop(), ceiling?.stop()]);
  if (!a.keep) {
    for (const dir of [ours?.dataDir, verdaccio?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    log(`${sig}: stopping every process started by the bench`);
    void cleanup().finally(() => process.exit(130));
  });

async function main() {
  const t0 = performance.now();
  const plan = planPackages(params.packages, { maxVersions: params.maxVersions, scope: BENCH_USER, treeSize: params.installTree });
  params.totalVersions = plan.totalVersions;
  log(
    `plan: ${plan.packages.length} packages, ${plan.totalVersions} versions; ${params.deployments} deployments; ${JSON.stringify(params)}`,
  );

  const verdaccioDir = params.verdaccio ? installVerdaccio(log) : undefined;
  log('starting the suite (5 processes)');
  // SIM_TIME_SCALE multiplies simulated durations (marketplace/deployment-engine.ts): 0.01 turns 5-30 s of
  // provisioning into 50-300 ms, so every deployment can reach running during the bench.
  ours = await startOurSuite({ logLevel: params.logLevel, simTimeScale: 0.01 });
  const progress = (who: string) => (done: number, total: number) => log(`${who}: ${done}/${total} versions published`);
  log('publishing to the suite');
  results.publish.ours = await publishPlan(plan, ours, { concurrency: params.publishConcurrency, progress: progress('ours') });
  log(`ours: ${JSON.stringify(results.publish.ours)}`);
  log(`creating ${params.deployments} deployments`);
  const dep = await seedDeployments(ours, params.deployments);
  const { ids, ...depSummary } = dep;
  results.deployments = depSummary;
  log(`deployments: ${JSON.stringify(depSummary)}`);

  if (verdaccioDir) {
    log('starting Verdaccio');
    verdaccio = await startVerdaccio(verdaccioDir);
    log('publishing to Verdaccio');
    results.publish.verdaccio = await publishPlan(
      plan,
      { registryUrl: verdaccio.origin, authorization: verdaccio.authorization },
      { concurrency: params.publishConcurrency, progress: progress('verdaccio') },
    );
    log(`verdaccio: ${JSON.stringify(results.publish.verdaccio)}`);
  }
  const names = ['api', 'registry', 'marketplace', 'orchestrator', 'dashboard'] as const;
  // Steady state, not the digestion of the seeding (relayed events, rollups, post-publish work).
  results.settleSeconds = await waitUntilIdle([...names.map((n) => ours?.pid(n)), verdaccio?.pid], quick ? 20 : 120);
  log(`suite idle after ${results.settleSeconds} s`);
  ceiling = await startCeiling();
  hopCeiling = await startCeiling({ upstream: ceiling.origin });

  const load = { connections: params.connections, warmupSeconds: params.warmupSeconds, seconds: params.seconds, generator };
  // Every load runs `rounds` times, alternating with what it is compared with, and reports the median round: one
  // slow spell of the shared machine (a neighbour's burst) then moves a ratio much less than a single window did.
  const ceilingRounds: LoadResult[] = [];
  const hopRounds: LoadResult[] = [];
  for (let r = 1; r <= params.rounds; r++) {
    log(`ceiling: bare Fastify (round ${r}/${params.rounds})`);
    ceilingRounds.push(await runLoad({ origin: ceiling.origin, paths: ['/'] }, load));
    log(`one-hop ceiling: bare Fastify through undici to bare Fastify (round ${r}/${params.rounds})`);
    hopRounds.push(await runLoad({ origin: hopCeiling.origin, paths: ['/'] }, load));
  }
  results.ceiling = medianOfRounds(ceilingRounds);
  results.hopCeiling = medianOfRounds(hopRounds);
  results.rss.ceiling = rssOf(ceiling.pid);
  await hopCeiling.stop();
  await ceiling.stop();

  const u = ours.urls;
  const list = endpoints({
    plan,
    registry: u.registry,
    api: u.api,
    marketplace: u.marketplace,
    dashboard: u.dashboard,
    verdaccio: verdaccio?.origin,
    authorization: ours.authorization,
    deploymentIds: ids,
  });
  for (const e of list) {
    const row: BenchResults['loads'][number] = { name: e.name, targetP95: e.targetP95, viaPeer: e.viaPeer };
    results.loads.push(row);
    // A probe first: a route that is not there yet (404) is reported, not loaded.
    const probe = await fetch(`${e.ours.origin}${e.ours.paths[0] ?? '/'}`, { headers: e.ours.headers }).catch((err: Error) => err);
    if (e.ours.paths.length === 0) row.oursNote = 'nothing to load';
    else if (probe instanceof Error || !probe.ok) row.oursNote = `n/a (${probe instanceof Error ? probe.message : probe.status})`;
    const oursRounds: LoadResult[] = [];
    const verdaccioRounds: LoadResult[] = [];
    const ticks = names.map(() => 0);
    let loadSeconds = 0;
    const measureOurs = row.oursNote === undefined;
    for (let r = 1; r <= params.rounds; r++) {
      if (measureOurs) {
        log(`ours: ${e.name} (round ${r}/${params.rounds})`);
        const before = names.map((n) => cpuTicks(ours?.pid(n)));
        const started = performance.now();
        oursRounds.push(await runLoad(e.ours, load));
        // Over warm-ups and windows together; ticks are 1/100 s, so ticks per second are % of a core.
        loadSeconds += (performance.now() - started) / 1000;
        names.forEach((n, i) => {
          ticks[i] += cpuTicks(ours?.pid(n)) - before[i];
        });
      }
      if (e.verdaccio && (r === 1 || !e.verdaccioOnce)) {
        log(`verdaccio: ${e.name} (round ${r}/${params.rounds})`);
        verdaccioRounds.push(await runLoad(e.verdaccio, load));
      }
      // Each round starts on a quiet machine too (Verdaccio may still be answering what the last round queued).
      if (r < params.rounds) await waitUntilIdle([...names.map((n) => ours?.pid(n)), verdaccio?.pid], quick ? 10 : 180);
    }
    if (oursRounds.length > 0) {
      row.ours = medianOfRounds(oursRounds);
      row.cpuPercent = Object.fromEntries(names.map((n, i) => [n, Math.round(ticks[i] / loadSeconds)]));
    }
    if (verdaccioRounds.length > 0) row.verdaccio = medianOfRounds(verdaccioRounds);
    // The next load starts on a quiet machine. A server may still be working after the window closes:
    // Verdaccio goes on answering the searches queued by 32 connections for a minute or more, and our
    // processes relay the download counts of a tarball load. That work belongs to this load, not to the next.
    row.settleSeconds = await waitUntilIdle([...names.map((n) => ours?.pid(n)), verdaccio?.pid], quick ? 10 : 180);
    if (row.settleSeconds > 3) log(`idle again after ${row.settleSeconds} s`);
  }
  for (const name of names) results.rss[name] = rssOf(ours.pid(name));
  if (verdaccio) results.rss.verdaccio = rssOf(verdaccio.pid);

  log(`npm install of the ${plan.installTree.length}-package tree (cold cache, ${params.installRuns} runs each, alternating)`);
  results.install = await timeInstalls(
    { ours: `${u.registry}/npm/`, ...(verdaccio ? { verdaccio: `${verdaccio.origin}/` } : {}) },
    plan.installTree,
    params.installRuns,
  );

  results.finishedAt = new Date().toISOString();
  results.durationSeconds = round((performance.now() - t0) / 1000);
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(`[bench] the harness failed: ${(e as Error).stack ?? e}`);
  if (ours) console.error(`[bench] suite logs: ${path.join(ours.dataDir, 'logs')} (kept with --keep)`);
} finally {
  await cleanup();
}
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${terminalReport(results)}\n\nJSON: ${outFile}`);
if (writeDocToo && !failed) {
  const doc = path.join(ROOT, 'docs', 'PERFORMANCE.md');
  writeDoc(doc, docBlock(results));
  console.log(`updated ${path.relative(process.cwd(), doc)}`);
}
process.exit(failed ? 1 : 0);
