// Uplink proxy with a second registry instance as the upstream (both in-process, on loopback ports) and the real
// npm CLI: install through the proxy, local names shadow upstream ones, tarballs and packuments are served from
// the cache after the upstream stops, integrity is checked, and the tarball cache stays within its size bound.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { buildApp } from '../../registry/app.ts';
import { createMemoryBlobStore } from '../../registry/blob-store.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { createSigner, generateSigningKeyPem } from '../../registry/npm/signing.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';
import { npmUser, writePackage } from '../helpers/npm-cli.ts';
import { addUser, fakeAccounts, openIdentityDb, publishBody } from '../helpers/npm-fixtures.ts';

const identity = openIdentityDb();
const alice = addUser(identity, 'alice');
const clock = createManualClock(Date.parse('2026-11-26T10:00:00Z'));

async function instance(env: Record<string, string>, opts: { uplinkMaxCacheBytes?: number } = {}) {
  const db = openRegistryDatabase(':memory:');
  const app = await buildApp({
    config: testConfig(env),
    secrets: testSecrets,
    db,
    identityDb: () => identity,
    clock,
    logger: 'silent',
    blobs: createMemoryBlobStore(),
    signer: createSigner(generateSigningKeyPem()),
    accounts: fakeAccounts({}),
    uplinkMaxAgeMs: 60_000,
    ...opts,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, db, url: `${address}/npm/` };
}

let upstream: Awaited<ReturnType<typeof instance>>;
let proxy: Awaited<ReturnType<typeof instance>>;

const publish = (app: typeof upstream.app, name: string, version: string, description = `${name} from upstream`) =>
  app.inject({
    method: 'PUT',
    url: `/npm/${name.replace('/', '%2f')}`,
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
    payload: JSON.stringify(publishBody(name, version, { pkg: { description } })),
  });

beforeAll(async () => {
  upstream = await instance({});
  for (const [n, v] of [
    ['up-lib', '1.0.0'],
    ['up-lib', '1.1.0'],
    ['@alice/up-scoped', '2.0.0'],
    ['shadowed', '1.0.0'],
    ['big-one', '1.0.0'],
  ] as const)
    expect((await publish(upstream.app, n, v)).statusCode).toBe(201);
  proxy = await instance({ UPLINK_URL: upstream.url });
  expect((await publish(proxy.app, 'shadowed', '5.0.0', 'the local one')).statusCode).toBe(201);
});

afterAll(async () => {
  await proxy?.app.close();
  await upstream?.app.close();
});

describe('uplink proxy', () => {
  const user = () => npmUser(proxy.url, 'uplink');
  let npm: ReturnType<typeof npmUser>;

  it('npm install through the proxy resolves upstream packages (scoped and unscoped) with tarballs on the proxy host', async () => {
    npm = user();
    const app = writePackage(path.join(npm.home, 'app'), { name: 'app', version: '1.0.0', private: true });
    const r = await npm.run(['install', 'up-lib@^1.0.0', '@alice/up-scoped'], { cwd: app });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/up-lib']).toMatchObject({ version: '1.1.0', resolved: `${proxy.url}up-lib/-/up-lib-1.1.0.tgz` });
    expect(lock.packages['node_modules/@alice/up-scoped'].resolved).toBe(`${proxy.url}@alice/up-scoped/-/up-scoped-2.0.0.tgz`);
    const cached = proxy.db.prepare('SELECT name, filename FROM uplink_tarballs ORDER BY name').all();
    expect(cached).toEqual([
      { name: '@alice/up-scoped', filename: 'up-scoped-2.0.0.tgz' },
      { name: 'up-lib', filename: 'up-lib-1.1.0.tgz' },
    ]);
  });

  it('the tarball cache keeps within its size bound, evicting the least recently used', async () => {
    const files = ['up-lib/-/up-lib-1.0.0.tgz', 'up-lib/-/up-lib-1.1.0.tgz', 'big-one/-/big-one-1.0.0.tgz'];
    const sizes = await Promise.all(files.map(async (f) => (await (await fetch(`${upstream.url}${f}`)).arrayBuffer()).byteLength));
    const bound = sizes[1] + sizes[2];
    const small = await instance({ UPLINK_URL: upstream.url }, { uplinkMaxCacheBytes: bound });
    try {
      for (const f of files) expect((await fetch(`${small.url}${f}`)).status).toBe(200);
      const rows = small.db.prepare('SELECT filename, size FROM uplink_tarballs').all() as { filename: string; size: number }[];
      expect(rows.reduce((n, r) => n + r.size, 0)).toBeLessThanOrEqual(bound);
      expect(rows.map((r) => r.filename)).toContain('big-one-1.0.0.tgz');
      expect(rows.map((r) => r.filename)).not.toContain('up-lib-1.0.0.tgz');
      expect((await fetch(`${small.url}up-lib/-/up-lib-9.9.9.tgz`)).status).toBe(404);
    } finally {
      await small.app.close();
    }
  });

  it('local names always shadow upstream ones', async () => {
    const view = await npm.run(['view', 'shadowed', '--json']);
    expect(view.json()).toMatchObject({ description: 'the local one', versions: ['5.0.0'] });
  });

  it('with the upstream stopped: cached tarballs still install (npm ci), stale packuments are served, unknown names get 503', async () => {
    await upstream.app.close();
    clock.advance(5 * 60_000);
    const app = path.join(npm.home, 'app');
    fs.rmSync(path.join(app, 'node_modules'), { recursive: true });
    fs.rmSync(path.join(npm.home, 'cache'), { recursive: true });
    const ci = await npm.run(['ci'], { cwd: app });
    expect(ci.code).toBe(0);
    expect(fs.existsSync(path.join(app, 'node_modules', 'up-lib', 'package.json'))).toBe(true);
    const view = await npm.run(['view', 'up-lib', 'version']);
    expect(view.code).toBe(0);
    expect(view.stdout.trim()).toBe('1.1.0');
    const res = await fetch(`${proxy.url}never-fetched`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toContain('upstream registry cannot be reached');
  });
});
