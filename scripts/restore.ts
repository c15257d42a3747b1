// Restore a backup written by scripts/backup.ts into a fresh data folder: every file is checked against the
// manifest's sha256 before anything is written, and a non-empty target is refused unless --force.
// Usage: npm run restore -- --from BACKUP_DIR [--to DATA_DIR] [--force]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../lib/config.ts';
import { EXIT_CONFIG } from '../lib/run-service.ts';
import type { BackupManifest } from './backup.ts';

const DATABASES = ['marketplace.db', 'registry.db'];

function readManifest(fromDir: string): BackupManifest {
  const file = path.join(fromDir, 'manifest.json');
  if (!fs.existsSync(file))
    throw new Error(`${fromDir} has no manifest.json: it is not a backup, or a backup that did not finish (take a new one)`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as BackupManifest;
  } catch {
    throw new Error(`${file} is not valid JSON: the backup is damaged`);
  }
  if (manifest?.format !== 'elide-backup/1') throw new Error(`unknown backup format ${String(manifest?.format)}`);
  if (!Array.isArray(manifest.files)) throw new Error(`${file} lists no files: the backup is damaged`);
  // Without this, a backup whose manifest lost a database would "restore" an empty one (SQLite creates it).
  for (const db of DATABASES)
    if (!manifest.files.some((f) => f.path === db)) throw new Error(`the backup's manifest does not list ${db}: the backup is incomplete`);
  return manifest;
}

/**
 * Processes that have one of the target's databases open (Linux /proc; elsewhere nothing is found). Restoring
 * under a running suite would swap files beneath open SQLite connections and delete the WAL they still write to.
 */
export function processesUsing(files: string[]): number[] {
  const wanted = new Set(files.flatMap((f) => [f, `${f}-wal`, `${f}-shm`]));
  const found: number[] = [];
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to see
    }
    for (const fd of fds) {
      try {
        if (wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          found.push(Number(pid));
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return found;
}

export async function restore(fromDir: string, toDir: string, opts: { force?: boolean } = {}): Promise<BackupManifest> {
  const manifest = readManifest(fromDir);
  if (fs.existsSync(toDir) && !fs.statSync(toDir).isDirectory()) throw new Error(`restore target ${toDir} is a file, not a folder`);
  if (fs.existsSync(toDir) && fs.readdirSync(toDir).length > 0 && !opts.force)
    throw new Error(`restore target ${toDir} is not empty (pass --force to restore over it)`);
  const users = processesUsing(DATABASES.map((db) => path.join(fs.existsSync(toDir) ? fs.realpathSync(toDir) : toDir, db)));
  if (users.length > 0)
    throw new Error(
      `restore target ${toDir} is in use by running processes (pid ${users.join(', ')}): stop the suite (Ctrl-C or SIGTERM on npm start) and run the restore again`,
    );

  // Verify everything before touching the target: a damaged backup must not half-replace a data folder.
  for (const f of manifest.files) {
    const rel = path.normalize(f.path);
    if (path.isAbsolute(rel) || rel.startsWith('..')) throw new Error(`manifest path escapes the backup: ${f.path}`);
    const source = path.join(fromDir, rel);
    if (!fs.existsSync(source)) throw new Error(`the backup lacks ${f.path}, which its manifest lists: the backup is incomplete`);
    const bytes = fs.readFileSync(source);
    if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new Error(`checksum mismatch for ${f.path}`);
  }

  // Everything is written into a sibling folder (same filesystem, so rename works) and swapped in by renames at
  // the end: a failure part-way (a full disk, an unreadable file) leaves the target as it was, never a mix of
  // old and new files. The real path, so a DATA_DIR that is a symlink keeps pointing at the restored data.
  const target = fs.existsSync(toDir) ? fs.realpathSync(toDir) : toDir;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.restoring-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true }); // left by an earlier restore killed with the same pid
  // The old folder's permissions carry over (a private data folder stays private).
  fs.mkdirSync(staging, { mode: fs.existsSync(target) ? fs.statSync(target).mode & 0o7777 : 0o777 });
  try {
    for (const f of manifest.files) {
      const dest = path.join(staging, path.normalize(f.path));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(fromDir, f.path), dest);
      if (f.path.startsWith(`secrets${path.sep}`)) fs.chmodSync(dest, 0o600);
    }
    for (const db of DATABASES) {
      const conn = new Database(path.join(staging, db));
      const ok = conn.pragma('integrity_check', { simple: true });
      conn.close();
      if (ok !== 'ok') throw new Error(`${db} failed integrity_check after restore: ${String(ok)}`);
    }
    // Restored data is already seeded: never let a first start seed demo data on top of it.
    fs.writeFileSync(path.join(staging, '.seeded'), `restored ${manifest.createdAt}\n`);
    swapIn(staging, target);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

/**
 * Replace `target` by `staging` with two renames; the old folder (and with it any stale WAL that would be
 * replayed on top of a restored database) is deleted only once the new one is in place.
 */
function swapIn(staging: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const old = staging.replace(/\.restoring-(\d+)$/, '.replaced-$1');
  fs.rmSync(old, { recursive: true, force: true });
  fs.renameSync(target, old); // fails (EBUSY, EXDEV) for a mount point: nothing has changed yet
  try {
    fs.renameSync(staging, target);
  } catch (err) {
    fs.renameSync(old, target);
    throw err;
  }
  try {
    fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    // The restore itself succeeded: say what is left behind rather than report a failure.
    process.stderr.write(`restore: the replaced data is left in ${old} (${(err as Error).message}): delete it by hand\n`);
  }
}

const USAGE = 'usage: npm run restore -- --from BACKUP_DIR [--to DATA_DIR] [--force]';

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  // Strict: `--to --force` would otherwise restore into a folder named "--force", and a misspelt --to into DATA_DIR.
  let values: { from?: string; to?: string; force?: boolean };
  try {
    ({ values } = parseArgs({
      options: { from: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
    for (const name of ['from', 'to'] as const)
      if (values[name]?.startsWith('-')) throw new Error(`option --${name} needs a folder, not ${values[name]}`);
  } catch (err) {
    process.stderr.write(`restore: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const { from } = values;
  if (!from) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  let to: string;
  try {
    // The same default as every process: DATA_DIR as loadConfig reads it (an empty DATA_DIR means ./data).
    to = values.to ?? loadConfig(process.env).DATA_DIR;
  } catch (err) {
    process.stderr.write(`restore failed: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
  restore(path.resolve(from), path.resolve(to), { force: values.force === true }).then(
    (m) => process.stdout.write(`restored ${m.files.length} files from ${from} (taken ${m.createdAt}) into ${path.resolve(to)}\n`),
    (err: Error) => {
      process.stderr.write(`restore failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
