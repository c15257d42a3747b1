// Maven repository at /maven2/ through buildApp + inject, as Maven 3.8.7 deploys (PUT without Content-Type,
// then .sha1/.md5, then GET+PUT of maven-metadata.xml): releases immutable, SNAPSHOT builds and retention,
// regenerated metadata (also under concurrent deploys), checksums, auth challenges, private artifacts, and
// invalid paths refused with the reason phrase Maven prints and nothing stored. Runs for two groupIds.
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMavenPath } from '../../registry/maven/coordinates.ts';
import { compareMaven } from '../../registry/maven/metadata.ts';
import { addOrg, buildTestRegistry, counts } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const hex = (alg: string, b: Buffer | string) => createHash(alg).update(b).digest('hex');
const basic = (user: string, token: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` });
const pom = (g: string, a: string, v: string) =>
  `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version><description>demo library</description></project>`;
const FIXED_TIME = '2026-01-01T00:00:00Z';
/** A jar is a zip; the scanner refuses anything else (a jar that is not an archive). */
const jar = (text: string) =>
  Buffer.from(zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode(`Manifest-Version: 1.0\n${text}\n`) }, { mtime: FIXED_TIME }));
const fileCount = (r: Reg) => (r.db.prepare('SELECT count(*) AS n FROM artifact_files').get() as { n: number }).n;

for (const groupId of ['com.example', 'org.acme.tools.deep']) {
  const g = groupId.replace(/\./g, '/');
  const base = `/maven2/${g}/hello-lib`;
  describe(`Maven deploy (${groupId})`, () => {
    let r: Reg;
    let auth: Record<string, string>;
    beforeEach(async () => {
      r = await buildTestRegistry();
      auth = basic('alice', r.alice.token);
    });
    afterEach(async () => r.app.close());

    const put = (path: string, body: Buffer | string, headers: Record<string, string> = auth) =>
      r.app.inject({ method: 'PUT', url: path, headers: { expect: '100-continue', ...headers }, payload: Buffer.from(body) });
    const get = (path: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url: path, headers });
    const deploy = async (v: string, file: string, bytes: Buffer | string) => {
      const url = `${base}/${v}/${file}`;
      expect((await put(url, bytes)).statusCode).toBe(201);
      expect((await put(`${url}.sha1`, hex('sha1', bytes))).statusCode).toBe(201);
      expect((await put(`${url}.md5`, hex('md5', bytes))).statusCode).toBe(201);
    };

    it('deploys a release jar + pom with checksums; serves bytes, sha1/md5/sha256/sha512 and regenerated metadata', async () => {
      const bytes = jar('1.0.0');
      await deploy('1.0.0', 'hello-lib-1.0.0.jar', bytes);
      await deploy('1.0.0', 'hello-lib-1.0.0.pom', pom(groupId, 'hello-lib', '1.0.0'));
      expect((await get(`${base}/maven-metadata.xml`)).statusCode).toBe(200);
      // The client's own merged metadata is accepted and ignored.
      expect((await put(`${base}/maven-metadata.xml`, '<metadata>junk</metadata>')).statusCode).toBe(201);
      const file = await get(`${base}/1.0.0/hello-lib-1.0.0.jar`);
      expect(file.statusCode).toBe(200);
      expect(file.rawPayload.equals(bytes)).toBe(true);
      for (const alg of ['sha1', 'md5', 'sha256', 'sha512'])
        expect((await get(`${base}/1.0.0/hello-lib-1.0.0.jar.${alg}`)).body).toBe(hex(alg, bytes));
      const meta = await get(`${base}/maven-metadata.xml`);
      expect(meta.body).toContain(`<groupId>${groupId}</groupId>`);
      expect(meta.body).toContain('<release>1.0.0</release>');
      expect(meta.body).toContain('<versions>\n      <version>1.0.0</version>\n    </versions>');
      expect((await get(`${base}/maven-metadata.xml.sha1`)).body).toBe(hex('sha1', meta.body));
      expect((await r.app.inject({ method: 'HEAD', url: `${base}/1.0.0/hello-lib-1.0.0.jar` })).statusCode).toBe(200);
      const pkg = r.db.prepare("SELECT name, description FROM packages WHERE ecosystem = 'maven'").get();
      expect(pkg).toEqual({ name: `${groupId}:hello-lib`, description: 'demo library' });
      expect(counts(r.db)).toMatchObject({ packages: 1, versions: 1, outbox: 1 });
    });

    it('releases are immutable: identical re-PUT is fine, other bytes get 409 with the reason phrase', async () => {
      await deploy('1.0.0', 'hello-lib-1.0.0.jar', jar('one'));
      expect((await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('one'))).statusCode).toBe(200);
      const res = await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('two'));
      expect(res.statusCode).toBe(409);
      expect(res.raw.res.statusMessage).toBe('release artifacts are immutable: hello-lib-1.0.0.jar exists with other bytes');
      expect((await get(`${base}/1.0.0/hello-lib-1.0.0.jar`)).rawPayload.equals(jar('one'))).toBe(true);
    });

    it('a checksum that disagrees with a confirmed artifact is refused (400) and the real one is still served', async () => {
      expect((await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('bytes'))).statusCode).toBe(201);
      // Confirmed by its .md5 (an unconfirmed fresh artifact is withdrawn instead: maven-checksums-blob-gc.test.ts).
      expect((await put(`${base}/1.0.0/hello-lib-1.0.0.jar.md5`, hex('md5', jar('bytes')))).statusCode).toBe(201);
      const res = await put(`${base}/1.0.0/hello-lib-1.0.0.jar.sha1`, 'f'.repeat(40));
      expect(res.statusCode).toBe(400);
      expect(res.raw.res.statusMessage).toBe(
        `sha1 checksum mismatch for hello-lib-1.0.0.jar: the artifact has ${hex('sha1', jar('bytes'))}, the file says ${'f'.repeat(40)}`,
      );
      expect((await get(`${base}/1.0.0/hello-lib-1.0.0.jar.sha1`)).body).toBe(hex('sha1', jar('bytes')));
    });

    it('SNAPSHOTs: timestamped builds, version-level metadata with the newest build, retention of the last 5', async () => {
      for (let n = 1; n <= 7; n++) {
        const ts = `20261126.0101${String(n).padStart(2, '0')}`;
        await deploy('2.0.0-SNAPSHOT', `hello-lib-2.0.0-${ts}-${n}.jar`, jar(`snapshot ${n}`));
        await deploy('2.0.0-SNAPSHOT', `hello-lib-2.0.0-${ts}-${n}-sources.jar`, jar(`sources ${n}`));
      }
      const meta = (await get(`${base}/2.0.0-SNAPSHOT/maven-metadata.xml`)).body;
      expect(meta).toContain('<snapshot>\n      <timestamp>20261126.010107</timestamp>\n      <buildNumber>7</buildNumber>');
      expect(meta).toContain('<extension>jar</extension>\n        <value>2.0.0-20261126.010107-7</value>');
      expect(meta).toContain('<classifier>sources</classifier>');
      expect((await get(`${base}/2.0.0-SNAPSHOT/hello-lib-2.0.0-20261126.010107-7.jar`)).rawPayload.equals(jar('snapshot 7'))).toBe(true);
      expect((await get(`${base}/2.0.0-SNAPSHOT/hello-lib-2.0.0-20261126.010103-3.jar`)).rawPayload.equals(jar('snapshot 3'))).toBe(true);
      expect((await get(`${base}/2.0.0-SNAPSHOT/hello-lib-2.0.0-20261126.010102-2.jar`)).statusCode).toBe(404);
      expect(fileCount(r)).toBe(10);
      // A SNAPSHOT build may be redeployed with other bytes.
      expect((await put(`${base}/2.0.0-SNAPSHOT/hello-lib-2.0.0-20261126.010107-7.jar`, jar('rebuilt'))).statusCode).toBe(201);
      const art = (await get(`${base}/maven-metadata.xml`)).body;
      expect(art).toContain('<latest>2.0.0-SNAPSHOT</latest>');
      expect(art).not.toContain('<release>');
    });

    it('concurrent deploys of different versions: both appear in the metadata (no lost update)', async () => {
      await Promise.all(['1.0.0', '1.1.0', '1.2.0', '1.10.0'].map((v) => put(`${base}/${v}/hello-lib-${v}.jar`, jar(v))));
      const meta = (await get(`${base}/maven-metadata.xml`)).body;
      expect(meta).toContain('<release>1.10.0</release>');
      expect([...meta.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1])).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.10.0']);
    });

    const badPaths: [string, string][] = [
      // The URL is normalised before routing (%2e%2e -> ..), so what arrives is a short, invalid layout.
      [`/maven2/${g}/hello-lib/%2e%2e/hello-lib-1.0.0.jar`, 'invalid Maven repository path'],
      [`/maven2/${g}//hello-lib/1.0.0/hello-lib-1.0.0.jar`, 'empty, "." and ".." segments are not allowed'],
      [`/maven2/${g}/hello-lib/1.0.0/other-lib-1.0.0.jar`, 'the file name must start with "hello-lib-"'],
      [`/maven2/${g}/hello-lib/1.0.0/hello-lib-1.0.1.jar`, 'the file name must carry the version "1.0.0" of its directory'],
      [`/maven2/hello-lib-1.0.0.jar`, 'expected groupId/artifactId/version/artifactId-version[-classifier].ext'],
    ];
    for (const [path, why] of badPaths) {
      it(`refuses PUT ${path.slice(8)} with 400 and stores nothing`, async () => {
        const res = await put(path, jar('x'));
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toContain(why);
        expect(fileCount(r)).toBe(0);
      });
    }

    it('a POM naming another artifact is refused', async () => {
      const res = await put(`${base}/1.0.0/hello-lib-1.0.0.pom`, pom(groupId, 'other', '1.0.0'));
      expect(res.statusCode).toBe(400);
      expect(res.raw.res.statusMessage).toBe('hello-lib-1.0.0.pom declares artifactId other, not hello-lib');
      expect(fileCount(r)).toBe(0);
    });

    it('PUT without credentials: 401 with WWW-Authenticate: Basic; another user: 403; read-only token: 403', async () => {
      const none = await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('x'), {});
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic realm="maven"');
      expect((await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('x'))).statusCode).toBe(201);
      const bob = await put(`${base}/1.1.0/hello-lib-1.1.0.jar`, jar('y'), basic('bob', r.bob.token));
      expect(bob.statusCode).toBe(403);
      expect((await put(`${base}/1.1.0/hello-lib-1.1.0.jar`, jar('y'), basic('alice', r.alice.readonlyToken))).statusCode).toBe(403);
      expect(fileCount(r)).toBe(1);
    });

    it("a groupId belongs to its artifacts' maintainers: nobody else adds a new artifact to it or to a subgroup", async () => {
      await deploy('1.0.0', 'hello-lib-1.0.0.jar', jar('one'));
      const bob = basic('bob', r.bob.token);
      const before = counts(r.db);
      for (const path of [`/maven2/${g}/hello-evil/1.0/hello-evil-1.0.jar`, `/maven2/${g}/sub/evil/1.0/evil-1.0.jar`]) {
        const res = await put(path, jar('evil'), bob);
        expect([res.statusCode, res.json().code], path).toEqual([403, 'GROUP_NOT_OWNED']);
        expect(res.json().error).toContain(`the groupId ${groupId} belongs to the maintainers of its artifacts`);
      }
      expect([counts(r.db), fileCount(r)]).toEqual([before, 1]);
      // Its own maintainer, an admin, and another group's first publisher may.
      expect((await put(`/maven2/${g}/hello-util/1.0/hello-util-1.0.jar`, jar('util'))).statusCode).toBe(201);
      expect((await put(`/maven2/${g}/root-tool/1.0/root-tool-1.0.jar`, jar('root'), basic('root', r.admin.token))).statusCode).toBe(201);
      expect((await put('/maven2/net/bobs/bob-lib/1.0/bob-lib-1.0.jar', jar('bob'), bob)).statusCode).toBe(201);
      // An artifact given to an org opens the group to its members.
      addOrg(r.identity, 'hello-team', [
        [r.alice, 'owner'],
        [r.bob, 'member'],
      ]);
      const give = await r.app.inject({
        method: 'POST',
        url: '/maven2/-/access',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: { name: `${groupId}:hello-lib`, org: 'hello-team' },
      });
      expect(give.statusCode).toBe(200);
      expect((await put(`/maven2/${g}/hello-bob/1.0/hello-bob-1.0.jar`, jar('bob'), bob)).statusCode).toBe(201);
    });

    it('a group whose artifacts are all private to others is refused like a private artifact (404, no name)', async () => {
      expect((await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('s'), { ...auth, 'x-package-access': 'restricted' })).statusCode).toBe(
        201,
      );
      const res = await put(`/maven2/${g}/other/1.0/other-1.0.jar`, jar('o'), basic('bob', r.bob.token));
      expect([res.statusCode, res.json().code]).toEqual([404, 'PACKAGE_NOT_FOUND']);
      expect(res.body).not.toContain('hello-lib');
    });

    it('a folder path answers 404 saying that files are served, not listings', async () => {
      await deploy('1.0.0', 'hello-lib-1.0.0.jar', jar('one'));
      for (const path of [`${base}/`, `${base}/1.0.0/`]) {
        const res = await get(path);
        expect([res.statusCode, res.json().code], path).toEqual([404, 'FILE_NOT_FOUND']);
        expect(res.json().error).toContain('not folder listings');
      }
    });

    it('a private artifact: anonymous GET 401 + challenge, the owner reads, others 404', async () => {
      expect(
        (await put(`${base}/1.0.0/hello-lib-1.0.0.jar`, jar('secret'), { ...auth, 'x-package-access': 'restricted' })).statusCode,
      ).toBe(201);
      const anon = await get(`${base}/1.0.0/hello-lib-1.0.0.jar`);
      expect(anon.statusCode).toBe(401);
      expect(anon.headers['www-authenticate']).toBe('Basic realm="maven"');
      expect((await get(`${base}/maven-metadata.xml`)).statusCode).toBe(401);
      expect((await get(`${base}/1.0.0/hello-lib-1.0.0.jar`, auth)).rawPayload.equals(jar('secret'))).toBe(true);
      expect((await get(`${base}/1.0.0/hello-lib-1.0.0.jar`, basic('bob', r.bob.token))).statusCode).toBe(404);
    });
  });
}

