// Online backup of a running suite: both SQLite databases snapshotted with VACUUM INTO (one read transaction
// each, so a consistent point in time while writers keep going), then the blobs the snapshot references, then
// the generated secrets, and a manifest with sha256 checksums. Usage: npm run backup -- [--out DIR]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../lib/config.ts';

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'elide-backup/1';
  createdAt: string;
  sourceDataDir: string;
  databases: { marketplace: string; registry: string };
  counts: { blobs: number; packageVersions: number; artifactFiles: number; deployments: number };
  files: ManifestEntry[];
}

const HEX512 = /^[0-9a-f]{128}$/;

const sha256File = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Snapshot one database into `dest` (which must not exist). VACUUM INTO never sees a half-written transaction. */
function snapshot(source: string, dest: string): void {
  const db = new Database(source, { fileMustExist: true, timeout: 30_000 });
  try {
    db.prepare('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
}

function count(db: Database.Database, sql: string): number {
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } catch {
    return 0; // table not migrated yet in this data folder
  }
}

export async function backup(env: NodeJS.ProcessEnv, outDir: string): Promise<BackupManifest> {
  const config = loadConfig(env);
  // Checked before the target is made: a wrong DATA_DIR must not leave an empty backup folder behind.
  for (const [variable, file] of [
    ['DATABASE_PATH', config.DATABASE_PATH],
    ['REGISTRY_DATABASE_PATH', config.REGISTRY_DATABASE_PATH],
  ])
    if (!fs.existsSync(file))
      throw new Error(
        `there is no database at ${file} (${variable}): set DATA_DIR (or ${variable}) to the data folder of the suite to back up`,
      );
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new Error(`backup target ${outDir} is a file, not a folder`);
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0)
    throw new Error(`backup target ${outDir} is not empty: give --out a new or empty folder`);
  fs.mkdirSync(outDir, { recursive: true });
  const files: ManifestEntry[] = [];
  const record = (rel: string) => {
    const abs = path.join(outDir, rel);
    files.push({ path: rel, size: fs.statSync(abs).size, sha256: sha256File(abs) });
  };

  // Databases first: the blob list comes from the snapshot, so every blob a row points at is copied (the
  // store is append-only for referenced blobs, so a blob present at snapshot time is still there afterwards).
  snapshot(config.DATABASE_PATH, path.join(outDir, 'marketplace.db'));
  snapshot(config.REGISTRY_DATABASE_PATH, path.join(outDir, 'registry.db'));
  record('marketplace.db');
  record('registry.db');

  const reg = new Database(path.join(outDir, 'registry.db'), { readonly: true });
  const mkt = new Database(path.join(outDir, 'marketplace.db'), { readonly: true });
  const blobs = (reg.prepare('SELECT sha512 FROM blobs').all() as { sha512: string }[]).map((r) => r.sha512);
  const counts = {
    blobs: blobs.length,
    packageVersions: count(reg, 'SELECT count(*) AS n FROM package_versions'),
    artifactFiles: count(reg, 'SELECT count(*) AS n FROM artifact_files'),
    deployments: count(mkt, 'SELECT count(*) AS n FROM mkt_deployments'),
  };
  reg.close();
  mkt.close();

  const blobRoot = path.join(config.DATA_DIR, 'blobs', 'sha512');
  for (const hex of blobs) {
    if (!HEX512.test(hex)) throw new Error(`blob index holds an invalid key: ${hex.slice(0, 40)}`);
    const rel = path.join('blobs', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
    const source = path.join(blobRoot, hex.slice(0, 2), hex.slice(2, 4), hex);
    if (!fs.existsSync(source)) throw new Error(`blob ${hex.slice(0, 16)}… is in the index but missing from ${blobRoot}`);
    const bytes = fs.readFileSync(source);
    // Verify while copying: a corrupt blob is a failed backup, not a silently broken restore.
    if (createHash('sha512').update(bytes).digest('hex') !== hex) throw new Error(`blob ${hex.slice(0, 16)}… does not match its hash`);
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outDir, rel), bytes);
    files.push({ path: rel, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }

  // Secrets: without them restored credentials cannot be decrypted and signatures would change key.
  const secretsDir = path.join(config.DATA_DIR, 'secrets');
  if (fs.existsSync(secretsDir)) {
    fs.mkdirSync(path.join(outDir, 'secrets'), { recursive: true, mode: 0o700 });
    for (const f of fs.readdirSync(secretsDir)) {
      if (!fs.statSync(path.join(secretsDir, f)).isFile()) continue;
      fs.copyFileSync(path.join(secretsDir, f), path.join(outDir, 'secrets', f));
      fs.chmodSync(path.join(outDir, 'secrets', f), 0o600);
      record(path.join('secrets', f));
    }
  }

  const manifest: BackupManifest = {
    format: 'elide-backup/1',
    createdAt: new Date().toISOString(),
    sourceDataDir: config.DATA_DIR,
    databases: { marketplace: 'marketplace.db', registry: 'registry.db' },
    counts,
    files,
  };
  // The manifest is what makes the folder a backup (restore refuses a folder without one), so it appears whole
  // and last: written aside, then renamed. A backup cut before this line is recognisably incomplete.
  const tmpManifest = path.join(outDir, '.manifest.json.tmp');
  fs.writeFileSync(tmpManifest, `${JSON.stringify(manifest, null, 2)}\n`);
  fs.renameSync(tmpManifest, path.join(outDir, 'manifest.json'));
  return manifest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  // Strict: a misspelt option (--output) or one without its value must not send the backup somewhere else silently.
  let out: string;
  try {
    const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true, allowPositionals: false });
    out = values.out ?? path.join('backups', new Date().toISOString().replace(/[:.]/g, '-'));
  } catch (err) {
    process.stderr.write(`backup: ${(err as Error).message}\nusage: npm run backup -- [--out DIR]\n`);
    process.exit(2);
  }
  backup(process.env, path.resolve(out)).then(
    (m) => {
      process.stdout.write(
        `backup written to ${path.resolve(out)}: ${m.counts.packageVersions} npm versions, ${m.counts.artifactFiles} other files, ` +
          `${m.counts.blobs} blobs, ${m.counts.deployments} deployments, ${m.files.length} files in the manifest\n`,
      );
    },
    (err: Error) => {
      process.stderr.write(`backup failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
