// Helpers of the reliability campaign: users with API tokens in a running suite, npm publishes over the wire,
// the three post-crash checks of reliability-security.md rule 15 (bytes match integrity, no row without its
// blob, integrity_check ok), and data folders as a first start leaves them (for backup and restore).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openApiDatabase } from '../../api/db.ts';
import { loadConfig } from '../../lib/config.ts';
import { openDatabase } from '../../lib/db.ts';
import { loadSecrets } from '../../lib/secrets.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { docPath, publishBody } from './npm-fixtures.ts';
import { type Suite, type SuiteOptions, startSuite } from './suite.ts';

export interface SuiteUser {
  id: string;
  username: string;
  password: string;
  token: string;
  auth: Record<string, string>;
}

export const internalToken = (suite: Suite) => fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();

/** Create a user through the main API's internal route and give it an API token (inserted as its hash). */
export async function createUser(
  suite: Suite,
  username: string,
  o: { role?: 'user' | 'publisher' | 'admin'; plan?: string; password?: string } = {},
): Promise<SuiteUser> {
  const password = o.password ?? `${username}-password-1`;
  const res = await fetch(`${suite.urls.api}/internal/users/ensure`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-internal-token': internalToken(suite) },
    body: JSON.stringify({ username, email: `${username}@example.test`, password, role: o.role ?? 'publisher', plan: o.plan ?? 'team' }),
  });
  if (res.status !== 200) throw new Error(`ensure ${username}: ${res.status} ${await res.text()}`);
  const { userId } = (await res.json()) as { userId: string };
  const token = generateApiToken();
  const db = openDatabase(suite.config.DATABASE_PATH);
  db.prepare(
    `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES (?, ?, 'api', 't', ?, 'elk_', ?)`,
  ).run(`tok-${username}-${Date.now()}`, userId, hashToken(token), new Date().toISOString());
  db.close();
  return { id: userId, username, password, token, auth: { authorization: `Bearer ${token}` } };
}

/**
 * Set an account's role, as an admin would with PATCH /api/admin/users/<id> (an account registers, by npm adduser
 * too, with the role user, which may not publish).
 */
export function setRole(suite: Suite, username: string, role: 'user' | 'publisher' | 'admin') {
  const db = openDatabase(suite.config.DATABASE_PATH);
  try {
    if (db.prepare('UPDATE users SET role = ? WHERE username = ?').run(role, username).changes !== 1)
      throw new Error(`no user ${username}`);
  } finally {
    db.close();
  }
}

export const sha512Integrity = (bytes: Buffer) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

/** Publish name@version over the npm protocol; returns the status and the integrity the client sent. */
export async function npmPublish(
  registryUrl: string,
  user: SuiteUser,
  name: string,
  version: string,
  o: { signal?: AbortSignal; salt?: string } = {},
): Promise<{ status: number; integrity: string; body: string }> {
  const body = publishBody(name, version, { pkg: { description: `${name} ${o.salt ?? ''}` } });
  const integrity = body.versions[version].dist.integrity;
  const res = await fetch(`${registryUrl}${docPath(name)}`, {
    method: 'PUT',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: o.signal ?? AbortSignal.timeout(20_000),
  });
  return { status: res.status, integrity, body: await res.text() };
}

export interface RegistryCheck {
  integrityCheck: string;
  versions: number;
  rowsWithoutBlob: string[];
  bytesMismatch: string[];
}

