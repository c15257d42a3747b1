// pypi.org's JSON API under the PyPI root (GET /pypi/<project>/json and /pypi/<project>/<version>/json) through
// buildApp + inject: the body's shape and the uploaded metadata in it, yanks, name normalisation, 404s, private
// projects and quarantined versions.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importOsv } from '../../registry/security/advisories.ts';
import { basic, makeSdist, makeWheel, twineUpload } from '../fixtures/pypi/pypi-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const HOST = 'registry.example:4873';
const BASE = `http://${HOST}/pypi`;

const NAME = 'Hello_World.Pkg';
const PROJECT = 'hello-world-pkg';
const DESCRIBED = [
  'Author: Ada Lovelace',
  'Author-email: ada@example.org',
  'Maintainer-email: Ops <ops@example.org>',
  'Home-page: https://example.org/hello',
  'Keywords: hello,world',
  'Description-Content-Type: text/markdown',
  'Classifier: Programming Language :: Python :: 3',
  'Classifier: License :: OSI Approved :: MIT License',
  'Project-URL: Source, https://git.example.org/hello',
  'Project-URL: Changelog, https://example.org/hello/changes',
  'Provides-Extra: speed',
];
const INFO_KEYS = [
  'author',
  'author_email',
  'bugtrack_url',
  'classifiers',
  'description',
  'description_content_type',
  'docs_url',
  'download_url',
  'downloads',
  'dynamic',
  'home_page',
  'keywords',
  'license',
  'license_expression',
  'license_files',
  'maintainer',
  'maintainer_email',
  'name',
  'package_url',
  'platform',
  'project_url',
  'project_urls',
  'provides_extra',
  'release_url',
  'requires_dist',
  'requires_python',
  'summary',
  'version',
  'yanked',
  'yanked_reason',
];

interface JsonFile {
  filename: string;
  url: string;
  yanked: boolean;
  yanked_reason: string | null;
  [key: string]: unknown;
}

