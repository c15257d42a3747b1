// Machine faults of reliability-security.md (b): a full disk under the blob store (F5) and under the shared
// database (F6), a writer lock held by a frozen process (F3), and a peer frozen with SIGSTOP. Each must answer a
// clear 5xx a client can act on (507 or 503 with Retry-After, never a bare 500), store nothing half-way, and
// recover by itself once the fault is gone.
//
// The full disks are real: tmpfs mounts of a few MB filled with a ballast file (this needs root, which CI and the
// development machines have). The frozen lock holder is this test holding BEGIN IMMEDIATE on marketplace.db for
// longer than busy_timeout: to SQLite that is exactly what a process stopped inside a write transaction looks like.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docPath, publishBody } from '../helpers/npm-fixtures.ts';
import { checkRegistryStore, createUser, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import { type Suite, waitFor } from '../helpers/suite.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies asserted field by field
type Json = any;

function mountTmpfs(dir: string, megabytes: number) {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir]);
}
function unmount(dir: string) {
  try {
    execFileSync('umount', ['-l', dir]);
  } catch {
    // already unmounted
  }
}
/** Fill the filesystem of dir completely; returns the ballast path (remove it to free the space). */
function fillDisk(dir: string): string {
  const ballast = path.join(dir, 'ballast.bin');
  const fd = fs.openSync(ballast, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  // Leave no partial page either: write single bytes until the last one is refused.
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return ballast;
}
const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];

