// A QA pass as users of npmjs.com, pypi.org, Maven Central and rubygems.org would make it, through buildApp + inject:
// - PyPI: PEP 440-equal versions share one release, local versions are refused as pypi.org refuses them, index pages
//   and the JSON API answer If-None-Match with 304, a yank of a non-version is a 404 (not a 500);
// - every ecosystem's files answer If-None-Match with 304; the legacy gem indexes vary by caller; a gem version's
//   second spelling (1.0.0.0 beside 1.0.0) is refused;
// - a read-only token writes nothing (Maven checksum and metadata PUTs, npm star, PyPI yank, /-/access);
// - Maven coordinates and groups that differ only in letter case are one artifact and one group;
// - starredByUser lists no package the caller may not read; a plain member of the org owning a package (npm, PyPI,
//   Maven, RubyGems) cannot make it public, nor give it away;
// - gem owner lists, adds and removes a gem's owners, under the same rules;
// - npm reads accept the legacy names npm still installs (JSONStream), so the uplink serves them.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeSdist, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { addUser, bearer, buildTestRegistry, docPath, makeTgz, publishBody, type TestUser } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const json = { 'content-type': 'application/json' };
const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
const rows = (r: Reg, sql: string, ...args: unknown[]) => r.db.prepare(sql).all(...args);

let r: Reg;
beforeEach(async () => {
  r = await buildTestRegistry();
});
afterEach(async () => r.app.close());

const pypiUpload = (dist: { filename: string; bytes: Buffer }, name: string, version: string, auth = basic('alice', r.alice.token)) => {
  const f = uploadForm(dist, name, version);
  return r.app.inject({ method: 'POST', url: '/pypi/legacy/', headers: { ...f.headers, ...auth }, payload: f.payload });
};
const yank = (body: unknown, token = r.alice.token) =>
  r.app.inject({ method: 'POST', url: '/pypi/-/yank', headers: { ...basic('alice', token), ...json }, payload: JSON.stringify(body) });

