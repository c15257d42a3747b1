// The machine's ceiling for the benchmark: a bare Fastify 5 server answering a fixed ~5 KB JSON document,
// run as its own process (CEILING_PORT) so it never shares an event loop with the load generator.
// With CEILING_UPSTREAM it is the one-hop ceiling instead: it fetches that document from another ceiling server
// through undici with lib/http.ts's pool settings and passes it on, as the main API does for the registry's and
// the marketplace's data. That is the most any route crossing one process boundary can do on this machine.
// With CEILING_FRAME=1 it serves the same document from the frame every process is built on
// (lib/service-app.ts), for scripts/bench/frame-probe.ts.
// With CEILING_BYTES=<file> ({headers: [name, value, ...], body: base64}, written by same-bytes-probe.ts) it answers
// every path with exactly those headers and bytes, from a Fastify route (bare, or the frame with CEILING_FRAME=1) or,
// with CEILING_RAW=1, from a plain node:http server.
import fs from 'node:fs';
import http from 'node:http';
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

const port = Number(process.env.CEILING_PORT ?? 0);
const bytesFile = process.env.CEILING_BYTES;
const fixed = bytesFile ? (JSON.parse(fs.readFileSync(bytesFile, 'utf8')) as { headers: string[]; body: string }) : undefined;
if (fixed && process.env.CEILING_RAW === '1') {
  const body = Buffer.from(fixed.body, 'base64');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, fixed.headers);
    res.end(body);
  });
  server.keepAliveTimeout = 72_000;
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else await fastifyCeiling();

async function fastifyCeiling() {
  const app = process.env.CEILING_FRAME === '1' ? await frameApp() : Fastify({ logger: false });
  const upstream = process.env.CEILING_UPSTREAM;
  if (fixed) {
    const body = Buffer.from(fixed.body, 'base64');
    const headers: Record<string, string> = {};
    // Fastify adds the content-length, and the frame its own request id and nosniff.
    const added = process.env.CEILING_FRAME === '1' ? ['content-length', 'x-request-id', 'x-content-type-options'] : ['content-length'];
    for (let i = 0; i < fixed.headers.length; i += 2)
      if (!added.includes(fixed.headers[i])) headers[fixed.headers[i]] = fixed.headers[i + 1];
    app.get('/*', async (_req, reply) => reply.headers(headers).send(body));
  } else if (upstream) {
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
    app.get('/', async (_req, reply) => {
      const res = await request(upstream, { dispatcher: agent });
      return reply.type('application/json; charset=utf-8').send(await res.body.text());
    });
  } else app.get('/', async () => doc);
  await app.listen({ host: '127.0.0.1', port });
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
