// What the frame every process is built on (lib/service-app.ts: request ids, logger, hooks, error body) costs per
// request: the same fixed 5 KB JSON served by a bare Fastify 5 and by createServiceApp, loaded alternately at 32
// connections. `node --import tsx scripts/bench/frame-probe.ts [rounds] [seconds]`
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { request } from 'undici';
import { createProcessLogger } from '../../lib/log.ts';
import { createServiceApp } from '../../lib/service-app.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { NODE_ARGS } from '../processes.ts';
import { runLoad } from './load.ts';

const body = JSON.stringify({
  name: 'ceiling',
  items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item-${i}`, version: `1.${i}.0`, tags: ['a', 'b', 'c'], ok: true })),
  padding: 'x'.repeat(1900),
});

const mode = process.env.FRAME_PROBE_MODE;
if (mode) {
  // Child: one server, the frame's or a bare one, as the suite's processes are launched (NODE_ARGS).
  const app =
    mode === 'frame' ? createServiceApp({ service: 'probe', logger: createProcessLogger('probe', 'warn'), ready: () => true }) : Fastify();
  app.get('/', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  await app.listen({ host: '127.0.0.1', port: Number(process.env.FRAME_PROBE_PORT) });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
} else {
  const rounds = Number(process.argv[2] ?? 3);
  const seconds = Number(process.argv[3] ?? 5);
  const servers = await Promise.all(
    ['bare', 'frame'].map(async (m) => {
      const port = await freePort();
      const child = spawn(process.execPath, [...NODE_ARGS, fileURLToPath(import.meta.url)], {
        env: { ...process.env, FRAME_PROBE_MODE: m, FRAME_PROBE_PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      return { mode: m, origin: `http://127.0.0.1:${port}`, child };
    }),
  );
  try {
    for (const s of servers)
      for (let i = 0; ; i++) {
        const up = await request(s.origin).then(
          (r) => r.body.dump().then(() => r.statusCode === 200),
          () => false,
        );
        if (up) break;
        if (i > 300) throw new Error(`the ${s.mode} server did not start`);
        await new Promise((r) => setTimeout(r, 100));
      }
    for (let round = 1; round <= rounds; round++) {
      const results: Record<string, Awaited<ReturnType<typeof runLoad>>> = {};
      for (const s of servers)
        results[s.mode] = await runLoad({ origin: s.origin, paths: ['/'] }, { connections: 32, warmupSeconds: 1, seconds });
      const f = (m: string) => `${m} ${results[m].rps} req/s p95 ${results[m].p95} ms`;
      console.log(`round ${round}: ${f('bare')}; ${f('frame')}; frame/bare ${(results.frame.rps / results.bare.rps).toFixed(2)}x`);
    }
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
  }
  process.exit(0);
}