for (const name of ['qa-dist', 'QA_Dist.Kit']) {
  const project = name.replace(/[-_.]+/g, '-').toLowerCase();
  describe(`PyPI (${name})`, () => {
    it('files of PEP 440-equal versions ("1.0", "1.0.0") join one release, as on pypi.org', async () => {
      expect((await pypiUpload(makeSdist(name, '1.0'), name, '1.0')).statusCode).toBe(200);
      expect((await pypiUpload(makeWheel(name, '1.0.0'), name, '1.0.0')).statusCode).toBe(200);
      // Without the fix the wheel made a second version row "1.0.0", listed beside "1.0" in the index.
      expect(rows(r, 'SELECT v.version FROM package_versions v JOIN packages p ON p.id = v.package_id WHERE p.name = ?', project)).toEqual([
        { version: '1.0' },
      ]);
      const page = await r.app.inject({ url: `/pypi/simple/${project}/`, headers: { accept: SIMPLE_JSON } });
      expect(page.json().versions).toEqual(['1.0']);
      expect(page.json().files).toHaveLength(2);
      const release = await r.app.inject({ url: `/pypi/${project}/1.0.0/json` });
      expect(
        release
          .json()
          .urls.map((u: { filename: string }) => u.filename)
          .sort(),
      ).toEqual([makeSdist(name, '1.0').filename, makeWheel(name, '1.0.0').filename].sort());
      // One release, one event.
      expect(rows(r, "SELECT count(*) AS n FROM outbox WHERE type = 'package.published'")).toEqual([{ n: 1 }]);
    });

    it('index pages and the JSON API carry an ETag of their bytes: If-None-Match answers 304 until an upload changes them', async () => {
      await pypiUpload(makeWheel(name, '1.0.0'), name, '1.0.0');
      const pages: [string, Record<string, string>][] = [
        [`/pypi/simple/${project}/`, {}],
        [`/pypi/simple/${project}/`, { accept: SIMPLE_JSON }],
        ['/pypi/simple/', { accept: SIMPLE_JSON }],
        [`/pypi/${project}/json`, {}],
      ];
      const etags: string[] = [];
      for (const [url, headers] of pages) {
        const first = await r.app.inject({ url, headers });
        const etag = String(first.headers.etag);
        expect(etag, url).toMatch(/^"[\w-]{43}"$/);
        etags.push(etag);
        const again = await r.app.inject({ url, headers: { ...headers, 'if-none-match': etag } });
        expect([again.statusCode, again.body], url).toEqual([304, '']);
      }
      // The HTML and JSON forms of one page are different representations.
      expect(etags[0]).not.toBe(etags[1]);
      await pypiUpload(makeWheel(name, '2.0.0'), name, '2.0.0');
      const changed = await r.app.inject({ url: `/pypi/simple/${project}/`, headers: { 'if-none-match': etags[0] } });
      expect([changed.statusCode, changed.body]).toEqual([200, expect.stringContaining('2.0.0')]);
    });

    it('a local version ("1.0+ubuntu1") is refused with Warehouse\'s reason phrase; nothing is stored', async () => {
      const res = await pypiUpload(makeWheel(name, '1.0+ubuntu1'), name, '1.0+ubuntu1');
      expect([res.statusCode, res.raw.res.statusMessage]).toEqual([400, "Can't use PEP 440 local versions."]);
      expect(rows(r, 'SELECT count(*) AS n FROM packages')).toEqual([{ n: 0 }]);
      expect(rows(r, 'SELECT count(*) AS n FROM blobs')).toEqual([{ n: 0 }]);
    });

    it('yank: a version that is no PEP 440 version is a 404 (was a 500); a read-only token is refused as such', async () => {
      await pypiUpload(makeWheel(name, '1.0.0'), name, '1.0.0');
      const bad = await yank({ project: name, version: 'not a version' });
      expect([bad.statusCode, bad.json()]).toEqual([404, { error: `${project} has no release not a version`, code: 'VERSION_NOT_FOUND' }]);
      const ro = await yank({ project: name, version: '1.0.0' }, r.alice.readonlyToken);
      expect([ro.statusCode, ro.json().code]).toEqual([403, 'TOKEN_READONLY']);
      expect(rows(r, 'SELECT yanked FROM artifact_files')).toEqual([{ yanked: null }]);
    });

    it('a wheel answers If-None-Match with its ETag by 304 and no body; another ETag gets the bytes', async () => {
      const wheel = makeWheel(name, '1.0.0');
      await pypiUpload(wheel, name, '1.0.0');
      const url = `/pypi/files/${project}/${wheel.filename}`;
      const first = await r.app.inject({ url });
      expect(first.headers.etag).toBe(`"${createHash('sha256').update(wheel.bytes).digest('hex')}"`);
      const again = await r.app.inject({ url, headers: { 'if-none-match': String(first.headers.etag) } });
      expect([again.statusCode, again.rawPayload.length]).toEqual([304, 0]);
      const other = await r.app.inject({ url, headers: { 'if-none-match': '"0000"' } });
      expect([other.statusCode, other.rawPayload.equals(wheel.bytes)]).toEqual([200, true]);
    });
  });
}

