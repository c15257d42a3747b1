// PyPI simple index (PEP 503 HTML, PEP 691 JSON), files, PEP 658/714 metadata and PEP 592 yank through
// buildApp + inject, for a normalised and a non-normalised project name.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeSdist, makeWheel, twineUpload } from '../fixtures/pypi/pypi-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

for (const name of ['simple-pkg', 'Hello_World.Pkg']) {
  const project = name.replace(/[-_.]+/g, '-').toLowerCase();
  describe(`PyPI simple index (${name})`, () => {
    let r: Reg;
    const wheel = makeWheel(name, '1.0.0', { requiresPython: '>=3.7' });
    const sdist = makeSdist(name, '1.0.0', { requiresPython: '>=3.7' });
    beforeEach(async () => {
      r = await buildTestRegistry();
      for (const dist of [wheel, sdist]) expect((await twineUpload(r.app, dist, name, '1.0.0', r.alice)).statusCode).toBe(200);
    });
    afterEach(async () => r.app.close());
    const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });

    it("serves PEP 691 JSON to pip's Accept header, with sha256, requires-python and core-metadata only", async () => {
      const res = await get(`/pypi/simple/${project}/`, { accept: PIP_ACCEPT });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.pypi.simple.v1+json; charset=utf-8');
      const body = res.json();
      expect(body.name).toBe(project);
      expect(body.versions).toEqual(['1.0.0']);
      expect(body.files).toHaveLength(2);
      const w = body.files.find((f: { filename: string }) => f.filename === wheel.filename);
      expect(w).toMatchObject({
        url: `../../files/${project}/${wheel.filename}`,
        hashes: { sha256: sha256(wheel.bytes) },
        'requires-python': '>=3.7',
        'core-metadata': { sha256: sha256(wheel.metadata) },
        yanked: false,
      });
      // Debian pip 23.0.1 crashes on the pre-PEP 714 key.
      expect(res.body).not.toContain('dist-info-metadata');
      const s = body.files.find((f: { filename: string }) => f.filename === sdist.filename);
      expect(s['core-metadata']).toBeUndefined();
    });

    it('serves PEP 503 HTML by default, escaped, with data-core-metadata and never data-dist-info-metadata', async () => {
      const res = await get(`/pypi/simple/${project}/`, { accept: 'text/html' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain(
        `<a href="../../files/${project}/${wheel.filename}#sha256=${sha256(wheel.bytes)}" data-requires-python="&gt;=3.7" data-core-metadata="sha256=${sha256(wheel.metadata)}">${wheel.filename}</a>`,
      );
      expect(res.body).toContain('<meta name="pypi:repository-version"');
      expect(res.body).not.toContain('data-dist-info-metadata');
    });

    it('redirects a non-normalised project URL (PEP 503) and 404s an unknown project', async () => {
      const res = await get(`/pypi/simple/${project.toUpperCase().replace(/-/g, '_')}/`);
      expect(res.statusCode).toBe(301);
      expect(res.headers.location).toBe(`../${project}/`);
      expect((await get('/pypi/simple/no-such-project/')).statusCode).toBe(404);
      const root = await get('/pypi/simple/', { accept: PIP_ACCEPT });
      expect(root.json().projects).toEqual([{ name: project }]);
    });

    it('serves the files and the wheel METADATA with the advertised hashes, as downloads', async () => {
      const file = await get(`/pypi/files/${project}/${wheel.filename}`);
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-type']).toBe('application/octet-stream');
      expect(file.headers['content-disposition']).toBe(`attachment; filename="${wheel.filename}"`);
      expect(sha256(file.rawPayload)).toBe(sha256(wheel.bytes));
      const meta = await get(`/pypi/files/${project}/${wheel.filename}.metadata`);
      expect(meta.statusCode).toBe(200);
      expect(meta.body).toBe(wheel.metadata);
      expect((await get(`/pypi/files/${project}/${sdist.filename}.metadata`)).statusCode).toBe(404);
      expect((await get(`/pypi/files/${project}/..%2F..%2Fetc%2Fpasswd`)).statusCode).toBe(404);
      // Counted in memory and written once a second (issue #11); the internal details write pending counts first.
      const details = await get(`/internal/packages/${project}?ecosystem=pypi`, { 'x-internal-token': testSecrets.internalToken });
      expect(details.json().downloads).toBe(1);
      expect(r.db.prepare("SELECT downloads FROM packages WHERE ecosystem = 'pypi'").get()).toEqual({ downloads: 1 });
    });

    it('a yanked release is no longer latest (details, search): the newest release left is; unyank restores it', async () => {
      expect((await twineUpload(r.app, makeWheel(name, '2.0.0'), name, '2.0.0', r.alice)).statusCode).toBe(200);
      const latest = () =>
        r.db
          .prepare(
            "SELECT t.version FROM dist_tags t JOIN packages p ON p.id = t.package_id WHERE p.ecosystem = 'pypi' AND t.tag = 'latest'",
          )
          .pluck()
          .get();
      const yank = (path: string, version: string) =>
        r.app.inject({ method: 'POST', url: path, headers: basic('alice', r.alice.token), payload: { project: name, version } });
      expect(latest()).toBe('2.0.0');
      expect((await yank('/pypi/-/yank', '2.0.0')).statusCode).toBe(200);
      expect(latest()).toBe('1.0.0');
      const details = await get(`/internal/packages/${project}?ecosystem=pypi`, { 'x-internal-token': testSecrets.internalToken });
      expect(details.json().distTags.latest).toBe('1.0.0');
      // Every release yanked: latest stays on the last one left.
      expect((await yank('/pypi/-/yank', '1.0.0')).statusCode).toBe(200);
      expect(latest()).toBe('1.0.0');
      expect((await yank('/pypi/-/unyank', '2.0.0')).statusCode).toBe(200);
      expect(latest()).toBe('2.0.0');
    });

    it('yank marks every file of the release (PEP 592); unyank clears it; only maintainers may', async () => {
      const yank = (user: { token: string; username?: string }, path = '/pypi/-/yank') =>
        r.app.inject({
          method: 'POST',
          url: path,
          headers: basic(user.username ?? 'alice', user.token),
          payload: { project: name, version: '1.0.0', reason: 'broken build' },
        });
      const denied = await yank({ ...r.bob, username: 'bob' });
      expect(denied.statusCode).toBe(403);
      expect((await yank(r.alice)).json()).toEqual({ project, version: '1.0.0', yanked: true, reason: 'broken build' });
      const json = (await get(`/pypi/simple/${project}/`, { accept: PIP_ACCEPT })).json();
      expect(json.files.map((f: { yanked: unknown }) => f.yanked)).toEqual(['broken build', 'broken build']);
      expect((await get(`/pypi/simple/${project}/`)).body).toContain('data-yanked="broken build"');
      await yank(r.alice, '/pypi/-/unyank');
      const after = (await get(`/pypi/simple/${project}/`, { accept: PIP_ACCEPT })).json();
      expect(after.files.map((f: { yanked: unknown }) => f.yanked)).toEqual([false, false]);
    });
  });
}

