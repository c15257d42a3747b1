// A webhook receiver for tests: listens on 127.0.0.1, records every request with its raw body, and answers
// from a script of responses (the last one repeats).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
  path: string;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export async function startReceiver(script: ScriptedResponse[] = [{ status: 200 }]) {
  const received: Received[] = [];
  let responses = [...script];
  const server = http.createServer((req, res) => {
    // Only requests to the hook's path count: another test's leftover poller may reach a port reused by this one.
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/hook') return res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' });
      const r = responses.length > 1 ? responses.shift()! : responses[0];
      res.writeHead(r.status, r.headers ?? {});
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respond(next: ScriptedResponse[]) {
      responses = [...next];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
