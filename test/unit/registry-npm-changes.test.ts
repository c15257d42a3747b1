// npm metadata changes through inject: deprecate merges only `deprecated`, star, owners, dist-tags, access,
// unpublish (72-hour / dependents policy, admins always, stale _rev 409), org listings and the internal routes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testSecrets } from '../helpers/config.ts';
import { addUser, bearer, buildTestRegistry, counts, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const json = { 'content-type': 'application/json' };

for (const name of ['chg-test', '@acme/chg-test']) {
  const enc = name.replace('/', '%2f');
  describe(`npm changes (${name})`, () => {
    let r: Reg;
    const put = (url: string, body: unknown, who = r.alice) =>
      r.app.inject({
        method: 'PUT',
        url,
        headers: { ...bearer(who), ...json },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const doc = async () => (await r.app.inject({ method: 'GET', url: `${docPath(name)}?write=true` })).json();
    beforeEach(async () => {
      r = await buildTestRegistry();
      await put(docPath(name), publishBody(name, '1.0.0'));
      await put(docPath(name), publishBody(name, '1.1.0'));
    });
    afterEach(async () => r.app.close());

    it('deprecate merges only versions[v].deprecated: a forged dist in the body is ignored; "" undeprecates', async () => {
      const d = await doc();
      d.versions['1.0.0'].deprecated = 'use 1.1.0';
      d.versions['1.1.0'].dist.integrity = 'sha512-forged';
      d.versions['1.1.0'].dependencies = { evil: '*' };
      expect((await put(docPath(name), d)).statusCode).toBe(200);
      const after = await doc();
      expect(after.versions['1.0.0'].deprecated).toBe('use 1.1.0');
      expect(after.versions['1.1.0'].dist.integrity).toMatch(/^sha512-(?!forged)/);
      expect(after.versions['1.1.0'].dependencies).toBeUndefined();
      const event = r.db.prepare("SELECT payload FROM outbox WHERE type = 'package.deprecated'").get() as { payload: string };
      expect(JSON.parse(event.payload).data).toEqual({ ecosystem: 'npm', name, versions: [{ version: '1.0.0', message: 'use 1.1.0' }] });
      after.versions['1.0.0'].deprecated = '';
      await put(docPath(name), after);
      expect((await doc()).versions['1.0.0'].deprecated).toBeUndefined();
      expect((await put(docPath(name), await doc(), r.bob)).statusCode).toBe(403);
    });

    it('star and unstar touch only the caller; the reply is JSON', async () => {
      const d = await doc();
      const s = await put(docPath(name), { _id: name, _rev: d._rev, users: { bob: true, alice: true } }, r.bob);
      expect(s.json()).toEqual({ ok: true, success: true });
      expect((await doc()).users).toEqual({ bob: true });
      const stars = await r.app.inject({ method: 'GET', url: '/npm/-/_view/starredByUser?key=%22bob%22' });
      expect(stars.json()).toEqual({ rows: [{ value: name }] });
      await put(docPath(name), { _id: name, _rev: d._rev, users: {} }, r.bob);
      expect((await doc()).users).toEqual({});
    });

    it('owners: add and remove through -rev; unknown users 404; a stale _rev is a 409; non-maintainers 403', async () => {
      const d = await doc();
      const add = await put(`${docPath(name)}/-rev/${d._rev}`, {
        _id: name,
        _rev: d._rev,
        maintainers: [
          { name: 'alice', email: 'x' },
          { name: 'bob', email: 'y' },
        ],
      });
      expect(add.statusCode).toBe(200);
      expect((await doc()).maintainers.map((m: { name: string }) => m.name)).toEqual(['alice', 'bob']);
      const stale = await put(`${docPath(name)}/-rev/${d._rev}`, { _id: name, maintainers: [{ name: 'alice' }] });
      expect(stale.statusCode).toBe(409);
      const d2 = await doc();
      expect((await put(`${docPath(name)}/-rev/${d2._rev}`, { maintainers: [{ name: 'ghost' }] })).statusCode).toBe(404);
      expect((await put(`${docPath(name)}/-rev/${d2._rev}`, { maintainers: [{ name: 'alice' }] })).statusCode).toBe(200);
      const byBob = await put(`${docPath(name)}/-rev/${(await doc())._rev}`, { maintainers: [{ name: 'bob' }] }, r.bob);
      expect(byBob.statusCode).toBe(403);
      // A user-role account could not publish the package: not a new owner (else only an admin could, once alice left).
      addUser(r.identity, 'carol', 'user');
      const carol = await put(`${docPath(name)}/-rev/${(await doc())._rev}`, { maintainers: [{ name: 'alice' }, { name: 'carol' }] });
      expect([carol.statusCode, carol.json().code]).toEqual([403, 'ROLE_REQUIRED']);
      expect(carol.json().error).toBe(
        `carol has the role user and could not publish ${name}: an admin can make the account a publisher first`,
      );
      expect((await doc()).maintainers.map((m: { name: string }) => m.name)).toEqual(['alice']);
    });

    it('dist-tags: bare JSON string body; unknown version 404; ranges as tags 400; latest cannot be removed', async () => {
      expect((await put(`/npm/-/package/${enc}/dist-tags/next`, '"1.0.0"')).statusCode).toBe(200);
      expect((await r.app.inject({ method: 'GET', url: `/npm/-/package/${enc}/dist-tags` })).json()).toEqual({
        latest: '1.1.0',
        next: '1.0.0',
      });
      expect((await put(`/npm/-/package/${enc}/dist-tags/next`, '"9.9.9"')).statusCode).toBe(404);
      expect((await put(`/npm/-/package/${enc}/dist-tags/v1`, '"1.0.0"')).statusCode).toBe(400);
      const del = await r.app.inject({ method: 'DELETE', url: `/npm/-/package/${enc}/dist-tags/latest`, headers: bearer(r.alice) });
      expect(del.statusCode).toBe(400);
      expect(
        (await r.app.inject({ method: 'DELETE', url: `/npm/-/package/${enc}/dist-tags/next`, headers: bearer(r.alice) })).statusCode,
      ).toBe(200);
      expect((await put(`/npm/-/package/${enc}/dist-tags/x`, '"1.0.0"', r.bob)).statusCode).toBe(403);
    });

    it('unpublish one version (PUT -rev minus the version) recomputes latest and keeps time; whole package via DELETE -rev', async () => {
      const d = await doc();
      delete d.versions['1.1.0'];
      const res = await put(`${docPath(name)}/-rev/${d._rev}`, d);
      expect(res.statusCode).toBe(200);
      const after = await doc();
      expect(Object.keys(after.versions)).toEqual(['1.0.0']);
      expect(after['dist-tags']).toEqual({ latest: '1.0.0' });
      expect(after.time['1.1.0']).toBe('2026-11-26T10:00:00.000Z');
      const event = r.db.prepare("SELECT payload FROM outbox WHERE type = 'package.unpublished'").get() as { payload: string };
      expect(JSON.parse(event.payload).data).toEqual({ ecosystem: 'npm', name, versions: ['1.1.0'], wholePackage: false });
      const bare = name.split('/').pop();
      const tgz = await r.app.inject({
        method: 'DELETE',
        url: `/npm/${name}/-/${bare}-1.1.0.tgz/-rev/${after._rev}`,
        headers: bearer(r.alice),
      });
      expect(tgz.statusCode).toBe(200);
      const all = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${after._rev}`, headers: bearer(r.alice) });
      expect(all.statusCode).toBe(200);
      expect((await r.app.inject({ method: 'GET', url: docPath(name) })).statusCode).toBe(404);
      expect(counts(r.db)).toMatchObject({ packages: 0, versions: 0, burned: 2 });
    });

    it('within 72 hours too, a package others depend on cannot be unpublished (403), except by an admin', async () => {
      await put('/npm/needs-it', publishBody('needs-it', '1.0.0', { pkg: { dependencies: { [name]: '^1.0.0' } } }));
      const d = await doc();
      const res = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.alice) });
      expect([res.statusCode, res.json().code]).toEqual([403, 'UNPUBLISH_FORBIDDEN']);
      expect(res.json().error).toBe(
        `other packages depend on ${name}: unpublishing would break their installs, so it is refused even within 72 hours (deprecate it instead)`,
      );
      expect((await doc()).versions['1.0.0']).toBeDefined();
      const admin = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.admin) });
      expect(admin.statusCode).toBe(200);
    });

    it("a wholly unpublished name is nobody's for 24 hours, its owner's included; then anyone may publish it", async () => {
      const d = await doc();
      expect((await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.alice) })).statusCode).toBe(
        200,
      );
      const scopeOwner = name.startsWith('@') ? r.alice : r.bob;
      for (const who of [r.alice, scopeOwner]) {
        const res = await put(docPath(name), publishBody(name, '2.0.0'), who);
        expect([res.statusCode, res.json().code]).toEqual([403, 'NAME_RECENTLY_UNPUBLISHED']);
        expect(res.json().error).toContain(`${name} was unpublished less than 24 hours ago: the name can be published again from `);
      }
      expect(counts(r.db).packages).toBe(0);
      r.clock.advance(24 * 3600 * 1000 + 1);
      expect((await put(docPath(name), publishBody(name, '2.0.0'), scopeOwner)).statusCode).toBe(201);
    });

    it('after 72 hours, only with fewer than 300 downloads in the last week and a single owner, as on npmjs', async () => {
      r.clock.advance(73 * 3600 * 1000);
      const id = (r.db.prepare('SELECT id FROM packages WHERE name = ?').get(name) as { id: number }).id;
      const today = new Date(r.clock.now()).toISOString().slice(0, 10);
      const setDownloads = (n: number) =>
        r.db.prepare('INSERT OR REPLACE INTO download_counts (package_id, day, count) VALUES (?, ?, ?)').run(id, today, n);
      const unpublish = async () =>
        r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${(await doc())._rev}`, headers: bearer(r.alice) });
      setDownloads(300);
      const popular = await unpublish();
      expect([popular.statusCode, popular.json().code]).toEqual([403, 'UNPUBLISH_FORBIDDEN']);
      expect(popular.json().error).toContain(`${name} was downloaded 300 times in the last week`);
      setDownloads(299);
      const d = await doc();
      expect((await put(`${docPath(name)}/-rev/${d._rev}`, { maintainers: [{ name: 'alice' }, { name: 'bob' }] })).statusCode).toBe(200);
      const shared = await unpublish();
      expect([shared.statusCode, shared.json().error]).toEqual([
        403,
        `${name}@1.0.0 was published over 72 hours ago and ${name} has 2 owners: past 72 hours only a package with a single owner can be unpublished (npm owner rm the others first, or deprecate it)`,
      ]);
      expect(counts(r.db).packages).toBeGreaterThan(0);
      const d2 = await doc();
      expect((await put(`${docPath(name)}/-rev/${d2._rev}`, { maintainers: [{ name: 'alice' }] })).statusCode).toBe(200);
      expect((await unpublish()).statusCode).toBe(200);
    });

    it('after 72 hours a version others depend on cannot be unpublished (403), except by an admin', async () => {
      // Dependents as npmjs.com lists them: latest versions only, devDependencies not counted.
      await put('/npm/moved-on', publishBody('moved-on', '1.0.0', { pkg: { dependencies: { [name]: '^1.0.0' } } }));
      await put('/npm/moved-on', publishBody('moved-on', '2.0.0'));
      await put('/npm/dev-only', publishBody('dev-only', '1.0.0', { pkg: { devDependencies: { [name]: '^1.0.0' } } }));
      r.clock.advance(73 * 3600 * 1000);
      const d0 = await doc();
      delete d0.versions['1.1.0'];
      expect((await put(`${docPath(name)}/-rev/${d0._rev}`, d0)).statusCode).toBe(200);
      await put('/npm/dependent', publishBody('dependent', '1.0.0', { pkg: { dependencies: { [name]: '^1.0.0' } } }));
      const d = await doc();
      const res = await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.alice) });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toContain('other packages depend on it');
      expect((await r.app.inject({ method: 'DELETE', url: `${docPath(name)}/-rev/${d._rev}`, headers: bearer(r.admin) })).statusCode).toBe(
        200,
      );
    });
  });
}