describe('PyPI JSON API', () => {
  let r: Reg;
  const wheel = makeWheel(NAME, '1.0.0', {
    requiresPython: '>=3.8',
    license: 'MIT',
    requiresDist: ['requests>=2.28', 'ujson; extra == "speed"'],
    headers: DESCRIBED,
  });
  const sdist = makeSdist(NAME, '1.0.0', { requiresPython: '>=3.8', license: 'MIT', headers: DESCRIBED });
  const newer = makeWheel(NAME, '2.0.0');
  const pre = makeWheel(NAME, '2.1.0b1');
  beforeEach(async () => {
    r = await buildTestRegistry();
    for (const [dist, version] of [
      [wheel, '1.0.0'],
      [sdist, '1.0.0'],
      [newer, '2.0.0'],
      [pre, '2.1.0b1'],
    ] as const)
      expect((await twineUpload(r.app, dist, NAME, version, r.alice)).statusCode).toBe(200);
    const yank = await r.app.inject({
      method: 'POST',
      url: '/pypi/-/yank',
      headers: basic('alice', r.alice.token),
      payload: { project: NAME, version: '2.0.0', reason: 'broken build' },
    });
    expect(yank.statusCode).toBe(200);
  });
  afterEach(async () => r.app.close());
  const get = (url: string, headers: Record<string, string> = {}) =>
    r.app.inject({ method: 'GET', url, headers: { host: HOST, ...headers } });

  it('project form: info of the newest final release not yanked, with the metadata as uploaded, and every release', async () => {
    const res = await get(`/pypi/${PROJECT}/json`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json();
    expect(Object.keys(body)).toEqual(['info', 'last_serial', 'releases', 'urls', 'vulnerabilities']);
    expect(Object.keys(body.info).sort()).toEqual(INFO_KEYS);
    // 2.0.0 is yanked and 2.1.0b1 a pre-release: pypi.org shows 1.0.0.
    expect(body.info).toEqual({
      author: 'Ada Lovelace',
      author_email: 'ada@example.org',
      bugtrack_url: null,
      classifiers: ['Programming Language :: Python :: 3', 'License :: OSI Approved :: MIT License'],
      description: `# readme of ${NAME}\n`,
      description_content_type: 'text/markdown',
      docs_url: null,
      download_url: null,
      downloads: { last_day: -1, last_month: -1, last_week: -1 },
      dynamic: null,
      home_page: 'https://example.org/hello',
      keywords: 'hello,world',
      license: 'MIT',
      license_expression: null,
      license_files: null,
      maintainer: null,
      maintainer_email: 'Ops <ops@example.org>',
      name: NAME,
      package_url: `${BASE}/simple/${PROJECT}/`,
      platform: null,
      project_url: `${BASE}/simple/${PROJECT}/`,
      project_urls: { Source: 'https://git.example.org/hello', Changelog: 'https://example.org/hello/changes' },
      provides_extra: ['speed'],
      release_url: `${BASE}/${PROJECT}/1.0.0/json`,
      requires_dist: ['requests>=2.28', 'ujson; extra == "speed"'],
      requires_python: '>=3.8',
      summary: 'a test package',
      version: '1.0.0',
      yanked: false,
      yanked_reason: null,
    });
    expect(Number.isInteger(body.last_serial)).toBe(true);
    expect(res.headers['x-pypi-last-serial']).toBe(String(body.last_serial));
    expect(body.vulnerabilities).toEqual([]);
    expect(Object.keys(body.releases)).toEqual(['1.0.0', '2.0.0', '2.1.0b1']);
    expect(body.urls).toEqual(body.releases['1.0.0']);

    // Files of a release in filename order, as pypi.org lists them.
    const [sd, wh] = body.releases['1.0.0'] as JsonFile[];
    expect(wh).toEqual({
      comment_text: '',
      digests: { md5: md5(wheel.bytes), sha256: sha256(wheel.bytes) },
      downloads: -1,
      filename: wheel.filename,
      has_sig: false,
      md5_digest: md5(wheel.bytes),
      packagetype: 'bdist_wheel',
      python_version: 'py3',
      requires_python: '>=3.8',
      size: wheel.bytes.length,
      upload_time: '2026-11-26T10:00:00',
      upload_time_iso_8601: '2026-11-26T10:00:00.000Z',
      url: `${BASE}/files/${PROJECT}/${wheel.filename}`,
      yanked: false,
      yanked_reason: null,
    });
    expect(sd).toMatchObject({ filename: sdist.filename, packagetype: 'sdist', python_version: 'source', size: sdist.bytes.length });
    // The absolute URL is the simple page's link: it serves the advertised bytes.
    const file = await get(new URL(wh.url).pathname);
    expect(file.statusCode).toBe(200);
    expect(sha256(file.rawPayload)).toBe(sha256(wheel.bytes));

    // Yanked files stay listed, marked (PEP 592), as pypi.org lists them.
    expect(body.releases['2.0.0']).toEqual([
      expect.objectContaining({ filename: newer.filename, yanked: true, yanked_reason: 'broken build', requires_python: null }),
    ]);
    expect(body.releases['2.1.0b1'][0]).toMatchObject({ filename: pre.filename, yanked: false });
  });

  it('answers by caller: no shared cache keeps it, and it varies by credentials, as the simple pages', async () => {
    const res = await get(`/pypi/${PROJECT}/json`);
    expect(res.headers['cache-control']).toBe('max-age=60');
    expect(res.headers.vary).toBe('Authorization');
    const simple = await get(`/pypi/simple/${PROJECT}/`);
    expect(simple.headers['cache-control']).toBe(res.headers['cache-control']);
  });

  it('follows REGISTRY_PUBLIC_URL for file URLs when it is set', async () => {
    await r.app.close();
    r = await buildTestRegistry({ REGISTRY_PUBLIC_URL: 'https://pkgs.example.com/' });
    expect((await twineUpload(r.app, wheel, NAME, '1.0.0', r.alice)).statusCode).toBe(200);
    const body = (await get(`/pypi/${PROJECT}/json`)).json();
    expect(body.urls[0].url).toBe(`https://pkgs.example.com/pypi/files/${PROJECT}/${wheel.filename}`);
  });

  it('version form: that release only, without "releases", yanked marked in info and urls', async () => {
    const res = await get(`/pypi/${PROJECT}/2.0.0/json`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['info', 'last_serial', 'urls', 'vulnerabilities']);
    expect(body.info).toMatchObject({
      name: NAME,
      version: '2.0.0',
      yanked: true,
      yanked_reason: 'broken build',
      release_url: `${BASE}/${PROJECT}/2.0.0/json`,
      // 2.0.0 was uploaded without these: never invented, never taken from another release.
      author: null,
      classifiers: [],
      project_urls: null,
      requires_dist: null,
      requires_python: null,
      license: null,
      home_page: null,
    });
    expect(body.urls.map((f: JsonFile) => [f.filename, f.yanked, f.yanked_reason])).toEqual([[newer.filename, true, 'broken build']]);
    // A pre-release is found when asked for, and "2.0" is release 2.0.0 (PEP 440 equality).
    expect((await get(`/pypi/${PROJECT}/2.1.0b1/json`)).json().info.version).toBe('2.1.0b1');
    expect((await get(`/pypi/${PROJECT}/2.0/json`)).json().info.version).toBe('2.0.0');
  });

  it("lists the registry's advisories affecting the release shown, in pypi.org's shape", async () => {
    const advisory = {
      id: 'GHSA-hw00-0000-0001',
      modified: '2026-01-01T00:00:00Z',
      aliases: ['CVE-2026-0001'],
      summary: 'Path traversal in hello-world-pkg',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'Hello_World.Pkg' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
        },
      ],
      references: [{ type: 'ADVISORY', url: 'https://osv.dev/vulnerability/GHSA-hw00-0000-0001' }],
    };
    expect(importOsv(r.db, Buffer.from(JSON.stringify([advisory]))).skipped).toEqual([]);
    expect((await get(`/pypi/${PROJECT}/json`)).json().vulnerabilities).toEqual([
      {
        aliases: ['CVE-2026-0001'],
        details: 'Path traversal in hello-world-pkg',
        fixed_in: ['2.0.0'],
        id: 'GHSA-hw00-0000-0001',
        // The advisory's page as the scanner's reports link it (a GHSA id: GitHub's advisory database).
        link: 'https://github.com/advisories/GHSA-hw00-0000-0001',
        source: 'osv',
        summary: 'Path traversal in hello-world-pkg',
        withdrawn: null,
      },
    ]);
    // The fixed release has none.
    expect((await get(`/pypi/${PROJECT}/2.0.0/json`)).json().vulnerabilities).toEqual([]);
  });

  it('a yank changes the release shown and moves last_serial', async () => {
    const before = (await get(`/pypi/${PROJECT}/json`)).json();
    await r.app.inject({
      method: 'POST',
      url: '/pypi/-/unyank',
      headers: basic('alice', r.alice.token),
      payload: { project: NAME, version: '2.0.0' },
    });
    const after = (await get(`/pypi/${PROJECT}/json`)).json();
    expect(after.info.version).toBe('2.0.0');
    expect(after.last_serial).toBeGreaterThan(before.last_serial);
    expect(after.releases['2.0.0'][0].yanked).toBe(false);
  });

  it('301 to the normalised name, as pypi.org', async () => {
    const project = await get(`/pypi/${NAME}/json`);
    expect(project.statusCode).toBe(301);
    expect(project.headers.location).toBe(`../${PROJECT}/json`);
    const version = await get(`/pypi/${NAME}/1.0.0/json`);
    expect(version.statusCode).toBe(301);
    expect(version.headers.location).toBe(`../../${PROJECT}/1.0.0/json`);
  });

  it('301 from the URLs with a trailing slash to those without, as pypi.org', async () => {
    const project = await get(`/pypi/${PROJECT}/json/`);
    expect(project.statusCode).toBe(301);
    expect(new URL(project.headers.location as string, `http://${HOST}/pypi/${PROJECT}/json/`).pathname).toBe(`/pypi/${PROJECT}/json`);
    const version = await get(`/pypi/${NAME}/1.0.0/json/`);
    expect(version.statusCode).toBe(301);
    expect(new URL(version.headers.location as string, `http://${HOST}/pypi/${NAME}/1.0.0/json/`).pathname).toBe(
      `/pypi/${PROJECT}/1.0.0/json`,
    );
    expect((await get(`/pypi/${PROJECT}/1.0.0/json`)).statusCode).toBe(200);
  });

  it('404 with the error body for an unknown project or release', async () => {
    const project = await get('/pypi/no-such-project/json');
    expect(project.statusCode).toBe(404);
    expect(project.json()).toEqual({ error: 'no-such-project was not found', code: 'PACKAGE_NOT_FOUND' });
    const version = await get(`/pypi/${PROJECT}/9.9.9/json`);
    expect(version.statusCode).toBe(404);
    expect(version.json()).toEqual({ error: `${PROJECT} has no release 9.9.9`, code: 'VERSION_NOT_FOUND' });
  });
});

