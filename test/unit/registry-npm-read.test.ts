// npm read paths through inject: full and corgi packuments with ETag/304/gzip, ?write=true, version documents,
// tarballs (bytes, download counts, 404s), tarball URLs from REGISTRY_PUBLIC_URL or the Host, keys, audit, search.
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

for (const name of ['read-test', '@acme/read-test']) {
  const bare = name.split('/').pop();
  describe(`npm reads (${name})`, () => {
    let r: Reg;
    const put = (body: unknown) =>
      r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    beforeEach(async () => {
      r = await buildTestRegistry();
      await put(publishBody(name, '1.0.0', { pkg: { engines: { node: '>=18' }, scripts: { postinstall: 'node x.js' } } }));
      await put(publishBody(name, '1.1.0'));
    });
    afterEach(async () => r.app.close());

    it('full packument: ETag + Last-Modified, 304 on If-None-Match, gzip when accepted, rebuilt after a change', async () => {
      const res = await r.app.inject({ method: 'GET', url: docPath(name) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('application/json');
      const etag = res.headers.etag as string;
      expect(etag).toMatch(/^W\/"/);
      expect(new Date(res.headers['last-modified'] as string).toISOString()).toBe('2026-11-26T10:00:00.000Z');
      const again = await r.app.inject({ method: 'GET', url: docPath(name), headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      const gz = await r.app.inject({ method: 'GET', url: docPath(name), headers: { 'accept-encoding': 'gzip, deflate' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual(res.json());
      await r.app.inject({
        method: 'PUT',
        url: `/npm/-/package/${name.replace('/', '%2f')}/dist-tags/old`,
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: '"1.0.0"',
      });
      const changed = await r.app.inject({ method: 'GET', url: docPath(name), headers: { 'if-none-match': etag } });
      expect(changed.statusCode).toBe(200);
      expect(changed.json()['dist-tags']).toEqual({ latest: '1.1.0', old: '1.0.0' });
    });

    it('corgi for the install Accept: its content type, the install fields and time; ?write=true is always full', async () => {
      const res = await r.app.inject({ method: 'GET', url: docPath(name), headers: { accept: CORGI } });
      expect(res.headers['content-type']).toContain('application/vnd.npm.install-v1+json');
      const c = res.json();
      expect(Object.keys(c).sort()).toEqual(['dist-tags', 'modified', 'name', 'time', 'versions']);
      expect(c.versions['1.0.0']).toMatchObject({ name, version: '1.0.0', engines: { node: '>=18' }, hasInstallScript: true });
      expect(c.versions['1.0.0'].dist.integrity).toMatch(/^sha512-/);
      expect(c.versions['1.0.0'].description).toBeUndefined();
      const write = await r.app.inject({ method: 'GET', url: `${docPath(name)}?write=true`, headers: { accept: CORGI } });
      expect(write.json()._rev).toMatch(/^\d+-/);
    });

    it('scoped paths in every encoding give the same document; a single version by number or tag', async () => {
      const forms = name.startsWith('@') ? [`/npm/${name}`, '/npm/@acme%2Fread-test', '/npm/%40acme%2fread-test'] : [`/npm/${name}`];
      for (const url of forms) expect((await r.app.inject({ method: 'GET', url })).json().name).toBe(name);
      const v = await r.app.inject({ method: 'GET', url: `/npm/${name}/latest` });
      expect(v.json()).toMatchObject({ name, version: '1.1.0' });
      expect((await r.app.inject({ method: 'GET', url: `/npm/${name}/9.9.9` })).statusCode).toBe(404);
    });

    it('tarball: the published bytes, counted as a download; unknown versions and foreign filenames are 404', async () => {
      const doc = (await r.app.inject({ method: 'GET', url: docPath(name) })).json();
      const url = new URL(doc.versions['1.0.0'].dist.tarball);
      expect(url.pathname).toBe(`/npm/${name}/-/${bare}-1.0.0.tgz`);
      const tgz = await r.app.inject({ method: 'GET', url: url.pathname });
      expect(tgz.statusCode).toBe(200);
      expect(tgz.headers['content-type']).toBe('application/octet-stream');
      const sent = Buffer.from(
        Object.values(
          publishBody(name, '1.0.0', { pkg: { engines: { node: '>=18' }, scripts: { postinstall: 'node x.js' } } })._attachments,
        )[0].data,
        'base64',
      );
      expect(tgz.rawPayload.equals(sent)).toBe(true);
      await r.app.inject({ method: 'HEAD', url: url.pathname });
      await r.app.inject({ method: 'GET', url: url.pathname });
      // Counted in memory and written once a second; the internal details route flushes before it reads.
      const before = r.db.prepare('SELECT downloads FROM packages WHERE name = ?').get(name) as { downloads: number };
      expect(before.downloads).toBe(0);
      const details = await r.app.inject({
        method: 'GET',
        url: `/internal/packages/${name.replace('/', '%2f')}`,
        headers: { 'x-internal-token': testSecrets.internalToken },
      });
      expect(details.json().downloads).toBe(2);
      const day = r.db.prepare('SELECT day, count FROM download_counts').all();
      expect(day).toEqual([{ day: '2026-11-26', count: 2 }]);
      // The same flush relays one aggregated package.downloaded event for the main API's analytics.
      const events = (r.db.prepare("SELECT payload FROM outbox WHERE type = 'package.downloaded'").all() as { payload: string }[]).map(
        (e) => JSON.parse(e.payload),
      );
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ subject: `package:${name}`, data: { ecosystem: 'npm', name, count: 2, day: '2026-11-26' } });
      expect((await r.app.inject({ method: 'GET', url: `/npm/${name}/-/${bare}-9.9.9.tgz` })).statusCode).toBe(404);
      expect((await r.app.inject({ method: 'GET', url: `/npm/${name}/-/other-1.0.0.tgz` })).statusCode).toBe(404);
      const missing = await r.app.inject({ method: 'GET', url: '/npm/nope-nope' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toBe('package nope-nope was not found');
    });

    it('tarball URLs use the Host the client used, or REGISTRY_PUBLIC_URL when set; a junk Host is ignored', async () => {
      const viaHost = (await r.app.inject({ method: 'GET', url: docPath(name), headers: { host: 'mirror.internal:8443' } })).json();
      expect(viaHost.versions['1.0.0'].dist.tarball).toBe(`http://mirror.internal:8443/npm/${name}/-/${bare}-1.0.0.tgz`);
      const junk = (await r.app.inject({ method: 'GET', url: docPath(name), headers: { host: 'evil.test/<script>' } })).json();
      expect(junk.versions['1.0.0'].dist.tarball).toBe(`http://127.0.0.1:4873/npm/${name}/-/${bare}-1.0.0.tgz`);
      const pub = await buildTestRegistry({ REGISTRY_PUBLIC_URL: 'https://registry.example.com' });
      await pub.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { ...bearer(pub.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(publishBody(name, '1.0.0')),
      });
      const fixed = (await pub.app.inject({ method: 'GET', url: docPath(name), headers: { host: 'evil.test' } })).json();
      expect(fixed.versions['1.0.0'].dist.tarball).toBe(`https://registry.example.com/npm/${name}/-/${bare}-1.0.0.tgz`);
      await pub.app.close();
    });
  });
}

describe('npm registry endpoints', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  it("keys: one ECDSA P-256 key in npm's shape", async () => {
    const res = await r.app.inject({ method: 'GET', url: '/npm/-/npm/v1/keys' });
    expect(res.json()).toEqual({
      keys: [
        {
          expires: null,
          keyid: r.signer.keyid,
          keytype: 'ecdsa-sha2-nistp256',
          scheme: 'ecdsa-sha2-nistp256',
          key: r.signer.publicKeyBase64,
        },
      ],
    });
    expect(r.signer.keyid).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('audit bulk accepts a gzip body and answers {} (no advisories known); bad gzip is a 400', async () => {
    const body = gzipSync(JSON.stringify({ 'read-test': ['1.0.0'], '@acme/x': ['2.0.0'] }));
    const res = await r.app.inject({
      method: 'POST',
      url: '/npm/-/npm/v1/security/advisories/bulk',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    const bad = await r.app.inject({
      method: 'POST',
      url: '/npm/-/npm/v1/security/advisories/bulk',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: Buffer.from('nope'),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('request body is not valid gzip');
  });

  it('search: text relevance, maintainers as {username,email}, paging, restricted packages never listed', async () => {
    const put = (name: string, body: unknown) =>
      r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    await put('http-kit', publishBody('http-kit', '1.0.0', { pkg: { description: 'tiny http toolkit', keywords: ['http'] } }));
    await put('@acme/http', publishBody('@acme/http', '2.0.0', { pkg: { description: 'the http client', keywords: ['http', 'client'] } }));
    await put('logger', publishBody('logger', '1.0.0', { pkg: { description: 'logs over http' } }));
    await put('@acme/private-http', publishBody('@acme/private-http', '1.0.0', { access: 'restricted' }));
    const res = await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=http&size=20&from=0&quality=0.65' });
    const body = res.json();
    expect(body.total).toBe(3);
    expect(body.objects.map((o: { package: { name: string } }) => o.package.name)).toEqual(['@acme/http', 'http-kit', 'logger']);
    expect(body.objects[0].package).toMatchObject({
      scope: 'acme',
      version: '2.0.0',
      maintainers: [{ username: 'alice', email: 'alice@example.test' }],
      publisher: { username: 'alice' },
    });
    expect(Number.isNaN(Date.parse(body.objects[0].package.date))).toBe(false);
    const page = (await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=http&size=1&from=1' })).json();
    expect(page.objects.map((o: { package: { name: string } }) => o.package.name)).toEqual(['http-kit']);
    expect(page.total).toBe(3);
    // A repeated search is answered from its rendered text until the registry changes: a new version shows at once.
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=http&size=20&from=0' })).body).toContain('"version":"1.0.0"');
    await put('http-kit', publishBody('http-kit', '1.1.0', { pkg: { description: 'tiny http toolkit', keywords: ['http'] } }));
    const again = (await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=http&size=20&from=0' })).json();
    expect(again.objects.find((o: { package: { name: string } }) => o.package.name === 'http-kit').package.version).toBe('1.1.0');
    expect(again.total).toBe(3);
  });

  it('ping, whoami (401 without a token), web login answers 404 so npm falls back to the CouchDB flow', async () => {
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/ping' })).json()).toEqual({});
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/whoami', headers: bearer(r.alice) })).json()).toEqual({ username: 'alice' });
    const anon = await r.app.inject({ method: 'GET', url: '/npm/-/whoami' });
    expect(anon.statusCode).toBe(401);
    const web = await r.app.inject({
      method: 'POST',
      url: '/npm/-/v1/login',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(web.statusCode).toBe(404);
    expect(web.json().error).toContain('web login is not available');
  });

  it('couch login: right password -> 201 with token; wrong -> 401; adduser creates (409 for a taken name); logout always 200', async () => {
    const couch = (body: Record<string, unknown>) =>
      r.app.inject({
        method: 'PUT',
        url: `/npm/-/user/org.couchdb.user:${body.name}`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ _id: `org.couchdb.user:${body.name}`, type: 'user', roles: [], ...body }),
      });
    const ok = await couch({ name: 'alice', password: 'alice-password' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ ok: true, token: r.alice.token });
    const bad = await couch({ name: 'alice', password: 'nope' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error).toBe('bad username/password, access denied');
    // adduser of a taken name: 409 saying so (npm prints it), not a bare 401 (test/unit/registry-npm-user.test.ts).
    const existingWithEmail = await couch({ name: 'bob', password: 'whatever-123', email: 'bob@example.test' });
    expect(existingWithEmail.statusCode).toBe(409);
    const created = await couch({ name: 'newbie', password: 'a-good-password', email: 'newbie@example.test' });
    expect(created.statusCode).toBe(201);
    expect(created.json().token).toBe('elk_new_newbie');
    const mismatch = await r.app.inject({
      method: 'PUT',
      url: '/npm/-/user/org.couchdb.user:alice',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'bob', password: 'x' }),
    });
    expect(mismatch.statusCode).toBe(400);
    const out = await r.app.inject({ method: 'DELETE', url: `/npm/-/user/token/${encodeURIComponent('elk_unknown')}` });
    expect(out.statusCode).toBe(200);
    expect(r.accounts.revoked).toEqual(['elk_unknown']);
  });

  it('adduser of a new account is refused with 403 when NPM_ADDUSER_ENABLED=false', async () => {
    const off = await buildTestRegistry({ NPM_ADDUSER_ENABLED: 'false' });
    const res = await off.app.inject({
      method: 'PUT',
      url: '/npm/-/user/org.couchdb.user:carol',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'carol', password: 'a-good-password', email: 'carol@example.test' }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toContain('disabled');
    await off.app.close();
  });

  it('couch user lookup gives {name, email} for npm owner add; tokens map onto the accounts API', async () => {
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/user/org.couchdb.user:bob' })).statusCode).toBe(401);
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/user/org.couchdb.user:bob', headers: bearer(r.alice) })).json()).toMatchObject(
      {
        name: 'bob',
        email: 'bob@example.test',
      },
    );
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/user/org.couchdb.user:ghost', headers: bearer(r.alice) })).statusCode).toBe(
      404,
    );
    const list = await r.app.inject({ method: 'GET', url: '/npm/-/npm/v1/tokens', headers: bearer(r.alice) });
    expect(list.json()).toEqual({
      objects: [
        {
          key: 'tok-1',
          // The start only, as npmjs lists it: npm appends "…" and matches whole tokens to revoke by it.
          token: 'elk_abcd',
          created: '2026-01-01T00:00:00.000Z',
          updated: '2026-01-01T00:00:00.000Z',
          readonly: false,
          cidr_whitelist: null,
          name: 'ci',
        },
      ],
      total: 1,
      urls: {},
    });
    const created = await r.app.inject({
      method: 'POST',
      url: '/npm/-/npm/v1/tokens',
      headers: { ...bearer(r.alice), 'content-type': 'application/json' },
      payload: JSON.stringify({ password: 'alice-password', cidr_whitelist: ['10.0.0.0/8'] }),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ token: 'elk_created', key: 'tok-2', cidr_whitelist: ['10.0.0.0/8'], readonly: false });
    const wrongPw = await r.app.inject({
      method: 'POST',
      url: '/npm/-/npm/v1/tokens',
      headers: { ...bearer(r.alice), 'content-type': 'application/json' },
      payload: JSON.stringify({ password: 'nope' }),
    });
    expect(wrongPw.statusCode).toBe(401);
    expect((await r.app.inject({ method: 'DELETE', url: `/npm/-/npm/v1/tokens/token/tok-1`, headers: bearer(r.alice) })).statusCode).toBe(
      204,
    );
    expect(
      (await r.app.inject({ method: 'DELETE', url: `/npm/-/npm/v1/tokens/token/${'a'.repeat(128)}`, headers: bearer(r.alice) })).statusCode,
    ).toBe(404);
    // `npm token revoke <whole token>` sends the token itself: the caller's token shown as elk_abcd…wxyz is revoked.
    const whole = `elk_abcd${'Q'.repeat(28)}wxyz`;
    expect(
      (await r.app.inject({ method: 'DELETE', url: `/npm/-/npm/v1/tokens/token/${whole}`, headers: bearer(r.alice) })).statusCode,
    ).toBe(204);
    // A token none of the caller's matches is a 404 that does not repeat the secret.
    const other = await r.app.inject({
      method: 'DELETE',
      url: `/npm/-/npm/v1/tokens/token/elk_zzzz${'Q'.repeat(28)}wxyz`,
      headers: bearer(r.alice),
    });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ error: 'none of your tokens is the token given: npm token list shows them', code: 'TOKEN_NOT_FOUND' });
  });
});

describe('packument cache', () => {
  it('stays within its byte bound, evicting the least recently used, and rebuilds on a new revision', async () => {
    const r = await buildTestRegistry();
    const { createPackumentCache } = await import('../../registry/npm/packument.ts');
    const { createPackagesRepo } = await import('../../registry/packages-repo.ts');
    for (const n of ['c-one', 'c-two', 'c-three'])
      await r.app.inject({
        method: 'PUT',
        url: docPath(n),
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(publishBody(n, '1.0.0')),
      });
    const repo = createPackagesRepo(r.db);
    const ref = (n: string) => ({ ...repo.findRev('npm', n)!, name: n });
    const probe = createPackumentCache(repo);
    const one = probe.get(ref('c-one'), 'full', 'http://h/npm');
    const size = probe.stats().bytes;
    const cache = createPackumentCache(repo, 100, size * 2 + 200);
    const first = cache.get(ref('c-one'), 'full', 'http://h/npm');
    expect(first.body.equals(one.body)).toBe(true);
    cache.get(ref('c-two'), 'full', 'http://h/npm');
    expect(cache.get(ref('c-one'), 'full', 'http://h/npm')).toBe(first);
    cache.get(ref('c-three'), 'full', 'http://h/npm');
    expect(cache.stats().entries).toBe(2);
    expect(cache.stats().bytes).toBeLessThanOrEqual(size * 2 + 200);
    expect(cache.get(ref('c-one'), 'full', 'http://h/npm')).toBe(first);
    const bumped = { ...ref('c-one'), rev: ref('c-one').rev + 1 };
    expect(cache.get(bumped, 'full', 'http://h/npm')).not.toBe(first);
    await r.app.close();
  });
});
