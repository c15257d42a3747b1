// Bad input to both CLIs (issue #12 point 3; reliability-security.md "CLI" C1-C3 and issue #9's bad-input list),
// as one table against one running suite: each case runs the executable in a temp HOME and asserts the exit
// code (1 failure, 2 usage), one clear line on stderr, no stack trace, no token echoed, --json errors as JSON
// only, and, where the command would write, that the registry or the marketplace stored nothing.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { saveLogin } from '../../client/config.ts';
import { hashToken, signSessionJwt } from '../../lib/tokens.ts';
import { persisted } from '../helpers/bad-input.ts';
import { type CliResult, type CliUser, cliUser, ensureUser, PUBLISH_CLI, SERVICE_CLI, startCliSuite } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import type { Suite } from '../helpers/suite.ts';

vi.setConfig({ testTimeout: 120_000 });

let suite: Suite;
/** Logged in, owns nothing. */
let alice: CliUser;
/** Never logged in. */
let anon: CliUser;
/** Stored logins the server no longer accepts. */
let revokedLogin: CliUser;
let expiredLogin: CliUser;
let revokedApiToken = '';
let aliceDeployment = '';
let bobDeployment = '';
let stub: http.Server;
let stubUrl = '';
let downUrl = '';
const secrets: string[] = [];

async function apiLogin(username: string, password: string): Promise<{ token: string }> {
  const r = await fetch(`${suite.urls.api}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as { token: string };
}

/** A user whose stored login (written as publish-cli login writes it) holds `token`. */
function userWithLogin(name: string, username: string, token: string): CliUser {
  const u = cliUser(suite, name);
  saveLogin(
    { token, username, apiUrl: suite.urls.api, expiresAt: null, savedAt: new Date().toISOString() },
    { XDG_CONFIG_HOME: path.join(u.home, '.config') },
  );
  secrets.push(token);
  return u;
}

beforeAll(async () => {
  suite = await startCliSuite(['api', 'registry', 'marketplace', 'orchestrator'], { SIM_TIME_SCALE: '0.02' });
  await ensureUser(suite, 'badalice', 'badalice-password-1', { plan: 'team' });
  await ensureUser(suite, 'badbob', 'badbob-password-1', { plan: 'team' });
  alice = userWithLogin('bad-alice', 'badalice', (await apiLogin('badalice', 'badalice-password-1')).token);
  anon = cliUser(suite, 'bad-anon');

  // Revoked: a session ended by logout on the server; an API token revoked by its owner.
  const revoked = await apiLogin('badalice', 'badalice-password-1');
  revokedLogin = userWithLogin('bad-revoked', 'badalice', revoked.token);
  const logout = await fetch(`${suite.urls.api}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${revoked.token}` },
  });
  expect(logout.status).toBeLessThan(300);
  const owner = { authorization: `Bearer ${(await apiLogin('badalice', 'badalice-password-1')).token}` };
  const created = await fetch(`${suite.urls.api}/api/auth/tokens`, {
    method: 'POST',
    headers: { ...owner, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci' }),
  });
  expect(created.status).toBe(201);
  const tok = (await created.json()) as { id: string; token: string };
  revokedApiToken = tok.token;
  secrets.push(tok.token);
  const del = await fetch(`${suite.urls.api}/api/auth/tokens/${tok.id}`, { method: 'DELETE', headers: owner });
  expect(del.status).toBeLessThan(300);

  // Expired: a genuine session JWT (the dashboard's kind, also accepted as Bearer) for a live session row,
  // signed with the suite's key, whose exp passed an hour ago.
  const fresh = await apiLogin('badalice', 'badalice-password-1');
  const db = new Database(suite.config.DATABASE_PATH, { readonly: true });
  const row = db.prepare('SELECT id, user_id AS userId FROM api_tokens WHERE token_hash = ?').get(hashToken(fresh.token)) as {
    id: string;
    userId: string;
  };
  const ver = (db.prepare('SELECT token_version AS v FROM users WHERE id = ?').get(row.userId) as { v: number }).v;
  db.close();
  const secret = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'jwt-secret'), 'utf8').trim();
  expiredLogin = userWithLogin('bad-expired', 'badalice', signSessionJwt(secret, { sub: row.userId, sid: row.id, ver }, -3600));

  // One deployment each: alice's own (for the confirmation case) and bob's, which alice must not see or touch.
  const deploy = async (username: string, password: string, name: string) => {
    const token = (await apiLogin(username, password)).token;
    const r = await fetch(`${suite.urls.marketplace}/api/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serviceId: 'svc-postgres', name, config: { tier: 'free', region: 'us-east-1' } }),
    });
    expect(r.status).toBe(202);
    return ((await r.json()) as { deploymentId: string }).deploymentId;
  };
  aliceDeployment = await deploy('badalice', 'badalice-password-1', 'alices-db');
  bobDeployment = await deploy('badbob', 'badbob-password-1', 'bobs-db');

  // A server that answers like a broken proxy (5xx HTML) or like the wrong service (200, not JSON), and a port
  // where nothing listens.
  stub = http.createServer((req, res) => {
    if (req.url?.startsWith('/html/')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html><body>Welcome to nginx!</body></html>');
    }
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  downUrl = `http://127.0.0.1:${await freePort()}`;
}, 240_000);