describe('PyPI JSON API: private projects and quarantined versions', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });

  it('a private project answers as its simple page: 401 challenge anonymous, 404 to a stranger, 200 to its maintainer', async () => {
    const wheel = makeWheel('secret-pkg', '1.0.0');
    expect((await twineUpload(r.app, wheel, 'secret-pkg', '1.0.0', r.alice)).statusCode).toBe(200);
    r.db.prepare("UPDATE packages SET access = 'restricted' WHERE ecosystem = 'pypi'").run();
    for (const url of ['/pypi/secret-pkg/json', '/pypi/secret-pkg/1.0.0/json']) {
      const anon = await get(url);
      expect(anon.statusCode).toBe(401);
      expect(anon.headers['www-authenticate']).toBe('Basic realm="pypi"');
      expect(anon.body).not.toContain(wheel.filename);
      const stranger = await get(url, basic('bob', r.bob.token));
      expect(stranger.statusCode).toBe(404);
      // The same answer as a name that does not exist.
      expect(stranger.json()).toEqual({ error: 'secret-pkg was not found', code: 'PACKAGE_NOT_FOUND' });
      const own = await get(url, basic('alice', r.alice.token));
      expect(own.statusCode).toBe(200);
      expect(own.json().urls[0].filename).toBe(wheel.filename);
      expect(own.headers['cache-control']).toBe('max-age=60');
      expect(own.headers.vary).toBe('Authorization');
    }
  });

  it("projects named like the root's own paths (simple, files) are reachable at their JSON URLs", async () => {
    for (const name of ['simple', 'files'])
      expect((await twineUpload(r.app, makeWheel(name, '1.0'), name, '1.0', r.alice)).statusCode).toBe(200);
    for (const name of ['simple', 'files']) {
      const project = await get(`/pypi/${name}/json`);
      expect(project.statusCode).toBe(200);
      expect(project.json().info).toMatchObject({ name, version: '1.0' });
      const version = await get(`/pypi/${name}/1.0/json`);
      expect(version.statusCode).toBe(200);
      expect(version.json().info).toMatchObject({ name, version: '1.0' });
    }
    // Without a project "simple", /pypi/simple/json stays the slash redirect to the simple page of "json".
    r.db.prepare("DELETE FROM packages WHERE ecosystem = 'pypi' AND name = 'simple'").run();
    const simple = await get('/pypi/simple/json');
    expect(simple.statusCode).toBe(301);
    expect(simple.headers.location).toBe('json/');
  });

  it('a quarantined version is left out until it is released', async () => {
    const wheels = ['1.0', '1.1'].map((v) => makeWheel('demo-tool', v));
    for (const [i, v] of ['1.0', '1.1'].entries())
      expect((await twineUpload(r.app, wheels[i], 'demo-tool', v, r.alice)).statusCode).toBe(200);
    const review = (action: string) =>
      r.app.inject({
        method: 'POST',
        url: '/internal/security/reviews',
        headers: { 'x-internal-token': testSecrets.internalToken },
        payload: { by: 'root', ecosystem: 'pypi', name: 'demo-tool', version: '1.1', action },
      });
    expect((await review('quarantine')).statusCode).toBe(200);
    const body = (await get('/pypi/demo-tool/json')).json();
    expect(body.info.version).toBe('1.0');
    expect(Object.keys(body.releases)).toEqual(['1.0']);
    expect(JSON.stringify(body)).not.toContain(wheels[1].filename);
    const hidden = await get('/pypi/demo-tool/1.1/json');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe('VERSION_NOT_FOUND');

    await review('release');
    expect(Object.keys((await get('/pypi/demo-tool/json')).json().releases)).toEqual(['1.0', '1.1']);
    expect((await get('/pypi/demo-tool/1.1/json')).statusCode).toBe(200);
  });
});
