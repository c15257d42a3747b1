// The seed's npm step: @elide/http and friends are published as demo through the publish path, a second seed run
// changes nothing (deterministic tarballs replay as 200), and the real npm installs the seeded packages. The seed's
// real advisories (registry/security/seed-advisories.json) make the security feature visible on first start: the
// security report of lodash 4.17.20 and of PyPI requests 2.30.0, and `npm audit` on a project using lodash 4.17.20.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db.ts';
import { SEED_PACKAGES } from '../../registry/npm/seed.ts';
import { testConfig } from '../helpers/config.ts';
import { npmUser, writePackage } from '../helpers/npm-cli.ts';
import { ROOT, startSuite } from '../helpers/suite.ts';

// `npm run seed` as a user runs it (the script has a shebang line, so it is run, not imported).
const runSeed = (dataDir: string) =>
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/seed-data.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-123', BCRYPT_COST: '4', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-seed-npm-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('seed: npm packages', () => {
  it('publishes every seed version once, as demo, and is idempotent', async () => {
    const config = testConfig({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-123' });
    const first = runSeed(dir);
    const expected = SEED_PACKAGES.flatMap((p) => p.versions.map((v) => `${p.name}@${v.version}`));
    // Other ecosystems' seed steps print their own "published PyPI ..." lines: keep the npm ones ("name@version").
    expect(first.filter((c) => /^published \S+@\d/.test(c)).map((c) => c.split(' ')[1])).toEqual(expected);
    const db = openDatabase(config.REGISTRY_DATABASE_PATH, { readonly: true });
    const rows = db
      .prepare(
        "SELECT p.name, v.version, v.publisher_name FROM package_versions v JOIN packages p ON p.id = v.package_id WHERE p.ecosystem = 'npm' ORDER BY v.rowid",
      )
      .all() as { name: string; version: string; publisher_name: string }[];
    expect(rows.map((r) => `${r.name}@${r.version}`)).toEqual(expected);
    expect(new Set(rows.map((r) => r.publisher_name))).toEqual(new Set(['demo']));
    const tags = db
      .prepare(
        "SELECT d.tag, d.version FROM dist_tags d JOIN packages p ON p.id = d.package_id WHERE p.name = '@elide/http' ORDER BY d.tag",
      )
      .all();
    expect(tags).toEqual([
      { tag: 'beta', version: '2.1.0-beta.1' },
      { tag: 'latest', version: '2.0.0' },
    ]);
    db.close();
    const second = runSeed(dir);
    expect(first).toContain('imported 3 security advisories (OSV) for the seeded packages');
    expect(second).toEqual([`nothing to change: ${dir} is already seeded`]);
  });

  it('npm installs the seeded packages with their dependencies and bins', async () => {
    const suite = await startSuite({ only: ['registry'], dataDir: dir });
    try {
      const npm = npmUser(`${suite.urls.registry}/npm/`, 'seed');
      const app = writePackage(path.join(npm.home, 'app'), { name: 'app', version: '1.0.0', private: true });
      const r = await npm.run(['install', '@elide/router', 'tiny-duration@1.0.0'], { cwd: app });
      expect(r.code).toBe(0);
      const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
      expect(lock.packages['node_modules/@elide/http'].version).toBe('2.0.0');
      expect(lock.packages['node_modules/@elide/router'].version).toBe('1.0.0');
      expect(execFileSync(path.join(app, 'node_modules/.bin/tiny-duration'), ['2h'], { encoding: 'utf8' }).trim()).toBe('7200000');
    } finally {
      await suite.stopAll();
    }
  });

  it('first start shows the seeded advisories: security reports with the fixed version, and npm audit', async () => {
    const suite = await startSuite({ only: ['api', 'registry'], dataDir: dir });
    try {
      const report = async (path: string) => {
        const res = await fetch(`${suite.urls.api}/api/packages/${path}`);
        expect(res.status, path).toBe(200);
        return (await res.json()) as { vulnerabilities: { direct: { id: string; range: string; severity: string; fixedIn?: string[] }[] } };
      };
      const lodash = await report('lodash/4.17.20/security');
      expect(lodash.vulnerabilities.direct.map((v) => [v.id, v.range, v.severity]).sort()).toEqual([
        ['GHSA-29mw-wpgm-hmr9', '<4.17.21', 'moderate'],
        ['GHSA-35jh-r3h4-6jhm', '<4.17.21', 'high'],
      ]);
      expect((await report('lodash/4.17.21/security')).vulnerabilities.direct).toEqual([]);
      const requests = await report('requests/2.30.0/security?ecosystem=pypi');
      expect(requests.vulnerabilities.direct).toEqual([
        expect.objectContaining({
          id: 'GHSA-j8r2-6x86-q33q',
          range: '>=2.3.0 <2.31.0',
          fixedIn: ['2.31.0'],
          fixAvailable: { name: 'requests', version: '2.31.0' },
        }),
      ]);
      const client = (await report('elide-http-client/1.0.0/security?ecosystem=pypi')) as unknown as {
        vulnerabilities: { transitive: { name: string; version: string; paths: string[][]; fixAvailable: unknown }[] };
      };
      expect(client.vulnerabilities.transitive).toEqual([
        expect.objectContaining({
          name: 'requests',
          version: '2.30.0',
          paths: [['elide-http-client@1.0.0', 'requests@2.30.0']],
          fixAvailable: { name: 'requests', version: '2.31.0' },
        }),
      ]);

      const npm = npmUser(`${suite.urls.registry}/npm/`, 'seed-audit');
      const app = writePackage(path.join(npm.home, 'audit-app'), {
        name: 'audit-app',
        version: '1.0.0',
        private: true,
        dependencies: { lodash: '4.17.20' },
      });
      expect((await npm.run(['install', '--no-audit'], { cwd: app })).code).toBe(0);
      const audit = await npm.run(['audit', '--audit', '--json'], { cwd: app });
      expect(audit.code).toBe(1);
      const json = audit.json<{
        vulnerabilities: Record<string, { severity: string; via: { title: string; url: string }[]; fixAvailable: unknown }>;
      }>();
      expect(json.vulnerabilities.lodash).toMatchObject({ severity: 'high', fixAvailable: { name: 'lodash', version: '4.17.21' } });
      expect(json.vulnerabilities.lodash.via.map((v) => v.title).sort()).toEqual([
        'Command Injection in lodash',
        'Regular Expression Denial of Service (ReDoS) in lodash',
      ]);
      const text = await npm.run(['audit', '--audit'], { cwd: app });
      expect(text.stdout).toContain('Command Injection in lodash');
      expect(text.stdout).toContain('fix available via `npm audit fix --force`');
    } finally {
      await suite.stopAll();
    }
  });
});
