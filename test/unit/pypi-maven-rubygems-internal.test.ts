// The internal routes the main API reads for PyPI, Maven and RubyGems packages: search with the ecosystem filter
// and field, details with per-version files, and storage accounting per user (GET /internal/usage/:userId).
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeSdist, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };

describe('internal search, details and usage across ecosystems', () => {
  let r: Reg;
  const wheel = makeWheel('demo-tool', '1.2.0');
  const sdist = makeSdist('demo-tool', '1.2.0');
  const jar = Buffer.from(zipSync({ 'demo/A.class': new Uint8Array([1, 2, 3]) }, { mtime: '2026-01-01T00:00:00Z' }));
  const gem = makeGem('demo_gem', '0.3.0');
  beforeEach(async () => {
    r = await buildTestRegistry();
    const auth = basic('alice', r.alice.token);
    for (const dist of [wheel, sdist]) {
      const f = uploadForm(dist, 'demo-tool', '1.2.0');
      expect(
        (await r.app.inject({ method: 'POST', url: '/pypi/legacy/', headers: { ...f.headers, ...auth }, payload: f.payload })).statusCode,
      ).toBe(200);
    }
    const put = await r.app.inject({
      method: 'PUT',
      url: '/maven2/com/demo/demo-lib/1.0.0/demo-lib-1.0.0.jar',
      headers: auth,
      payload: jar,
    });
    expect(put.statusCode).toBe(201);
    const push = await r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: r.alice.token },
      payload: gem,
    });
    expect(push.statusCode).toBe(200);
  });
  afterEach(async () => r.app.close());

  const search = (q: string, ecosystem: string) =>
    r.app.inject({ method: 'GET', url: `/internal/packages/search?q=${q}&ecosystem=${ecosystem}`, headers: internal });

  it('search filters by ecosystem and names it, with the package score', async () => {
    const py = (await search('demo', 'pypi')).json();
    for (const eco of ['pypi', 'maven', 'rubygems']) {
      const [hit] = (await search('demo', eco)).json().results;
      expect(hit.score).toBeGreaterThan(0);
      expect(hit.score).toBeLessThanOrEqual(1);
    }
    expect(py.results.map((x: { name: string; ecosystem: string; version: string }) => [x.name, x.ecosystem, x.version])).toEqual([
      ['demo-tool', 'pypi', '1.2.0'],
    ]);
    expect((await search('demo', 'maven')).json().results.map((x: { name: string }) => x.name)).toEqual(['com.demo:demo-lib']);
    expect((await search('demo', 'rubygems')).json().results.map((x: { name: string }) => x.name)).toEqual(['demo_gem']);
    expect((await search('demo', 'npm')).json().total).toBe(0);
  });

  it('details show the ecosystem and every file of a version with its own download URL', async () => {
    const py = (await r.app.inject({ method: 'GET', url: '/internal/packages/Demo_Tool?ecosystem=pypi', headers: internal })).json();
    expect(py.ecosystem).toBe('pypi');
    expect(py.maintainers).toEqual(['alice']);
    expect(py.versions[0].tarball).toBe(`/pypi/files/demo-tool/${wheel.filename}`);
    expect(py.versions[0].files.map((f: { url: string }) => f.url)).toEqual([
      `/pypi/files/demo-tool/${wheel.filename}`,
      `/pypi/files/demo-tool/${sdist.filename}`,
    ]);
    const mvn = (
      await r.app.inject({ method: 'GET', url: '/internal/packages/com.demo:demo-lib?ecosystem=maven', headers: internal })
    ).json();
    expect(mvn.versions[0].tarball).toBe('/maven2/com/demo/demo-lib/1.0.0/demo-lib-1.0.0.jar');
    const rb = (await r.app.inject({ method: 'GET', url: '/internal/packages/demo_gem?ecosystem=rubygems', headers: internal })).json();
    expect(rb.versions[0].tarball).toBe('/rubygems/gems/demo_gem-0.3.0.gem');
    expect(rb.license).toBe('MIT');
  });

  it('usage counts the bytes of every file a user published, all ecosystems, and their private packages', async () => {
    const npm = publishBody('demo-npm', '1.0.0');
    const size = Buffer.from(Object.values(npm._attachments)[0].data, 'base64').length;
    await r.app.inject({
      method: 'PUT',
      url: '/npm/demo-npm',
      headers: { authorization: `Bearer ${r.alice.token}`, 'content-type': 'application/json' },
      payload: npm,
    });
    r.db.prepare("UPDATE packages SET access = 'restricted' WHERE ecosystem = 'rubygems'").run();
    const res = await r.app.inject({ method: 'GET', url: `/internal/usage/${r.alice.id}`, headers: internal });
    expect(res.json()).toEqual({
      storageBytes: wheel.bytes.length + sdist.bytes.length + jar.length + gem.length + size,
      privatePackages: 1,
    });
    expect((await r.app.inject({ method: 'GET', url: `/internal/usage/${r.bob.id}`, headers: internal })).json()).toEqual({
      storageBytes: 0,
      privatePackages: 0,
    });
    expect((await r.app.inject({ method: 'GET', url: `/internal/usage/${r.alice.id}` })).statusCode).toBe(403);
  });

  it('a maintainer makes a package private (POST <prefix>/-/access): anonymous reads get the Basic challenge, search hides it', async () => {
    const auth = basic('alice', r.alice.token);
    const cases: [string, string, string][] = [
      ['/pypi', 'Demo_Tool', '/pypi/simple/demo-tool/'],
      ['/maven2', 'com.demo:demo-lib', '/maven2/com/demo/demo-lib/maven-metadata.xml'],
      ['/rubygems', 'demo_gem', '/rubygems/info/demo_gem'],
    ];
    for (const [prefix, name, read] of cases) {
      const bob = await r.app.inject({
        method: 'POST',
        url: `${prefix}/-/access`,
        headers: { ...basic('bob', r.bob.token), 'content-type': 'application/json' },
        payload: { name, access: 'restricted' },
      });
      expect(bob.statusCode).toBe(403);
      const res = await r.app.inject({
        method: 'POST',
        url: `${prefix}/-/access`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: { name, access: 'restricted' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().access).toBe('restricted');
      const anon = await r.app.inject({ method: 'GET', url: read });
      expect(anon.statusCode).toBe(401);
      expect(anon.headers['www-authenticate']).toMatch(/^Basic realm="/);
      expect((await r.app.inject({ method: 'GET', url: read, headers: auth })).statusCode).toBe(200);
    }
    for (const eco of ['pypi', 'maven', 'rubygems']) expect((await search('demo', eco)).json().total).toBe(0);
    expect((await r.app.inject({ method: 'GET', url: `/internal/usage/${r.alice.id}`, headers: internal })).json().privatePackages).toBe(3);
    // Each change is audited with its actor; bob's refused attempts left no entry.
    const audited = (r.db.prepare("SELECT payload FROM outbox WHERE type = 'audit.entry'").all() as { payload: string }[])
      .map((row) => JSON.parse(row.payload).data)
      .filter((e) => e.action === 'package.access.set');
    expect(audited.map((e) => [e.actorUsername, e.target, e.details.access])).toEqual([
      ['alice', 'package:pypi:demo-tool', 'restricted'],
      ['alice', 'package:maven:com.demo:demo-lib', 'restricted'],
      ['alice', 'package:rubygems:demo_gem', 'restricted'],
    ]);
  });
});
