// Backup and restore as an operator runs them wrong: the wrong DATA_DIR, a backup cut short or with a database
// missing from its manifest, a restore over a suite that is still running. Each is refused with a sentence, and
// nothing is written (no empty backup folder, no database swapped under a live process).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../scripts/backup.ts';
import { restore } from '../../scripts/restore.ts';
import { freePort } from '../helpers/ports.ts';
import { migratedDataFolder } from '../helpers/reliability.ts';
import { runEntry } from '../helpers/run-entry.ts';
import { ROOT, waitFor } from '../helpers/suite.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-opbackup-'));

const dataFolder = () => migratedDataFolder('elide-opbackup-');

describe('backup refusals', () => {
  it('a DATA_DIR without databases: names the variable, and leaves no empty backup folder', async () => {
    const out = path.join(tmp(), 'backup');
    await expect(backup({ DATA_DIR: path.join(tmp(), 'not-the-data-folder') }, out)).rejects.toThrow(
      /there is no database at .*marketplace\.db \(DATABASE_PATH\): set DATA_DIR/,
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a non-empty target is refused with what to do', async () => {
    const out = tmp();
    fs.writeFileSync(path.join(out, 'something'), 'x');
    await expect(backup({ DATA_DIR: dataFolder() }, out)).rejects.toThrow('is not empty: give --out a new or empty folder');
  });
});

describe('restore refusals', () => {
  let good: string;
  beforeAll(async () => {
    good = path.join(tmp(), 'backup');
    await backup({ DATA_DIR: dataFolder() }, good);
  });

  /** A copy of the good backup, damaged by `damage`. */
  function damaged(damage: (dir: string) => void): string {
    const dir = path.join(tmp(), 'backup');
    fs.cpSync(good, dir, { recursive: true });
    damage(dir);
    return dir;
  }

  it('a backup cut before its manifest: says it is incomplete', async () => {
    const from = damaged((d) => fs.rmSync(path.join(d, 'manifest.json')));
    const to = path.join(tmp(), 'data');
    await expect(restore(from, to)).rejects.toThrow('has no manifest.json: it is not a backup, or a backup that did not finish');
    expect(fs.existsSync(to)).toBe(false);
  });

  it('a manifest that lost a database: refused, instead of restoring an empty database', async () => {
    const from = damaged((d) => {
      const file = path.join(d, 'manifest.json');
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { files: { path: string }[] };
      m.files = m.files.filter((f) => f.path !== 'registry.db');
      fs.writeFileSync(file, JSON.stringify(m));
    });
    const to = path.join(tmp(), 'data');
    await expect(restore(from, to)).rejects.toThrow("the backup's manifest does not list registry.db: the backup is incomplete");
    expect(fs.existsSync(to)).toBe(false);
  });

  it('a file listed in the manifest but missing: names it', async () => {
    const from = damaged((d) => fs.rmSync(path.join(d, 'secrets', 'jwt-secret')));
    await expect(restore(from, path.join(tmp(), 'data'))).rejects.toThrow(
      `the backup lacks ${path.join('secrets', 'jwt-secret')}, which its manifest lists`,
    );
  });

  it('a manifest that is not JSON: says the backup is damaged', async () => {
    const from = damaged((d) => fs.writeFileSync(path.join(d, 'manifest.json'), '{"format": "elide-bac'));
    await expect(restore(from, path.join(tmp(), 'data'))).rejects.toThrow('manifest.json is not valid JSON: the backup is damaged');
  });

  describe('into a data folder a process is using', () => {
    let api: ReturnType<typeof runEntry>;
    let port: number;
    let live: string;
    beforeAll(async () => {
      live = dataFolder();
      port = await freePort();
      api = runEntry('server.ts', { DATA_DIR: live, PORT: String(port), BCRYPT_COST: '4' });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 60_000, 'the api to be ready');
    }, 90_000);
    afterAll(async () => {
      api.child.kill('SIGTERM');
      await api.exited;
    });

    it('--force is refused while the suite runs, naming the process, and the live database is untouched', async () => {
      const secret = path.join(live, 'secrets', 'jwt-secret');
      const before = fs.readFileSync(secret, 'utf8');
      await expect(restore(good, live, { force: true })).rejects.toThrow(
        new RegExp(`is in use by running processes \\(pid [0-9, ]*${api.child.pid}[0-9, ]*\\): stop the suite`),
      );
      // Before: the files were replaced and the live WAL deleted under the running api.
      // (the backup holds another suite's secrets, so a copy would have changed this file).
      expect(fs.readFileSync(secret, 'utf8')).toBe(before);
      expect(fs.existsSync(path.join(live, '.seeded'))).toBe(false);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    });
  });
});

describe('the command lines', () => {
  it('a misspelt option or a missing value is a usage error, not a backup or restore somewhere else', async () => {
    const cwd = tmp();
    const dataDir = dataFolder();
    const misspelt = runEntry('scripts/backup.ts', { DATA_DIR: dataDir }, ['--output', path.join(cwd, 'b')], cwd);
    expect(await misspelt.exited).toBe(2);
    expect(misspelt.output()).toContain("Unknown option '--output'");
    expect(misspelt.output()).toContain('usage: npm run backup -- [--out DIR]');
    // Before: the option was ignored and the backup went to ./backups/<timestamp>.
    expect(fs.existsSync(path.join(cwd, 'backups'))).toBe(false);

    const backupDir = path.join(cwd, 'b');
    await backup({ DATA_DIR: dataDir }, backupDir);
    const noValue = runEntry('scripts/restore.ts', { DATA_DIR: dataDir }, ['--from', backupDir, '--to', '--force'], cwd);
    expect(await noValue.exited).toBe(2);
    expect(noValue.output()).toContain('usage: npm run restore -- --from BACKUP_DIR [--to DATA_DIR] [--force]');
    // Before: it restored into a new folder named "--force".
    expect(fs.existsSync(path.join(cwd, '--force'))).toBe(false);
    expect(fs.existsSync(path.join(ROOT, '--force'))).toBe(false);
  }, 60_000);
});
