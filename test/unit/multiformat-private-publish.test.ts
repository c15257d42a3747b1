// An upload by someone outside a PRIVATE PyPI, Maven or RubyGems package answers 404, like npm's publish to a
// restricted package the caller cannot see (registry/npm/access-rules.ts): a 403 or 409 would reveal that the
// name is taken and which versions exist. The sentence is where each client prints it (twine and Maven the reason
// phrase, gem the body text); nothing is stored. A PUBLIC package of others still answers the protocol's 403.
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { buildTestRegistry, counts } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
type User = { username: string; token: string };
const jar = (text: string) =>
  Buffer.from(
    zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) }, { mtime: '2026-01-01T00:00:00Z' }),
  );
const pom = (v: string) =>
  `<project><modelVersion>4.0.0</modelVersion><groupId>com.acme</groupId><artifactId>hidden-lib</artifactId><version>${v}</version></project>`;
const JAR_PATH = (v: string) => `/maven2/com/acme/hidden-lib/${v}/hidden-lib-${v}.jar`;

/** Every row and blob an upload could leave behind. */
function stored(r: Reg) {
  const n = (t: string) => (r.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  return {
    ...counts(r.db),
    files: n('artifact_files'),
    burnedFiles: n('burned_files'),
    extras: n('artifact_extras'),
    scans: n('scan_results'),
  };
}

describe('an outsider uploading to a private PyPI, Maven or RubyGems package gets 404 and stores nothing', () => {
  let r: Reg;
  const pypi = (u: User, name: string, version: string) => {
    const f = uploadForm(makeWheel(name, version), name, version);
    return r.app.inject({
      method: 'POST',
      url: '/pypi/legacy/',
      headers: { ...f.headers, ...basic(u.username, u.token) },
      payload: f.payload,
    });
  };
  const maven = (u: User, path: string, bytes: Buffer) =>
    r.app.inject({ method: 'PUT', url: path, headers: basic(u.username, u.token), payload: bytes });
  const gem = (u: User, bytes: Buffer) =>
    r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: u.token, 'content-type': 'application/octet-stream' },
      payload: bytes,
    });
  const setAccess = (prefix: string, name: string, access: 'public' | 'restricted') =>
    r.app.inject({
      method: 'POST',
      url: `${prefix}/-/access`,
      headers: { ...basic('alice', r.alice.token), 'content-type': 'application/json' },
      payload: { name, access },
    });
  const all = [
    ['/pypi', 'hidden-tool'],
    ['/maven2', 'com.acme:hidden-lib'],
    ['/rubygems', 'hidden_gem'],
  ] as const;

  beforeEach(async () => {
    r = await buildTestRegistry();
    expect((await pypi(r.alice, 'hidden-tool', '1.0.0')).statusCode).toBe(200);
    expect((await maven(r.alice, JAR_PATH('1.0.0'), jar('one'))).statusCode).toBe(201);
    expect((await maven(r.alice, JAR_PATH('1.0.0').replace(/jar$/, 'pom'), Buffer.from(pom('1.0.0')))).statusCode).toBe(201);
    expect((await gem(r.alice, makeGem('hidden_gem', '0.1.0'))).statusCode).toBe(200);
    for (const [prefix, name] of all) expect((await setAccess(prefix, name, 'restricted')).statusCode).toBe(200);
  });
  afterEach(async () => r.app.close());

  it("serves the owner a private package's files as private to the client (no shared cache), and public ones as public", async () => {
    const read = (url: string, u: User) => r.app.inject({ method: 'GET', url, headers: basic(u.username, u.token) });
    const files = [
      `/pypi/files/hidden-tool/${makeWheel('hidden-tool', '1.0.0').filename}`,
      JAR_PATH('1.0.0'),
      '/rubygems/gems/hidden_gem-0.1.0.gem',
      '/rubygems/quick/Marshal.4.8/hidden_gem-0.1.0.gemspec.rz',
    ];
    const cacheOf = async () =>
      Promise.all(
        files.map(async (url) => {
          const res = await read(url, r.alice);
          expect(res.statusCode, url).toBe(200);
          return res.headers['cache-control'];
        }),
      );
    expect(await cacheOf()).toEqual(files.map(() => 'private, max-age=31536000, immutable'));
    // Answers that differ by caller (a private gem's /info, the lists of gems) are never marked public, and vary
    // by credentials.
    for (const url of ['/rubygems/info/hidden_gem', '/rubygems/versions', '/rubygems/names']) {
      const res = await read(url, r.alice);
      expect([res.statusCode, res.headers['cache-control'], res.headers.vary], url).toEqual([200, 'max-age=60', 'Authorization']);
    }
    const simple = await read('/pypi/simple/hidden-tool/', r.alice);
    expect([simple.headers['cache-control'], simple.headers.vary]).toEqual(['max-age=60', 'Accept, Authorization']);
    for (const [prefix, name] of all) expect((await setAccess(prefix, name, 'public')).statusCode).toBe(200);
    expect(await cacheOf()).toEqual(files.map(() => 'public, max-age=31536000, immutable'));
  });

  it('twine upload of a new version and of the existing file: 404 with the sentence in the reason phrase', async () => {
    const before = stored(r);
    for (const version of ['1.1.0', '1.0.0']) {
      const res = await pypi(r.bob, 'hidden-tool', version);
      expect(res.statusCode, version).toBe(404);
      expect(res.raw.res.statusMessage).toBe("No project 'hidden-tool' that you can upload to.");
      expect(res.json()).toEqual({ error: "No project 'hidden-tool' that you can upload to.", code: 'PACKAGE_NOT_FOUND' });
    }
    expect(stored(r)).toEqual(before);
    expect((await pypi(r.alice, 'hidden-tool', '1.1.0')).statusCode).toBe(200);
  });

  it('Maven PUT of a new release and over the existing one (would be 409): 404 with the reason phrase Maven prints', async () => {
    const before = stored(r);
    for (const [path, bytes] of [
      [JAR_PATH('1.1.0'), jar('outsider')],
      [JAR_PATH('1.0.0'), jar('other bytes')],
      [JAR_PATH('1.0.0'), jar('one')],
    ] as const) {
      const res = await maven(r.bob, path, bytes);
      expect(res.statusCode, path).toBe(404);
      expect(res.raw.res.statusMessage).toBe('no artifact com.acme:hidden-lib you can deploy to');
      expect(res.json()).toEqual({ error: 'no artifact com.acme:hidden-lib you can deploy to', code: 'PACKAGE_NOT_FOUND' });
    }
    expect(stored(r)).toEqual(before);
    expect((await maven(r.alice, JAR_PATH('1.1.0'), jar('owner'))).statusCode).toBe(201);
  });

  it('gem push of a new version, of the existing one (would be 409) and of a case variant: the body names no gem of others', async () => {
    const before = stored(r);
    for (const version of ['0.2.0', '0.1.0']) {
      const res = await gem(r.bob, makeGem('hidden_gem', version));
      expect(res.statusCode, version).toBe(404);
      expect(res.body).toBe('There is no gem hidden_gem you can push to.\n');
    }
    // A new name that only differs in case or -/_ is still refused (it would pass for the other gem), without naming it.
    const variant = await gem(r.bob, makeGem('Hidden-Gem', '1.0.0'));
    expect(variant.statusCode).toBe(409);
    expect(variant.body).toBe("The name Hidden-Gem is too close to an existing gem's name: choose another name.\n");
    expect(stored(r)).toEqual(before);
    expect((await gem(r.alice, makeGem('hidden_gem', '0.2.0'))).statusCode).toBe(200);
  });

  it('once the packages are public the same uploads answer 403: the name is no secret then, the refusal says why', async () => {
    for (const [prefix, name] of all) expect((await setAccess(prefix, name, 'public')).statusCode).toBe(200);
    const before = stored(r);
    const py = await pypi(r.bob, 'hidden-tool', '1.1.0');
    expect(py.statusCode).toBe(403);
    expect(py.raw.res.statusMessage).toBe("The user 'bob' isn't allowed to upload to project 'hidden-tool'.");
    const mvn = await maven(r.bob, JAR_PATH('1.1.0'), jar('outsider'));
    expect(mvn.statusCode).toBe(403);
    expect(mvn.json().code).toBe('NOT_MAINTAINER');
    const rb = await gem(r.bob, makeGem('hidden_gem', '0.2.0'));
    expect(rb.statusCode).toBe(403);
    expect(rb.body).toBe('You do not have permission to push to this gem.\n');
    const variant = await gem(r.bob, makeGem('Hidden-Gem', '1.0.0'));
    expect(variant.body).toBe("There's already a gem called hidden_gem: choose a name that is not only a case or -/_ variant of it.\n");
    expect(stored(r)).toEqual(before);
  });
});
