// publish-cli end to end: the executable file in temp HOMEs against a real api + registry; interactive login in a
// pseudo-terminal; an npm project published by the CLI and installed by the real npm CLI; bad input and failures.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliUser, ensureUser, PUBLISH_CLI, startCliSuite } from '../helpers/cli.ts';
import { npmUser } from '../helpers/npm-cli.ts';
import { ROOT, type Suite } from '../helpers/suite.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/cli/npm-project');
// Each CLI run is a fresh node + tsx start (seconds on a busy 2-core box): tests that chain many of them need room.
vi.setConfig({ testTimeout: 240_000 });
let suite: Suite;

beforeAll(async () => {
  suite = await startCliSuite(['api', 'registry']);
  await ensureUser(suite, 'clipub', 'clipub-password-1');
}, 180_000);
afterAll(async () => suite?.stopAll());

// This file logs one user in more often than the login limit allows per minute (10, lib/rate-limit.ts) when
// the machine is fast: the limit is the product working, so wait the Retry-After the CLI reports, then retry.
const login = async (u = cliUser(suite, 'pub')) => {
  for (let attempt = 0; ; attempt++) {
    const r = await u.run(PUBLISH_CLI, ['login', '--username', 'clipub'], { input: 'clipub-password-1\n' });
    const limited = /too many requests: try again in (\d+) seconds/.exec(r.stderr);
    if (limited && attempt < 3) {
      await new Promise((res) => setTimeout(res, (Number(limited[1]) + 1) * 1000));
      continue;
    }
    expect(r.code, r.stderr).toBe(0);
    return u;
  }
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
    // The global flags are listed under each command too.
    expect(sub.stdout).toContain('Global Options:');
    expect(sub.stdout).toMatch(/--json +print machine-readable JSON/);
    expect(sub.stdout).toContain('--api-url <url>');
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

describe('publish a Python project and install it with pip', () => {
  it('builds sdist and wheel with python -m build, uploads both, pip installs the wheel', async () => {
    const u = await login();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-py-'));
    fs.cpSync(path.join(ROOT, 'test/fixtures/cli/python-project'), dir, { recursive: true });
    // Debian's python3 has the build module; the default python3 on PATH may not.
    const env = { PYTHON: '/usr/bin/python3' };
    const r = await u.run(PUBLISH_CLI, ['publish', dir, '--json'], { env, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({
      ecosystem: 'pypi',
      name: 'cli-hello',
      version: '0.1.0',
      // setuptools writes the sdist name normalised (cli_hello) or as given (cli-hello), by version.
      files: expect.arrayContaining(['cli_hello-0.1.0-py3-none-any.whl', expect.stringMatching(/^cli[-_]hello-0\.1\.0\.tar\.gz$/)]),
    });
    const venv = path.join(dir, 'venv');
    expect(spawnSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', '--system-site-packages', venv]).status).toBe(0);
    const pipEnv = { PATH: process.env.PATH ?? '', HOME: u.home };
    const pip = spawnSync(
      path.join(venv, 'bin/python'),
      ['-m', 'pip', 'install', '--isolated', '--no-deps', '--index-url', `${suite.urls.registry}/pypi/simple/`, 'cli-hello==0.1.0'],
      { env: pipEnv, encoding: 'utf8', timeout: 120_000 },
    );
    expect(pip.status, pip.stderr).toBe(0);
    const run = spawnSync(path.join(venv, 'bin/python'), ['-c', 'import cli_hello; print(cli_hello.hi())'], {
      env: pipEnv,
      encoding: 'utf8',
      cwd: u.home,
    });
    expect(run.stdout.trim()).toBe('hi from cli-hello');
  }, 400_000);

  it('refuses an invalid version before any upload', async () => {
    const u = await login();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-pybad-'));
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.writeFileSync(path.join(dir, 'setup.py'), 'from setuptools import setup\nsetup()\n');
    fs.writeFileSync(path.join(dir, 'dist/cli_bad-1.0.0.x-py3-none-any.whl'), 'x');
    const r = await u.run(PUBLISH_CLI, ['publish', dir, '--no-build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: cli_bad-1.0.0.x-py3-none-any.whl: "1.0.0.x" is not a valid PEP 440 version: nothing was uploaded\n');
  });
});

describe('publish a Maven project and resolve it with mvn', () => {
  it('PUTs the built jar and pom under /maven2/; mvn dependency:get fetches the same bytes', async () => {
    const u = await login();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-mvn-'));
    fs.cpSync(path.join(ROOT, 'test/fixtures/cli/maven-project'), dir, { recursive: true });
    const missing = await u.run(PUBLISH_CLI, ['publish', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: ${path.join(dir, 'target/cli-lib-1.0.0.jar')} is missing: run mvn package first\n`);
    fs.mkdirSync(path.join(dir, 'classes'));
    fs.writeFileSync(path.join(dir, 'classes/hello.txt'), 'hello from cli-lib');
    fs.mkdirSync(path.join(dir, 'target'));
    expect(spawnSync('jar', ['cf', path.join(dir, 'target/cli-lib-1.0.0.jar'), '-C', path.join(dir, 'classes'), '.']).status).toBe(0);
    const r = await u.run(PUBLISH_CLI, ['publish', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({
      ecosystem: 'maven',
      groupId: 'com.example.cli',
      artifactId: 'cli-lib',
      version: '1.0.0',
      files: ['cli-lib-1.0.0.jar', 'cli-lib-1.0.0.pom'],
    });
    const repo = path.join(dir, 'm2');
    fs.writeFileSync(
      path.join(dir, 'settings.xml'),
      `<settings><localRepository>${repo}</localRepository>
  <mirrors><mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>
  <profiles><profile><id>deb</id>
    <pluginRepositories><pluginRepository><id>central</id><url>file:///usr/share/maven-repo</url>
      <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></pluginRepository></pluginRepositories>
  </profile></profiles><activeProfiles><activeProfile>deb</activeProfile></activeProfiles></settings>`,
    );
    const mvn = spawnSync(
      'mvn',
      [
        '-B',
        '-s',
        path.join(dir, 'settings.xml'),
        'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get',
        '-Dartifact=com.example.cli:cli-lib:1.0.0',
        '-Dtransitive=false',
        `-DremoteRepositories=elide::default::${suite.urls.registry}/maven2`,
      ],
      { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: u.home }, timeout: 180_000 },
    );
    expect(mvn.status, mvn.stdout.slice(-3000)).toBe(0);
    const got = fs.readFileSync(path.join(repo, 'com/example/cli/cli-lib/1.0.0/cli-lib-1.0.0.jar'));
    expect(got.equals(fs.readFileSync(path.join(dir, 'target/cli-lib-1.0.0.jar')))).toBe(true);
  });
});

describe('publish a Ruby project and install it with gem', () => {
  it('builds with gem build, pushes to /rubygems/, gem install --source installs it', async () => {
    const u = await login();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-gem-'));
    fs.cpSync(path.join(ROOT, 'test/fixtures/cli/ruby-project'), dir, { recursive: true });
    const r = await u.run(PUBLISH_CLI, ['publish', dir, '--json'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ ecosystem: 'rubygems', file: 'cli_hello-0.1.0.gem' });
    const gems = path.join(u.home, 'gems');
    const env = { PATH: '/usr/bin:/bin', HOME: u.home, LANG: 'C.UTF-8' };
    // From a folder without .gem files, or gem installs the local file instead of the registry's.
    const inst = spawnSync(
      'gem',
      [
        'install',
        '--remote',
        '--clear-sources',
        '--source',
        `${suite.urls.registry}/rubygems/`,
        '--install-dir',
        gems,
        '--no-document',
        'cli_hello',
        '-v',
        '0.1.0',
      ],
      { cwd: u.home, env, encoding: 'utf8', timeout: 180_000 },
    );
    expect(inst.status, inst.stderr).toBe(0);
    expect(inst.stdout).toContain('Successfully installed cli_hello-0.1.0');
    const ruby = spawnSync('ruby', ['-e', 'require "cli_hello"; print CliHello.hi'], {
      cwd: u.home,
      env: { ...env, GEM_PATH: gems },
      encoding: 'utf8',
    });
    expect(ruby.stdout).toBe('hi from cli_hello');
  });
});

describe('publish an npm project and install it with npm', () => {
  it('packs by npm rules, publishes, and npm installs it', async () => {
    const u = await login();
    const dir = copyFixture();
    const r = await u.run(PUBLISH_CLI, ['publish', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ name: 'cli-fixture-pkg', version: '1.0.0', tag: 'latest', files: 7, ecosystem: 'npm' });
    // The README travels in the version object as npm sends it: the package page shows it, not "No README".
    const packument = (await (await fetch(`${suite.urls.registry}/npm/cli-fixture-pkg`)).json()) as Record<string, unknown>;
    expect(packument).toMatchObject({ readme: '# cli-fixture-pkg\n', readmeFilename: 'README.md' });

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

  it('audits a project whose lockfile has real findings (imported OSV advisories), and passes a clean one', async () => {
    // The registry's admin import takes the OSV records as they come from osv.dev (the sample holds real ones).
    const internal = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const imp = await fetch(`${suite.urls.registry}/internal/security/advisories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internal },
      body: fs.readFileSync(path.join(ROOT, 'test/fixtures/security/advisories-sample.json')),
    });
    expect(imp.status).toBe(200);
    expect(((await imp.json()) as { touched: { name: string }[] }).touched).toContainEqual({ ecosystem: 'npm', name: 'lodash' });
    // GHSA-35jh-r3h4-6jhm: lodash < 4.17.21. Publish one version inside the range and the fixed one.
    const u = await login();
    for (const version of ['4.17.20', '4.17.21']) {
      const pub = await u.run(PUBLISH_CLI, ['publish', copyFixture({ name: 'lodash', version })]);
      expect(pub.code, pub.stderr).toBe(0);
    }
    // The lockfile is written by the real npm, resolving against the test registry.
    const npm = npmUser(`${suite.urls.registry}/npm/`, 'cli-audit');
    const project = async (lodash: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-audit-app-'));
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { lodash } }),
      );
      const lock = await npm.run(['install', '--package-lock-only'], { cwd: dir });
      expect(lock.code, lock.stderr).toBe(0);
      return dir;
    };
    const vulnerable = await project('4.17.20');
    const r = await u.run(PUBLISH_CLI, ['audit', vulnerable, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = r.json<{ findings: Record<string, unknown>[]; counts: Record<string, number>; packages: number }>();
    // The duplicate record under another id (same CVE alias) and the withdrawn one are not reported.
    expect(report.findings).toEqual([
      {
        name: 'lodash',
        installed: ['4.17.20'],
        id: expect.anything(),
        severity: 'high',
        title: 'Command Injection in lodash',
        vulnerableVersions: '<4.17.21',
        url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
      },
    ]);
    expect(report).toMatchObject({ packages: 1, counts: { high: 1, critical: 0, moderate: 0 } });
    const text = await u.run(PUBLISH_CLI, ['audit', vulnerable]);
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+PACKAGE\s+INSTALLED\s+VULNERABLE\s+TITLE\s+MORE INFO$/);
    expect(lines[1]).toMatch(
      /^high\s+lodash\s+4\.17\.20\s+<4\.17\.21\s+Command Injection in lodash\s+https:\/\/github\.com\/advisories\/GHSA-35jh-r3h4-6jhm$/,
    );
    expect(lines.at(-1)).toBe('1 vulnerability (1 high)');
    // Below the failing level the finding is still shown, and the exit code is 0 (as npm audit --audit-level).
    const critical = await u.run(PUBLISH_CLI, ['audit', vulnerable, '--audit-level', 'critical']);
    expect(critical.code).toBe(0);
    expect(critical.stdout).toContain('Command Injection in lodash');
    const clean = await u.run(PUBLISH_CLI, ['audit', await project('4.17.21')]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toBe('found 0 vulnerabilities in 1 package\n');
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
    // The stored login is kept for the registry it was made with (client/http.ts): a token given for this run goes
    // wherever the flags say, so the unreachable registry is what stops the publish.
    const { token } = JSON.parse(fs.readFileSync(path.join(u.home, '.config/elide/credentials.json'), 'utf8')) as { token: string };
    const pub = await u.run(PUBLISH_CLI, ['publish', copyFixture({ name: 'cli-down' }), '--registry-url', 'http://127.0.0.1:9/npm/'], {
      env: { ELIDE_TOKEN: token },
    });
    expect(pub.code).toBe(1);
    expect(pub.stderr).toContain('error: cannot reach the registry at http://127.0.0.1:9: is the suite running? (npm start)');
  });
});
