// An admin's security review of a PyPI, Maven or RubyGems version (POST /internal/security/reviews with its
// ecosystem): a quarantined version leaves every index and listing (PEP 691 index, maven-metadata.xml, the compact
// index with its /versions line, internal details), its files answer 403 VERSION_QUARANTINED, and a release puts it
// back. The review names its ecosystem: the same name in npm is another package.
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeWheel, twineUpload } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const jar = (text: string) =>
  Buffer.from(zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) }));

describe('quarantine of PyPI, Maven and RubyGems versions', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });
  const review = (body: Record<string, string>) =>
    r.app.inject({ method: 'POST', url: '/internal/security/reviews', headers: internal, payload: { by: 'root', ...body } });
  const detailVersions = async (name: string, ecosystem: string) =>
    (await get(`/internal/packages/${encodeURIComponent(name)}?ecosystem=${ecosystem}`, internal))
      .json()
      .versions.map((v: { version: string }) => v.version);

  it('PyPI: the index, the files, the PEP 658 metadata and the details hide a quarantined release until it is released', async () => {
    const wheels = ['1.0', '1.1'].map((v) => makeWheel('demo-tool', v));
    for (const [i, v] of ['1.0', '1.1'].entries())
      expect((await twineUpload(r.app, wheels[i], 'demo-tool', v, r.alice)).statusCode).toBe(200);
    const index = async () => (await get('/pypi/simple/demo-tool/', { accept: 'application/vnd.pypi.simple.v1+json' })).json();
    expect((await index()).versions).toEqual(['1.0', '1.1']);

    // Without the ecosystem the review means npm, where no demo-tool exists: nothing happens to the PyPI release.
    expect((await review({ name: 'demo-tool', version: '1.1', action: 'quarantine' })).json().code).toBe('SCAN_NOT_FOUND');
    expect((await index()).versions).toEqual(['1.0', '1.1']);

    const q = await review({ ecosystem: 'pypi', name: 'demo-tool', version: '1.1', action: 'quarantine' });
    expect(q.json()).toEqual({ ecosystem: 'pypi', name: 'demo-tool', version: '1.1', reviewState: 'quarantined' });
    const after = await index();
    expect(after.versions).toEqual(['1.0']);
    expect(after.files.map((f: { filename: string }) => f.filename)).toEqual([wheels[0].filename]);
    const file = await get(`/pypi/files/demo-tool/${wheels[1].filename}`);
    expect(file.statusCode).toBe(403);
    expect(file.json().code).toBe('VERSION_QUARANTINED');
    expect((await get(`/pypi/files/demo-tool/${wheels[1].filename}.metadata`)).statusCode).toBe(403);
    expect((await get(`/pypi/files/demo-tool/${wheels[0].filename}`)).statusCode).toBe(200);
    expect(await detailVersions('demo-tool', 'pypi')).toEqual(['1.0']);
    // Dependency trees skip it too: a dependent resolves to the newest version still served.
    expect(
      (await twineUpload(r.app, makeWheel('uses-tool', '1.0', { requiresDist: ['demo-tool>=1.0'] }), 'uses-tool', '1.0', r.alice))
        .statusCode,
    ).toBe(200);
    const tree = (await get('/internal/artifacts/pypi/uses-tool/1.0/security', internal)).json().dependencies;
    expect(tree.packages).toEqual(['uses-tool@1.0', 'demo-tool@1.0']);

    await review({ ecosystem: 'pypi', name: 'demo-tool', version: '1.1', action: 'release' });
    expect((await index()).versions).toEqual(['1.0', '1.1']);
    expect((await get(`/pypi/files/demo-tool/${wheels[1].filename}`)).statusCode).toBe(200);
    expect((await detailVersions('demo-tool', 'pypi')).sort()).toEqual(['1.0', '1.1']);
  });

  it('Maven: maven-metadata.xml and the jar', async () => {
    const auth = basic('alice', r.alice.token);
    for (const v of ['1.0.0', '1.1.0'])
      expect(
        (await r.app.inject({ method: 'PUT', url: `/maven2/com/acme/lib/${v}/lib-${v}.jar`, headers: auth, payload: jar(v) })).statusCode,
      ).toBe(201);
    await review({ ecosystem: 'maven', name: 'com.acme:lib', version: '1.1.0', action: 'quarantine' });
    const meta = (await get('/maven2/com/acme/lib/maven-metadata.xml', auth)).body;
    expect(meta).toContain('<version>1.0.0</version>');
    expect(meta).not.toContain('1.1.0');
    const file = await get('/maven2/com/acme/lib/1.1.0/lib-1.1.0.jar', auth);
    expect(file.statusCode).toBe(403);
    expect(file.headers['content-type']).toContain('application/json');
    await review({ ecosystem: 'maven', name: 'com.acme:lib', version: '1.1.0', action: 'release' });
    expect((await get('/maven2/com/acme/lib/maven-metadata.xml', auth)).body).toContain('<version>1.1.0</version>');
    expect((await get('/maven2/com/acme/lib/1.1.0/lib-1.1.0.jar', auth)).statusCode).toBe(200);
  });

  it('RubyGems: /info drops the version, /versions gets the line that tells Bundler, the .gem answers 403', async () => {
    for (const v of ['0.1.0', '0.2.0']) {
      const push = await r.app.inject({
        method: 'POST',
        url: '/rubygems/api/v1/gems',
        headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
        payload: makeGem('hello', v),
      });
      expect(push.statusCode).toBe(200);
    }
    await review({ ecosystem: 'rubygems', name: 'hello', version: '0.2.0', action: 'quarantine' });
    const info = (await get('/rubygems/info/hello')).body;
    expect(info).toContain('0.1.0 ');
    expect(info).not.toContain('0.2.0');
    const lastLine = async () => (await get('/rubygems/versions')).body.trim().split('\n').at(-1);
    expect(await lastLine()).toBe(`hello -0.2.0 ${md5(info)}`);
    expect((await get('/rubygems/gems/hello-0.2.0.gem')).statusCode).toBe(403);
    expect((await get('/rubygems/gems/hello-0.1.0.gem')).statusCode).toBe(200);

    await review({ ecosystem: 'rubygems', name: 'hello', version: '0.2.0', action: 'release' });
    const restored = (await get('/rubygems/info/hello')).body;
    expect(restored).toContain('0.2.0 ');
    expect(await lastLine()).toBe(`hello 0.2.0 ${md5(restored)}`);
  });

  it("the review queue names each flagged version's ecosystem; an unknown ecosystem or version is refused", async () => {
    expect((await twineUpload(r.app, makeWheel('demo-tool', '1.0'), 'demo-tool', '1.0', r.alice)).statusCode).toBe(200);
    r.db.prepare("UPDATE scan_results SET review_state = 'flagged' WHERE ecosystem = 'pypi'").run();
    const queue = (await get('/internal/security/reviews', internal)).json().flagged;
    expect(queue).toEqual([expect.objectContaining({ ecosystem: 'pypi', name: 'demo-tool', version: '1.0' })]);
    const bad = await review({ ecosystem: 'cargo', name: 'demo-tool', version: '1.0', action: 'quarantine' });
    expect(bad.statusCode).toBe(400);
    const missing = await review({ ecosystem: 'pypi', name: 'demo-tool', version: '9.9', action: 'quarantine' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'no scan of pypi package demo-tool 9.9', code: 'SCAN_NOT_FOUND' });
    expect((await get('/internal/security/reviews', internal)).json().flagged).toHaveLength(1);
  });
});