describe('Maven path validation', () => {
  it('refuses traversal and encoded segments before any lookup (paths as they reach the server, undecoded)', () => {
    for (const raw of [
      'com/../x/1/x-1.jar',
      'com/./x/1/x-1.jar',
      'com/x/1/..',
      'com\\x/1/x-1.jar',
      'com/x/1/x-1.jar%00',
      'com/%2e%2e/x/1/x-1.jar',
    ])
      expect(() => parseMavenPath(raw), raw).toThrow(/invalid Maven repository path/);
    expect(parseMavenPath('com/ex/lib/2.0-SNAPSHOT/lib-2.0-20261126.010125-2-sources.jar.sha1')).toMatchObject({
      kind: 'artifact',
      groupId: 'com.ex',
      artifactId: 'lib',
      version: '2.0-SNAPSHOT',
      classifier: 'sources',
      extension: 'jar',
      timestamp: '20261126.010125',
      buildNumber: 2,
      checksum: 'sha1',
      path: 'com/ex/lib/2.0-SNAPSHOT/lib-2.0-20261126.010125-2-sources.jar',
    });
    expect(parseMavenPath('com/ex/lib/2.0-SNAPSHOT/maven-metadata.xml.md5')).toMatchObject({
      kind: 'metadata',
      version: '2.0-SNAPSHOT',
      checksum: 'md5',
    });
    expect(parseMavenPath('com/ex/lib/maven-metadata.xml')).toMatchObject({
      kind: 'metadata',
      groupId: 'com.ex',
      artifactId: 'lib',
      version: null,
    });
  });
});

describe('Maven version order', () => {
  it('sorts like ComparableVersion for the common cases', () => {
    const sorted = ['1.10.0', '1.0-SNAPSHOT', '1.0', '1.0-rc1', '1.0-alpha-2', '1.0.1', '1.0-beta', '1.0-sp1', '2.0.0-SNAPSHOT'].sort(
      compareMaven,
    );
    expect(sorted).toEqual(['1.0-alpha-2', '1.0-beta', '1.0-rc1', '1.0-SNAPSHOT', '1.0', '1.0-sp1', '1.0.1', '1.10.0', '2.0.0-SNAPSHOT']);
  });
});