afterAll(async () => {
  await new Promise<void>((r) => (stub ? stub.close(() => r()) : r()));
  await suite?.stopAll();
});

/** Rows of every marketplace table a service-cli write would touch. */
function marketplaceRows(): number {
  const db = new Database(suite.config.DATABASE_PATH, { readonly: true, timeout: 10_000 });
  try {
    let n = 0;
    for (const t of ['mkt_deployments', 'mkt_operations', 'mkt_backups', 'mkt_budgets', 'mkt_idempotency'])
      n += (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return n;
  } finally {
    db.close();
  }
}

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bad-project-'));
  for (const [f, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), body);
  }
  return dir;
}
const npmProject = (pkg: Record<string, unknown>) => project({ 'package.json': JSON.stringify(pkg), 'index.js': 'module.exports = 1;\n' });

interface CliCase {
  id: string;
  what: string;
  cli: 'publish' | 'service';
  /** Built when the case runs: ids, URLs and folders exist only once the suite is up. */
  args: () => string[];
  as?: () => CliUser;
  env?: () => Record<string, string>;
  code: 1 | 2;
  stderr: () => string | RegExp;
  /** --json cases: stdout is exactly one JSON error object with this code. */
  jsonCode?: string;
  /** publish packs before the server refuses the token: the file list is on stdout (else stdout stays empty). */
  packs?: true;
  /** What must not change: registry rows and blobs, or marketplace rows. */
  unchanged?: 'registry' | 'marketplace';
}

const RETRY = '(run service-cli --help for usage)';
const NOT_LOGGED_IN = 'error: not logged in: run publish-cli login (or set ELIDE_TOKEN)\n';
const noDeployment = (id: string) => `error: no deployment "${id}" in your account: service-cli list-deployments shows yours\n`;

