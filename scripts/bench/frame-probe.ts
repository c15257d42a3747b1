// What the frame every process is built on (lib/service-app.ts: request ids, logger, hooks, error body) costs per
// request: the ceiling's 5 KB JSON served by a bare Fastify 5 and by createServiceApp (ceiling-server.ts), both
// launched like the suite's processes, loaded alternately at 32 connections.
//   node --import tsx scripts/bench/frame-probe.ts [rounds] [seconds]
import { NODE_ARGS } from '../processes.ts';
import { startCeiling } from './ceiling.ts';
import { type LoadResult, runLoad } from './load.ts';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const bare = await startCeiling({ nodeArgs: NODE_ARGS });
const frame = await startCeiling({ nodeArgs: NODE_ARGS, frame: true });
try {
  const load = (origin: string) => runLoad({ origin, paths: ['/'] }, { connections: 32, warmupSeconds: 1, seconds });
  const show = (name: string, r: LoadResult) => `${name} ${r.rps} req/s p95 ${r.p95} ms`;
  for (let round = 1; round <= rounds; round++) {
    const b = await load(bare.origin);
    const f = await load(frame.origin);
    console.log(`round ${round}: ${show('bare', b)}; ${show('frame', f)}; frame/bare ${(f.rps / b.rps).toFixed(2)}x`);
  }
} finally {
  await Promise.allSettled([bare.stop(), frame.stop()]);
}
process.exit(0);