for (const name of ['qa_gem', 'qa-gem-kit']) {
  describe(`RubyGems (${name})`, () => {
    const push = (gem: Buffer) =>
      r.app.inject({
        method: 'POST',
        url: '/rubygems/api/v1/gems',
        headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
        payload: gem,
      });

    it('a .gem answers If-None-Match with its ETag by 304', async () => {
      const gem = makeGem(name, '1.0.0');
      expect((await push(gem)).statusCode).toBe(200);
      const url = `/rubygems/gems/${name}-1.0.0.gem`;
      const etag = String((await r.app.inject({ url })).headers.etag);
      expect(etag).toBe(`"${createHash('sha256').update(gem).digest('hex')}"`);
      const again = await r.app.inject({ url, headers: { 'if-none-match': etag } });
      expect([again.statusCode, again.rawPayload.length]).toEqual([304, 0]);
    });

    it('a second spelling of a pushed version (1.0.0.0 beside 1.0.0) is refused, yanked or not, as rubygems.org refuses it', async () => {
      expect((await push(makeGem(name, '1.0.0'))).statusCode).toBe(200);
      const yank = await r.app.inject({
        method: 'DELETE',
        url: '/rubygems/api/v1/gems/yank',
        headers: { authorization: r.alice.token },
        payload: `gem_name=${name}&version=1.0.0`,
      });
      expect(yank.statusCode).toBe(200);
      const twin = await push(makeGem(name, '1.0.0.0'));
      expect([twin.statusCode, twin.body]).toEqual([409, 'Canonical number has already been taken. Existing version: 1.0.0\n']);
      // Another platform is another gem file: its 1.0.0.0 stands alone.
      expect((await push(makeGem(name, '1.0.0.0', { platform: 'java' }))).statusCode).toBe(200);
      expect(rows(r, "SELECT version FROM artifact_files WHERE ecosystem = 'rubygems' ORDER BY rowid")).toEqual([
        { version: '1.0.0' },
        { version: '1.0.0.0' },
      ]);
    });

    it('the legacy specs indexes, which list the caller private gems, are per caller: never public, Vary: Authorization', async () => {
      await push(makeGem(name, '1.0.0'));
      for (const file of ['specs.4.8.gz', 'latest_specs.4.8.gz', 'prerelease_specs.4.8.gz']) {
        const res = await r.app.inject({ url: `/rubygems/${file}` });
        expect([res.statusCode, res.headers['cache-control'], res.headers.vary], file).toEqual([200, 'max-age=60', 'Authorization']);
      }
    });
  });
}