describe('storage and lock faults', () => {
  let suite: Suite;
  let u: SuiteUser;
  let dataDir: string;
  let dbDir: string;
  let blobDir: string;

  const call = async (base: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { ...u.auth, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  };
  /** A publish body whose tarball holds ~200 KB of random text, so it cannot fit in what a full disk has left. */
  const bigPublish = (name: string, version: string) =>
    publishBody(name, version, {
      files: [
        { path: 'package/package.json', content: JSON.stringify({ name, version }) },
        { path: 'package/data.txt', content: randomBytes(200_000).toString('base64') },
      ],
    });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-faults-'));
    blobDir = path.join(dataDir, 'blobs');
    dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-faults-db-'));
    mountTmpfs(blobDir, 4);
    mountTmpfs(dbDir, 24);
    suite = await startSuiteSequential(['api', 'registry', 'marketplace', 'orchestrator'], {
      dataDir,
      env: { DATABASE_PATH: path.join(dbDir, 'marketplace.db'), SIM_TIME_SCALE: '0.02' },
    });
    u = await createUser(suite, 'faults-user', { role: 'publisher', plan: 'enterprise' });
  }, 180_000);
  afterAll(async () => {
    await suite?.stopAll();
    unmount(blobDir);
    unmount(dbDir);
  });

  it('F5: a full blob disk refuses a publish with 507, leaves no temp file or row, and recovers when freed', async () => {
    const before = checkRegistryStore(dataDir);
    const ballast = fillDisk(blobDir);
    try {
      const big = bigPublish('faults-blob-pkg', '1.0.0');
      const r = await call(suite.urls.registry, 'PUT', docPath('faults-blob-pkg'), big);
      expect(r.status, JSON.stringify(r.json)).toBe(507);
      expect(r.json.code).toBe('INSUFFICIENT_STORAGE');
      expect(r.headers.get('retry-after')).toBeTruthy();
      expect(filesUnder(path.join(blobDir, 'tmp'))).toEqual([]);
      expect((await call(suite.urls.registry, 'GET', docPath('faults-blob-pkg'))).status).toBe(404);
      expect(checkRegistryStore(dataDir).versions).toBe(before.versions);
    } finally {
      fs.rmSync(ballast);
    }
    // Space is back: the same publish now lands and is served with its integrity.
    const again = bigPublish('faults-blob-pkg', '1.0.0');
    const ok = await call(suite.urls.registry, 'PUT', docPath('faults-blob-pkg'), again);
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    const check = checkRegistryStore(dataDir);
    expect(check.integrityCheck).toBe('ok');
    expect(check.rowsWithoutBlob).toEqual([]);
    expect(check.bytesMismatch).toEqual([]);
  }, 120_000);

  const deploymentCount = () => {
    const db = new Database(path.join(dbDir, 'marketplace.db'), { readonly: true, timeout: 10_000 });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM mkt_deployments').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const createBody = (name: string) => ({ serviceId: 'svc-postgres', name, config: { tier: 'starter', region: 'eu-west-1' } });

  it('F6: a full database disk refuses writes with 507, keeps every process up, and recovers when freed', async () => {
    const before = deploymentCount();
    const ballast = fillDisk(dbDir);
    try {
      const r = await call(suite.urls.marketplace, 'POST', '/api/deployments', createBody('faults-full-db'));
      expect(r.status, JSON.stringify(r.json)).toBe(507);
      expect(r.json.code).toBe('INSUFFICIENT_STORAGE');
      const login = await call(suite.urls.api, 'POST', '/api/auth/login', { username: u.username, password: u.password });
      expect(login.status, JSON.stringify(login.json)).toBe(507);
      // Reads still work on a full disk.
      expect((await call(suite.urls.marketplace, 'GET', '/api/deployments')).status).toBe(200);
    } finally {
      fs.rmSync(ballast);
    }
    expect(deploymentCount()).toBe(before);
    // Background jobs that failed meanwhile (ticks, relays) did not take any process down.
    for (const name of ['api', 'marketplace', 'orchestrator'] as const) expect(suite.pid(name), name).toBeDefined();
    const ok = await call(suite.urls.marketplace, 'POST', '/api/deployments', createBody('faults-after-full'));
    expect(ok.status, JSON.stringify(ok.json)).toBe(202);
    await waitFor(
      async () => (await call(suite.urls.marketplace, 'GET', `/api/deployments/${ok.json.deploymentId}`)).json?.status === 'running',
      60_000,
      'deployment created after the disk was freed to be running',
    );
    const db = new Database(path.join(dbDir, 'marketplace.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  }, 180_000);

  it('F3: a writer lock held past busy_timeout answers 503 with Retry-After and stores nothing; writes resume after', async () => {
    const before = deploymentCount();
    const holder = new Database(path.join(dbDir, 'marketplace.db'), { timeout: 10_000 });
    holder.exec('BEGIN IMMEDIATE');
    let released = false;
    // The frozen holder lets go after 20 s: past the 10 s busy_timeout of every process, plus the short waits
    // (lib/db.ts withShortLockWait) of background writers that may take the marketplace's event loop first, e.g.
    // the relay recording the previous test's events. With the full timeout for those, this request waited
    // behind them and got the lock once it was freed (a CI failure on 2026-11-27).
    const release = setTimeout(() => {
      holder.exec('ROLLBACK');
      released = true;
    }, 20_000);
    try {
      const r = await call(suite.urls.marketplace, 'POST', '/api/deployments', createBody('faults-locked'));
      expect(r.status, JSON.stringify(r.json)).toBe(503);
      expect(r.json.code).toBe('DATABASE_BUSY');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await waitFor(() => released, 30_000, 'the lock holder to release');
      clearTimeout(release);
      holder.close();
    }
    expect(deploymentCount()).toBe(before);
    const ok = await call(suite.urls.marketplace, 'POST', '/api/deployments', createBody('faults-after-lock'));
    expect(ok.status, JSON.stringify(ok.json)).toBe(202);
  }, 120_000);

  it('a registry frozen with SIGSTOP: the main API answers 504 quickly, other services keep serving, all resumes on SIGCONT', async () => {
    const pid = suite.pid('registry');
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGSTOP');
    try {
      const r = await call(suite.urls.api, 'GET', '/api/packages/search?q=faults');
      expect([503, 504], JSON.stringify(r.json)).toContain(r.status);
      expect(r.json.error).toMatch(/registry/i);
      // The marketplace does not depend on the registry to list deployments.
      expect((await call(suite.urls.marketplace, 'GET', '/api/deployments')).status).toBe(200);
    } finally {
      process.kill(pid as number, 'SIGCONT');
    }
    await waitFor(async () => (await call(suite.urls.api, 'GET', '/api/packages/search?q=faults')).status === 200, 30_000, 'search back');
    const found = await call(suite.urls.api, 'GET', '/api/packages/search?q=faults-blob-pkg');
    expect(found.json.results.map((p: Json) => p.name)).toContain('faults-blob-pkg');
  }, 120_000);
}, 600_000);
