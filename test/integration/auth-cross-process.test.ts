// Identity across processes: two main API processes, the registry and the marketplace on one marketplace.db (as the
// suite's five processes share it; the second API has a data folder of its own, since a folder runs one instance of
// each process, and is given the database and secrets, as a second instance behind a balancer would be). A logout, a
// revoked token or a disabled user on one is refused by the others at once, and the login rate limit is one budget
// for both APIs (a shared SQLite store, not per process).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecrets } from '../../lib/secrets.ts';
import { freePort } from '../helpers/ports.ts';
import { ROOT, type Suite, startSuite, waitFor } from '../helpers/suite.ts';

let suite: Suite;
let second: ChildProcess;
let a: string;
let b: string;
let internalToken: string;

async function call(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${url}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Polls for at most one second: the bound for a revocation to reach every process. */
async function refusedWithinOneSecond(base: string, token: string) {
  const started = Date.now();
  await waitFor(async () => (await call(base, 'GET', '/api/auth/me', { token })).status === 401, 1000, 'the token to be refused');
  return Date.now() - started;
}

/** An admin session; the admin is created through the seed's internal route (idempotent), so any test may call it. */
async function adminToken(): Promise<string> {
  const ensure = await call(a, 'POST', '/internal/users/ensure', {
    headers: { 'x-internal-token': internalToken },
    body: { username: 'boss', email: 'boss@example.com', password: 'boss-password', role: 'admin', plan: 'enterprise' },
  });
  expect(ensure.status).toBe(200);
  return (await call(a, 'POST', '/api/auth/login', { body: { username: 'boss', password: 'boss-password' } })).json.token;
}

beforeAll(async () => {
  suite = await startSuite({ only: ['api', 'registry', 'marketplace'] });
  a = suite.urls.api;
  const port = await freePort();
  b = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(suite.dataDir, 'logs', 'api-2.log'), 'a');
  const secrets = loadSecrets(suite.config);
  internalToken = secrets.internalToken;
  second = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server.ts')], {
    cwd: ROOT,
    env: {
      ...suite.env,
      PORT: String(port),
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'elide-api-2-')),
      DATABASE_PATH: suite.config.DATABASE_PATH,
      JWT_SECRET: secrets.jwtSecret,
      INTERNAL_TOKEN: secrets.internalToken,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  await waitFor(async () => (await fetch(`${b}/ready`)).ok, 30_000, 'the second api process');
});

afterAll(async () => {
  if (second && second.exitCode === null) {
    const exited = new Promise((r) => second.once('exit', r));
    second.kill('SIGTERM');
    await exited;
  }
  await suite?.stopAll();
});

