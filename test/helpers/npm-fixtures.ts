// npm registry test fixtures: in-memory tarballs (ustar + gzip, with hostile entries on demand), publish bodies
// shaped like npm 11's, and a registry app over in-memory databases with users and tokens.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createManualClock } from '../../lib/clock.ts';
import { type Db, openOwnedDatabase } from '../../lib/db.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import type { AccountsClient } from '../../registry/accounts-client.ts';
import { buildApp } from '../../registry/app.ts';
import { createMemoryBlobStore } from '../../registry/blob-store.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import { createSigner, generateSigningKeyPem } from '../../registry/npm/signing.ts';
import { testConfig, testSecrets } from './config.ts';

export interface TarFile {
  path: string;
  content?: string | Buffer;
  /** '0' file (default), '2' symlink, '1' hard link, '5' directory, '3' char device. */
  type?: string;
  linkname?: string;
}

function header(f: TarFile, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(f.path, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(f.type ?? '0', 156);
  if (f.linkname) h.write(f.linkname, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function makeTar(files: TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = ['1', '2', '3', '4', '5', '6'].includes(f.type ?? '0') ? Buffer.alloc(0) : Buffer.from(f.content ?? '');
    parts.push(header(f, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const makeTgz = (files: TarFile[]) => gzipSync(makeTar(files));

export interface PublishOptions {
  tag?: string;
  access?: 'public' | 'restricted' | null;
  /** Extra package.json fields, in both the tarball and the manifest. */
  pkg?: Record<string, unknown>;
  /** Overrides applied to the manifest only (manifest confusion tests). */
  manifest?: Record<string, unknown>;
  /** Replace the tarball's files entirely. */
  files?: TarFile[];
  tarball?: Buffer;
  readme?: string;
}

/** A publish body as npm 11 sends it (npm-protocol.md section 2.4). */
export function publishBody(name: string, version: string, o: PublishOptions = {}) {
  const pkgJson = { name, version, description: `${name} test package`, ...o.pkg };
  const tarball =
    o.tarball ??
    makeTgz(
      o.files ?? [
        { path: 'package/package.json', content: JSON.stringify(pkgJson) },
        { path: 'package/index.js', content: `module.exports = '${version}';\n` },
      ],
    );
  return {
    _id: name,
    name,
    description: pkgJson.description,
    'dist-tags': { [o.tag ?? 'latest']: version },
    versions: {
      [version]: {
        ...pkgJson,
        ...o.manifest,
        readme: o.readme ?? 'ERROR: No README data found!',
        _id: `${name}@${version}`,
        _nodeVersion: '20.20.2',
        _npmVersion: '11.19.1',
        dist: {
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
          tarball: `http://127.0.0.1:4873/${name}/-/${name}-${version}.tgz`,
        },
      },
    },
    access: o.access ?? null,
    _attachments: {
      [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length },
    },
  };
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
  readonlyToken: string;
}

export function openIdentityDb(): Db {
  return openOwnedDatabase(':memory:', 'api', fileURLToPath(new URL('../../api/migrations', import.meta.url)));
}

export function addUser(db: Db, username: string, role = 'publisher', plan = 'team'): TestUser {
  const now = new Date().toISOString();
  const id = `user-${username}`;
  db.prepare(
    'INSERT INTO users (id, username, email, password_hash, role, plan_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(id, username, `${username}@example.test`, 'x', role, plan, now, now);
  const token = generateApiToken();
  const readonlyToken = generateApiToken();
  const ins = db.prepare(
    `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, readonly, created_at) VALUES (?, ?, 'api', 'test', ?, 'elk_…', ?, ?)`,
  );
  ins.run(`tok-${username}`, id, hashToken(token), 0, now);
  ins.run(`tok-${username}-ro`, id, hashToken(readonlyToken), 1, now);
  return { id, username, token, readonlyToken };
}

export function addOrg(db: Db, name: string, members: [TestUser, 'owner' | 'admin' | 'member'][], plan = 'team') {
  const now = new Date().toISOString();
  db.prepare('INSERT INTO orgs (id, name, plan_id, created_by, created_at) VALUES (?, ?, ?, ?, ?)').run(
    `org-${name}`,
    name,
    plan,
    members[0][0].id,
    now,
  );
  for (const [u, role] of members)
    db.prepare('INSERT INTO org_members (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)').run(`org-${name}`, u.id, role, now);
}

/** Accounts peer double: logins check a fixed password table; tokens come from the identity db. */
export function fakeAccounts(
  passwords: Record<string, { password: string; token: string }>,
): AccountsClient & { revoked: string[]; orgChanges: string[] } {
  const revoked: string[] = [];
  const orgChanges: string[] = [];
  return {
    revoked,
    orgChanges,
    async login(u, p) {
      const e = passwords[u];
      return e && e.password === p ? { token: e.token } : undefined;
    },
    async register(u, _email, p) {
      if (passwords[u]) return 'taken';
      passwords[u] = { password: p, token: `elk_new_${u}` };
      return { token: passwords[u].token };
    },
    async logout(t) {
      revoked.push(t);
    },
    async listTokens() {
      return [
        {
          id: 'tok-1',
          name: 'ci',
          displayPrefix: 'elk_abcd…wxyz',
          readonly: false,
          cidrAllow: null,
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      ];
    },
    async createToken(_a, body) {
      return { id: 'tok-2', token: 'elk_created', name: body.name, createdAt: '2026-01-01T00:00:00.000Z' };
    },
    async revokeToken(_a, id) {
      return id === 'tok-1';
    },
    async me() {
      return { username: 'alice', email: 'alice@example.test', createdAt: '2026-01-01T00:00:00.000Z' };
    },
    async setOrgMember(_a, org, user, role) {
      orgChanges.push(`set ${org} ${user} ${role}`);
    },
    async removeOrgMember(_a, org, user) {
      orgChanges.push(`rm ${org} ${user}`);
    },
  };
}

export async function buildTestRegistry(env: Record<string, string> = {}) {
  const identity = openIdentityDb();
  const alice = addUser(identity, 'alice');
  const bob = addUser(identity, 'bob');
  const admin = addUser(identity, 'root', 'admin', 'enterprise');
  const free = addUser(identity, 'freeuser', 'publisher', 'free');
  addOrg(identity, 'acme', [[alice, 'owner']]);
  const db = openRegistryDatabase(':memory:');
  const clock = createManualClock(Date.parse('2026-11-26T10:00:00Z'));
  // Blob write times on the test's clock, so the blob collector's grace period follows clock.advance().
  const blobs = createMemoryBlobStore(() => clock.now());
  const signer = createSigner(generateSigningKeyPem());
  const accounts = fakeAccounts({ alice: { password: 'alice-password', token: alice.token } });
  const app = await buildApp({
    config: testConfig(env),
    secrets: testSecrets,
    db,
    identityDb: () => identity,
    clock,
    logger: 'silent',
    blobs,
    signer,
    accounts,
  });
  return { app, db, identity, blobs, clock, signer, accounts, alice, bob, admin, free };
}

export const bearer = (u: { token: string }) => ({ authorization: `Bearer ${u.token}` });

/** The URL path npm uses for a package document: "/npm/@scope%2fname" for scoped names. */
export const docPath = (name: string) => `/npm/${name.replace('/', '%2f')}`;

/** Row counts; `outbox` counts events, `audit` the audit entries that travel beside them (lib/audit-outbox.ts). */
export function counts(db: Db) {
  const n = (t: string, where = '') => (db.prepare(`SELECT count(*) AS n FROM ${t} ${where}`).get() as { n: number }).n;
  return {
    packages: n('packages'),
    versions: n('package_versions'),
    burned: n('burned_versions'),
    outbox: n('outbox', "WHERE type != 'audit.entry'"),
    audit: n('outbox', "WHERE type = 'audit.entry'"),
    blobs: n('blobs'),
  };
}