/** Open registry.db read-only and verify every npm version and artifact file against its blob. */
export function checkRegistryStore(dataDir: string, registryDb = path.join(dataDir, 'registry.db')): RegistryCheck {
  const db = new Database(registryDb, { timeout: 10_000 });
  try {
    const integrityCheck = String(db.pragma('integrity_check', { simple: true }));
    const rows = db
      .prepare(
        `SELECT p.name || '@' || v.version AS id, v.blob_sha512 AS sha, v.integrity FROM package_versions v JOIN packages p ON p.id = v.package_id
         WHERE p.origin = 'local'`,
      )
      .all() as { id: string; sha: string; integrity: string }[];
    let files: { id: string; sha: string; integrity: string | null }[] = [];
    try {
      files = db
        .prepare(`SELECT ecosystem || ':' || path AS id, blob_sha512 AS sha, NULL AS integrity FROM artifact_files`)
        .all() as typeof files;
    } catch {
      // artifact_files not migrated in this build
    }
    const rowsWithoutBlob: string[] = [];
    const bytesMismatch: string[] = [];
    for (const r of [...rows, ...files]) {
      const file = path.join(dataDir, 'blobs', 'sha512', r.sha.slice(0, 2), r.sha.slice(2, 4), r.sha);
      if (!fs.existsSync(file)) {
        rowsWithoutBlob.push(r.id);
        continue;
      }
      const bytes = fs.readFileSync(file);
      if (createHash('sha512').update(bytes).digest('hex') !== r.sha) bytesMismatch.push(r.id);
      else if (r.integrity && sha512Integrity(bytes) !== r.integrity) bytesMismatch.push(r.id);
    }
    return { integrityCheck, versions: rows.length + files.length, rowsWithoutBlob, bytesMismatch };
  } finally {
    db.close();
  }
}

/** Fetch a published tarball over HTTP and compare its sha512 with the expected integrity. */
export async function tarballMatches(registryUrl: string, name: string, version: string, integrity: string): Promise<boolean> {
  const doc = await fetch(`${registryUrl}${docPath(name)}`);
  if (doc.status !== 200) return false;
  const packument = (await doc.json()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
  const v = packument.versions[version];
  if (!v || v.dist.integrity !== integrity) return false;
  const tgz = await fetch(v.dist.tarball);
  if (tgz.status !== 200) return false;
  return sha512Integrity(Buffer.from(await tgz.arrayBuffer())) === integrity;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

type ProcessName = NonNullable<SuiteOptions['only']>[number];

/**
 * startSuite, but the processes start one after another: on a loaded 2-core machine five tsx processes
 * compiling at once can miss startSuite's 30 s readiness deadline, one at a time they do not.
 */
export async function startSuiteSequential(names: ProcessName[], opts: Omit<SuiteOptions, 'only'> = {}): Promise<Suite> {
  const suite = await startSuite({ ...opts, only: [names[0]] });
  try {
    for (const name of names.slice(1)) await suite.start(name);
  } catch (err) {
    await suite.stopAll();
    throw err;
  }
  return suite;
}

export interface PublishedHooks {
  /** Package name -> the webhook-ids its package.published deliveries arrived under. */
  delivered: Map<string, Set<string>>;
  /** Every package.published delivery attempt that reached the receiver (redeliveries included). */
  attempts(): number;
  close(): void;
}

/**
 * A loopback receiver subscribed (as `user`) to package.published, recording each package's webhook-ids, so a
 * crash test can check that no acknowledged publish lost its event and no event arrived under two ids.
 * `delayMs` holds each answer, which widens the window in which a kill cuts a delivery in flight.
 */
export async function subscribePublishedHooks(suite: Suite, user: SuiteUser, delayMs = () => 0): Promise<PublishedHooks> {
  const delivered = new Map<string, Set<string>>();
  let attempts = 0;
  const receiver = http.createServer((req, res) => {
    // Only webhook deliveries count: another test's leftover poller may reach a port reused by this receiver.
    if (req.method !== 'POST' || req.headers['webhook-id'] === undefined) return res.writeHead(404).end();
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const e = JSON.parse(body) as { type: string; data?: { name?: string } };
      if (e.type === 'package.published' && e.data?.name) {
        attempts++;
        const ids = delivered.get(e.data.name) ?? new Set<string>();
        ids.add(String(req.headers['webhook-id']));
        delivered.set(e.data.name, ids);
      }
      setTimeout(() => res.end('ok'), delayMs());
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = await fetch(`${suite.urls.api}/api/webhooks`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['package.published'] }),
  });
  if (hook.status !== 201) throw new Error(`webhook subscription: ${hook.status} ${await hook.text()}`);
  return {
    delivered,
    attempts: () => attempts,
    close() {
      receiver.closeAllConnections();
      receiver.close();
    },
  };
}

/** A temp data folder with both databases migrated and the generated secrets, as after a first start. */
export function migratedDataFolder(prefix = 'elide-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  openApiDatabase(path.join(dir, 'marketplace.db')).close();
  openRegistryDatabase(path.join(dir, 'registry.db')).close();
  loadSecrets(loadConfig({ DATA_DIR: dir }));
  return dir;
}