describe('revocation seen by a second process', () => {
  it('logout on one process: the other refuses the token within one second', async () => {
    const reg = await call(a, 'POST', '/api/auth/register', {
      body: { username: 'rita', email: 'rita@example.com', password: 'rita-password' },
    });
    expect(reg.status).toBe(201);
    const { token } = reg.json;
    expect((await call(b, 'GET', '/api/auth/me', { token })).json.username).toBe('rita');
    expect((await call(a, 'POST', '/api/auth/logout', { token })).json).toEqual({ success: true });
    const ms = await refusedWithinOneSecond(b, token);
    expect(ms).toBeLessThan(1000);
  });

  it("an API token revoked on one process is refused by the other; another user's id is 404 on both", async () => {
    const login = await call(b, 'POST', '/api/auth/register', {
      body: { username: 'sam', email: 'sam@example.com', password: 'sam-password' },
    });
    const other = await call(a, 'POST', '/api/auth/register', {
      body: { username: 'tess', email: 'tess@example.com', password: 'tess-password' },
    });
    const created = await call(b, 'POST', '/api/auth/tokens', { token: login.json.token, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    expect((await call(a, 'GET', '/api/auth/me', { token: created.json.token })).status).toBe(200);
    expect((await call(a, 'DELETE', `/api/auth/tokens/${created.json.id}`, { token: other.json.token })).status).toBe(404);
    expect((await call(a, 'DELETE', `/api/auth/tokens/${created.json.id}`, { token: login.json.token })).status).toBe(200);
    await refusedWithinOneSecond(b, created.json.token);
  });

  it('a user disabled by an admin on one process is refused by the other at once', async () => {
    const admin = await adminToken();
    const user = await call(a, 'POST', '/api/auth/register', {
      body: { username: 'uma', email: 'uma@example.com', password: 'uma-password' },
    });
    expect((await call(b, 'GET', '/api/auth/me', { token: user.json.token })).status).toBe(200);
    expect((await call(a, 'PATCH', `/api/admin/users/${user.json.userId}`, { token: admin, body: { disabled: true } })).status).toBe(200);
    await refusedWithinOneSecond(b, user.json.token);
  });
});

describe('revocation seen by the registry (read-only identity connection)', () => {
  const whoami = (token: string) => call(suite.urls.registry, 'GET', '/npm/-/whoami', { token });

  it('a revoked token and a disabled user are refused by npm whoami within one second', async () => {
    const reg = await call(a, 'POST', '/api/auth/register', {
      body: { username: 'walt', email: 'walt@example.com', password: 'walt-password' },
    });
    const t = await call(a, 'POST', '/api/auth/tokens', { token: reg.json.token, body: { name: 'npm' } });
    expect(await whoami(t.json.token)).toMatchObject({ status: 200, json: { username: 'walt' } });
    await call(b, 'DELETE', `/api/auth/tokens/${t.json.id}`, { token: reg.json.token });
    await waitFor(async () => (await whoami(t.json.token)).status === 401, 1000, 'the registry to refuse the revoked token');

    expect((await whoami(reg.json.token)).status).toBe(200);
    const admin = await adminToken();
    await call(b, 'PATCH', `/api/admin/users/${reg.json.userId}`, { token: admin, body: { disabled: true } });
    await waitFor(async () => (await whoami(reg.json.token)).status === 401, 1000, 'the registry to refuse the disabled user');
  });
});

describe('revocation seen by the marketplace', () => {
  it('logout through the API: the marketplace refuses the session within one second', async () => {
    const reg = await call(a, 'POST', '/api/auth/register', {
      body: { username: 'xena', email: 'xena@example.com', password: 'xena-password' },
    });
    const billing = (token: string) => call(suite.urls.marketplace, 'GET', '/api/billing', { token });
    expect((await billing(reg.json.token)).status).toBe(200);
    await call(b, 'POST', '/api/auth/logout', { token: reg.json.token });
    await waitFor(async () => (await billing(reg.json.token)).status === 401, 1000, 'the marketplace to refuse the revoked session');
  });
});

describe('rate limits shared by processes', () => {
  it('login attempts on one name, alternating between the two processes, hit one budget: 429 with Retry-After', async () => {
    // The login budget is 10 per name per fixed minute: start early in a minute so the window cannot roll over mid-test.
    const into = Date.now() % 60_000;
    if (into > 45_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50));
    await call(a, 'POST', '/api/auth/register', { body: { username: 'vic', email: 'vic@example.com', password: 'vic-password' } });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await call(i % 2 ? a : b, 'POST', '/api/auth/login', { body: { username: 'vic', password: 'wrong-guess' } })).status);
    expect(statuses).toEqual(Array(10).fill(401));
    for (const base of [a, b]) {
      const res = await call(base, 'POST', '/api/auth/login', { body: { username: 'vic', password: 'vic-password' } });
      expect(res.status).toBe(429);
      expect(res.json).toEqual({ error: expect.stringMatching(/^too many requests: try again in \d+ seconds$/), code: 'RATE_LIMITED' });
      const retry = Number(res.headers.get('retry-after'));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
    }
  });
});
