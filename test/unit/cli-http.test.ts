// The CLIs' HTTP errors: each failure becomes one sentence naming what to do (5xx, 401 with each credential source,
// 4xx with the server's message, an unreachable or non-JSON server), against a local server on 127.0.0.1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../client/http.ts';

let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.url === '/boom') return send(500, JSON.stringify({ error: 'database is locked', code: 'INTERNAL' }));
    if (req.url === '/auth') return send(401, JSON.stringify({ error: 'invalid token', code: 'UNAUTHORIZED' }));
    if (req.url === '/conflict')
      return send(409, JSON.stringify({ error: 'you already have a deployment named "db"', code: 'DEPLOYMENT_NAME_TAKEN' }));
    if (req.url === '/html') return send(200, '<html></html>', 'text/html');
    if (req.url === '/missing') return send(404, JSON.stringify({ error: 'nope' }));
    send(200, JSON.stringify({ ok: true, auth: req.headers.authorization ?? null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (env: Record<string, string> = {}) =>
  createClient({ api: base, registry: base, marketplace: base }, { XDG_CONFIG_HOME: '/nonexistent-elide-test', ...env });

describe('errors a person can act on', () => {
  it('5xx names the process and the status', async () => {
    await expect(client().request('marketplace', '/boom', { auth: 'none' })).rejects.toMatchObject({
      message: `the marketplace at ${base} failed (HTTP 500): database is locked; try again, or check its log`,
      exitCode: 1,
      status: 500,
    });
  });

  it('401 depends on where the credential came from', async () => {
    await expect(client().request('api', '/auth')).rejects.toMatchObject({
      message: 'not logged in: run publish-cli login (or set ELIDE_TOKEN)',
    });
    await expect(client({ ELIDE_TOKEN: 'elk_x' }).request('api', '/auth')).rejects.toMatchObject({
      message: 'ELIDE_TOKEN was refused (expired or revoked): set a valid token, or unset it and run publish-cli login',
    });
    await expect(client().request('api', '/auth', { auth: 'none' })).rejects.toMatchObject({
      message: 'invalid token',
      code: 'UNAUTHORIZED',
    });
  });

  it('4xx carries the server message and code; 404 may be allowed', async () => {
    await expect(client().request('marketplace', '/conflict', { auth: 'none' })).rejects.toMatchObject({
      message: 'you already have a deployment named "db"',
      code: 'DEPLOYMENT_NAME_TAKEN',
      status: 409,
    });
    expect(await client().request('registry', '/missing', { auth: 'none', allow404: true })).toBeUndefined();
  });

  it('an unreachable server and a server that is not the API', async () => {
    const down = createClient({ api: 'http://127.0.0.1:9', registry: base, marketplace: base }, {});
    await expect(down.request('api', '/x', { auth: 'none' })).rejects.toMatchObject({
      message: 'cannot reach the main API at http://127.0.0.1:9: is the suite running? (npm start)',
      code: 'UNREACHABLE',
    });
    await expect(client().request('registry', '/html', { auth: 'none' })).rejects.toMatchObject({
      message: `the registry at ${base} answered something that is not JSON: is that the right URL?`,
    });
  });

  it('sends the bearer token only when there is one', async () => {
    expect(await client({ ELIDE_TOKEN: 'elk_abc' }).request('api', '/ok')).toEqual({ ok: true, auth: 'Bearer elk_abc' });
    expect(await client({ ELIDE_TOKEN: 'elk_abc' }).request('api', '/ok', { auth: 'none' })).toEqual({ ok: true, auth: null });
    await expect(client().request('api', '/ok')).rejects.toMatchObject({ code: 'NOT_LOGGED_IN' });
  });
});
