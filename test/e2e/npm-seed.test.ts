// The seed's npm step: @elide/http and friends are published as demo through the publish path, a second seed run
// changes nothing (deterministic tarballs replay as 200), and the real npm installs the seeded packages.
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
});