describe('gem owner', () => {
  const name = 'owned_gem';
  const request = (method: 'GET' | 'POST' | 'DELETE', url: string, key?: string, form?: string) =>
    r.app.inject({
      method,
      url: `/rubygems${url}`,
      headers: { ...(key && { authorization: key }), ...(form && { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(form && { payload: form }),
    });
  const pushAs = (key: string, version: string) =>
    r.app.inject({ method: 'POST', url: '/rubygems/api/v1/gems', headers: { authorization: key }, payload: makeGem(name, version) });
  const owners = () =>
    rows(r, 'SELECT m.username FROM package_maintainers m JOIN packages p ON p.id = m.package_id WHERE p.name = ?', name);

  it('lists owners as gem reads them (YAML), with addresses only for those who manage the gem', async () => {
    expect((await pushAs(r.alice.token, '1.0.0')).statusCode).toBe(200);
    const anon = await request('GET', `/api/v1/gems/${name}/owners.yaml`);
    expect([anon.statusCode, anon.headers['content-type'], anon.body]).toEqual([
      200,
      'text/yaml; charset=utf-8',
      '---\n- handle: "alice"\n',
    ]);
    const own = await request('GET', `/api/v1/gems/${name}/owners.json`, r.alice.token);
    expect(own.json()).toEqual([{ handle: 'alice', email: 'alice@example.test' }]);
    expect((await request('GET', `/api/v1/gems/${name}/owners.json`, r.bob.token)).json()).toEqual([{ handle: 'alice' }]);
    expect((await request('GET', '/api/v1/gems/no_such_gem/owners.yaml')).statusCode).toBe(404);
  });

  it('an owner adds and removes owners by e-mail or handle; others, read-only tokens and user accounts are refused', async () => {
    await pushAs(r.alice.token, '1.0.0');
    const add = (key: string, who: string) => request('POST', `/api/v1/gems/${name}/owners`, key, `email=${encodeURIComponent(who)}`);
    const refused: [string, string, number, string][] = [
      [r.bob.token, 'bob@example.test', 403, 'You do not have permission to manage the owners of this gem.\n'],
      [
        r.alice.readonlyToken,
        'bob@example.test',
        403,
        'this token is read-only: use a read-write token to change owners (npm token create makes one, as does the dashboard)\n',
      ],
      [r.alice.token, 'nobody@example.test', 404, 'Owner could not be found.\n'],
    ];
    for (const [key, who, status, body] of refused) {
      const res = await add(key, who);
      expect([res.statusCode, res.body], who).toEqual([status, body]);
    }
    const plain = addUser(r.identity, 'plainuser', 'user');
    expect((await add(r.alice.token, plain.username)).statusCode).toBe(403);
    expect(owners()).toEqual([{ username: 'alice' }]);
    // bob cannot push until he is an owner.
    expect((await pushAs(r.bob.token, '1.1.0')).statusCode).toBe(403);
    const added = await add(r.alice.token, 'BOB@example.test');
    expect([added.statusCode, added.body]).toEqual([200, 'Owner added successfully.']);
    expect((await pushAs(r.bob.token, '1.1.0')).statusCode).toBe(200);
    const removed = await request('DELETE', `/api/v1/gems/${name}/owners`, r.bob.token, 'email=alice');
    expect([removed.statusCode, removed.body]).toEqual([200, 'Owner removed successfully.']);
    const last = await request('DELETE', `/api/v1/gems/${name}/owners`, r.bob.token, 'email=bob');
    expect([last.statusCode, last.body]).toEqual([403, 'Unable to remove owner: a gem keeps at least one owner.\n']);
    expect(owners()).toEqual([{ username: 'bob' }]);
    const audit = rows(r, "SELECT payload FROM outbox WHERE type = 'audit.entry'").map(
      (e) => JSON.parse((e as { payload: string }).payload).data,
    );
    expect(audit.filter((d) => d.action === 'package.owner.set').map((d) => d.details.owners)).toEqual([['alice', 'bob'], ['bob']]);
  });

  it('a private gem: anonymous callers get the challenge, other users the 404 of a missing gem, for the list and changes', async () => {
    await pushAs(r.alice.token, '1.0.0');
    const restrict = await r.app.inject({
      method: 'POST',
      url: '/rubygems/-/access',
      headers: { ...basic('alice', r.alice.token), ...json },
      payload: JSON.stringify({ name, access: 'restricted' }),
    });
    expect(restrict.statusCode).toBe(200);
    const anon = await request('GET', `/api/v1/gems/${name}/owners.yaml`);
    expect([anon.statusCode, anon.headers['www-authenticate']]).toEqual([401, 'Basic realm="rubygems"']);
    expect((await request('GET', `/api/v1/gems/${name}/owners.yaml`, r.bob.token)).statusCode).toBe(404);
    const change = await request('POST', `/api/v1/gems/${name}/owners`, r.bob.token, 'email=bob');
    expect([change.statusCode, change.body]).toEqual([404, 'This rubygem could not be found.\n']);
  });
});

for (const groupId of ['com.qa', 'org.qa.tools']) {
  const base = `/maven2/${groupId.replace(/\./g, '/')}/qa-lib`;
  describe(`Maven (${groupId})`, () => {
    const jar = Buffer.from(
      zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\n') }, { mtime: '2026-01-01T00:00:00Z' }),
    );
    const put = (path: string, body: Buffer | string, token = r.alice.token, who: TestUser = r.alice) =>
      r.app.inject({ method: 'PUT', url: path, headers: basic(who.username, token), payload: Buffer.from(body) });
    const jarUrl = `${base}/1.0.0/qa-lib-1.0.0.jar`;

    it('a read-only token cannot withdraw a fresh artifact by a wrong checksum, nor confirm it, nor PUT metadata', async () => {
      expect((await put(jarUrl, jar)).statusCode).toBe(201);
      // Before the fix this 400 also withdrew the jar: a read-only token deleted an artifact.
      const wrong = await put(`${jarUrl}.sha1`, 'deadbeef', r.alice.readonlyToken);
      expect([wrong.statusCode, wrong.json().code]).toEqual([403, 'TOKEN_READONLY']);
      const right = await put(`${jarUrl}.sha1`, createHash('sha1').update(jar).digest('hex'), r.alice.readonlyToken);
      expect(right.statusCode).toBe(403);
      expect((await put(`${base}/maven-metadata.xml`, '<metadata/>', r.alice.readonlyToken)).statusCode).toBe(403);
      const served = await r.app.inject({ url: jarUrl, headers: basic('alice', r.alice.token) });
      expect([served.statusCode, served.rawPayload.equals(jar)]).toEqual([200, true]);
      expect(rows(r, 'SELECT meta FROM artifact_files').map((m) => JSON.parse((m as { meta: string }).meta).confirmed)).toEqual([
        undefined,
      ]);
      // The deployer's read-write token still confirms it.
      expect((await put(`${jarUrl}.sha1`, createHash('sha1').update(jar).digest('hex'))).statusCode).toBe(201);
    });

    it('coordinates differing only in letter case are one artifact and one group (a local repository on macOS or Windows cannot tell them apart)', async () => {
      expect((await put(jarUrl, jar)).statusCode).toBe(201);
      const upper = groupId.toUpperCase().replace(/\./g, '/');
      // bob may not claim the group in another case, for a new artifact nor for alice's coordinates.
      for (const url of [`/maven2/${upper}/evil-lib/1.0.0/evil-lib-1.0.0.jar`, `/maven2/${upper}/qa-lib/1.0.0/qa-lib-1.0.0.jar`]) {
        const res = await put(url, jar, r.bob.token, r.bob);
        expect([res.statusCode, res.json().code], url).toEqual([403, 'GROUP_NOT_OWNED']);
        expect(res.json().error, url).toContain(`the groupId ${groupId} belongs to the maintainers of its artifacts`);
      }
      // Not even the owner makes a second artifact of the same coordinates in another case.
      const variant = await put(`/maven2/${upper}/QA-LIB/1.0.0/QA-LIB-1.0.0.jar`, jar);
      expect([variant.statusCode, variant.json()]).toEqual([
        409,
        {
          error: `${groupId.toUpperCase()}:QA-LIB differs from the existing artifact ${groupId}:qa-lib only in letter case, which Maven's local repository cannot tell apart on macOS and Windows: deploy to ${groupId}:qa-lib`,
          code: 'NAME_TAKEN',
        },
      ]);
      expect(rows(r, "SELECT name FROM packages WHERE ecosystem = 'maven'")).toEqual([{ name: `${groupId}:qa-lib` }]);
      // Another artifact of the group in its own case is still the owner's to add.
      expect((await put(`${base.replace('qa-lib', 'qa-extra')}/1.0.0/qa-extra-1.0.0.jar`, jar)).statusCode).toBe(201);
    });

    it('a jar answers If-None-Match with its ETag by 304', async () => {
      await put(jarUrl, jar);
      const etag = String((await r.app.inject({ url: jarUrl })).headers.etag);
      expect(etag).toBe(`"${createHash('sha1').update(jar).digest('hex')}"`);
      const again = await r.app.inject({ url: jarUrl, headers: { 'if-none-match': etag } });
      expect([again.statusCode, again.rawPayload.length]).toEqual([304, 0]);
    });
  });
}

describe('npm names of old packages, through the uplink', () => {
  // JSONStream is one of the packages npm still installs though a new package may no longer be named so (upper case).
  const tarball = makeTgz([{ path: 'package/package.json', content: '{"name":"JSONStream","version":"1.3.5"}' }]);
  const upstreamDoc = {
    name: 'JSONStream',
    'dist-tags': { latest: '1.3.5' },
    versions: {
      '1.3.5': {
        name: 'JSONStream',
        version: '1.3.5',
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          tarball: 'https://registry.example/JSONStream/-/JSONStream-1.3.5.tgz',
        },
      },
    },
  };
  const upstream = http.createServer((req, res) => {
    if (req.url === '/JSONStream') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(upstreamDoc));
    if (req.url === '/JSONStream/-/JSONStream-1.3.5.tgz') return res.writeHead(200).end(tarball);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  beforeAll(() => new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done)));
  afterAll(() => new Promise<void>((done) => upstream.close(() => done())));

  it('a legacy upper-case name is read from the uplink (was refused 400 before the lookup); publishing one stays refused', async () => {
    const reg = await buildTestRegistry({ UPLINK_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/` });
    try {
      const doc = await reg.app.inject({ url: '/npm/JSONStream' });
      expect([doc.statusCode, doc.json().versions['1.3.5'].dist.tarball]).toEqual([
        200,
        'http://localhost:80/npm/JSONStream/-/JSONStream-1.3.5.tgz',
      ]);
      const file = await reg.app.inject({ url: '/npm/JSONStream/-/JSONStream-1.3.5.tgz' });
      expect([file.statusCode, file.rawPayload.equals(tarball)]).toEqual([200, true]);
      const publish = await reg.app.inject({
        method: 'PUT',
        url: '/npm/JSONStream',
        headers: { ...bearer(reg.alice), ...json },
        payload: JSON.stringify(publishBody('JSONStream', '9.0.0')),
      });
      expect([publish.statusCode, publish.json().code]).toEqual([400, 'INVALID_PACKAGE_NAME']);
    } finally {
      await reg.app.close();
    }
  });
});

describe('npm stars', () => {
  const put = (url: string, body: unknown, token: string) =>
    r.app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${token}`, ...json }, payload: JSON.stringify(body) });
  const starredBy = (user: string, headers: Record<string, string> = {}) =>
    r.app.inject({ url: `/npm/-/_view/starredByUser?key=%22${user}%22`, headers });

  it("starredByUser lists a restricted package only to those who may read it, not to anyone who asks for a member's stars", async () => {
    const secret = '@acme/qa-secret';
    expect((await put(docPath(secret), publishBody(secret, '1.0.0', { access: 'restricted' }), r.alice.token)).statusCode).toBe(201);
    expect((await put(docPath('qa-open'), publishBody('qa-open', '1.0.0'), r.alice.token)).statusCode).toBe(201);
    for (const name of [secret, 'qa-open'])
      expect((await put(docPath(name), { _id: name, users: { alice: true } }, r.alice.token)).statusCode).toBe(200);
    const open = { rows: [{ value: 'qa-open' }] };
    expect((await starredBy('alice')).json()).toEqual(open);
    expect((await starredBy('alice', bearer(r.bob))).json()).toEqual(open);
    expect((await starredBy('alice', bearer(r.alice))).json()).toEqual({ rows: [{ value: secret }, { value: 'qa-open' }] });
  });

  it('a plain member of the org publishes to @acme but may not change its visibility; an admin of the org may', async () => {
    const name = '@acme/qa-visible';
    const carol = addUser(r.identity, 'carol');
    const dave = addUser(r.identity, 'dave');
    for (const [u, role] of [
      [carol, 'member'],
      [dave, 'admin'],
    ] as const)
      r.identity.prepare("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ('org-acme', ?, ?, 'now')").run(u.id, role);
    expect((await put(docPath(name), publishBody(name, '1.0.0', { access: 'restricted' }), r.alice.token)).statusCode).toBe(201);
    expect((await put(docPath(name), publishBody(name, '1.1.0'), carol.token)).statusCode).toBe(201);
    const setAccess = (u: TestUser, access: string) =>
      r.app.inject({
        method: 'POST',
        url: `/npm/-/package/${name.replace('/', '%2f')}/access`,
        headers: { ...bearer(u), ...json },
        payload: JSON.stringify({ access }),
      });
    const member = await setAccess(carol, 'public');
    expect([member.statusCode, member.json()]).toEqual([
      403,
      {
        error: `carol may not change the visibility of ${name}: ask one of its maintainers or an owner or admin of @acme`,
        code: 'NOT_MAINTAINER',
      },
    ]);
    expect(rows(r, 'SELECT access FROM packages WHERE name = ?', name)).toEqual([{ access: 'restricted' }]);
    expect((await setAccess(dave, 'public')).statusCode).toBe(200);
    expect(rows(r, 'SELECT access FROM packages WHERE name = ?', name)).toEqual([{ access: 'public' }]);
  });

  for (const name of ['qa-star', '@acme/qa-star']) {
    it(`a read-only token cannot star or unstar (${name})`, async () => {
      await put(docPath(name), publishBody(name, '1.0.0'), r.alice.token);
      const res = await put(docPath(name), { _id: name, users: { alice: true } }, r.alice.readonlyToken);
      expect([res.statusCode, res.json().code]).toEqual([403, 'TOKEN_READONLY']);
      expect(rows(r, 'SELECT username FROM stars')).toEqual([]);
    });
  }
});

describe('visibility and owning org of PyPI, Maven and RubyGems packages', () => {
  const jar = Buffer.from(
    zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\n') }, { mtime: '2026-01-01T00:00:00Z' }),
  );
  const PACKAGES: [string, string, (u: TestUser) => Promise<number>][] = [
    [
      '/pypi',
      'org-dist',
      async (u) => (await pypiUpload(makeWheel('org-dist', '1.0.0'), 'org-dist', '1.0.0', basic(u.username, u.token))).statusCode,
    ],
    [
      '/maven2',
      'com.acme:org-lib',
      async (u) =>
        (
          await r.app.inject({
            method: 'PUT',
            url: '/maven2/com/acme/org-lib/1.0.0/org-lib-1.0.0.jar',
            headers: basic(u.username, u.token),
            payload: jar,
          })
        ).statusCode,
    ],
    [
      '/rubygems',
      'org_gem',
      async (u) =>
        (
          await r.app.inject({
            method: 'POST',
            url: '/rubygems/api/v1/gems',
            headers: { authorization: u.token, 'content-type': 'application/octet-stream' },
            payload: makeGem('org_gem', '1.0.0'),
          })
        ).statusCode,
    ],
  ];
  const setAccess = (prefix: string, body: Record<string, unknown>, u: TestUser, token = u.token) =>
    r.app.inject({ method: 'POST', url: `${prefix}/-/access`, headers: { ...basic(u.username, token), ...json }, payload: body });
  const stored = (name: string) => r.db.prepare('SELECT scope, access FROM packages WHERE name = ?').get(name);
  const member = (org: string, u: TestUser, role: string) =>
    r.identity
      .prepare('INSERT INTO org_members (org_id, user_id, role, created_at) SELECT id, ?, ?, ? FROM orgs WHERE name = ?')
      .run(u.id, role, 'now', org);

  for (const [prefix, name, publish] of PACKAGES) {
    it(`a plain member of the owning org publishes but may not give the package away or expose it (${prefix})`, async () => {
      const carol = addUser(r.identity, 'carol');
      const dave = addUser(r.identity, 'dave');
      member('acme', carol, 'member');
      member('acme', dave, 'admin');
      // carol also owns an org of her own, where she would like the package to be.
      r.identity
        .prepare("INSERT INTO orgs (id, name, plan_id, created_by, created_at) VALUES ('org-carols', 'carols', 'team', ?, 'now')")
        .run(carol.id);
      member('carols', carol, 'owner');
      expect(await publish(r.alice)).toBeLessThan(300);
      expect((await setAccess(prefix, { name, access: 'restricted', org: 'acme' }, r.alice)).statusCode).toBe(200);
      for (const body of [
        { name, org: 'carols' },
        { name, org: null },
        { name, access: 'public' },
      ]) {
        const res = await setAccess(prefix, body, carol);
        expect([res.statusCode, res.body], JSON.stringify(body)).toEqual([
          403,
          expect.stringContaining('carol may not change the visibility or the org'),
        ]);
      }
      expect(stored(name)).toEqual({ scope: 'acme', access: 'restricted' });
      const ro = await setAccess(prefix, { name, access: 'public' }, r.alice, r.alice.readonlyToken);
      // RubyGems answers refusals as text (gem prints the body), the others as the JSON error body.
      expect([ro.statusCode, ro.body]).toEqual([403, expect.stringContaining('this token is read-only')]);
      // An admin of the org manages its packages; the maintainer keeps every right.
      expect((await setAccess(prefix, { name, access: 'public' }, dave)).statusCode).toBe(200);
      expect((await setAccess(prefix, { name, org: null }, r.alice)).statusCode).toBe(200);
      expect(stored(name)).toEqual({ scope: null, access: 'public' });
    });
  }
});
