// `restore --force` over an existing data folder is all or nothing: it writes into a sibling folder and swaps it
// in with renames at the end, so a failure part-way (here a full disk on the third file) leaves the old data
// exactly as it was, and a success leaves exactly the backup (no stale file from the old folder survives).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { backup } from '../../scripts/backup.ts';
import { restore } from '../../scripts/restore.ts';
import { migratedDataFolder } from '../helpers/reliability.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-restore-atomic-'));

const dataFolder = () => migratedDataFolder('elide-restore-atomic-');

/** Every file under `dir` with its bytes, to compare a folder before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const abs = path.join(dir, rel);
    if (fs.statSync(abs).isFile()) out[rel] = fs.readFileSync(abs).toString('base64');
  }
  return out;
}

/** Leftover staging or replaced folders next to `target`. */
const siblings = (target: string) => fs.readdirSync(path.dirname(target)).filter((f) => f.startsWith(`.${path.basename(target)}.`));

describe('restore --force over an existing data folder', () => {
  let from: string;
  beforeAll(async () => {
    from = path.join(tmp(), 'backup');
    await backup({ DATA_DIR: dataFolder() }, from);
  });
  afterEach(() => vi.restoreAllMocks());

  it('a failure part-way (disk full on the third file) leaves the old data untouched and no staging folder', async () => {
    const target = dataFolder();
    fs.writeFileSync(path.join(target, 'registry.db-wal'), 'old wal');
    const before = snapshot(target);
    const copy = fs.copyFileSync;
    let copies = 0;
    vi.spyOn(fs, 'copyFileSync').mockImplementation((src, dest, mode) => {
      if (++copies === 3) throw Object.assign(new Error('ENOSPC: no space left on device, copyfile'), { code: 'ENOSPC' });
      return copy(src, dest, mode);
    });
    await expect(restore(from, target, { force: true })).rejects.toThrow('ENOSPC');
    expect(copies).toBe(3);
    // Before: both databases were already replaced by the backup's and the old WAL deleted, the secrets were old.
    expect(snapshot(target)).toEqual(before);
    expect(siblings(target)).toEqual([]);
  });

  it('a success leaves exactly the backup, marked seeded, with nothing of the old folder or the staging left', async () => {
    const target = dataFolder();
    fs.writeFileSync(path.join(target, 'registry.db-wal'), 'stale wal');
    fs.writeFileSync(path.join(target, 'stray-file'), 'x');
    await restore(from, target, { force: true });
    const after = snapshot(target);
    const expected = Object.keys(snapshot(from)).filter((f) => f !== 'manifest.json');
    expect(Object.keys(after).sort()).toEqual([...expected, '.seeded'].sort());
    expect(after['marketplace.db']).toBe(snapshot(from)['marketplace.db']);
    expect(siblings(target)).toEqual([]);
  });

  it('a DATA_DIR that is a symlink still points at the restored data afterwards', async () => {
    const real = dataFolder();
    const link = path.join(tmp(), 'data-link');
    fs.symlinkSync(real, link);
    await restore(from, link, { force: true });
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(link, 'secrets', 'jwt-secret'))).toEqual(fs.readFileSync(path.join(from, 'secrets', 'jwt-secret')));
    expect(fs.existsSync(path.join(real, '.seeded'))).toBe(true);
  });
});
