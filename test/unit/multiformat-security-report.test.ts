// The security report of PyPI, Maven and RubyGems versions (GET /internal/artifacts/:ecosystem/:name/:version/
// security, behind GET /api/packages/:name/:version/security?ecosystem=): the real advisories the seed ships
// (registry/security/seed-advisories.json) matched in PEP 440 order, with the fixed versions and the upgrade this
// registry offers, and the scan's findings; internal token required; unknown versions 404.
import fs from 'node:fs';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEED_ADVISORIES_FILE } from '../../registry/security/seed-advisories.ts';
import { basic, makeWheel, twineUpload } from '../fixtures/pypi/pypi-fixtures.ts';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };

describe('security report of non-npm versions', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
    for (const version of ['2.29.0', '2.30.0', '2.31.0', '2.32.0'])
      expect((await twineUpload(r.app, makeWheel('requests', version), 'requests', version, r.alice)).statusCode).toBe(200);
    expect((await postAdvisories(fs.readFileSync(SEED_ADVISORIES_FILE))).json()).toMatchObject({ imported: 3, skipped: [] });
  });
  afterEach(async () => r.app.close());
  const postAdvisories = (payload: Buffer | string) =>
    r.app.inject({
      method: 'POST',
      url: '/internal/security/advisories',
      headers: { ...internal, 'content-type': 'application/json' },
      payload,
    });
  const report = (path: string, headers: Record<string, string> = internal) =>
    r.app.inject({ method: 'GET', url: `/internal/artifacts/${path}/security`, headers });

  it('an affected PyPI version lists the advisory with its range, fixed version and the first fixed version here', async () => {
    for (const v of ['2.29.0', '2.30.0']) {
      const res = await report(`pypi/requests/${v}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ name: 'requests', version: v, ecosystem: 'pypi', scanned: true, vulnerabilities: { transitive: [] } });
      expect(body.vulnerabilities.direct).toEqual([
        expect.objectContaining({
          id: 'GHSA-j8r2-6x86-q33q',
          aliases: ['CVE-2023-32681'],
          title: 'Unintended leak of Proxy-Authorization header in requests',
          severity: 'moderate',
          range: '>=2.3.0 <2.31.0',
          fixedIn: ['2.31.0'],
          fixAvailable: { name: 'requests', version: '2.31.0' },
        }),
      ]);
      expect(body.dependencies).toMatchObject({ resolved: true, nodes: 1, conflicts: [], unknown: [] });
    }
    for (const v of ['2.31.0', '2.32.0']) expect((await report(`pypi/requests/${v}`)).json().vulnerabilities.direct).toEqual([]);
  });

  it('the import told the owner of the affected PyPI versions with package.vulnerable, as for npm', () => {
    const events = r.db.prepare(`SELECT payload FROM outbox WHERE type = 'package.vulnerable'`).all() as { payload: string }[];
    expect(events.map((e) => JSON.parse(e.payload))).toEqual([
      expect.objectContaining({
        ownerId: 'user-alice',
        subject: 'package:pypi:requests',
        data: { ecosystem: 'pypi', name: 'requests', versions: ['2.29.0', '2.30.0'], advisories: ['GHSA-j8r2-6x86-q33q'] },
      }),
    ]);
  });

  it('a gem and a Maven artifact get the same report shape (no advisory for them: empty lists)', async () => {
    const push = await r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
      payload: makeGem('hello', '0.1.0'),
    });
    expect(push.statusCode).toBe(200);
    const gem = await report('rubygems/hello/0.1.0');
    expect(gem.statusCode).toBe(200);
    expect(gem.json()).toMatchObject({
      ecosystem: 'rubygems',
      scanned: true,
      vulnerabilities: { direct: [], transitive: [] },
      malware: [],
    });
    const pom =
      '<project><modelVersion>4.0.0</modelVersion><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0.0</version></project>';
    const put = await r.app.inject({
      method: 'PUT',
      url: '/maven2/com/acme/lib/1.0.0/lib-1.0.0.pom',
      headers: basic('alice', r.alice.token),
      payload: pom,
    });
    expect(put.statusCode).toBe(201);
    const mvn = await report('maven/com.acme%3Alib/1.0.0');
    expect(mvn.statusCode).toBe(200);
    expect(mvn.json()).toMatchObject({ name: 'com.acme:lib', ecosystem: 'maven', vulnerabilities: { direct: [] } });
  });

  // An OSV record for one package of another ecosystem, fixed in `fixed`.
  const importAdvisory = async (id: string, ecosystem: string, name: string, fixed: string) => {
    const rec = {
      schema_version: '1.3.0',
      id,
      modified: '2026-01-01T00:00:00Z',
      published: '2026-01-01T00:00:00Z',
      summary: `test advisory for ${name}`,
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
    };
    expect((await postAdvisories(JSON.stringify(rec))).json()).toMatchObject({ imported: 1, skipped: [] });
  };

  it('PyPI: a vulnerable version deep in the tree is reported with its path, the package pulling it in, the fix, and the tree licences', async () => {
    const upload = async (name: string, version: string, o: Parameters<typeof makeWheel>[2]) =>
      expect((await twineUpload(r.app, makeWheel(name, version, o), name, version, r.alice)).statusCode).toBe(200);
    await upload('Flask_Lite', '1.0', { requiresDist: ['requests (>=2.28,<2.31)', 'pytest; extra == "test"'], license: 'GPL-3.0-only' });
    await upload('webapp', '1.0', { requiresDist: ['flask-lite>=1.0'], license: 'MIT' });
    await upload('webapp', '2.0', { requiresDist: ['requests>=2.28'], license: 'MIT' });
    const body = (await report('pypi/webapp/1.0')).json();
    expect(body.vulnerabilities.direct).toEqual([]);
    expect(body.vulnerabilities.transitive).toEqual([
      expect.objectContaining({
        name: 'requests',
        version: '2.30.0',
        severity: 'moderate',
        isDirect: false,
        via: [expect.objectContaining({ id: 'GHSA-j8r2-6x86-q33q', range: '>=2.3.0 <2.31.0' })],
        effects: ['flask-lite'],
        paths: [['webapp@1.0', 'flask-lite@1.0', 'requests@2.30.0']],
        // flask-lite's "<2.31" keeps pip on a vulnerable version: the fix needs that requirement to change.
        fixAvailable: { name: 'requests', version: '2.31.0' },
      }),
    ]);
    expect(body.dependencies).toMatchObject({ resolved: true, nodes: 3, cycles: [], conflicts: [], alerts: [] });
    expect(body.licenses.tree.verdict).not.toBe('allow');
    expect(body.licenses.tree.licenses).toContainEqual(
      expect.objectContaining({ expression: 'GPL-3.0-only', packages: ['flask-lite@1.0'], paths: [['webapp@1.0', 'flask-lite@1.0']] }),
    );
    // pip takes the newest requests 2.0 admits: nothing vulnerable below it.
    const v2 = (await report('pypi/webapp/2.0')).json();
    expect(v2.vulnerabilities.transitive).toEqual([]);
    expect(v2.dependencies.nodes).toBe(2);
  });

  it('Maven: the POM uploaded after the jar describes the dependencies; a vulnerable one is direct with its fixed version', async () => {
    const put = async (path: string, payload: string | Buffer) =>
      expect(
        (await r.app.inject({ method: 'PUT', url: `/maven2/com/acme/${path}`, headers: basic('alice', r.alice.token), payload }))
          .statusCode,
      ).toBe(201);
    const pom = (artifactId: string, version: string, deps = '') =>
      `<project><modelVersion>4.0.0</modelVersion><groupId>com.acme</groupId><artifactId>${artifactId}</artifactId><version>${version}</version><licenses><license><name>Apache-2.0</name></license></licenses><dependencies>${deps}</dependencies></project>`;
    for (const v of ['1.0.0', '1.1.0']) await put(`lib/${v}/lib-${v}.pom`, pom('lib', v));
    await put('app/2.0/app-2.0.jar', Buffer.from(zipSync({ 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\n') })));
    expect((await report('maven/com.acme%3Aapp/2.0')).json().dependencies).toMatchObject({
      resolved: false,
      unknown: ['com.acme:app@2.0'],
    });
    await put(
      'app/2.0/app-2.0.pom',
      pom(
        'app',
        '2.0',
        '<dependency><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0.0</version></dependency>' +
          '<dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>',
      ),
    );
    await importAdvisory('GHSA-test-mvn1', 'Maven', 'com.acme:lib', '1.1.0');
    const body = (await report('maven/com.acme%3Aapp/2.0')).json();
    expect(body.dependencies).toMatchObject({ resolved: true, nodes: 2, unknown: [] });
    expect(body.vulnerabilities.transitive).toEqual([
      expect.objectContaining({
        name: 'com.acme:lib',
        version: '1.0.0',
        severity: 'critical',
        isDirect: true,
        paths: [['com.acme:app@2.0', 'com.acme:lib@1.0.0']],
        fixAvailable: { name: 'com.acme:lib', version: '1.1.0' },
      }),
    ]);
    expect(body.licenses.tree).toMatchObject({ verdict: 'allow', licenses: [expect.objectContaining({ expression: 'Apache-2.0' })] });
  });

  it('Maven: a version managed by a parent POM deployed here is resolved; a private parent of another user lends nothing', async () => {
    const put = async (path: string, payload: string, who: { username: string; token: string } = r.alice) =>
      expect(
        (await r.app.inject({ method: 'PUT', url: `/maven2/${path}`, headers: basic(who.username, who.token), payload })).statusCode,
      ).toBe(201);
    const parent = (g: string) =>
      `<project><modelVersion>4.0.0</modelVersion><groupId>${g}</groupId><artifactId>parent</artifactId><version>1</version>
        <packaging>pom</packaging><dependencyManagement><dependencies><dependency><groupId>com.acme</groupId>
        <artifactId>lib</artifactId><version>1.0.0</version></dependency></dependencies></dependencyManagement></project>`;
    const child = (g: string, artifactId: string) =>
      `<project><modelVersion>4.0.0</modelVersion><parent><groupId>${g}</groupId><artifactId>parent</artifactId><version>1</version></parent>
        <groupId>com.acme</groupId><artifactId>${artifactId}</artifactId><version>2.0</version>
        <dependencies><dependency><groupId>com.acme</groupId><artifactId>lib</artifactId></dependency></dependencies></project>`;
    await put(
      'com/acme/lib/1.0.0/lib-1.0.0.pom',
      '<project><groupId>com.acme</groupId><artifactId>lib</artifactId><version>1.0.0</version></project>',
    );
    await put('com/acme/parent/1/parent-1.pom', parent('com.acme'));
    await put('com/acme/app/2.0/app-2.0.pom', child('com.acme', 'app'));
    const app = (await report('maven/com.acme%3Aapp/2.0')).json().dependencies;
    expect(app).toMatchObject({ resolved: true, nodes: 2, unknown: [], alerts: [] });

    await put('org/bob/parent/1/parent-1.pom', parent('org.bob'), r.bob);
    const hide = await r.app.inject({
      method: 'POST',
      url: '/maven2/-/access',
      headers: { ...basic('bob', r.bob.token), 'content-type': 'application/json' },
      payload: { name: 'org.bob:parent', access: 'restricted' },
    });
    expect(hide.statusCode, hide.body).toBe(200);
    await put('com/acme/other/2.0/other-2.0.pom', child('org.bob', 'other'));
    const other = (await report('maven/com.acme%3Aother/2.0')).json().dependencies;
    expect(other.alerts).toEqual([expect.objectContaining({ kind: 'unresolvedVersion', name: 'com.acme:lib' })]);
  });

  it('RubyGems: Bundler takes the newest version "~>" admits; an exact pin on a vulnerable one is reported', async () => {
    const push = async (gem: Buffer) =>
      expect(
        (
          await r.app.inject({
            method: 'POST',
            url: '/rubygems/api/v1/gems',
            headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
            payload: gem,
          })
        ).statusCode,
      ).toBe(200);
    for (const v of ['1.0.0', '1.1.0']) await push(makeGem('rackish', v));
    await push(makeGem('webgem', '0.1.0', { runtime: [['rackish', '~>', '1.0']], development: [['rspecish', '>=', '0']] }));
    await push(makeGem('pinned', '0.1.0', { runtime: [['rackish', '=', '1.0.0']] }));
    await importAdvisory('GHSA-test-gem1', 'RubyGems', 'rackish', '1.1.0');
    const loose = (await report('rubygems/webgem/0.1.0')).json();
    expect(loose.vulnerabilities.transitive).toEqual([]);
    expect(loose.dependencies).toMatchObject({ resolved: true, nodes: 2, alerts: [] });
    // Two gems declare rackish: its popularity counts them as dependents, and the details carry the whole score.
    const details = async (name: string) =>
      (await r.app.inject({ method: 'GET', url: `/internal/packages/${name}?ecosystem=rubygems&score=1`, headers: internal })).json();
    const rackish = (await details('rackish')).score;
    expect(Object.keys(rackish.score)).toEqual(['quality', 'popularity', 'maintenance', 'overall']);
    expect(rackish.breakdown.popularity.dependents).toBeGreaterThan(0);
    expect((await details('webgem')).score.breakdown.popularity.dependents).toBe(0);
    const pinned = (await report('rubygems/pinned/0.1.0')).json();
    expect(pinned.vulnerabilities.transitive).toEqual([
      expect.objectContaining({ name: 'rackish', version: '1.0.0', isDirect: true, fixAvailable: { name: 'rackish', version: '1.1.0' } }),
    ]);
  });

  it('needs the internal token; unknown versions, packages and ecosystems answer 404 / 400', async () => {
    expect((await report('pypi/requests/2.30.0', {})).statusCode).toBe(403);
    expect((await report('pypi/requests/9.9.9')).json()).toEqual({
      error: 'version 9.9.9 of requests was not found',
      code: 'VERSION_NOT_FOUND',
    });
    expect((await report('pypi/nope/1.0.0')).statusCode).toBe(404);
    expect((await report('cargo/requests/2.30.0')).statusCode).toBe(400);
  });
});
