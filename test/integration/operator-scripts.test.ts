// The operator's scripts pointed at the wrong data folder: a sentence naming the variable and EXIT_CONFIG, never a
// stack trace, and never a new empty registry made where a mistyped DATA_DIR points.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../lib/run-service.ts';
import { runEntry, STACK_FRAME } from '../helpers/run-entry.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-opscripts-'));

describe('scripts on a wrong DATA_DIR', () => {
  it('advisories:import refuses a folder without a registry instead of creating one', async () => {
    const osv = path.join(tmp(), 'osv.json');
    fs.writeFileSync(osv, '[]');
    const typo = path.join(tmp(), 'dat');
    const p = runEntry('scripts/advisories-import.ts', { DATA_DIR: typo }, [osv]);
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain(`there is no registry database at ${path.join(typo, 'registry.db')}: set DATA_DIR`);
    // Before: an empty registry.db appeared there and the import reported success.
    expect(fs.existsSync(typo)).toBe(false);
  });

  it.each([
    ['scripts/seed-data.ts', []],
    ['scripts/advisories-import.ts', ['/dev/null']],
  ])('%s on a DATA_DIR below a file: one sentence, no stack trace', async (entry, args) => {
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, '');
    const p = runEntry(entry, { DATA_DIR: path.join(file, 'data'), BCRYPT_COST: '4' }, args);
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain(path.join(file, 'data'));
    expect(p.output()).not.toMatch(STACK_FRAME);
  });
});

describe('the seed as npm start runs it', () => {
  it('a generated admin password goes to a 0600 file, never into the output (the log); a re-run changes nothing', async () => {
    const dataDir = tmp();
    const env = { DATA_DIR: dataDir, BCRYPT_COST: '4', HOME: os.tmpdir() };
    const first = runEntry('scripts/seed-data.ts', env);
    expect(await first.exited).toBe(0);
    const file = path.join(dataDir, 'secrets', 'admin-password');
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // It is the admin's password...
    const db = new Database(path.join(dataDir, 'marketplace.db'), { readonly: true });
    const row = db.prepare("SELECT password_hash AS hash FROM users WHERE username = 'admin'").get() as { hash: string };
    db.close();
    expect(await bcrypt.compare(password, row.hash)).toBe(true);
    // ...and the output, which npm start turns into its log, names the file but not the password.
    expect(first.output()).toContain(`admin password generated into ${file} (mode 0600)`);
    expect(first.output()).not.toContain(password);

    const second = runEntry('scripts/seed-data.ts', env);
    expect(await second.exited).toBe(0);
    expect(second.output().trim()).toBe(`nothing to change: ${dataDir} is already seeded`);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(password);
  }, 120_000);
});