describe('PyPI private project', () => {
  it('anonymous reads get 401 with a Basic challenge; the maintainer reads; others get 404', async () => {
    const r = await buildTestRegistry();
    try {
      const wheel = makeWheel('secret-pkg', '1.0.0');
      expect((await twineUpload(r.app, wheel, 'secret-pkg', '1.0.0', r.alice)).statusCode).toBe(200);
      r.db.prepare("UPDATE packages SET access = 'restricted' WHERE ecosystem = 'pypi'").run();
      const anon = await r.app.inject({ method: 'GET', url: '/pypi/simple/secret-pkg/' });
      expect(anon.statusCode).toBe(401);
      expect(anon.headers['www-authenticate']).toBe('Basic realm="pypi"');
      const own = await r.app.inject({ method: 'GET', url: '/pypi/simple/secret-pkg/', headers: basic('alice', r.alice.token) });
      expect(own.statusCode).toBe(200);
      const other = await r.app.inject({
        method: 'GET',
        url: `/pypi/files/secret-pkg/${wheel.filename}`,
        headers: basic('bob', r.bob.token),
      });
      expect(other.statusCode).toBe(404);
      const root = await r.app.inject({ method: 'GET', url: '/pypi/simple/', headers: { accept: PIP_ACCEPT } });
      expect(root.json().projects).toEqual([]);
    } finally {
      await r.app.close();
    }
  });
});
