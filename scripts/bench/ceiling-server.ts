// The machine's ceiling for the benchmark: a bare Fastify 5 server answering a fixed ~5 KB JSON document,
// run as its own process (CEILING_PORT) so it never shares an event loop with the load generator.
import Fastify from 'fastify';

const doc = {
  name: 'ceiling',
  description: 'a fixed document of about five kilobytes',
  items: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item-${i}`, version: `1.${i}.0`, tags: ['a', 'b', 'c'], ok: true })),
  padding: 'x'.repeat(1900),
};

const app = Fastify({ logger: false });
app.get('/', async () => doc);
await app.listen({ host: '127.0.0.1', port: Number(process.env.CEILING_PORT ?? 0) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