describe('access, org listings and internal routes', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
    for (const n of ['@acme/one', 'solo'])
      await r.app.inject({
        method: 'PUT',
        url: docPath(n),
        headers: { ...bearer(r.alice), ...json },
        payload: JSON.stringify(publishBody(n, '1.0.0', { readme: '# one' })),
      });
  });
  afterEach(async () => r.app.close());

  it('access: visibility, collaborators, set restricted (scoped only); listings by org and by user', async () => {
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/package/@acme%2fone/visibility' })).json()).toEqual({ public: true });
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/package/@acme%2fone/collaborators' })).json()).toEqual({
      alice: 'read-write',
    });
    const set = await r.app.inject({
      method: 'POST',
      url: '/npm/-/package/@acme%2fone/access',
      headers: { ...bearer(r.alice), ...json },
      payload: '{"access":"restricted"}',
    });
    expect(set.statusCode).toBe(200);
    expect((await r.app.inject({ method: 'GET', url: '/npm/@acme%2fone' })).statusCode).toBe(404);
    const unscoped = await r.app.inject({
      method: 'POST',
      url: '/npm/-/package/solo/access',
      headers: { ...bearer(r.alice), ...json },
      payload: '{"access":"restricted"}',
    });
    expect(unscoped.statusCode).toBe(400);
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/org/acme/package', headers: bearer(r.alice) })).json()).toEqual({
      '@acme/one': 'write',
    });
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/org/acme/package', headers: bearer(r.bob) })).statusCode).toBe(404);
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/org/alice/package', headers: bearer(r.alice) })).statusCode).toBe(404);
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/user/alice/package', headers: bearer(r.alice) })).json()).toEqual({
      '@acme/one': 'write',
      solo: 'write',
    });
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/user/alice/package', headers: bearer(r.bob) })).json()).toEqual({
      solo: 'write',
    });
    // Anonymous `npm access list packages alice`: the org route's 404 sends npm to the user route, which lists
    // the public packages, as npmjs.com does.
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/org/acme/package' })).statusCode).toBe(404);
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/user/alice/package' })).json()).toEqual({ solo: 'write' });
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/org/acme/user', headers: bearer(r.alice) })).json()).toEqual({
      alice: 'owner',
    });
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/org/acme/user', headers: bearer(r.bob) })).statusCode).toBe(404);
  });

  it('internal routes need the internal token; search and details answer for the main API', async () => {
    const h = { 'x-internal-token': testSecrets.internalToken };
    expect((await r.app.inject({ method: 'GET', url: '/internal/packages/search?q=one', headers: bearer(r.alice) })).statusCode).toBe(403);
    const search = (await r.app.inject({ method: 'GET', url: '/internal/packages/search?q=one&limit=5', headers: h })).json();
    expect(search).toMatchObject({
      total: 1,
      limit: 5,
      offset: 0,
      results: [{ name: '@acme/one', ecosystem: 'npm', version: '1.0.0', downloads: 0 }],
    });
    const details = (await r.app.inject({ method: 'GET', url: '/internal/packages/@acme%2fone', headers: h })).json();
    expect(details).toMatchObject({
      name: '@acme/one',
      maintainers: ['alice'],
      downloads: 0,
      stars: 0,
      readme: '# one',
      distTags: { latest: '1.0.0' },
      access: 'public',
    });
    expect(details.versions).toEqual([
      expect.objectContaining({ version: '1.0.0', publishedAt: '2026-11-26T10:00:00.000Z', tarball: '/npm/@acme/one/-/one-1.0.0.tgz' }),
    ]);
    expect((await r.app.inject({ method: 'GET', url: '/internal/packages/@acme/one', headers: h })).json().name).toBe('@acme/one');
    expect((await r.app.inject({ method: 'GET', url: '/internal/packages/nope', headers: h })).statusCode).toBe(404);
  });
});
