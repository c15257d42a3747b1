// The packument fast path (registry/npm/routes-packages.ts, lib/service-app.ts addFastPath), over a real socket:
// what it answers is byte for byte what the Fastify route answers, and everything it does not answer (conditional,
// private, unknown, versions, queries) reaches the route.
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFastPath } from '../../lib/service-app.ts';
import { buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
let r: Reg;
let origin = '';
/** Paths that went past the registry's fast path (a last fast path that only records and declines). */
const reachedRoute: string[] = [];

const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const NPM = { 'accept-encoding': 'gzip,deflate', accept: CORGI };

const publish = async (name: string, version: string, token: string, access?: 'restricted') => {
  const res = await r.app.inject({
    method: 'PUT',
    url: docPath(name),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: publishBody(name, version, access ? { access } : {}),
  });
  expect(res.statusCode, res.body).toBe(201);
};

async function get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(`${origin}${path}`, { method, headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** The headers two answers must share: all but the ones that differ per response or per connection. */
const stable = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(k)));

beforeAll(async () => {
  r = await buildTestRegistry();
  await publish('fastpkg', '1.0.0', r.alice.token);
  await publish('@acme/secret', '1.0.0', r.alice.token, 'restricted');
  addFastPath(r.app, (req) => {
    reachedRoute.push(`${req.method} ${req.url}`);
    return false;
  });
  origin = await r.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => r.app.close());

describe('the packument fast path', () => {
  it.each([
    ['abbreviated, gzip', NPM],
    ['full, gzip', { 'accept-encoding': 'gzip', accept: 'application/json' }],
    ['full, identity', {}],
  ])('answers a public packument (%s) as the route does, without reaching the route', async (_what, headers) => {
    reachedRoute.length = 0;
    const fast = await get('/npm/fastpkg', headers);
    expect(reachedRoute).toEqual([]);
    // A query sends the same read to the route.
    const routed = await get('/npm/fastpkg?via=route', headers);
    expect(reachedRoute).toEqual(['GET /npm/fastpkg?via=route']);
    expect(fast.status).toBe(200);
    expect(stable(fast.headers)).toEqual(stable(routed.headers));
    expect(fast.body.equals(routed.body)).toBe(true);
    expect(fast.headers['x-request-id']).toEqual(expect.any(String));
    expect(fast.headers['x-content-type-options']).toBe('nosniff');
    const doc = JSON.parse((fast.headers['content-encoding'] === 'gzip' ? gunzipSync(fast.body) : fast.body).toString());
    expect(doc.name).toBe('fastpkg');
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
  });

  it('answers HEAD with the GET headers and no body, and echoes a given request id', async () => {
    reachedRoute.length = 0;
    const head = await get('/npm/fastpkg', { ...NPM, 'x-request-id': 'trace-123' }, 'HEAD');
    const full = await get('/npm/fastpkg', NPM);
    expect(reachedRoute).toEqual([]);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['x-request-id']).toBe('trace-123');
    expect(stable(head.headers)).toEqual(stable(full.headers));
  });

  it('serves the new document once a version is published (the cache follows the rev)', async () => {
    const before = await get('/npm/fastpkg', { accept: CORGI });
    await publish('fastpkg', '1.1.0', r.alice.token);
    reachedRoute.length = 0;
    const after = await get('/npm/fastpkg', { accept: CORGI });
    expect(reachedRoute).toEqual([]);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(JSON.parse(after.body.toString())['dist-tags'].latest).toBe('1.1.0');
  });

  it('leaves conditional, private, unknown, version, tarball and write reads to the route', async () => {
    const { headers } = await get('/npm/fastpkg', NPM);
    reachedRoute.length = 0;
    expect((await get('/npm/fastpkg', { ...NPM, 'if-none-match': String(headers.etag) })).status).toBe(304);
    expect((await get('/npm/@acme%2fsecret', NPM)).status).toBe(404);
    const secret = await get('/npm/@acme%2fsecret', { ...NPM, authorization: `Bearer ${r.alice.token}` });
    expect(secret.status).toBe(200);
    expect(secret.headers['cache-control']).toBe('private, no-cache');
    const unknown = await get('/npm/no-such-package', NPM);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString()).code).toBe('PACKAGE_NOT_FOUND');
    expect((await get('/npm/fastpkg/1.0.0')).status).toBe(200);
    expect((await get('/npm/fastpkg?write=true')).status).toBe(200);
    expect(reachedRoute).toEqual([
      'GET /npm/fastpkg',
      'GET /npm/@acme%2fsecret',
      'GET /npm/@acme%2fsecret',
      'GET /npm/no-such-package',
      'GET /npm/fastpkg/1.0.0',
      'GET /npm/fastpkg?write=true',
    ]);
  });
});
