// UPLINK_AUTH against a private upstream on loopback that answers 401 without the right Authorization header:
// the header reaches the upstream on packument and tarball requests, never another host (a dist.tarball naming
// one, a redirect to one), never the logs; and a wrong or orphan value is refused with the value hidden.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { loadConfig } from '../../lib/config.ts';
import { buildApp } from '../../registry/app.ts';
import { createMemoryBlobStore } from '../../registry/blob-store.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { createSigner, generateSigningKeyPem } from '../../registry/npm/signing.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';
import { fakeAccounts, makeTgz, openIdentityDb } from '../helpers/npm-fixtures.ts';

const TOKEN = 'Bearer npm_private-upstream-token-4f1c';
const tgz = makeTgz([{ path: 'package/package.json', content: '{"name":"@corp/lib","version":"1.0.0"}' }]);
const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;

/** Every request a server saw, with the Authorization header it carried. */
type Seen = { url: string; auth?: string }[];
const upstreamSeen: Seen = [];
const otherSeen: Seen = [];
let otherOrigin = '';

const upstream = http.createServer((req, res) => {
  upstreamSeen.push({ url: req.url ?? '', auth: req.headers.authorization });
  if (req.headers.authorization !== TOKEN) return res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
  if (req.url === '/repository/npm/@corp%2flib') {
    const doc = {
      name: '@corp/lib',
      'dist-tags': { latest: '1.0.0', next: '1.0.1' },
      versions: {
        // The document names another host for its tarball: it is fetched from the upstream all the same.
        '1.0.0': { name: '@corp/lib', version: '1.0.0', dist: { integrity, tarball: `${otherOrigin}/files/lib-1.0.0.tgz` } },
        '1.0.1': { name: '@corp/lib', version: '1.0.1', dist: { integrity, tarball: `${otherOrigin}/files/lib-1.0.1.tgz` } },
      },
    };
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  }
  if (req.url === '/repository/npm/@corp/lib/-/lib-1.0.0.tgz') return res.writeHead(200).end(tgz);
  // A storage backend that redirects elsewhere: not followed, so the credentials stay with the upstream.
  if (req.url === '/repository/npm/@corp/lib/-/lib-1.0.1.tgz') return res.writeHead(302, { location: `${otherOrigin}/files/x.tgz` }).end();
  res.writeHead(404).end();
});
const other = http.createServer((req, res) => {
  otherSeen.push({ url: req.url ?? '', auth: req.headers.authorization });
  res.writeHead(200).end(tgz);
});

const listen = async (s: http.Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

let upstreamUrl = '';
let logs = '';
const identity = openIdentityDb();
/** A registry on the upstream, with or without UPLINK_AUTH. */
async function registry(auth?: string) {
  return buildApp({
    config: testConfig({ UPLINK_URL: `${upstreamUrl}/repository/npm/`, ...(auth ? { UPLINK_AUTH: auth } : {}) }),
    secrets: testSecrets,
    db: openRegistryDatabase(':memory:'),
    identityDb: () => identity,
    clock: createManualClock(Date.parse('2026-11-27T10:00:00Z')),
    logger: pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _enc, done) {
          logs += chunk;
          done();
        },
      }),
    ),
    blobs: createMemoryBlobStore(),
    signer: createSigner(generateSigningKeyPem()),
    accounts: fakeAccounts({}),
  });
}

beforeAll(async () => {
  upstreamUrl = await listen(upstream);
  otherOrigin = await listen(other);
});
afterAll(() => {
  upstream.close();
  other.close();
});

describe('UPLINK_AUTH', () => {
  it('is sent to the private upstream: packument and tarball are served', async () => {
    const app = await registry(TOKEN);
    const doc = await app.inject({ method: 'GET', url: '/npm/@corp%2flib' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json()['dist-tags'].latest).toBe('1.0.0');
    const file = await app.inject({ method: 'GET', url: '/npm/@corp/lib/-/lib-1.0.0.tgz' });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(tgz)).toBe(true);
    expect(upstreamSeen.map((s) => s.url)).toEqual(['/repository/npm/@corp%2flib', '/repository/npm/@corp/lib/-/lib-1.0.0.tgz']);
    expect(upstreamSeen.every((s) => s.auth === TOKEN)).toBe(true);
    await app.close();
  });

  it('never reaches another host: neither the dist.tarball it names nor a redirect target', async () => {
    const app = await registry(TOKEN);
    const redirected = await app.inject({ method: 'GET', url: '/npm/@corp/lib/-/lib-1.0.1.tgz' });
    expect(redirected.statusCode).toBe(503);
    expect(otherSeen).toEqual([]);
    // And the token is in no log line, although the failed fetch was logged.
    expect(logs).toContain('uplink: tarball fetch failed');
    expect(logs).not.toContain('npm_private-upstream-token');
    await app.close();
  });

  it('without it the private upstream refuses, and the package is unavailable rather than missing', async () => {
    const app = await registry();
    const res = await app.inject({ method: 'GET', url: '/npm/@corp%2flib' });
    // Before: no way to send credentials, so a private upstream always answered 401.
    expect(res.statusCode).toBe(503);
    expect(upstreamSeen.at(-1)?.auth).toBeUndefined();
    await app.close();
  });

  it('a malformed value (a line break would add headers) is refused, and the value is never echoed', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        loadConfig({ DATA_DIR: '/tmp/unused', ...env });
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    const injected = attempt({ UPLINK_URL: 'https://nexus.example.com/npm/', UPLINK_AUTH: 'Bearer tok-9d2e\r\nx-evil: 1' });
    expect(injected).toContain('UPLINK_AUTH (value hidden): must be a scheme and credentials, e.g. "Bearer <token>"');
    expect(injected).not.toContain('tok-9d2e');
    const orphan = attempt({ UPLINK_AUTH: 'Basic Y2k6aHVudGVyMg==' });
    expect(orphan).toContain('UPLINK_AUTH (value hidden): is set but UPLINK_URL is not');
    expect(orphan).not.toContain('Y2k6aHVudGVyMg');
    expect(attempt({ UPLINK_URL: 'https://nexus.example.com/npm/', UPLINK_AUTH: 'Basic Y2k6aHVudGVyMg==' })).toBe('accepted');
  });
});
