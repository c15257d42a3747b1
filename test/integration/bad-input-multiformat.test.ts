// The PyPI, Maven and RubyGems rows of the bad-input catalogue (P1-P9, M2-M7, R1/R5/R6) against a real registry
// process: each answers its documented status (and the reason the client prints) and persists no row or blob.
// Uploads by outsiders to private packages (P7p, M8p, R8p) answer 404 like npm, never a 403/409 naming them.
// The unit suites (test/unit/pypi-upload, maven-deploy, rubygems-push) cover more variants in-process.
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, makeSdist, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { type BadCase, persisted, send, verdict } from '../helpers/bad-input.ts';
import { createUser, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import type { Suite } from '../helpers/suite.ts';

const u8 = (b: Buffer) => new Uint8Array(b);
// A minimal jar (a zip with a manifest), fixed mtime so the same text gives the same bytes.
const jar = (text: string) =>
  Buffer.from(
    zipSync(
      { 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) },
      { mtime: new Date('2026-01-01T00:00:00Z') },
    ),
  );

describe('bad input: PyPI upload, Maven PUT, RubyGems push', () => {
  let suite: Suite;
  let u: SuiteUser;
  let other: SuiteUser;
  const cases: BadCase[] = [];

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'registry']);
    u = await createUser(suite, 'bad-multi');
    other = await createUser(suite, 'other-multi');
    const pypi = (dist: { filename: string; bytes: Buffer }, name: string, version: string, who: SuiteUser, o = {}) => {
      const f = uploadForm(dist, name, version, o);
      return { method: 'POST', path: '/pypi/legacy/', headers: { ...f.headers, ...basic(who.username, who.token) }, body: u8(f.payload) };
    };
    const ok = async (c: Pick<BadCase, 'method' | 'path' | 'headers' | 'body'>) => {
      const r = await send(suite.urls.registry, { ...c, id: 'setup', what: 'setup', status: 200 });
      expect(r.status, r.body).toBeLessThan(300);
    };
    await ok(pypi(makeWheel('owned-py', '1.0.0'), 'owned-py', '1.0.0', other));
    await ok(pypi(makeWheel('mine-py', '1.0.0'), 'mine-py', '1.0.0', u));
    const mvn = (p: string, body: string | Buffer, who: SuiteUser | null = u) => ({
      method: 'PUT',
      path: `/maven2/${p}`,
      headers: who ? basic(who.username, who.token) : {},
      body: u8(Buffer.from(body)),
    });
    const jarPath = 'com/example/rel/lib/1.0.0/lib-1.0.0.jar';
    await ok(mvn(jarPath, jar('original')));
    // Confirmed by its checksum as mvn deploys it: a later wrong checksum is refused, never withdraws it (M3).
    await ok(mvn(`${jarPath}.sha1`, createHash('sha1').update(jar('original')).digest('hex')));
    const gem = (bytes: Buffer, key: string | null = u.token) => ({
      method: 'POST',
      path: '/rubygems/api/v1/gems',
      headers: { ...(key ? { authorization: key } : {}), 'content-type': 'application/octet-stream' },
      body: u8(bytes),
    });
    await ok(gem(makeGem('mine-gem', '1.0.0')));
    // Private packages of another user: an upload to them must not reveal that the name is taken (404, as npm).
    await ok(pypi(makeWheel('hidden-py', '1.0.0'), 'hidden-py', '1.0.0', other));
    // In a group of its own: com.example.rel belongs to the first user (a groupId belongs to its artifacts' maintainers).
    await ok(mvn('com/example/theirs/hidden/1.0.0/hidden-1.0.0.jar', jar('hidden'), other));
    await ok(gem(makeGem('hidden-gem', '1.0.0'), other.token));
    for (const [prefix, name] of [
      ['pypi', 'hidden-py'],
      ['maven2', 'com.example.theirs:hidden'],
      ['rubygems', 'hidden-gem'],
    ])
      await ok({
        method: 'POST',
        path: `/${prefix}/-/access`,
        headers: { ...basic(other.username, other.token), 'content-type': 'application/json' },
        body: u8(Buffer.from(JSON.stringify({ name, access: 'restricted' }))),
      });

    const wheel = makeWheel('new-py', '1.0.0');
    cases.push(
      {
        id: 'P1',
        what: 'sha256 digest does not match',
        ...pypi(wheel, 'new-py', '1.0.0', u, { sha256: '0'.repeat(64) }),
        status: 400,
        code: /digest/i,
      },
      {
        id: 'P2',
        what: 'no digest at all',
        ...pypi(wheel, 'new-py', '1.0.0', u, { sha256: null, md5: null }),
        status: 400,
        code: /Include at least one message digest/,
      },
      {
        id: 'P4',
        what: 'same filename, other bytes',
        ...pypi(makeWheel('mine-py', '1.0.0', { requiresPython: '>=3.9' }), 'mine-py', '1.0.0', u),
        status: [400, 409],
      },
      {
        id: 'P6a',
        what: 'extension .exe',
        ...pypi({ filename: 'new_py-1.0.0.exe', bytes: wheel.bytes }, 'new-py', '1.0.0', u),
        status: 400,
      },
      {
        id: 'P6b',
        what: 'filename with a control character',
        ...pypi({ filename: 'new_py-1.0.0\u0001.tar.gz', bytes: makeSdist('new-py', '1.0.0').bytes }, 'new-py', '1.0.0', u),
        status: 400,
      },
      {
        id: 'P7',
        what: 'upload to another user project under a non-normalised name',
        ...pypi(makeWheel('Owned_Py', '2.0.0'), 'Owned_Py', '2.0.0', u),
        status: 403,
      },
      {
        id: 'P8',
        what: 'filename version differs from METADATA',
        ...pypi(makeWheel('new-py', '1.0.0', { metaVersion: '2.0.0' }), 'new-py', '1.0.0', u),
        status: 400,
      },
      {
        id: 'P9a',
        what: 'wheel that is not a zip',
        ...pypi({ filename: 'new_py-1.0.0-py3-none-any.whl', bytes: Buffer.from('not a zip at all') }, 'new-py', '1.0.0', u),
        status: 400,
      },
      {
        id: 'P9b',
        what: 'sdist that is not a tar.gz',
        ...pypi({ filename: 'new-py-1.0.0.tar.gz', bytes: Buffer.from('not gzip') }, 'new-py', '1.0.0', u),
        status: 400,
      },
      {
        id: 'P12',
        what: 'upload without credentials',
        ...pypi(wheel, 'new-py', '1.0.0', u),
        headers: uploadForm(wheel, 'new-py', '1.0.0').headers,
        status: [401, 403],
      },
      {
        id: 'P13',
        what: 'upload with a forged token',
        ...pypi(wheel, 'new-py', '1.0.0', { ...u, token: 'elk_forged0000000000000000000000000000' }),
        status: [401, 403],
      },
      { id: 'M2', what: 'release jar re-PUT with other bytes', ...mvn(jarPath, jar('OTHER')), status: 409 },
      {
        id: 'M3',
        what: '.sha1 that does not match the stored (confirmed) jar',
        ...mvn(`${jarPath}.sha1`, createHash('sha1').update('something else').digest('hex')),
        status: 400,
      },
      {
        id: 'M3b',
        what: 'jar PUT whose X-Checksum-Sha1 header disagrees with its bytes',
        ...mvn('com/example/rel/hdr/1.0.0/hdr-1.0.0.jar', jar('hdr')),
        headers: { ...basic(u.username, u.token), 'x-checksum-sha1': 'a'.repeat(40) },
        status: 400,
        code: 'CHECKSUM_MISMATCH',
      },
      { id: 'M4a', what: 'path with %2e%2e', ...mvn('com/example/rel/lib/%2e%2e/lib-1.0.0.jar', jar('x')), status: 400 },
      { id: 'M4b', what: 'path with an empty segment', ...mvn('com/example//lib/1.0.0/lib-1.0.0.jar', jar('x')), status: 400 },
      { id: 'M4c', what: 'file name of another artifact', ...mvn('com/example/rel/lib/1.0.0/other-1.0.0.jar', jar('x')), status: 400 },
      { id: 'M4d', what: 'path with a backslash', ...mvn('com/example/rel/lib/1.0.0/..%5c..%5clib-1.0.0.jar', jar('x')), status: 400 },
      {
        id: 'M5',
        what: 'POM naming another artifactId',
        ...mvn(
          'com/example/rel/pomlib/1.0.0/pomlib-1.0.0.pom',
          '<project><modelVersion>4.0.0</modelVersion><groupId>com.example.rel</groupId><artifactId>other</artifactId><version>1.0.0</version></project>',
        ),
        status: 400,
      },
      { id: 'M6', what: 'PUT without credentials', ...mvn('com/example/rel/anon/1.0.0/anon-1.0.0.jar', jar('x'), null), status: 401 },
      { id: 'M7', what: 'GET of a directory path: no listing, creates nothing', path: '/maven2/com/example/rel/lib/', status: 404 },
      { id: 'M8', what: 'PUT over another user artifact', ...mvn(jarPath, jar('original'), other), status: 403 },
      {
        id: 'P7p',
        what: 'upload to another user PRIVATE project: 404, the name is not revealed',
        ...pypi(makeWheel('hidden-py', '1.1.0'), 'hidden-py', '1.1.0', u),
        status: 404,
        code: /No project 'hidden-py' that you can upload to/,
      },
      {
        id: 'M8p',
        what: 'PUT over another user PRIVATE release (a 409 would reveal it)',
        ...mvn('com/example/theirs/hidden/1.0.0/hidden-1.0.0.jar', jar('mine now')),
        status: 404,
        code: /no artifact com\.example\.theirs:hidden you can deploy to/,
      },
      {
        id: 'R8p',
        what: 'push of an existing version of another user PRIVATE gem (a 409 would reveal it)',
        ...gem(makeGem('hidden-gem', '1.0.0')),
        status: 404,
        code: /There is no gem hidden-gem you can push to/,
      },
      {
        id: 'R1',
        what: 'repush an existing gem version',
        ...gem(makeGem('mine-gem', '1.0.0', { runtime: [['rake', '>=', '1.0']] })),
        status: 409,
      },
      {
        id: 'R5a',
        what: 'metadata YAML with an unsafe Ruby object tag',
        ...gem(makeGem('yaml-gem', '1.0.0', { yaml: '--- !ruby/object:Gem::Installer\nname: x\n' })),
        status: [400, 422],
      },
      {
        id: 'R5b',
        what: 'metadata YAML alias bomb',
        ...gem(
          makeGem('bomb-gem', '1.0.0', {
            yaml: `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join('\n')}\n`,
          }),
        ),
        status: [400, 422],
      },
      { id: 'R6', what: '.gem that is not a tar', ...gem(Buffer.from('definitely not a gem')), status: [400, 422] },
      { id: 'R7', what: 'push without an API key', ...gem(makeGem('anon-gem', '1.0.0'), null), status: 401 },
    );
  }, 180_000);
  afterAll(async () => suite?.stopAll());

  it('a .sha1 that disagrees with the jar just deployed withdraws it: 400 with the reason, rows back as before, 404 after', async () => {
    const path = '/maven2/com/example/rel/damaged/1.0.0/damaged-1.0.0.jar';
    const auth = basic(u.username, u.token);
    const before = persisted(suite.dataDir);
    const put = await fetch(`${suite.urls.registry}${path}`, { method: 'PUT', headers: auth, body: u8(jar('damaged')) });
    expect(put.status).toBe(201);
    const sum = await fetch(`${suite.urls.registry}${path}.sha1`, {
      method: 'PUT',
      headers: auth,
      body: createHash('sha1').update(jar('as built')).digest('hex'),
    });
    expect(sum.status).toBe(400);
    expect(sum.statusText).toContain('the artifact was damaged in transit and is not kept, deploy it again');
    expect(((await sum.json()) as { code: string }).code).toBe('CHECKSUM_MISMATCH');
    expect(persisted(suite.dataDir).rows).toBe(before.rows);
    expect((await fetch(`${suite.urls.registry}${path}`, { headers: auth })).status).toBe(404);
    const retry = await fetch(`${suite.urls.registry}${path}`, { method: 'PUT', headers: auth, body: u8(jar('as built')) });
    expect(retry.status).toBe(201);
    const got = await fetch(`${suite.urls.registry}${path}`, { headers: auth });
    expect(Buffer.from(await got.arrayBuffer()).equals(jar('as built'))).toBe(true);
  });

  it('answers every case with its documented status and persists nothing', async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const before = persisted(suite.dataDir);
      const r = await send(suite.urls.registry, c);
      const problems = verdict({ ...c, code: c.code instanceof RegExp ? c.code : undefined }, r);
      const after = persisted(suite.dataDir);
      if (after.rows !== before.rows) problems.push(`rows ${before.rows} -> ${after.rows}`);
      if (after.blobFiles !== before.blobFiles) problems.push(`blob files ${before.blobFiles} -> ${after.blobFiles}`);
      if (problems.length) failures.push(`${c.id} ${c.what}: ${problems.join('; ')}`);
    }
    console.info(`bad-input-multiformat: ${cases.length} cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 300_000);
});
