// Uplink rules against a scripted upstream on loopback: ETag revalidation (a 304 is not an error), integrity
// checked before anything is cached (502), tarballs fetched only from the uplink whatever URL the document names.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { buildApp } from '../../registry/app.ts';
import { createMemoryBlobStore } from '../../registry/blob-store.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { createSigner, generateSigningKeyPem } from '../../registry/npm/signing.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';
import { fakeAccounts, makeTgz, openIdentityDb } from '../helpers/npm-fixtures.ts';

const good = makeTgz([{ path: 'package/package.json', content: '{"name":"remote","version":"1.0.0"}' }]);
const integrity = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('base64')}`;
const seen: { url: string; inm?: string }[] = [];
const doc = {
  name: 'remote',
  'dist-tags': { latest: '1.0.0' },
  versions: {
    '1.0.0': {
      name: 'remote',
      version: '1.0.0',
      dist: { integrity: integrity(good), tarball: 'http://127.0.0.1:9/elsewhere/remote-1.0.0.tgz' },
    },
    '1.0.1': {
      name: 'remote',
      version: '1.0.1',
      dist: { integrity: integrity(Buffer.from('other')), tarball: 'http://x/remote-1.0.1.tgz' },
    },
  },
  time: { modified: '2026-01-01T00:00:00.000Z' },
};

const upstream = http.createServer((req, res) => {
  seen.push({ url: req.url ?? '', inm: req.headers['if-none-match'] as string | undefined });
  if (req.url === '/npm/remote') {
    if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304).end();
    return res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(JSON.stringify(doc));
  }
  if (req.url?.endsWith('.tgz')) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(good);
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
});

const identity = openIdentityDb();
const clock = createManualClock(Date.parse('2026-11-26T10:00:00Z'));
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  app = await buildApp({
    config: testConfig({ UPLINK_URL: `http://127.0.0.1:${port}/npm/` }),
    secrets: testSecrets,
    db: openRegistryDatabase(':memory:'),
    identityDb: () => identity,
    clock,
    logger: 'silent',
    blobs: createMemoryBlobStore(),
    signer: createSigner(generateSigningKeyPem()),
    accounts: fakeAccounts({}),
    uplinkMaxAgeMs: 60_000,
  });
});
afterAll(async () => {
  await app.close();
  upstream.close();
});

describe('uplink rules', () => {
  it('serves the upstream document with tarball URLs on this registry, then revalidates with If-None-Match after max age', async () => {
    const res = await app.inject({ method: 'GET', url: '/npm/remote', headers: { host: 'proxy.test' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().versions['1.0.0'].dist.tarball).toBe('http://proxy.test/npm/remote/-/remote-1.0.0.tgz');
    await app.inject({ method: 'GET', url: '/npm/remote' });
    expect(seen.filter((s) => s.url === '/npm/remote')).toHaveLength(1);
    clock.advance(61_000);
    expect((await app.inject({ method: 'GET', url: '/npm/remote' })).statusCode).toBe(200);
    expect(seen.filter((s) => s.url === '/npm/remote').at(-1)).toEqual({ url: '/npm/remote', inm: '"v1"' });
  });

  it('fetches tarballs only from the uplink host, whatever dist.tarball names, and checks integrity', async () => {
    const ok = await app.inject({ method: 'GET', url: '/npm/remote/-/remote-1.0.0.tgz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.rawPayload.equals(good)).toBe(true);
    expect(seen.some((s) => s.url === '/npm/remote/-/remote-1.0.0.tgz')).toBe(true);
    const bad = await app.inject({ method: 'GET', url: '/npm/remote/-/remote-1.0.1.tgz' });
    expect(bad.statusCode).toBe(502);
    expect(bad.json().error).toBe('the upstream tarball of remote@1.0.1 does not match its integrity');
    expect((await app.inject({ method: 'GET', url: '/npm/unknown-remote' })).statusCode).toBe(404);
  });

  it('serves an upstream tarball as an inert download (attachment, nosniff, sandbox CSP)', async () => {
    const res = await app.inject({ method: 'GET', url: '/npm/remote/-/remote-1.0.0.tgz' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toBe('attachment; filename="remote-1.0.0.tgz"');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe('sandbox');
  });
});
