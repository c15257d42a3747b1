// Correctness of what a security report shows, as a user comparing it with npm audit, Snyk and Socket would check
// it: a private dependency never shows through a package its readers may see (npm and PyPI trees), every tree
// licence names its path from the root, one vulnerability under two ids (a GHSA and a PYSEC record sharing a CVE)
// is listed once, and RubyGems versions compare as Gem::Version does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configuredLicensePolicy, evaluateLicense } from '../../registry/security/licenses.ts';
import { compareGem } from '../../registry/security/versions.ts';
import { makeWheel, twineUpload } from '../fixtures/pypi/pypi-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const internal = { 'x-internal-token': testSecrets.internalToken };

describe('security reports', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  const put = async (name: string, version: string, o: Parameters<typeof publishBody>[2] = {}) => {
    const res = await r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { 'content-type': 'application/json', ...bearer(r.alice) },
      payload: JSON.stringify(publishBody(name, version, o)),
    });
    expect(res.statusCode).toBe(201);
  };
  const npmReport = async (name: string, version: string) => {
    const res = await r.app.inject({ method: 'GET', url: `/internal/packages/${name}/${version}/security`, headers: internal });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const importOsv = async (records: unknown[]) => {
    const res = await r.app.inject({ method: 'POST', url: '/internal/security/advisories', headers: internal, payload: records });
    expect(res.json()).toMatchObject({ skipped: [] });
  };
  const everything = (report: unknown) => JSON.stringify(report);

  it('npm: a private dependency of a public package is left out of its report (version, licence, advisories, subtree)', async () => {
    await put('hidden-leaf', '1.0.0', { pkg: { license: 'GPL-3.0-only' } });
    await put('@acme/secret', '1.2.3', {
      access: 'restricted',
      pkg: { license: 'LicenseRef-Acme', dependencies: { 'hidden-leaf': '^1.0.0' } },
    });
    await put('pub-app', '1.0.0', { pkg: { license: 'MIT', dependencies: { '@acme/secret': '^1.0.0' } } });
    await importOsv([
      {
        id: 'GHSA-secr-et00-0001',
        modified: '2026-01-01T00:00:00Z',
        summary: 'flaw in the private package',
        database_specific: { severity: 'HIGH' },
        affected: [{ package: { ecosystem: 'npm', name: '@acme/secret' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
      },
    ]);
    const rep = await npmReport('pub-app', '1.0.0');
    // The public manifest names the dependency (that is not a leak); what it resolves to is.
    expect(rep.dependencies).toMatchObject({
      nodes: 1,
      alerts: [{ kind: 'missingDependency', from: 'pub-app@1.0.0', name: '@acme/secret', spec: '^1.0.0' }],
    });
    expect(rep.vulnerabilities.transitive).toEqual([]);
    expect(rep.licenses.tree.licenses).toEqual([]);
    for (const secret of ['1.2.3', 'LicenseRef-Acme', 'hidden-leaf', 'GHSA-secr-et00-0001']) expect(everything(rep)).not.toContain(secret);

    // A private package of the same owners shows its private dependency: every reader of it reads that one too.
    await put('@acme/private-app', '1.0.0', { access: 'restricted', pkg: { license: 'MIT', dependencies: { '@acme/secret': '^1.0.0' } } });
    const own = await npmReport('@acme/private-app', '1.0.0');
    expect(own.dependencies.nodes).toBe(3);
    expect(own.vulnerabilities.transitive.map((v: { name: string }) => v.name)).toEqual(['@acme/secret']);
  });

  it('npm: each tree licence names the path from the root, also for a package deep in the tree and not vulnerable', async () => {
    await put('gpl-leaf', '1.0.0', { pkg: { license: 'GPL-3.0-only' } });
    await put('mid-lib', '2.0.0', { pkg: { license: 'MIT', dependencies: { 'gpl-leaf': '^1.0.0' } } });
    await put('top-app', '3.0.0', { pkg: { license: 'MIT', dependencies: { 'mid-lib': '^2.0.0' } } });
    const rep = await npmReport('top-app', '3.0.0');
    expect(rep.licenses.tree.licenses).toContainEqual({
      expression: 'GPL-3.0-only',
      verdict: 'warn',
      packages: ['gpl-leaf@1.0.0'],
      paths: [['top-app@3.0.0', 'mid-lib@2.0.0', 'gpl-leaf@1.0.0']],
    });
  });

  it('npm: one vulnerability under two ids (shared CVE alias) is one entry in the report, the GHSA kept', async () => {
    await put('dup-leaf', '1.0.0', { pkg: { license: 'MIT' } });
    await put('dup-app', '1.0.0', { pkg: { license: 'MIT', dependencies: { 'dup-leaf': '^1.0.0' } } });
    const affected = [{ package: { ecosystem: 'npm', name: 'dup-leaf' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }];
    await importOsv([
      { id: 'OSV-2026-0001', modified: '2026-01-01T00:00:00Z', aliases: ['CVE-2026-0001'], summary: 'dup (OSV)', affected },
      {
        id: 'GHSA-dupl-leaf-0001',
        modified: '2026-01-01T00:00:00Z',
        aliases: ['CVE-2026-0001'],
        summary: 'dup (GHSA)',
        database_specific: { severity: 'HIGH' },
        affected,
      },
    ]);
    expect((await npmReport('dup-leaf', '1.0.0')).vulnerabilities.direct.map((a: { id: string }) => a.id)).toEqual(['GHSA-dupl-leaf-0001']);
    const [leaf] = (await npmReport('dup-app', '1.0.0')).vulnerabilities.transitive;
    expect(leaf.via.map((v: { title: string }) => v.title)).toEqual(['dup (GHSA)']);
  });

  describe('PyPI', () => {
    const upload = async (name: string, version: string, o: Parameters<typeof makeWheel>[2]) =>
      expect((await twineUpload(r.app, makeWheel(name, version, o), name, version, r.alice)).statusCode).toBe(200);
    const report = async (path: string) => {
      const res = await r.app.inject({ method: 'GET', url: `/internal/artifacts/${path}/security`, headers: internal });
      expect(res.statusCode).toBe(200);
      return res.json();
    };

    it('a private dependency of a public project is left out of its report', async () => {
      await upload('secret-core', '1.4.0', { license: 'LicenseRef-Acme' });
      r.db.prepare(`UPDATE packages SET access = 'restricted' WHERE ecosystem = 'pypi' AND name = 'secret-core'`).run();
      await upload('open-tool', '1.0', { requiresDist: ['secret-core>=1.0'], license: 'MIT' });
      const rep = await report('pypi/open-tool/1.0');
      expect(rep.dependencies.packages).toEqual(['open-tool@1.0']);
      for (const secret of ['1.4.0', 'LicenseRef-Acme']) expect(everything(rep)).not.toContain(secret);
    });

    it('a GHSA and a PYSEC record of the same CVE are one advisory of the version', async () => {
      await upload('twice', '1.0', { license: 'MIT' });
      const affected = [
        { package: { ecosystem: 'PyPI', name: 'twice' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] },
      ];
      await importOsv([
        { id: 'PYSEC-2026-1', modified: '2026-01-01T00:00:00Z', aliases: ['CVE-2026-1111', 'GHSA-twic-e000-0001'], affected },
        {
          id: 'GHSA-twic-e000-0001',
          modified: '2026-01-01T00:00:00Z',
          aliases: ['CVE-2026-1111'],
          summary: 'twice is vulnerable',
          database_specific: { severity: 'MODERATE' },
          affected,
        },
      ]);
      const rep = await report('pypi/twice/1.0');
      expect(rep.vulnerabilities.direct.map((a: { id: string }) => a.id)).toEqual(['GHSA-twic-e000-0001']);
    });

    it('the upgrade offered for a direct advisory is one a client can install: not quarantined, not yanked', async () => {
      for (const v of ['1.0', '1.5', '1.6', '1.7']) await upload('upgradable', v, { license: 'MIT' });
      const affected = [
        {
          package: { ecosystem: 'PyPI', name: 'upgradable' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.5' }] }],
        },
      ];
      await importOsv([{ id: 'PYSEC-2026-3', modified: '2026-01-01T00:00:00Z', affected }]);
      const fix = async () => (await report('pypi/upgradable/1.0')).vulnerabilities.direct[0].fixAvailable;
      expect(await fix()).toEqual({ name: 'upgradable', version: '1.5' });
      // An admin quarantines 1.5 (malware): pip cannot get it, so it is not the fix.
      const review = { ecosystem: 'pypi', name: 'upgradable', version: '1.5', action: 'quarantine', by: 'root' };
      expect(
        (await r.app.inject({ method: 'POST', url: '/internal/security/reviews', headers: internal, payload: review })).statusCode,
      ).toBe(200);
      expect(await fix()).toEqual({ name: 'upgradable', version: '1.6' });
      // 1.6 yanked: pip skips it unless pinned exactly.
      r.db
        .prepare(
          `UPDATE artifact_files SET yanked = 'broken' WHERE package_id = (SELECT id FROM packages WHERE ecosystem = 'pypi' AND name = 'upgradable') AND version = '1.6'`,
        )
        .run();
      expect(await fix()).toEqual({ name: 'upgradable', version: '1.7' });
    });

    it('fixedIn lists versions, not the commit of a GIT range, each once', async () => {
      await upload('gitfix', '1.0', { license: 'MIT' });
      const events = [{ introduced: '0' }, { fixed: '1.5' }];
      await importOsv([
        {
          id: 'PYSEC-2026-2',
          modified: '2026-01-01T00:00:00Z',
          affected: [
            {
              package: { ecosystem: 'PyPI', name: 'gitfix' },
              ranges: [
                {
                  type: 'GIT',
                  repo: 'https://github.com/acme/gitfix',
                  events: [{ introduced: '0' }, { fixed: '3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a098' }],
                },
                { type: 'ECOSYSTEM', events },
                { type: 'ECOSYSTEM', events },
              ],
            },
          ],
        },
      ]);
      const [hit] = (await report('pypi/gitfix/1.0')).vulnerabilities.direct;
      expect(hit).toMatchObject({ id: 'PYSEC-2026-2', fixedIn: ['1.5'] });
    });
  });
});

describe('RubyGems version order (Gem::Version canonical segments)', () => {
  it('ignores zeros before and after the first letter segment, as Ruby does', () => {
    expect(compareGem('1.0.a', '1.a')).toBe(0);
    expect(compareGem('2.0.0.rc1', '2.0.rc1')).toBe(0);
    expect(compareGem('1.a.0', '1.a')).toBe(0);
    // Unchanged: a prerelease sorts before its release, trailing zeros of a release are insignificant.
    expect(compareGem('2.0.0.rc1', '2.0.0')).toBe(-1);
    expect(compareGem('1.2', '1.2.0')).toBe(0);
    expect(compareGem('2.0.rc1', '1.9.9')).toBe(1);
  });
});

describe('licences', () => {
  it('common permissive SPDX ids are allowed by the default policy, not unknown', () => {
    for (const id of ['CC-BY-4.0', 'MIT-0', 'PSF-2.0', 'Unicode-DFS-2016', 'BSD-2-Clause-Patent', '(MIT OR CC0-1.0)']) {
      const r = evaluateLicense({ license: id });
      expect([id, r.verdict, r.findings]).toEqual([id, 'allow', []]);
    }
    // Still asked about: a LicenseRef and a valid id with no class (WTFPL).
    expect(evaluateLicense({ license: 'WTFPL' }).verdict).toBe('warn');
  });
});

describe('licence deny lists and "-or-later"', () => {
  const verdict = (license: string, deny: string[]) => evaluateLicense({ license }, configuredLicensePolicy('default', [], deny)).verdict;
  it('denying the last version of a family denies "-or-later" and "+" of it: nothing later is left to choose', () => {
    expect(verdict('GPL-3.0-or-later', ['GPL-3.0-only'])).toBe('deny');
    expect(verdict('GPL-3.0+', ['GPL-3.0-only'])).toBe('deny');
    expect(verdict('LGPL-2.1-or-later', ['LGPL-2.1-only', 'LGPL-3.0-only'])).toBe('deny');
  });
  it('"-or-later" is not denied while a later version may still be chosen; a denied range covers later versions', () => {
    expect(verdict('GPL-2.0-or-later', ['GPL-2.0-only'])).toBe('warn');
    expect(verdict('GPL-3.0-only', ['GPL-2.0-or-later'])).toBe('deny');
    expect(verdict('(GPL-3.0-or-later OR MIT)', ['GPL-3.0-only'])).toBe('allow');
  });
});
