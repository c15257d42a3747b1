// What the abbreviated packument route could reach (docs/PERFORMANCE.md, "What the abbreviated packument could
// reach"): one abbreviated packument's exact bytes and headers, copied from a small suite's registry, served to the
// same requests by a plain node:http server, a bare Fastify route and a route of the frame (lib/service-app.ts), loaded
// alternately with the registry's own route and the bare-Fastify ceiling. For each load: req/s, p95, the server's CPU
// per request, the load generator's CPU per response, and how busy the whole machine was.
//   node --import tsx scripts/bench/same-bytes-probe.ts [rounds] [seconds]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { type CeilingServer, startCeiling } from './ceiling.ts';
import { endpoints } from './endpoints.ts';
import { planPackages } from './fixtures.ts';
import { type LoadSpec, runLoad } from './load.ts';
import { publishPlan } from './publish.ts';
import { BENCH_USER, cpuTicks, startOurSuite, waitUntilIdle } from './suite-target.ts';

const rounds = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 5);
/** Clock ticks per second of /proc (USER_HZ), as cpuTicks counts. */
const TICK_US = 10_000;

/** The machine's CPU counters (/proc/stat's first line): total and idle (idle + iowait) jiffies. */
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4] };
}

const s = await startOurSuite({ logLevel: 'warn', simTimeScale: 0.01, only: ['registry'] });
const servers: CeilingServer[] = [];
const bytesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elide-same-bytes-')), 'answer.json');
try {
  const plan = planPackages(300, { maxVersions: 1, scope: BENCH_USER });
  await publishPlan(plan, s, { concurrency: 4 });
  await waitUntilIdle([s.pid('api'), s.pid('registry')], 60);
  const abbreviated = endpoints({ plan, ...s.urls, authorization: s.authorization, deploymentIds: [] }).find((e) =>
    e.name.startsWith('abbreviated'),
  )!.ours;
  const first = await request(abbreviated.origin + abbreviated.paths[0], { headers: abbreviated.headers });
  const body = Buffer.from(await first.body.arrayBuffer());
  // Node writes date and the connection headers itself.
  const headers = Object.entries(first.headers)
    .filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k))
    .flatMap(([k, v]) => [k, String(v)]);
  fs.writeFileSync(bytesFile, JSON.stringify({ headers, body: body.toString('base64') }));

  const start = async (o: Parameters<typeof startCeiling>[0]) => {
    const c = await startCeiling(o);
    servers.push(c);
    return c;
  };
  const ceiling = await start({});
  const raw = await start({ bytesFile, raw: true });
  const bare = await start({ bytesFile });
  const frame = await start({ bytesFile, frame: true });
  const same = (origin: string): LoadSpec => ({ ...abbreviated, origin });
  const loads: [string, number | undefined, LoadSpec][] = [
    ['bare-Fastify ceiling (5 KB JSON)', ceiling.pid, { origin: ceiling.origin, paths: ['/'] }],
    ['node:http, the same bytes', raw.pid, same(raw.origin)],
    ['bare Fastify, the same bytes', bare.pid, same(bare.origin)],
    ['the frame, the same bytes', frame.pid, same(frame.origin)],
    ["the registry's abbreviated route", s.pid('registry'), abbreviated],
  ];
  console.log(`${body.length} bytes of body, ${headers.length / 2} headers; ${rounds} rounds of ${seconds} s, 32 connections`);
  for (let round = 1; round <= rounds; round++)
    for (const [name, pid, spec] of loads) {
      await runLoad(spec, { connections: 32, warmupSeconds: 0, seconds: 1 }); // warm-up, not measured
      const [server0, client0, machine0] = [cpuTicks(pid), process.cpuUsage(), machineTicks()];
      const r = await runLoad(spec, { connections: 32, warmupSeconds: 0, seconds });
      const [server1, client1, machine1] = [cpuTicks(pid), process.cpuUsage(client0), machineTicks()];
      const busy = 1 - (machine1.idle - machine0.idle) / (machine1.total - machine0.total);
      console.log(
        `round ${round}  ${name.padEnd(34)} ${String(r.rps).padStart(6)} req/s  p95 ${r.p95} ms  server ${(((server1 - server0) * TICK_US) / r.requests).toFixed(1)} µs/req  ` +
          `client ${((client1.user + client1.system) / r.requests).toFixed(1)} µs/resp  machine ${(busy * 100).toFixed(0)} % busy  (${r.non2xx + r.errors} bad)`,
      );
    }
} finally {
  await Promise.allSettled(servers.map((c) => c.stop()));
  await s.stopAll();
  fs.rmSync(s.dataDir, { recursive: true, force: true });
  fs.rmSync(path.dirname(bytesFile), { recursive: true, force: true });
}
process.exit(0);
