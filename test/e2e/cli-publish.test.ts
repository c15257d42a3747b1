// publish-cli end to end: the executable file in temp HOMEs against a real api + registry; interactive login in a
// pseudo-terminal; an npm project published by the CLI and installed by the real npm CLI; bad input and failures.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliUser, ensureUser, PUBLISH_CLI, startCliSuite } from '../helpers/cli.ts';
import { npmUser } from '../helpers/npm-cli.ts';
import { ROOT, type Suite } from '../helpers/suite.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/cli/npm-project');
let suite: Suite;

beforeAll(async () => {
  suite = await startCliSuite(['api', 'registry']);
  await ensureUser(suite, 'clipub', 'clipub-password-1');
}, 180_000);
afterAll(async () => suite?.stopAll());

const login = async (u = cliUser(suite, 'pub')) => {
  const r = await u.run(PUBLISH_CLI, ['login', '--username', 'clipub'], { input: 'clipub-password-1\n' });
  expect(r.code, r.stderr).toBe(0);
  return u;
};

function copyFixture(patch: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-npm-project-'));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, ...patch }, null, 2));
  return dir;
}

describe('running the file', () => {
  it('runs from another folder with --help, --version, and per-command help with examples', async () => {
    const u = cliUser(undefined, 'help');
    const help = await u.run(PUBLISH_CLI, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: publish-cli [options] [command]');
    expect(help.stdout).toContain('$ publish-cli publish ./my-package');
    const v = await u.run(PUBLISH_CLI, ['--version']);
    expect(v.stdout.trim()).toBe('0.1.0');
    const sub = await u.run(PUBLISH_CLI, ['publish', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('Examples:');
    expect(sub.stdout).toContain('--dry-run');
  });

  it('runs with npx tsx from the repository', () => {
    const r = spawnSync('npx', ['tsx', 'client/publish-cli.ts', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
  });

  it('exits 2 with usage on an unknown command or flag', async () => {
    const u = cliUser(suite, 'usage');
    const cmd = await u.run(PUBLISH_CLI, ['pubish']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("error: unknown command 'pubish'");
    expect(cmd.stderr).toContain('(Did you mean publish?)');
    const flag = await u.run(PUBLISH_CLI, ['search', 'x', '--colour']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("error: unknown option '--colour'");
    expect(flag.stderr).toContain('(run publish-cli --help for usage)');
  });
});

describe('login, whoami, logout, tokens', () => {
  it('prompts for username and hidden password on a terminal and stores the token 0600', async () => {
    const u = cliUser(suite, 'tty');
    const r = await u.pty(
      PUBLISH_CLI,
      ['login'],
      [
        [/Username: /, 'clipub\r'],
        [/Password: /, 'clipub-password-1\r'],
      ],
    );
    expect(r.code, r.stdout).toBe(0);
    // Colours on a terminal (bold user name), never in pipes.
    expect(r.stdout).toContain('\x1b[1mclipub\x1b[22m');
    expect(r.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')).toContain(
      `Logged in as clipub (publisher) on ${suite.urls.api}`,
    );
    expect(r.stdout).not.toContain('clipub-password-1');
    const file = path.join(u.home, '.config/elide/credentials.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ username: 'clipub', apiUrl: suite.urls.api });
    const who = await u.run(PUBLISH_CLI, ['whoami']);
    expect(who.stdout).toBe('clipub\n');
  });

  it('logs in with the password on stdin, honours XDG_CONFIG_HOME, and refuses a wrong password', async () => {
    const u = cliUser(suite, 'stdin');
    const xdg = path.join(u.home, 'xdg');
    const r = await u.run(PUBLISH_CLI, ['login', '--username', 'clipub', '--json'], {
      input: 'clipub-password-1\n',
      env: { XDG_CONFIG_HOME: xdg },
    });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ username: 'clipub', role: 'publisher', credentialsFile: path.join(xdg, 'elide/credentials.json') });
    expect(r.stdout).not.toContain('elk_');
    const bad = await u.run(PUBLISH_CLI, ['login', '--username', 'clipub'], { input: 'nope\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: wrong username or password\n');
  });

  it('says how to log in, and that a revoked login must be renewed', async () => {
    const u = cliUser(suite, 'anon');
    const r = await u.run(PUBLISH_CLI, ['whoami']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: not logged in: run publish-cli login (or set ELIDE_TOKEN)\n');
    await login(u);
    const { token } = JSON.parse(fs.readFileSync(path.join(u.home, '.config/elide/credentials.json'), 'utf8'));
    await fetch(`${suite.urls.api}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const expired = await u.run(PUBLISH_CLI, ['whoami']);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toBe('error: your login has expired or was revoked: run publish-cli login\n');
  });

  it('creates, lists and revokes API tokens; ELIDE_TOKEN overrides the stored login', async () => {
    const u = await login();
    const created = await u.run(PUBLISH_CLI, ['token', 'create', '--name', 'ci', '--readonly', '--json']);
    expect(created.code).toBe(0);
    const t = created.json<{ id: string; token: string; readonly: boolean }>();
    expect(t.token).toMatch(/^elk_/);
    expect(t.readonly).toBe(true);
    const list = await u.run(PUBLISH_CLI, ['token', 'list', '--json']);
    const tokens = list.json<{ tokens: { id: string; name: string }[] }>().tokens;
    expect(tokens.map((x) => x.name)).toContain('ci');
    expect(list.stdout).not.toContain(t.token);
    const fresh = cliUser(suite, 'envtoken');
    const who = await fresh.run(PUBLISH_CLI, ['whoami', '--json'], { env: { ELIDE_TOKEN: t.token } });
    expect(who.json()).toMatchObject({ username: 'clipub', readonly: true, tokenKind: 'api' });
    const refused = await u.run(PUBLISH_CLI, ['token', 'revoke', t.id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes to confirm');
    expect((await u.run(PUBLISH_CLI, ['token', 'revoke', t.id, '--yes'])).code).toBe(0);
    const after = await fresh.run(PUBLISH_CLI, ['whoami'], { env: { ELIDE_TOKEN: t.token } });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('ELIDE_TOKEN was refused (expired or revoked)');
    const out = await u.run(PUBLISH_CLI, ['logout', '--json']);
    expect(out.json()).toEqual({ loggedOut: true, revoked: true, username: 'clipub' });
    expect(fs.existsSync(path.join(u.home, '.config/elide/credentials.json'))).toBe(false);
  });
});

describe('publish an npm project and install it with npm', () => {
  it('packs by npm rules, publishes, and npm installs it', async () => {
    const u = await login();
    const dir = copyFixture();
    const r = await u.run(PUBLISH_CLI, ['publish', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ name: 'cli-fixture-pkg', version: '1.0.0', tag: 'latest', files: 7, ecosystem: 'npm' });

    const npm = npmUser(`${suite.urls.registry}/npm/`, 'cli-install');
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-app-'));
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
    const inst = await npm.run(['install', 'cli-fixture-pkg@1.0.0'], { cwd: app });
    expect(inst.code, inst.stderr).toBe(0);
    const installed = path.join(app, 'node_modules/cli-fixture-pkg');
    expect(fs.readdirSync(path.join(installed, 'lib')).sort()).toEqual(['index.js', 'internal.js']);
    expect(fs.existsSync(path.join(installed, 'docs/draft.txt'))).toBe(false);
    const run = spawnSync(process.execPath, ['-e', "console.log(require('cli-fixture-pkg').hello())"], { cwd: app, encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('hello from cli-fixture-pkg');

    const info = await u.run(PUBLISH_CLI, ['info', 'cli-fixture-pkg', '--json']);
    expect(info.json()).toMatchObject({ name: 'cli-fixture-pkg', license: 'MIT', distTags: { latest: '1.0.0' }, vulnerabilities: [] });
    const search = await u.run(PUBLISH_CLI, ['search', 'cli-fixture', '--json']);
    expect(search.json<{ results: { name: string }[] }>().results.map((x) => x.name)).toContain('cli-fixture-pkg');
    const table = await u.run(PUBLISH_CLI, ['search', 'cli-fixture']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+SCORE\s+DOWNLOADS\s+DESCRIPTION$/);
  });

  it('dist-tags, deprecates and unpublishes', async () => {
    const u = await login();
    const dir = copyFixture({ name: 'cli-fixture-tags', version: '2.0.0-rc.1' });
    const pub = await u.run(PUBLISH_CLI, ['publish', dir, '--json']);
    expect(pub.json()).toMatchObject({ tag: 'next' });
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')), version: '1.0.0' }),
    );
    expect((await u.run(PUBLISH_CLI, ['publish', dir])).code).toBe(0);
    expect((await u.run(PUBLISH_CLI, ['dist-tag', 'add', 'cli-fixture-tags@1.0.0', 'stable'])).stdout).toBe(
      '+stable: cli-fixture-tags@1.0.0\n',
    );
    const ls = await u.run(PUBLISH_CLI, ['dist-tag', 'ls', 'cli-fixture-tags', '--json']);
    expect(ls.json()).toEqual({ name: 'cli-fixture-tags', distTags: { latest: '1.0.0', next: '2.0.0-rc.1', stable: '1.0.0' } });
    expect((await u.run(PUBLISH_CLI, ['dist-tag', 'rm', 'cli-fixture-tags', 'stable'])).code).toBe(0);
    const dep = await u.run(PUBLISH_CLI, ['deprecate', 'cli-fixture-tags@<2.0.0-0', 'use 2.x', '--json']);
    expect(dep.json()).toEqual({ name: 'cli-fixture-tags', versions: ['1.0.0'], message: 'use 2.x' });
    const info = await u.run(PUBLISH_CLI, ['info', 'cli-fixture-tags', '--json']);
    const versions = info.json<{ versions: { version: string; deprecated: string | null }[] }>().versions;
    expect(versions.find((v) => v.version === '1.0.0')?.deprecated).toBe('use 2.x');
    const noTty = await u.run(PUBLISH_CLI, ['unpublish', 'cli-fixture-tags@2.0.0-rc.1']);
    expect(noTty.code).toBe(2);
    const un = await u.run(PUBLISH_CLI, ['unpublish', 'cli-fixture-tags@2.0.0-rc.1', '--yes', '--json']);
    expect(un.code, un.stderr).toBe(0);
    const after = await u.run(PUBLISH_CLI, ['info', 'cli-fixture-tags', '--json']);
    expect(after.json<{ versions: { version: string }[] }>().versions.map((v) => v.version)).toEqual(['1.0.0']);
  });

  it('refuses bad projects before any upload', async () => {
    const u = await login();
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-empty-'));
    const none = await u.run(PUBLISH_CLI, ['publish', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`error: no package.json, pyproject.toml, setup.py, pom.xml or *.gemspec in ${empty}: nothing to publish\n`);
    const upper = await u.run(PUBLISH_CLI, ['publish', copyFixture({ name: 'Cli-Bad-Name' })]);
    expect(upper.code).toBe(1);
    expect(upper.stderr).toBe('error: the name "Cli-Bad-Name" must be lowercase: nothing was uploaded\n');
    const badVersion = await u.run(PUBLISH_CLI, ['publish', copyFixture({ name: 'cli-bad-version', version: '1.0' })]);
    expect(badVersion.code).toBe(1);
    expect(badVersion.stderr).toContain('the version "1.0" of cli-bad-version is not a valid semver version');
    const res = await fetch(`${suite.urls.registry}/npm/cli-bad-version`);
    expect(res.status).toBe(404);
  });

  it('audits a lockfile against the advisories', async () => {
    const u = cliUser(suite, 'audit');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-audit-'));
    fs.writeFileSync(
      path.join(dir, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/cli-fixture-pkg': { version: '1.0.0' } } }),
    );
    const r = await u.run(PUBLISH_CLI, ['audit', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ packages: 1, findings: [], counts: { critical: 0, high: 0 } });
    const none = await u.run(PUBLISH_CLI, ['audit', fs.mkdtempSync(path.join(os.tmpdir(), 'cli-nolock-'))]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no package-lock.json in');
  });

  it('names the server it cannot reach, with --json errors on stdout', async () => {
    const u = await login();
    const r = await u.run(PUBLISH_CLI, [
      'search',
      'x',
      '--api-url',
      'http://127.0.0.1:9',
      '--registry-url',
      'http://127.0.0.1:9',
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({
      error: 'cannot reach the main API at http://127.0.0.1:9: is the suite running? (npm start)',
      code: 'UNREACHABLE',
    });
    const pub = await u.run(PUBLISH_CLI, ['publish', copyFixture({ name: 'cli-down' }), '--registry-url', 'http://127.0.0.1:9/npm/']);
    expect(pub.code).toBe(1);
    expect(pub.stderr).toContain('error: cannot reach the registry at http://127.0.0.1:9: is the suite running? (npm start)');
  });
});
