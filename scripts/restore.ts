// Restore a backup written by scripts/backup.ts into a fresh data folder: every file is checked against the
// manifest's sha256 before anything is written, and a non-empty target is refused unless --force.
// Usage: npm run restore -- --from BACKUP_DIR [--to DATA_DIR] [--force]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackupManifest } from './backup.ts';

export async function restore(fromDir: string, toDir: string, opts: { force?: boolean } = {}): Promise<BackupManifest> {
  const manifest = JSON.parse(fs.readFileSync(path.join(fromDir, 'manifest.json'), 'utf8')) as BackupManifest;
  if (manifest.format !== 'elide-backup/1') throw new Error(`unknown backup format ${String(manifest.format)}`);
  if (fs.existsSync(toDir) && fs.readdirSync(toDir).length > 0 && !opts.force)
    throw new Error(`restore target ${toDir} is not empty (pass --force to restore over it)`);

  // Verify everything before touching the target: a damaged backup must not half-replace a data folder.
  for (const f of manifest.files) {
    const rel = path.normalize(f.path);
    if (path.isAbsolute(rel) || rel.startsWith('..')) throw new Error(`manifest path escapes the backup: ${f.path}`);
    const bytes = fs.readFileSync(path.join(fromDir, rel));
    if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new Error(`checksum mismatch for ${f.path}`);
  }

  fs.mkdirSync(toDir, { recursive: true });
  if (opts.force) {
    // Stale WAL files beside a restored database would be replayed on top of it.
    for (const db of ['marketplace.db', 'registry.db'])
      for (const suffix of ['-wal', '-shm']) fs.rmSync(path.join(toDir, db + suffix), { force: true });
  }
  for (const f of manifest.files) {
    const target = path.join(toDir, path.normalize(f.path));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(fromDir, f.path), target);
    if (f.path.startsWith(`secrets${path.sep}`)) fs.chmodSync(target, 0o600);
  }
  for (const db of ['marketplace.db', 'registry.db']) {
    const conn = new Database(path.join(toDir, db));
    const ok = conn.pragma('integrity_check', { simple: true });
    conn.close();
    if (ok !== 'ok') throw new Error(`${db} failed integrity_check after restore: ${String(ok)}`);
  }
  // Restored data is already seeded: never let a first start seed demo data on top of it.
  fs.writeFileSync(path.join(toDir, '.seeded'), `restored ${manifest.createdAt}\n`);
  return manifest;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const from = arg('--from');
  const to = arg('--to') ?? process.env.DATA_DIR ?? './data';
  if (!from) {
    process.stderr.write('usage: npm run restore -- --from BACKUP_DIR [--to DATA_DIR] [--force]\n');
    process.exit(2);
  }
  restore(path.resolve(from), path.resolve(to), { force: process.argv.includes('--force') }).then(
    (m) => process.stdout.write(`restored ${m.files.length} files from ${from} (taken ${m.createdAt}) into ${path.resolve(to)}\n`),
    (err: Error) => {
      process.stderr.write(`restore failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
