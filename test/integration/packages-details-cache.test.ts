// GET /api/packages/:name and the REST search are kept by the main API (the registry's change feed, and the
// registry's ETag behind it): every change made through the registry must show in the next answer, and a
// restricted package never reaches someone who may not see it, whoever asked for it first. Each step reads first,
// so the change lands on a kept copy.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchCountsWindow } from '../../lib/internal.ts';
import { docPath, publishBody } from '../helpers/npm-fixtures.ts';
import { createUser } from '../helpers/reliability.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

interface Details {
  name: string;
  downloads: number;
  stars: number;
  access: string;
  distTags: Record<string, string>;
  versions: { version: string; deprecated: string | null }[];
}

describe('package details kept per registry revision', () => {
  let suite: Suite;
  const tokens: Record<string, string> = {};
  const auth = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });
  const details = async (name: string, user?: string) => {
    const res = await fetch(`${suite.urls.api}/api/packages/${name}`, { headers: user ? auth(user) : {} });
    return { status: res.status, body: (await res.json()) as Details & { code?: string } };
  };
  const npm = async (method: string, path: string, body: unknown, user = 'pub-cache') => {
    const res = await fetch(`${suite.urls.registry}${path}`, {
      method,
      headers: { ...auth(user), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return res;
  };
  const publish = (name: string, version: string, access: 'public' | 'restricted' = 'public') =>
    npm('PUT', docPath(name), publishBody(name, version, { access }));
  const packument = async (name: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: the packument is edited as npm itself does
    (await (await fetch(`${suite.urls.registry}${docPath(name)}?write=true`, { headers: auth('pub-cache') })).json()) as any;

  beforeAll(async () => {
    suite = await startSuite({ only: ['api', 'registry'] });
    for (const username of ['pub-cache', 'outsider', 'starrer'])
      tokens[username] = (await createUser(suite, username, { role: 'publisher', plan: 'team' })).token;
    await publish('cache-pkg', '1.0.0');
    await publish('@pub-cache/flip', '1.0.0');
  });
  afterAll(async () => suite?.stopAll());

  it('a publish, a dist-tag, a deprecation, a star and a download each show in the next answer', async () => {
    const first = await details('cache-pkg');
    expect(first.status).toBe(200);
    expect(first.body.versions.map((v) => v.version)).toEqual(['1.0.0']);
    expect((await details('cache-pkg')).body).toEqual(first.body);

    await publish('cache-pkg', '1.1.0');
    let now = (await details('cache-pkg')).body;
    expect(now.versions.map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(now.distTags).toEqual({ latest: '1.1.0' });

    await npm('PUT', '/npm/-/package/cache-pkg/dist-tags/beta', '1.0.0');
    expect((await details('cache-pkg')).body.distTags).toEqual({ latest: '1.1.0', beta: '1.0.0' });

    const deprecated = await fetch(`${suite.urls.api}/api/packages/cache-pkg/deprecate`, {
      method: 'POST',
      headers: { ...auth('pub-cache'), 'content-type': 'application/json' },
      body: JSON.stringify({ version: '1.0.0', message: 'use 1.1' }),
    });
    expect(deprecated.status).toBe(200);
    now = (await details('cache-pkg')).body;
    expect(now.versions.find((v) => v.version === '1.0.0')?.deprecated).toBe('use 1.1');

    const doc = await packument('cache-pkg');
    await npm('PUT', docPath('cache-pkg'), { _id: 'cache-pkg', _rev: doc._rev, users: { starrer: true } }, 'starrer');
    expect((await details('cache-pkg')).body.stars).toBe(1);

    const before = (await details('cache-pkg')).body.downloads;
    const tgz = await fetch(`${suite.urls.registry}/npm/cache-pkg/-/cache-pkg-1.1.0.tgz`);
    expect(tgz.status).toBe(200);
    await tgz.arrayBuffer();
    expect((await details('cache-pkg')).body.downloads).toBe(before + 1);
  });

  it('an unpublished version and then the unpublished package are gone from the next answer', async () => {
    await publish('cache-gone', '1.0.0');
    await publish('cache-gone', '1.0.1');
    expect((await details('cache-gone')).body.versions).toHaveLength(2);
    const doc = await packument('cache-gone');
    delete doc.versions['1.0.1'];
    delete doc.time?.['1.0.1'];
    doc['dist-tags'] = { latest: '1.0.0' };
    await npm('PUT', `/npm/cache-gone/-rev/${doc._rev}`, doc);
    const now = (await details('cache-gone')).body;
    expect(now.versions.map((v) => v.version)).toEqual(['1.0.0']);
    expect(now.distTags).toEqual({ latest: '1.0.0' });

    const rev = (await packument('cache-gone'))._rev;
    await npm('DELETE', `/npm/cache-gone/-rev/${rev}`, undefined);
    const gone = await details('cache-gone');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'package cache-gone was not found', code: 'PACKAGE_NOT_FOUND' });
  });

  it('made restricted after everyone read it: 404 (not 403) for anonymous and outsiders at once, 200 for the maintainer', async () => {
    for (const who of [undefined, 'outsider', 'pub-cache']) expect((await details('@pub-cache/flip', who)).status).toBe(200);
    await npm('POST', '/npm/-/package/@pub-cache%2fflip/access', { access: 'restricted' });
    for (const who of [undefined, 'outsider']) {
      const res = await details('@pub-cache/flip', who);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'package @pub-cache/flip was not found', code: 'PACKAGE_NOT_FOUND' });
    }
    // The maintainer's read (which the registry may answer 304) does not open it to the next outsider either.
    expect((await details('@pub-cache/flip', 'pub-cache')).body).toMatchObject({ name: '@pub-cache/flip', access: 'restricted' });
    expect((await details('@pub-cache/flip', 'outsider')).status).toBe(404);
    expect((await details('@pub-cache/flip')).status).toBe(404);

    await npm('POST', '/npm/-/package/@pub-cache%2fflip/access', { access: 'public' });
    expect((await details('@pub-cache/flip', 'outsider')).body).toMatchObject({ access: 'public' });
  });

  it('REST search: a publish shows in the next answer, a download with the next publish (or within a minute)', async () => {
    const search = async () => {
      const res = await fetch(`${suite.urls.api}/api/packages/search?q=cache-search`);
      expect(res.status).toBe(200);
      return (await res.json()) as { total: number; results: { name: string; version: string; downloads: number }[] };
    };
    const before = await search();
    expect(await search()).toEqual(before);
    await publish('cache-search-pkg', '1.0.0');
    let now = await search();
    expect(now.results.find((r) => r.name === 'cache-search-pkg')).toMatchObject({ version: '1.0.0', downloads: 0 });
    await publish('cache-search-pkg', '1.0.1');
    const window = searchCountsWindow(Date.now());
    expect((await search()).results.find((r) => r.name === 'cache-search-pkg')?.version).toBe('1.0.1');
    const tgz = await fetch(`${suite.urls.registry}/npm/cache-search-pkg/-/cache-search-pkg-1.0.1.tgz`);
    await tgz.arrayBuffer();
    // The details count it at once...
    expect((await details('cache-search-pkg')).body).toMatchObject({ downloads: 1 });
    // ...while the search keeps its answer across a count (the registry writes them every second under
    // installs), unless the counts' window (lib/internal.ts) turned over meanwhile.
    now = await search();
    if (searchCountsWindow(Date.now()) === window) expect(now.results.find((r) => r.name === 'cache-search-pkg')?.downloads).toBe(0);
    await publish('cache-search-pkg', '1.0.2');
    now = await search();
    expect(now.results.find((r) => r.name === 'cache-search-pkg')).toMatchObject({ version: '1.0.2', downloads: 1 });
  });

  it('a change made while the registry was down (an offline tool) shows after its restart', async () => {
    await publish('cache-offline', '1.0.0');
    expect((await details('cache-offline')).body).toMatchObject({ name: 'cache-offline' });
    await suite.stop('registry');
    expect((await details('cache-offline')).status).toBe(503);
    const db = new Database(suite.config.REGISTRY_DATABASE_PATH);
    // As every change to a package does (the registry's ETag is built on the rev).
    db.prepare("UPDATE packages SET description = 'edited offline', rev = rev + 1 WHERE name = 'cache-offline'").run();
    db.close();
    await suite.start('registry');
    expect((await details('cache-offline')).body).toMatchObject({ description: 'edited offline' });
  });

  it('the registry answers a matching If-None-Match with 304 and no body, and a changed package in full', async () => {
    const token = fs.readFileSync(`${suite.dataDir}/secrets/internal-token`, 'utf8').trim();
    const internal = (headers: Record<string, string> = {}) =>
      fetch(`${suite.urls.registry}/internal/packages/cache-pkg?ecosystem=npm&score=1`, {
        headers: { 'x-internal-token': token, ...headers },
      });
    const full = await internal();
    const etag = full.headers.get('etag');
    expect(etag).toMatch(/^"\d+-\d+-\d+-[\w-]+"$/);
    const again = await internal({ 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    await npm('PUT', '/npm/-/package/cache-pkg/dist-tags/next', '1.1.0');
    const changed = await internal({ 'if-none-match': etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(((await changed.json()) as Details).distTags.next).toBe('1.1.0');
  });
});
