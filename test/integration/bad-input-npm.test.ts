// The npm rows of the bad-input catalogue (reliability-security.md N1-N20) against a real registry: each case
// answers its documented status and error code, and nothing is persisted (no packument, no row, no blob file).
import { randomBytes } from 'node:crypto';
import { createGzip } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BadCase, persisted, send, verdict } from '../helpers/bad-input.ts';
import { docPath, makeTgz, publishBody, type TarFile } from '../helpers/npm-fixtures.ts';
import { createUser, npmPublish, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import type { Suite } from '../helpers/suite.ts';

const json = (u: SuiteUser, body: unknown): Pick<BadCase, 'method' | 'headers' | 'body'> => ({
  method: 'PUT',
  headers: { ...u.auth, 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A publish body whose tarball holds `files` (package.json first unless replaced). */
const withFiles = (name: string, files: TarFile[]) => publishBody(name, '1.0.0', { files });
const pj = (name: string, extra: Record<string, unknown> = {}) => ({
  path: 'package/package.json',
  content: JSON.stringify({ name, version: '1.0.0', ...extra }),
});

async function gzipBomb(inflatedMiB: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => gz.on('end', r));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < inflatedMiB; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

describe('bad input: npm protocol', () => {
  let suite: Suite;
  let u: SuiteUser;
  let other: SuiteUser;
  const cases: BadCase[] = [];

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'registry'], { env: { BODY_LIMIT_MB: '4' } });
    u = await createUser(suite, 'bad-npm');
    other = await createUser(suite, 'other-npm');
    expect((await npmPublish(suite.urls.registry, other, 'owned-by-other', '1.0.0')).status).toBe(201);
    expect((await npmPublish(suite.urls.registry, u, 'mine-existing', '1.0.0')).status).toBe(201);
    expect((await npmPublish(suite.urls.registry, u, 'mine-unpublished', '1.0.0')).status).toBe(201);
    expect((await npmPublish(suite.urls.registry, u, 'mine-unpublished', '1.0.1')).status).toBe(201);
    const doc = (await (await fetch(`${suite.urls.registry}/npm/mine-unpublished?write=true`, { headers: u.auth })).json()) as Record<
      string,
      // biome-ignore lint/suspicious/noExplicitAny: packument edited as npm unpublish does
      any
    >;
    delete doc.versions['1.0.0'];
    delete doc.time?.['1.0.0'];
    const un = await fetch(`${suite.urls.registry}/npm/mine-unpublished/-rev/${doc._rev}`, {
      method: 'PUT',
      headers: { ...u.auth, 'content-type': 'application/json' },
      body: JSON.stringify(doc),
    });
    expect(un.status, await un.text()).toBeLessThan(300);

    const body = (name: string, o: Parameters<typeof publishBody>[2] = {}) => publishBody(name, '1.0.0', o);
    const mutate = (name: string, f: (b: ReturnType<typeof publishBody>) => void) => {
      const b = publishBody(name, '1.0.0');
      f(b);
      return b;
    };
    const put = (id: string, what: string, name: string, payload: unknown, status: number | number[], code?: string): BadCase => ({
      id,
      what,
      path: docPath(name),
      ...json(u, payload),
      status,
      code,
      absent: [name],
    });

    cases.push(
      {
        ...put('N1', 'URL names left-pad, body right-pad', 'left-pad', body('right-pad'), 400, 'NAME_MISMATCH'),
        absent: ['left-pad', 'right-pad'],
      },
      {
        ...put('N1b', 'scoped URL/body mismatch', '@bad-npm/a', body('@bad-npm/b'), 400, 'NAME_MISMATCH'),
        absent: ['@bad-npm/a', '@bad-npm/b'],
      },
      put(
        'N2',
        'manifest dependencies differ from tarball',
        'conf-deps',
        body('conf-deps', { manifest: { dependencies: { evil: '1.0.0' } } }),
        400,
        'MANIFEST_MISMATCH',
      ),
      put(
        'N3a',
        'manifest scripts.install differ',
        'conf-scripts',
        body('conf-scripts', { manifest: { scripts: { install: 'curl x | sh' } } }),
        400,
        'MANIFEST_MISMATCH',
      ),
      put('N3b', 'manifest bin differs', 'conf-bin', body('conf-bin', { manifest: { bin: { x: 'x.js' } } }), 400, 'MANIFEST_MISMATCH'),
      put(
        'N3c',
        'tarball package.json has another version',
        'conf-ver',
        withFiles('conf-ver', [{ ...pj('conf-ver'), content: JSON.stringify({ name: 'conf-ver', version: '9.9.9' }) }]),
        400,
      ),
      put('N3d', 'tarball package.json has another name', 'conf-name', withFiles('conf-name', [pj('other-name')]), 400),
      put(
        'N4a',
        'two attachments',
        'two-att',
        mutate('two-att', (b) => {
          b._attachments['x-2.tgz'] = Object.values(b._attachments)[0];
        }),
        400,
      ),
      put(
        'N4b',
        'two versions',
        'two-ver',
        mutate('two-ver', (b) => {
          b.versions['2.0.0'] = { ...b.versions['1.0.0'], version: '2.0.0' };
        }),
        400,
      ),
      put(
        'N5a',
        'attachment length differs from the bytes',
        'bad-len',
        mutate('bad-len', (b) => {
          Object.values(b._attachments)[0].length += 7;
        }),
        400,
      ),
      put(
        'N5b',
        'attachment data is not base64',
        'bad-b64',
        mutate('bad-b64', (b) => {
          Object.values(b._attachments)[0].data = '!!!not*base64***';
        }),
        400,
      ),
      put(
        'N6a',
        'client integrity does not match the bytes',
        'bad-integ',
        mutate('bad-integ', (b) => {
          b.versions['1.0.0'].dist.integrity = `sha512-${Buffer.alloc(64).toString('base64')}`;
        }),
        400,
        'INTEGRITY_MISMATCH',
      ),
      put(
        'N6b',
        'client shasum does not match the bytes',
        'bad-sha1',
        mutate('bad-sha1', (b) => {
          b.versions['1.0.0'].dist.shasum = '0'.repeat(40);
        }),
        400,
        'INTEGRITY_MISMATCH',
      ),
      {
        id: 'N8',
        what: 'republish 1.0.0 with other bytes',
        path: docPath('mine-existing'),
        ...json(u, publishBody('mine-existing', '1.0.0', { pkg: { description: 'other bytes' } })),
        status: 403,
        code: 'VERSION_EXISTS',
      },
      {
        id: 'N9',
        what: 'republish an unpublished version',
        path: docPath('mine-unpublished'),
        ...json(u, publishBody('mine-unpublished', '1.0.0', { pkg: { description: 'again' } })),
        status: [403, 409],
      },
      {
        id: 'AUTHa',
        what: 'publish over another user package',
        path: docPath('owned-by-other'),
        ...json(u, publishBody('owned-by-other', '2.0.0')),
        status: 403,
      },
      put('AUTHb', 'publish into another user scope', '@other-npm/x', body('@other-npm/x'), 403),
      {
        id: 'AUTHc',
        what: 'publish without a token',
        path: docPath('no-token'),
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body('no-token')),
        status: 401,
        absent: ['no-token'],
      },
      {
        id: 'AUTHd',
        what: 'publish with a forged elk_ token',
        path: docPath('forged-token'),
        method: 'PUT',
        headers: { authorization: 'Bearer elk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'content-type': 'application/json' },
        body: JSON.stringify(body('forged-token')),
        status: 401,
        absent: ['forged-token'],
      },
      put('J1', 'body is not JSON', 'not-json', '{"name": "not-json", ', 400, 'INVALID_JSON'),
      put('J2', 'body is a JSON array', 'arr-body', '[1,2,3]', 400),
      put(
        'J3',
        'versions missing',
        'no-versions',
        mutate('no-versions', (b) => {
          (b as Record<string, unknown>).versions = {};
        }),
        400,
      ),
      put('J4', 'version is not semver', 'bad-semver', publishBody('bad-semver', '1.0'), 400),
      put('J5', 'dist-tag that is a valid semver range', 'semver-tag', publishBody('semver-tag', '1.0.0', { tag: '1.0.0' }), 400),
      put(
        'J6',
        '__proto__ key in the version object',
        'proto-pub',
        JSON.stringify(body('proto-pub')).replace(
          '"name":"proto-pub","version"',
          '"__proto__":{"admin":true},"name":"proto-pub","version"',
        ),
        [400, 201],
      ),
    );
    // N10: names npm itself refuses; each must leave no directory, row or blob behind.
    for (const [i, name] of [
      '..',
      '.hidden',
      '_x',
      'node_modules',
      'favicon.ico',
      '__proto__',
      'UPPER',
      'a'.repeat(215),
      'a*b',
      'a b',
      '@s/',
      '@/x',
      'a%00b',
      'ümlaut',
    ].entries())
      cases.push({
        id: `N10.${i}`,
        what: `invalid name ${JSON.stringify(name.slice(0, 20))}`,
        path: `/npm/${encodeURIComponent(name)}`,
        ...json(u, body(name)),
        status: [400, 404],
        absent: [],
      });
    // N12, N13, N15, N16, N17: hostile tarballs, parsed in memory and refused.
    const tar = (id: string, what: string, name: string, files: TarFile[]) => put(id, what, name, withFiles(name, files), 400);
    cases.push(
      tar('N12a', 'entry ../../etc/x', 'tar-dotdot', [pj('tar-dotdot'), { path: '../../etc/x', content: 'x' }]),
      tar('N12b', 'absolute entry /abs', 'tar-abs', [pj('tar-abs'), { path: '/abs', content: 'x' }]),
      tar('N12c', 'entry package/../../x', 'tar-mid', [pj('tar-mid'), { path: 'package/../../x', content: 'x' }]),
      tar('N12d', 'entry C:x', 'tar-drive', [pj('tar-drive'), { path: 'C:x', content: 'x' }]),
      tar('N13a', 'symlink entry', 'tar-sym', [pj('tar-sym'), { path: 'package/l', type: '2', linkname: '/etc/passwd' }]),
      tar('N13b', 'hard link entry', 'tar-hard', [pj('tar-hard'), { path: 'package/h', type: '1', linkname: 'package/package.json' }]),
      tar('N13c', 'char device entry', 'tar-chr', [pj('tar-chr'), { path: 'package/c', type: '3' }]),
      tar('N15a', '20 000 empty entries', 'tar-many', [
        pj('tar-many'),
        ...Array.from({ length: 20_000 }, (_, i) => ({ path: `package/f${i}`, content: '' })),
      ]),
      tar('N15b', 'entry 40 directories deep', 'tar-deep', [pj('tar-deep'), { path: `package/${'a/'.repeat(40)}x`, content: 'x' }]),
      tar('N16a', 'no package/package.json', 'tar-nopj', [{ path: 'package/index.js', content: '1' }]),
      tar('N16b', 'package.json is not JSON', 'tar-badpj', [{ path: 'package/package.json', content: '{nope' }]),
      tar('N17a', 'bin escapes the package', 'bin-escape', [pj('bin-escape', { bin: { x: '../../etc/passwd' } })]),
      tar('N17b', 'bin is an absolute path', 'bin-abs', [pj('bin-abs', { bin: { x: '/usr/bin/env' } })]),
      put(
        'N16c',
        'tarball is not gzip',
        'not-gzip',
        publishBody('not-gzip', '1.0.0', { tarball: Buffer.from('plain text, not a tarball') }),
        400,
      ),
    );
    cases.push(
      put('N14', 'gzip bomb (300 MiB of zeros)', 'gz-bomb', publishBody('gz-bomb', '1.0.0', { tarball: await gzipBomb(300) }), [400, 413]),
      put(
        'N18',
        'publish body over the 4 MiB limit',
        'too-big',
        publishBody('too-big', '1.0.0', {
          tarball: makeTgz([pj('too-big'), { path: 'package/r', content: randomBytes(5_000_000) }]),
        }),
        413,
      ),
      { id: 'N20a', what: 'tarball of a version not in the packument', path: '/npm/mine-existing/-/mine-existing-9.9.9.tgz', status: 404 },
      { id: 'N20b', what: "another package's tarball filename", path: '/npm/mine-existing/-/owned-by-other-1.0.0.tgz', status: 404 },
      { id: 'N20c', what: 'traversal in the tarball filename', path: '/npm/mine-existing/-/..%2f..%2fregistry.db', status: [400, 404] },
      { id: 'N20d', what: 'GET an unknown package', path: '/npm/never-published-pkg', status: 404, code: 'PACKAGE_NOT_FOUND' },
    );
  }, 180_000);
  afterAll(async () => suite?.stopAll());

  it('answers every case with its documented status and persists nothing', async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const before = persisted(suite.dataDir);
      const r = await send(suite.urls.registry, c);
      const problems = verdict(c, r);
      // J6 may be accepted (the key is dropped): then it is a normal publish, not garbage.
      const accepted = c.id === 'J6' && r.status === 201;
      if (!accepted) {
        const after = persisted(suite.dataDir);
        if (after.rows !== before.rows) problems.push(`rows ${before.rows} -> ${after.rows}`);
        if (after.blobFiles !== before.blobFiles) problems.push(`blob files ${before.blobFiles} -> ${after.blobFiles}`);
        for (const name of c.absent ?? []) {
          const doc = await fetch(`${suite.urls.registry}${docPath(name)}`);
          if (doc.status !== 404 && doc.status !== 400) problems.push(`${name} exists afterwards (${doc.status})`);
        }
      }
      if (problems.length) failures.push(`${c.id} ${c.what}: ${problems.join('; ')}`);
    }
    console.info(`bad-input-npm: ${cases.length} cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(50);
  }, 300_000);

  it('refuses X-Forwarded-Host in dist.tarball (N19)', async () => {
    const res = await fetch(`${suite.urls.registry}/npm/mine-existing`, { headers: { 'x-forwarded-host': 'evil.test' } });
    const doc = (await res.json()) as { versions: Record<string, { dist: { tarball: string } }> };
    expect(doc.versions['1.0.0'].dist.tarball).not.toContain('evil.test');
  });

  // Property-based pass: random manifests and tarballs never get a 5xx, and whatever is refused leaves no row
  // or blob; whatever is accepted is served back with bytes matching its integrity. FUZZ_RUNS for longer runs.
  it('fuzzes the publish endpoint: no 5xx, no persisted garbage', async () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 150);
    const seed = Number(process.env.FUZZ_SEED ?? 12);
    let n = 0;
    const tallies: Record<string, number> = {};
    const entry = fc.record({
      path: fc.oneof(
        fc.constant('package/package.json'),
        fc.constant('package/index.js'),
        fc.string({ maxLength: 40 }).map((s) => `package/${s}`),
        fc.string({ maxLength: 30 }),
      ),
      content: fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })),
      type: fc.constantFrom('0', '0', '0', '5', '2', '1', '3', '6'),
    });
    const manifestExtra = fc.dictionary(
      fc.constantFrom('dependencies', 'bin', 'scripts', 'main', 'name', 'version', '__proto__', 'license'),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('fuzz', '@bad-npm/fuzz'),
        fc.constantFrom('1.0.0', '0.0.1-beta.1', '1.0', 'x', ''),
        manifestExtra,
        fc.array(entry, { maxLength: 5 }),
        fc.boolean(),
        async (prefix, version, extra, files, keepPkgJson) => {
          const name = `${prefix}-${n++}`;
          const pkgJson = { path: 'package/package.json', content: JSON.stringify({ name, version, ...extra }) };
          const b = publishBody(name, version, { manifest: extra, files: keepPkgJson ? [pkgJson, ...files] : files });
          const before = persisted(suite.dataDir);
          const r = await send(suite.urls.registry, { id: 'fuzz', what: name, path: docPath(name), ...json(u, b), status: 0 });
          tallies[r.status] = (tallies[r.status] ?? 0) + 1;
          expect(r.status, r.body).toBeLessThan(500);
          if (r.status === 201) {
            const integrity = b.versions[version]?.dist.integrity;
            const doc = (await (await fetch(`${suite.urls.registry}${docPath(name)}`)).json()) as {
              versions: Record<string, { dist: { integrity: string } }>;
            };
            expect(Object.values(doc.versions).map((v) => v.dist.integrity)).toContain(integrity);
          } else {
            const after = persisted(suite.dataDir);
            expect(after, `${r.status} ${r.body}`).toEqual(before);
          }
        },
      ),
      { numRuns: runs, seed },
    );
    console.info(`fuzz-npm-publish: ${runs} runs, seed ${seed}, statuses ${JSON.stringify(tallies)}`);
  }, 300_000);
});
