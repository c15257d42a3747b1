// The seed's package REST API on the main API against a real registry: publish over REST (inline and from a
// URL, through the registry's npm publish), search, details (scoped and unscoped), versions, dist-tags, the
// download redirect, restricted packages hidden from outsiders, bad input, registry down.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docPath, makeTgz, publishBody } from '../helpers/npm-fixtures.ts';
import { createUser } from '../helpers/reliability.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

describe('packages REST API', () => {
  let suite: Suite;
  const tokens: Record<string, string> = {};
  const api = (p: string, user?: string) =>
    fetch(`${suite.urls.api}${p}`, { headers: user ? { authorization: `Bearer ${tokens[user]}` } : {}, redirect: 'manual' });

  beforeAll(async () => {
    // The tarball server of the URL publish listens on 127.0.0.1: only this suite may reach private addresses.
    suite = await startSuite({ only: ['api', 'registry'], env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' } });
    for (const username of ['pub-rest', 'outsider'])
      tokens[username] = (await createUser(suite, username, { role: 'publisher', plan: 'team' })).token;
    const publish = async (name: string, access: 'public' | 'restricted' = 'public') => {
      const res = await fetch(`${suite.urls.registry}${docPath(name)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens['pub-rest']}`, 'content-type': 'application/json' },
        body: JSON.stringify(publishBody(name, '1.0.0', { access, pkg: { keywords: ['rest'], license: 'MIT' } })),
      });
      expect(res.status, name).toBe(201);
    };
    await publish('rest-pkg');
    await publish('@pub-rest/scoped');
    await publish('@pub-rest/hidden', 'restricted');
  });
  afterAll(async () => suite?.stopAll());

  it('searches public packages in the seed shape', async () => {
    const res = await api('/api/packages/search?q=rest&limit=20&offset=0');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { name: string; id: string }[]; total: number; limit: number; offset: number };
    expect(body).toMatchObject({ limit: 20, offset: 0 });
    expect(body.results.map((r) => r.name).sort()).toEqual(['@pub-rest/scoped', 'rest-pkg']);
    expect(body.results[0].id).toMatch(/^pkg-/);
  });

  it.each(['rest-pkg', '@pub-rest/scoped', '@pub-rest%2Fscoped'])('GET /api/packages/%s answers the seed details shape', async (name) => {
    const res = await api(`/api/packages/${name}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: decodeURIComponent(name),
      maintainers: ['pub-rest'],
      license: 'MIT',
      downloads: expect.any(Number),
      stars: 0,
      versions: [expect.objectContaining({ version: '1.0.0', publishedAt: expect.any(String) })],
    });
  });

  it('lists versions and dist-tags', async () => {
    const versions = await api('/api/packages/rest-pkg/versions');
    expect(versions.status).toBe(200);
    expect(await versions.json()).toMatchObject({ name: 'rest-pkg', versions: [{ version: '1.0.0' }] });
    const tags = await api('/api/packages/@pub-rest/scoped/dist-tags');
    expect(await tags.json()).toEqual({ name: '@pub-rest/scoped', distTags: { latest: '1.0.0' } });
  });

  it('redirects a download to the registry tarball (302) and 404s an unknown version', async () => {
    const res = await api('/api/packages/@pub-rest/scoped/1.0.0/download');
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toBe(`${suite.urls.registry}/npm/@pub-rest/scoped/-/scoped-1.0.0.tgz`);
    const tgz = await fetch(location);
    expect(tgz.status).toBe(200);
    expect(Buffer.from(await tgz.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const missing = await api('/api/packages/rest-pkg/9.9.9/download');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'version 9.9.9 of rest-pkg was not found', code: 'VERSION_NOT_FOUND' });
  });

  it('hides a restricted package from everyone but its scope and maintainers', async () => {
    for (const user of [undefined, 'outsider']) {
      const res = await api('/api/packages/@pub-rest/hidden', user);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'package @pub-rest/hidden was not found', code: 'PACKAGE_NOT_FOUND' });
    }
    expect((await api('/api/packages/@pub-rest/hidden', 'pub-rest')).status).toBe(200);
    const search = (await (await api('/api/packages/search?q=hidden')).json()) as { total: number };
    expect(search.total).toBe(0);
  });

  it('answers bad input with clear 4xx, never a 500', async () => {
    expect((await api(`/api/packages/search?q=${'a'.repeat(401)}`)).status).toBe(400);
    for (const q of ['"*(:^ OR NOT', '\u00e9l\u00e8ve \u{1F680}', '%', '_']) {
      const res = await api(`/api/packages/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
    const unknown = await api('/api/packages/no-such-package');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()) as object).toEqual({ error: 'package no-such-package was not found', code: 'PACKAGE_NOT_FOUND' });
    expect((await api('/api/packages/..%2F..%2Fetc')).status).toBe(400);
    expect((await api('/api/packages/rest-pkg/1.0.0/other')).status).toBe(404);
  });

  const postPackage = (body: Record<string, unknown>, user = 'pub-rest') =>
    fetch(`${suite.urls.api}/api/packages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('publishes over REST through npm publish: inline base64, then a tarball URL; a replay is 200', async () => {
    const tarball = makeTgz([
      {
        path: 'package/package.json',
        content: JSON.stringify({ name: '@pub-rest/via-rest', version: '1.0.0', license: 'MIT', main: 'index.js' }),
      },
      { path: 'package/index.js', content: 'module.exports = 1;\n' },
    ]);
    const body = { name: '@pub-rest/via-rest', version: '1.0.0', license: 'MIT', tarballBase64: tarball.toString('base64') };
    const res = await postPackage(body);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      name: '@pub-rest/via-rest',
      version: '1.0.0',
      tag: 'latest',
      integrity: expect.stringMatching(/^sha512-/),
    });
    expect((await postPackage(body)).status).toBe(200);
    const details = (await (await api('/api/packages/@pub-rest/via-rest')).json()) as {
      versions: { version: string }[];
      maintainers: string[];
    };
    expect(details.versions.map((v) => v.version)).toEqual(['1.0.0']);
    expect(details.maintainers).toEqual(['pub-rest']);

    const v2 = makeTgz([
      { path: 'package/package.json', content: JSON.stringify({ name: '@pub-rest/via-rest', version: '2.0.0', license: 'MIT' }) },
    ]);
    const server = http.createServer((_req, r) => r.end(v2));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/via-rest-2.0.0.tgz`;
      const fromUrl = await postPackage({ name: '@pub-rest/via-rest', version: '2.0.0', tarball: url });
      expect(fromUrl.status).toBe(201);
    } finally {
      server.close();
    }
    const tags = (await (await api('/api/packages/@pub-rest/via-rest/dist-tags')).json()) as { distTags: Record<string, string> };
    expect(tags.distTags.latest).toBe('2.0.0');
    // Other users cannot publish into the scope: the registry's own refusal comes back.
    const other = makeTgz([{ path: 'package/package.json', content: JSON.stringify({ name: '@pub-rest/via-rest', version: '3.0.0' }) }]);
    const refused = await postPackage(
      { name: '@pub-rest/via-rest', version: '3.0.0', tarballBase64: other.toString('base64') },
      'outsider',
    );
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('NOT_MAINTAINER');
  });

  it('deprecates and undeprecates versions by range; only maintainers may', async () => {
    const deprecate = (body: Record<string, unknown>, user = 'pub-rest') =>
      fetch(`${suite.urls.api}/api/packages/rest-pkg/deprecate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await deprecate({ version: '^1.0.0', message: 'use rest-pkg@2' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'rest-pkg', versions: ['1.0.0'], message: 'use rest-pkg@2' });
    const details = (await (await api('/api/packages/rest-pkg')).json()) as { versions: { deprecated: string | null }[] };
    expect(details.versions[0].deprecated).toBe('use rest-pkg@2');
    expect((await deprecate({ message: '' })).status).toBe(200);
    expect(
      ((await (await api('/api/packages/rest-pkg')).json()) as { versions: { deprecated: string | null }[] }).versions[0].deprecated,
    ).toBeNull();
    const outsider = await deprecate({ message: 'mine now' }, 'outsider');
    expect(outsider.status).toBe(403);
    expect(((await outsider.json()) as { code: string }).code).toBe('NOT_MAINTAINER');
    const none = await deprecate({ version: '>=9', message: 'x' });
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: 'no version of rest-pkg matches ">=9"', code: 'VERSION_NOT_FOUND' });
  });

  it('answers 503 naming the registry while it is down', async () => {
    await suite.stop('registry');
    const res = await api('/api/packages/search?q=rest');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('PEER_UNAVAILABLE');
  });
});