const CASES: CliCase[] = [
  // --- usage (exit 2) ---
  {
    id: 'C-U1',
    what: 'unknown command, with a suggestion',
    cli: 'service',
    args: () => ['deplyo', 'postgres-managed'],
    code: 2,
    stderr: () => `error: unknown command 'deplyo'\n(Did you mean deploy?)\n${RETRY}\n`,
  },
  {
    id: 'C-U2',
    what: 'unknown command with --json: the error as JSON on stdout',
    cli: 'publish',
    args: () => ['pubish', '--json'],
    code: 2,
    stderr: () => /^error: unknown command 'pubish'\n/,
    jsonCode: 'USAGE',
  },
  {
    id: 'C-U3',
    what: 'unknown flag',
    cli: 'service',
    args: () => ['list', '--colour'],
    code: 2,
    stderr: () => `error: unknown option '--colour'\n${RETRY}\n`,
  },
  {
    id: 'C-U4',
    what: 'missing argument',
    cli: 'service',
    args: () => ['status'],
    code: 2,
    stderr: () => `error: missing required argument 'id'\n${RETRY}\n`,
  },
  {
    id: 'C-U5',
    what: 'a tier the service does not have',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--tier', 'platinum'],
    code: 2,
    stderr: () => 'error: postgres-managed has no tier "platinum": choose one of free, starter, pro\n',
    unchanged: 'marketplace',
  },
  {
    id: 'C-U6',
    what: 'a region the tier is not offered in',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--tier', 'free', '--region', 'mars-north-1'],
    code: 2,
    stderr: () => /^error: the free tier of postgres-managed is not offered in mars-north-1: choose one of us-east-1, /,
    unchanged: 'marketplace',
  },
  {
    id: 'C-U7',
    what: '--config that is not valid JSON',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--config', '{"tier": free}'],
    code: 2,
    stderr: () => /^error: --config is not valid JSON: Unexpected token/,
    unchanged: 'marketplace',
  },
  {
    id: 'C-U8',
    what: '--config JSON that is not an object',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--config', '["free"]'],
    code: 2,
    stderr: () => 'error: --config must be a JSON object\n',
    unchanged: 'marketplace',
  },
  {
    id: 'C-U9',
    what: '--config file that does not exist',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--config', '/nonexistent/model.json'],
    code: 2,
    stderr: () => 'error: --config: "/nonexistent/model.json" is neither a JSON object nor an existing file\n',
    unchanged: 'marketplace',
  },
  {
    id: 'C-U10',
    what: '--config file holding broken JSON',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--config', path.join(project({ 'model.json': '{"model": ' }), 'model.json')],
    code: 2,
    stderr: () => /^error: --config file \/\S+\/model\.json is not valid JSON: /,
    unchanged: 'marketplace',
  },
  {
    id: 'C-U11',
    what: 'a deployment name the marketplace would refuse',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--name', '../etc', '--no-wait'],
    code: 2,
    stderr: () => 'error: --name "../etc" must be 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit\n',
    unchanged: 'marketplace',
  },
  {
    id: 'C-U12',
    what: 'an instance count out of range',
    cli: 'service',
    args: () => ['scale', bobDeployment, '0'],
    code: 2,
    stderr: () => 'error: the number of instances must be a whole number from 1 to 100\n',
    unchanged: 'marketplace',
  },
  {
    id: 'C-U13',
    what: 'restore from both a backup and a time',
    cli: 'service',
    args: () => ['restore', bobDeployment, '--backup', 'bkp-x', '--at', '2026-01-01T00:00:00Z'],
    code: 2,
    stderr: () => 'error: give exactly one of --backup <id> or --at <ISO time>\n',
    unchanged: 'marketplace',
  },
  {
    id: 'C-U14',
    what: '--marketplace-url that is not a URL',
    cli: 'service',
    args: () => ['list', '--marketplace-url', 'localhost:3001'],
    code: 2,
    stderr: () => 'error: --marketplace-url must be an http(s) URL, not "localhost:3001"\n',
  },
  {
    id: 'C-U15',
    what: 'a destructive command without a terminal and without --yes',
    cli: 'service',
    args: () => ['delete', aliceDeployment],
    as: () => alice,
    code: 2,
    stderr: () =>
      `error: Delete alices-db (${aliceDeployment})? Its data will be gone: refusing without a terminal; pass --yes to confirm\n`,
    unchanged: 'marketplace',
  },
  {
    id: 'C-U16',
    what: 'publish a folder that does not exist',
    cli: 'publish',
    args: () => ['publish', '/nonexistent/my-package'],
    code: 2,
    stderr: () => 'error: /nonexistent/my-package is not a folder\n',
    unchanged: 'registry',
  },
  {
    id: 'C-U17',
    what: 'audit with an unknown level',
    cli: 'publish',
    args: () => ['audit', '.', '--audit-level', 'severe'],
    code: 2,
    stderr: () => 'error: --audit-level must be one of info, low, moderate, high, critical\n',
  },
  {
    id: 'C-U17b',
    what: 'list with a category that does not exist',
    cli: 'service',
    args: () => ['list', '--category', 'nosuch'],
    code: 2,
    stderr: () =>
      `error: option '-c, --category <category>' argument 'nosuch' is invalid. Allowed choices are database, ml, api, storage, compute.\n${RETRY}\n`,
  },
  {
    id: 'C-U18',
    what: 'login with no terminal and no --username',
    cli: 'publish',
    args: () => ['login'],
    code: 2,
    stderr: () => 'error: no terminal to ask on: use --username <name> and pipe the password on stdin\n',
  },
  {
    id: 'C-U19',
    what: 'a token limited to a range that is not one',
    cli: 'publish',
    args: () => ['token', 'create', '--cidr', '10.0.0.0/8', '999.1.1.1/99'],
    as: () => alice,
    code: 2,
    stderr: () => 'error: --cidr "999.1.1.1/99" is not an IP address or a range such as 10.0.0.0/8\n',
  },
  // --- projects that cannot be published (exit 1, nothing uploaded) ---
  {
    id: 'C-P1',
    what: 'a folder with no recognisable project',
    cli: 'publish',
    args: () => ['publish', project({ 'notes.txt': 'hello' })],
    as: () => alice,
    code: 1,
    stderr: () => /^error: no package\.json, pyproject\.toml, setup\.py, pom\.xml or \*\.gemspec in \/\S+: nothing to publish\n$/,
    unchanged: 'registry',
  },
  {
    id: 'C-P2',
    what: 'package.json that is not JSON',
    cli: 'publish',
    args: () => ['publish', project({ 'package.json': '{"name": "x",' })],
    as: () => alice,
    code: 1,
    stderr: () => /^error: \/\S+\/package\.json is not valid JSON: /,
    unchanged: 'registry',
  },
  {
    id: 'C-P3',
    what: 'an invalid package name',
    cli: 'publish',
    args: () => ['publish', npmProject({ name: 'Bad Name', version: '1.0.0' })],
    as: () => alice,
    code: 1,
    stderr: () => /^error: the name "Bad Name" .+: nothing was uploaded\n$/,
    unchanged: 'registry',
  },
  {
    id: 'C-P4',
    what: 'an invalid version',
    cli: 'publish',
    args: () => ['publish', npmProject({ name: 'cli-bad-version-x', version: 'v1' })],
    as: () => alice,
    code: 1,
    stderr: () => 'error: the version "v1" of cli-bad-version-x is not a valid semver version (like 1.0.0): nothing was uploaded\n',
    unchanged: 'registry',
  },
  {
    id: 'C-P5',
    what: 'a lockfile that is not JSON',
    cli: 'publish',
    args: () => ['audit', project({ 'package-lock.json': '{"lockfileVersion": 3,' })],
    code: 1,
    stderr: () => /^error: \/\S+\/package-lock\.json is not valid JSON\n$/,
  },
  // --- who you are (exit 1) ---
  {
    id: 'C-A1',
    what: 'not logged in: deploy',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--no-wait'],
    code: 1,
    stderr: () => NOT_LOGGED_IN,
    unchanged: 'marketplace',
  },
  {
    id: 'C-A2',
    what: 'not logged in: publish stops before packing anything',
    cli: 'publish',
    args: () => ['publish', npmProject({ name: 'cli-anon-pkg', version: '1.0.0' })],
    code: 1,
    stderr: () => NOT_LOGGED_IN,
    unchanged: 'registry',
  },
  {
    id: 'C-A3',
    what: 'a stored login revoked on the server (logout elsewhere)',
    cli: 'service',
    args: () => ['list-deployments'],
    as: () => revokedLogin,
    code: 1,
    stderr: () => 'error: your login has expired or was revoked: run publish-cli login\n',
  },
  {
    id: 'C-A4',
    what: 'a stored login whose session has expired',
    cli: 'publish',
    args: () => ['whoami'],
    as: () => expiredLogin,
    code: 1,
    stderr: () => 'error: your login has expired or was revoked: run publish-cli login\n',
  },
  {
    id: 'C-A5',
    what: 'a revoked ELIDE_TOKEN: publish uploads nothing',
    cli: 'publish',
    args: () => ['publish', npmProject({ name: 'cli-revoked-pkg', version: '1.0.0' })],
    env: () => ({ ELIDE_TOKEN: revokedApiToken }),
    code: 1,
    packs: true,
    stderr: () => /\nerror: ELIDE_TOKEN was refused \(expired or revoked\): set a valid token, or unset it and run publish-cli login\n$/,
    unchanged: 'registry',
  },
  {
    id: 'C-A6',
    what: 'a revoked ELIDE_TOKEN on the marketplace, --json',
    cli: 'service',
    args: () => ['deploy', 'postgres-managed', '--no-wait', '--json'],
    env: () => ({ ELIDE_TOKEN: revokedApiToken }),
    code: 1,
    stderr: () => 'error: ELIDE_TOKEN was refused (expired or revoked): set a valid token, or unset it and run publish-cli login\n',
    jsonCode: 'UNAUTHORIZED',
    unchanged: 'marketplace',
  },
  {
    id: 'C-A7',
    what: 'a wrong password',
    cli: 'publish',
    args: () => ['login', '--username', 'badalice'],
    code: 1,
    stderr: () => 'error: wrong username or password\n',
  },
  // --- objects that do not exist or are someone else's (exit 1, same answer for both) ---
  {
    id: 'C-O1',
    what: 'status of a deployment that does not exist',
    cli: 'service',
    args: () => ['status', 'deploy-doesnotexist'],
    as: () => alice,
    code: 1,
    stderr: () => noDeployment('deploy-doesnotexist'),
  },
  {
    id: 'C-O2',
    what: "status of someone else's deployment",
    cli: 'service',
    args: () => ['status', bobDeployment],
    as: () => alice,
    code: 1,
    stderr: () => noDeployment(bobDeployment),
  },
  {
    id: 'C-O3',
    what: "stopping someone else's deployment",
    cli: 'service',
    args: () => ['stop', bobDeployment, '--yes'],
    as: () => alice,
    code: 1,
    stderr: () => noDeployment(bobDeployment),
    unchanged: 'marketplace',
  },
  {
    id: 'C-O4',
    what: "scaling someone else's deployment",
    cli: 'service',
    args: () => ['scale', bobDeployment, '2'],
    as: () => alice,
    code: 1,
    stderr: () => `error: no deployment "${bobDeployment}" in your account\n`,
    unchanged: 'marketplace',
  },
  {
    id: 'C-O5',
    what: "the credentials of someone else's deployment",
    cli: 'service',
    args: () => ['credentials', bobDeployment, '--json'],
    as: () => alice,
    code: 1,
    stderr: () => `error: no deployment "${bobDeployment}" in your account\n`,
    jsonCode: 'DEPLOYMENT_NOT_FOUND',
  },
  {
    id: 'C-O6',
    what: "following the logs of someone else's deployment",
    cli: 'service',
    args: () => ['logs', bobDeployment, '--follow'],
    as: () => alice,
    code: 1,
    stderr: () => `error: no deployment "${bobDeployment}" in your account\n`,
  },
  // --- servers that are down or broken (exit 1, naming the URL) ---
  {
    id: 'C-S1',
    what: 'marketplace down (connection refused)',
    cli: 'service',
    args: () => ['list', '--marketplace-url', downUrl],
    code: 1,
    stderr: () => `error: cannot reach the marketplace at ${downUrl}: is the suite running? (npm start)\n`,
  },
  {
    id: 'C-S2',
    what: 'registry down during publish, --json',
    cli: 'publish',
    args: () => ['publish', npmProject({ name: 'cli-down-pkg', version: '1.0.0' }), '--registry-url', downUrl, '--json'],
    as: () => alice,
    code: 1,
    stderr: () => `error: cannot reach the registry at ${downUrl}: is the suite running? (npm start)\n`,
    jsonCode: 'UNREACHABLE',
  },
  {
    id: 'C-S3',
    what: 'a 502 HTML page from a proxy (C1)',
    cli: 'service',
    args: () => ['list-deployments', '--marketplace-url', stubUrl],
    as: () => alice,
    code: 1,
    stderr: () => `error: the marketplace at ${stubUrl} failed (HTTP 502); try again, or check its log\n`,
  },
  {
    id: 'C-S4',
    what: 'a registry answering 502 to the upload',
    cli: 'publish',
    args: () => ['publish', npmProject({ name: 'cli-proxy-pkg', version: '1.0.0' }), '--registry-url', stubUrl],
    as: () => alice,
    code: 1,
    packs: true,
    stderr: () =>
      new RegExp(`\nerror: the registry at ${stubUrl.replace(/[.]/g, '\\.')} failed \\(HTTP 502\\); try again, or check its log\n$`),
  },
  {
    id: 'C-S5',
    what: 'a 200 that is not JSON (the wrong URL, C1)',
    cli: 'publish',
    // A command that needs no login: a stored login is not sent to another URL at all (cli-login-scope.test.ts).
    args: () => ['info', 'some-package', '--api-url', `${stubUrl}/html`],
    as: () => alice,
    code: 1,
    stderr: () => `error: the main API at ${stubUrl}/html answered something that is not JSON: is that the right URL?\n`,
  },
];

const STACK = /^\s+at .+[:(]\d+:\d+\)?$|node:internal|\bTypeError\b|\bSyntaxError\b|Error: .*\n\s+at /m;

async function run(c: CliCase, args: string[]): Promise<CliResult> {
  const user = c.as?.() ?? anon;
  const input = c.id === 'C-A7' ? 'not-the-password\n' : '';
  return user.run(c.cli === 'publish' ? PUBLISH_CLI : SERVICE_CLI, args, { env: c.env?.(), input });
}

describe('CLI bad input: exit code, one clear line on stderr, no stack trace, nothing stored', () => {
  it.each(CASES.map((c) => [`${c.id} ${c.cli}-cli: ${c.what}`, c] as const))('%s', async (_name, c) => {
    const before = c.unchanged === 'registry' ? persisted(suite.dataDir) : c.unchanged === 'marketplace' ? marketplaceRows() : undefined;
    const args = c.args();
    const r = await run(c, args);
    expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(c.code);
    const want = c.stderr();
    if (typeof want === 'string') expect(r.stderr).toBe(want);
    else expect(r.stderr).toMatch(want);
    expect(r.stderr).not.toMatch(STACK);
    for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s);
    if (c.jsonCode) {
      const body = r.json<{ error: string; code: string }>();
      expect(body.code).toBe(c.jsonCode);
      expect(r.stderr).toContain(body.error);
    } else if (c.packs) {
      expect(r.stdout).toMatch(/^📦 \S+@1\.0\.0\n/);
    } else {
      // Failures print nothing on stdout (a script reading it sees no half-result); checks come before packing.
      expect(r.stdout).toBe('');
    }
    if (c.unchanged === 'registry') expect(persisted(suite.dataDir)).toEqual(before);
    if (c.unchanged === 'marketplace') expect(marketplaceRows()).toBe(before);
  });

  it("leaves someone else's deployment as it was", async () => {
    const bob = (await apiLogin('badbob', 'badbob-password-1')).token;
    const r = await fetch(`${suite.urls.marketplace}/api/deployments/${bobDeployment}`, { headers: { authorization: `Bearer ${bob}` } });
    const d = (await r.json()) as { name: string; instances: number; desiredStatus: string; lastOperation: { type: string } | null };
    // Still wanted running, one instance, and nothing but its creation ever happened to it.
    expect(d).toMatchObject({ name: 'bobs-db', instances: 1, desiredStatus: 'running', lastOperation: { type: 'create' } });
  });

  it('warns when the stored login can be read by other users (C3)', async () => {
    const file = path.join(alice.home, '.config', 'elide', 'credentials.json');
    fs.chmodSync(file, 0o644);
    try {
      const r = await alice.run(PUBLISH_CLI, ['whoami']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(`warning: ${file} can be read by other users: run chmod 600 ${file} (or publish-cli login again)\n`);
      expect(r.stdout).toContain('badalice');
    } finally {
      fs.chmodSync(file, 0o600);
    }
    expect((await alice.run(PUBLISH_CLI, ['whoami'])).stderr).toBe('');
  });
});
