// npm run backup while publishes keep landing, then npm run restore into a fresh DATA_DIR and a suite started
// on it: every package version's tarball matches its integrity, every deployment is there, and the restore
// refuses a non-empty target without --force.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../scripts/backup.ts';
import {
  checkRegistryStore,
  createUser,
  npmPublish,
  type SuiteUser,
  startSuiteSequential,
  tarballMatches,
} from '../helpers/reliability.ts';
import { ROOT, type Suite, waitFor } from '../helpers/suite.ts';

const run = promisify(execFile);
const script = (name: string, args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', name), ...args], { cwd: ROOT, env: { ...process.env, ...env } });

describe('backup and restore under load', () => {
  let suite: Suite;
  let restored: Suite | undefined;
  let user: SuiteUser;
  const acked: { name: string; version: string; integrity: string }[] = [];
  const deployments: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-backup-'));

  beforeAll(async () => {
    suite = await startSuiteSequential(['api', 'registry', 'marketplace'], { env: { SIM_TIME_SCALE: '0.05' } });
    user = await createUser(suite, 'backup-pub');
    for (const name of ['bk-plain', '@backup-pub/scoped']) {
      const r = await npmPublish(suite.urls.registry, user, name, '1.0.0');
      expect(r.status, r.body).toBe(201);
      acked.push({ name, version: '1.0.0', integrity: r.integrity });
    }
    for (const name of ['bk-db-1', 'bk-db-2']) {
      const res = await fetch(`${suite.urls.marketplace}/api/deployments`, {
        method: 'POST',
        headers: { ...user.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ serviceId: 'svc-postgres', name, config: { tier: 'starter', region: 'eu-west-1' } }),
      });
      expect(res.status).toBe(202);
      deployments.push(((await res.json()) as { deploymentId: string }).deploymentId);
    }
  });
  afterAll(async () => {
    await restored?.stopAll();
    await suite?.stopAll();
  });

  it('backs up online during publishes and restores a suite that verifies end to end', async () => {
    const out = path.join(tmp, 'backup');
    // Publishes keep running while the backup script snapshots the databases and copies blobs.
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        n++;
        const name = n % 2 ? `bk-load-${n}` : `@backup-pub/load-${n}`;
        const r = await npmPublish(suite.urls.registry, user, name, '1.0.0');
        if (r.status === 201) acked.push({ name, version: '1.0.0', integrity: r.integrity });
      }
    })();
    await waitFor(() => n >= 2, 20_000, 'load to start');
    const { stdout } = await script('backup.ts', ['--out', out], suite.env);
    expect(stdout).toMatch(/backup written to/);
    await waitFor(() => n >= 4, 20_000, 'load to continue past the backup');
    stop = true;
    await load;

    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest.counts.deployments).toBe(2);
    expect(manifest.counts.packageVersions).toBeGreaterThanOrEqual(2);
    expect(manifest.files.some((f) => f.path.startsWith('secrets'))).toBe(true);

    // A non-empty target is refused; a fresh one is filled and verified.
    const busy = path.join(tmp, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'keep'), 'x');
    await expect(script('restore.ts', ['--from', out, '--to', busy], {})).rejects.toMatchObject({ code: 1 });
    expect(fs.readdirSync(busy)).toEqual(['keep']);
    const target = path.join(tmp, 'restored');
    await script('restore.ts', ['--from', out, '--to', target], {});

    const store = checkRegistryStore(target);
    expect(store).toMatchObject({ integrityCheck: 'ok', rowsWithoutBlob: [], bytesMismatch: [] });
    expect(store.versions).toBe(manifest.counts.packageVersions + manifest.counts.artifactFiles);

    await suite.stopAll();
    restored = await startSuiteSequential(['api', 'registry', 'marketplace'], { dataDir: target, env: { SIM_TIME_SCALE: '0.05' } });
    // Every version in the backup is served with bytes matching its integrity; the publishes acknowledged
    // before the backup started are all among them.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(target, 'registry.db'), { readonly: true });
    const versions = db
      .prepare(`SELECT p.name, v.version, v.integrity FROM package_versions v JOIN packages p ON p.id = v.package_id`)
      .all() as { name: string; version: string; integrity: string }[];
    db.close();
    expect(versions.length).toBe(manifest.counts.packageVersions);
    for (const v of versions) expect(await tarballMatches(restored.urls.registry, v.name, v.version, v.integrity), v.name).toBe(true);
    for (const a of acked.slice(0, 2)) expect(versions.some((v) => v.name === a.name && v.integrity === a.integrity)).toBe(true);

    // The API token (a hash in marketplace.db) and the credentials key (secrets/) came back with the data.
    for (const id of deployments) {
      const res = await fetch(`${restored.urls.marketplace}/api/deployments/${id}`, { headers: user.auth });
      expect(res.status).toBe(200);
      const creds = await fetch(`${restored.urls.marketplace}/api/deployments/${id}/credentials`, { headers: user.auth });
      expect([200, 409]).toContain(creds.status);
    }
  }, 180_000);
});
