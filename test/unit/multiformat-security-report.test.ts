// The security report of PyPI, Maven and RubyGems versions (GET /internal/artifacts/:ecosystem/:name/:version/
// security, behind GET /api/packages/:name/:version/security?ecosystem=): the real advisories the seed ships
// (registry/security/seed-advisories.json) matched in PEP 440 order, with the fixed versions and the upgrade this
// registry offers, and the scan's findings; internal token required; unknown versions 404.
import fs from 'node:fs';
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
    const imported = await r.app.inject({
      method: 'POST',
      url: '/internal/security/advisories',
      headers: { ...internal, 'content-type': 'application/json' },
      payload: fs.readFileSync(SEED_ADVISORIES_FILE),
    });
    expect(imported.json()).toMatchObject({ imported: 3, skipped: [] });
  });
  afterEach(async () => r.app.close());
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
      expect(body.dependencies).toMatchObject({ resolved: false });
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
