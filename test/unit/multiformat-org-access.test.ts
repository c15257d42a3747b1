// Org packages of PyPI, Maven and RubyGems follow npm's rules (registry/multiformat/access.ts over
// registry/npm/access-rules.ts): a private package given to an org is read by every org member (index, files,
// metadata, specs), not by other users (404, and absent from the listings), and anonymous readers get the
// 401 + Basic challenge pip, Maven, gem and bundler answer with credentials. Members may publish new versions.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { addUser, buildTestRegistry, type TestUser } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const jar = (text: string) =>
  Buffer.from(
    zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) }, { mtime: '2026-01-01T00:00:00Z' }),
  );
const pom = (v: string) =>
  `<project><modelVersion>4.0.0</modelVersion><groupId>com.acme</groupId><artifactId>org-lib</artifactId><version>${v}</version></project>`;
const WHEEL = makeWheel('org-tool', '1.0.0');
const JAR = jar('org-lib 1.0.0');
const GEM = makeGem('org_gem', '0.1.0');

/** Every read a client makes of the three private packages: [ecosystem realm, url, a text the answer contains]. */
const READS: [string, string, string | Buffer][] = [
  ['pypi', '/pypi/simple/org-tool/', WHEEL.filename],
  ['pypi', `/pypi/files/org-tool/${WHEEL.filename}`, WHEEL.bytes],
  ['pypi', `/pypi/files/org-tool/${WHEEL.filename}.metadata`, 'Name: org-tool'],
  ['maven', '/maven2/com/acme/org-lib/maven-metadata.xml', '<version>1.0.0</version>'],
  ['maven', '/maven2/com/acme/org-lib/1.0.0/org-lib-1.0.0.jar', JAR],
  ['maven', '/maven2/com/acme/org-lib/1.0.0/org-lib-1.0.0.jar.sha1', createHash('sha1').update(JAR).digest('hex')],
  ['maven', '/maven2/com/acme/org-lib/1.0.0/org-lib-1.0.0.pom', '<artifactId>org-lib</artifactId>'],
  ['rubygems', '/rubygems/info/org_gem', '0.1.0'],
  ['rubygems', '/rubygems/gems/org_gem-0.1.0.gem', GEM],
  ['rubygems', '/rubygems/quick/Marshal.4.8/org_gem-0.1.0.gemspec.rz', ''],
];
/** Listings: a member sees the package in them, an outsider does not. */
const LISTINGS: [string, (body: Buffer) => string][] = [
  ['/pypi/simple/', (b) => b.toString()],
  ['/rubygems/versions', (b) => b.toString()],
  ['/rubygems/names', (b) => b.toString()],
  ['/rubygems/specs.4.8.gz', (b) => gunzipSync(b).toString('latin1')],
  ['/rubygems/latest_specs.4.8.gz', (b) => gunzipSync(b).toString('latin1')],
];
const NAMES = ['org-tool', 'org_gem'];

