// The machine's ceiling for the benchmark: a bare Fastify 5 server answering a fixed ~5 KB JSON document,
// run as its own process (CEILING_PORT) so it never shares an event loop with the load generator.
// With CEILING_UPSTREAM it is the one-hop ceiling instead: it fetches that document from another ceiling server
// through undici with lib/http.ts's pool settings and passes it on, as the main API does for the registry's and
// the marketplace's data. That is the most any route crossing one process boundary can do on this machine.
// With CEILING_FRAME=1 it serves the same document from the frame every process is built on
// (lib/service-app.ts), for scripts/bench/frame-probe.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';

const doc = {
  name: 'ceiling',
  description: 'a fixed document of about five kilobytes',
  items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item-${i}`, version: `1.${i}.0`, tags: ['a', 'b', 'c'], ok: true })),
  padding: 'x'.repeat(1900),
};

async function frameApp(): Promise<FastifyInstance> {
  const { createServiceApp } = await import('../../lib/service-app.ts');
  const { createProcessLogger } = await import('../../lib/log.ts');
  return createServiceApp({
    service: 'ceiling',
    logger: createProcessLogger('ceiling', 'warn'),
    ready: () => true,
  }) as unknown as FastifyInstance;
}

const app = process.env.CEILING_FRAME === '1' ? await frameApp() : Fastify({ logger: false });
const upstream = process.env.CEILING_UPSTREAM;
if (upstream) {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  app.get('/', async (_req, reply) => {
    const res = await request(upstream, { dispatcher: agent });
    return reply.type('application/json; charset=utf-8').send(await res.body.text());
  });
} else app.get('/', async () => doc);
await app.listen({ host: '127.0.0.1', port: Number(process.env.CEILING_PORT ?? 0) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