describe('org members read private PyPI, Maven and RubyGems packages of their org', () => {
  let r: Reg;
  let carol: TestUser;
  const as = (u: { username: string; token: string }) => basic(u.username, u.token);
  const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });
  const setAccess = (prefix: string, body: Record<string, unknown>, u: { username: string; token: string } = r.alice) =>
    r.app.inject({ method: 'POST', url: `${prefix}/-/access`, headers: { ...as(u), 'content-type': 'application/json' }, payload: body });

  const pushGem = (gem: Buffer, u: { token: string }) =>
    r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: u.token, 'content-type': 'application/octet-stream' },
      payload: gem,
    });

  beforeEach(async () => {
    r = await buildTestRegistry();
    carol = addUser(r.identity, 'carol');
    r.identity
      .prepare("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ('org-acme', ?, 'member', ?)")
      .run(carol.id, 'now');
    const f = uploadForm(WHEEL, 'org-tool', '1.0.0');
    expect(
      (await r.app.inject({ method: 'POST', url: '/pypi/legacy/', headers: { ...f.headers, ...as(r.alice) }, payload: f.payload }))
        .statusCode,
    ).toBe(200);
    for (const [path, bytes] of [
      ['/maven2/com/acme/org-lib/1.0.0/org-lib-1.0.0.jar', JAR],
      ['/maven2/com/acme/org-lib/1.0.0/org-lib-1.0.0.pom', Buffer.from(pom('1.0.0'))],
    ] as const)
      expect((await r.app.inject({ method: 'PUT', url: path, headers: as(r.alice), payload: bytes })).statusCode).toBe(201);
    expect((await pushGem(GEM, r.alice)).statusCode).toBe(200);
    for (const [prefix, name] of [
      ['/pypi', 'org-tool'],
      ['/maven2', 'com.acme:org-lib'],
      ['/rubygems', 'org_gem'],
    ]) {
      const res = await setAccess(prefix, { name, access: 'restricted', org: 'acme' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ name, access: 'restricted', org: 'acme' });
    }
  });
  afterEach(async () => r.app.close());

  it('the internal details carry the owning org, for the main API to apply the same rule', async () => {
    for (const [name, ecosystem] of [
      ['org-tool', 'pypi'],
      ['com.acme:org-lib', 'maven'],
      ['org_gem', 'rubygems'],
    ]) {
      const res = await get(`/internal/packages/${name}?ecosystem=${ecosystem}`, { 'x-internal-token': testSecrets.internalToken });
      expect(res.json()).toMatchObject({ name, ecosystem, access: 'restricted', org: 'acme' });
    }
  });

  it('a member of the org (not a maintainer) reads every file, index page and metadata document', async () => {
    for (const [, url, expected] of READS) {
      const res = await get(url, as(carol));
      expect(res.statusCode, url).toBe(200);
      if (Buffer.isBuffer(expected)) expect(res.rawPayload.equals(expected), url).toBe(true);
      else expect(res.body, url).toContain(expected);
    }
    for (const [url, text] of LISTINGS) {
      const body = text((await get(url, as(carol))).rawPayload);
      expect(
        NAMES.some((n) => body.includes(n)),
        url,
      ).toBe(true);
    }
  });

  it('another user gets 404 (no hint the package exists) and does not see it listed; anonymous readers get the Basic challenge', async () => {
    for (const [realm, url] of READS) {
      const res = await get(url, as(r.bob));
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('private');
      const anon = await get(url);
      expect(anon.statusCode, url).toBe(401);
      expect(anon.headers['www-authenticate']).toBe(`Basic realm="${realm}"`);
    }
    for (const [url, text] of LISTINGS)
      for (const who of [as(r.bob), {}]) {
        const body = text((await get(url, who)).rawPayload);
        for (const n of NAMES) expect(body, url).not.toContain(n);
      }
  });

  it('a member publishes a new version, as npm lets org members publish into their org; an outsider may not', async () => {
    const gem = makeGem('org_gem', '0.2.0');
    const push = (u: { token: string }) => pushGem(gem, u);
    // 404 for an outsider: the package is private, so a refused push must not reveal it (multiformat-private-publish.test.ts).
    expect((await push(r.bob)).statusCode).toBe(404);
    expect((await push(carol)).statusCode).toBe(200);
    const jar2 = jar('org-lib 1.1.0');
    const put = (u: { username: string; token: string }) =>
      r.app.inject({ method: 'PUT', url: '/maven2/com/acme/org-lib/1.1.0/org-lib-1.1.0.jar', headers: as(u), payload: jar2 });
    expect((await put(r.bob)).statusCode).toBe(404);
    expect((await put(carol)).statusCode).toBe(201);
    expect((await get('/maven2/com/acme/org-lib/maven-metadata.xml', as(carol))).body).toContain('<version>1.1.0</version>');
  });

  it('leaving the org ends read access; the org can be removed from the package again', async () => {
    r.identity.prepare('DELETE FROM org_members WHERE user_id = ?').run(carol.id);
    expect((await get('/pypi/simple/org-tool/', as(carol))).statusCode).toBe(404);
    r.identity
      .prepare("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ('org-acme', ?, 'member', ?)")
      .run(carol.id, 'now');
    expect((await get('/pypi/simple/org-tool/', as(carol))).statusCode).toBe(200);
    const res = await setAccess('/pypi', { name: 'org-tool', org: null });
    expect(res.json()).toMatchObject({ access: 'restricted', org: null });
    expect((await get('/pypi/simple/org-tool/', as(carol))).statusCode).toBe(404);
    expect((await get('/pypi/simple/org-tool/', as(r.alice))).statusCode).toBe(200);
  });

  it('only a member may give a package to an org: an unknown org and an org the caller is not in both answer 404', async () => {
    r.identity
      .prepare("INSERT INTO orgs (id, name, plan_id, created_by, created_at) VALUES ('org-other', 'other', 'team', ?, 'now')")
      .run(r.bob.id);
    for (const org of ['nosuch', 'other']) {
      const res = await setAccess('/maven2', { name: 'com.acme:org-lib', org });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: `org ${org} was not found among your orgs`, code: 'ORG_NOT_FOUND' });
    }
    const bad = await setAccess('/pypi', { name: 'org-tool' });
    expect(bad.statusCode).toBe(400);
    expect((r.db.prepare("SELECT scope FROM packages WHERE name = 'com.acme:org-lib'").get() as { scope: string }).scope).toBe('acme');
  });
});
