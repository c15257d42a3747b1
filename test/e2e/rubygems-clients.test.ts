// The real RubyGems 3.3 and Bundler 2.3 against the registry at /rubygems/ (main API + registry processes): gem
// build, gem push with the API key, a refused re-push and a wrong key, gem install --source of a gem and its
// dependency (compact index + quick Marshal gemspecs), bundle install through the compact index, gem yank (the
// yanked .gem no longer downloads), and the installed bytes compared with the built ones. Recipe:
// multiformat-protocols.md 3.9.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, run } from '../fixtures/pypi/client-env.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
let work: string;
let env: Record<string, string>;
let host: string;
let token: string;

function writeGem(dir: string, name: string, version: string, deps: string) {
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${name}.gemspec`),
    `Gem::Specification.new do |s|
  s.name = "${name}"; s.version = "${version}"; s.summary = "acceptance ${name}"; s.authors = ["t"]
  s.files = ["lib/${name}.rb"]; s.license = "MIT"
  ${deps}
end
`,
  );
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gems-e2e-'));
  env = { PATH: '/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8', BUNDLE_SILENCE_ROOT_WARNING: '1', BUNDLE_RETRY: '0' };
  const hello = path.join(work, 'acc_hello');
  writeGem(hello, 'acc_hello', '0.1.1', '');
  fs.writeFileSync(path.join(hello, 'lib', 'acc_hello.rb'), 'module AccHello; def self.hi; "hi"; end; end\n');
  const dep = path.join(work, 'acc_dep');
  writeGem(dep, 'acc_dep', '1.0.0', 's.add_runtime_dependency "acc_hello", ">= 0.1", "< 1.0"');
  fs.writeFileSync(path.join(dep, 'lib', 'acc_dep.rb'), 'require "acc_hello"; module AccDep; def self.hi; AccHello.hi + "!"; end; end\n');
  const [a, b, started] = await Promise.all([
    run('gem', ['build', 'acc_hello.gemspec'], { cwd: hello, env }),
    run('gem', ['build', 'acc_dep.gemspec'], { cwd: dep, env }),
    startSuite({ only: ['api', 'registry'] }),
  ]);
  suite = started;
  expect(a.code, a.output).toBe(0);
  expect(b.code, b.output).toBe(0);
  host = `${suite.urls.registry}/rubygems`;
  token = await createPublisher(suite, 'gemalice');
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
});

const push = (file: string, key = token) =>
  run('gem', ['push', '--host', host, file], { cwd: work, env: { ...env, GEM_HOST_API_KEY: key } });
const built = (name: string, version: string) => path.join(work, name, `${name}-${version}.gem`);

describe('gem push, gem install and bundle install against /rubygems/', () => {
  it('gem push registers both gems and prints the registry text', async () => {
    const res = await push(built('acc_hello', '0.1.1'));
    expect(res.code, res.output).toBe(0);
    expect(res.stdout).toContain('Successfully registered gem: acc_hello (0.1.1)');
    const dep = await push(built('acc_dep', '1.0.0'));
    expect(dep.code, dep.output).toBe(0);
  });

  it('a re-push fails with the 409 text; a wrong key fails with Access Denied', async () => {
    const again = await push(built('acc_hello', '0.1.1'));
    expect(again.code).toBe(1);
    expect(again.output).toContain('Repushing of gem versions is not allowed.');
    const wrong = await push(built('acc_hello', '0.1.1'), 'elk_wrongwrongwrongwrong');
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('Access Denied.');
  });

  it('gem install --source installs the gem and its dependency with the exact bytes', async () => {
    const gems = path.join(work, 'gems');
    // Run from a folder without .gem files, or gem installs the local file instead (reference 3.5).
    const res = await run(
      'gem',
      ['install', '--remote', '--clear-sources', '--source', `${host}/`, '--install-dir', gems, '--no-document', 'acc_dep', '-v', '1.0.0'],
      { cwd: os.tmpdir(), env },
    );
    expect(res.code, res.output).toBe(0);
    expect(res.stdout).toContain('Successfully installed acc_hello-0.1.1');
    expect(res.stdout).toContain('Successfully installed acc_dep-1.0.0');
    expect(fs.readFileSync(path.join(gems, 'cache', 'acc_hello-0.1.1.gem')).equals(fs.readFileSync(built('acc_hello', '0.1.1')))).toBe(
      true,
    );
    const ruby = await run('ruby', ['-e', 'require "acc_dep"; print AccDep.hi'], { cwd: work, env: { ...env, GEM_PATH: gems } });
    expect(ruby.stdout).toBe('hi!');
  });

  it('bundle install resolves through the compact index and bundle exec runs the code', async () => {
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'Gemfile'), `source "${host}"\ngem "acc_dep", "1.0.0"\n`);
    const cfg = await run('bundle', ['config', 'set', '--local', 'path', 'vendor/bundle'], { cwd: app, env });
    expect(cfg.code, cfg.output).toBe(0);
    const logFrom = fs.statSync(suite.logFile('registry')).size;
    const res = await run('bundle', ['install'], { cwd: app, env });
    expect(res.code, res.output).toBe(0);
    expect(res.stdout).toContain('Installing acc_hello 0.1.1');
    expect(res.stdout).toContain('Bundle complete!');
    // Bundler stayed on the compact index: a wrong ETag would have sent it silently to the dependency API and
    // the Marshal index (multiformat-protocols.md 3.2). The registry's request log shows which it used.
    const seen = fs.readFileSync(suite.logFile('registry'), 'utf8').slice(logFrom);
    expect(seen).toContain('/rubygems/versions');
    expect(seen).toContain('/rubygems/info/acc_hello');
    expect(seen).not.toContain('/rubygems/api/v1/dependencies');
    expect(seen).not.toContain('specs.4.8.gz');
    const exec = await run('bundle', ['exec', 'ruby', '-e', 'require "acc_dep"; print AccDep.hi'], { cwd: app, env });
    expect(exec.stdout).toBe('hi!');
    // The security report's dependency tree holds the versions Bundler locked ("    name (version)" under specs:).
    const locked = [...fs.readFileSync(path.join(app, 'Gemfile.lock'), 'utf8').matchAll(/^ {4}(\S+) \(([^)\s]+)\)$/gm)].map(
      (m) => `${m[1]}@${m[2]}`,
    );
    expect(locked.sort()).toEqual(['acc_dep@1.0.0', 'acc_hello@0.1.1']);
    const report = await fetch(`${suite.urls.api}/api/packages/acc_dep/1.0.0/security?ecosystem=rubygems`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(report.status).toBe(200);
    const tree = (await report.json()).dependencies;
    expect([...tree.packages].sort()).toEqual(locked);
    expect(tree).toMatchObject({ resolved: true, conflicts: [], alerts: [] });
  });

  it('gem yank removes the version from the index; it can never be pushed again', async () => {
    const res = await run('gem', ['yank', 'acc_dep', '-v', '1.0.0', '--host', host], {
      cwd: work,
      env: { ...env, GEM_HOST_API_KEY: token },
    });
    expect(res.code, res.output).toBe(0);
    expect(res.stdout).toContain('Successfully deleted gem: acc_dep (1.0.0)');
    expect(await (await fetch(`${host}/info/acc_dep`)).text()).toBe('---\n');
    // Its file is gone too, as on rubygems.org; the gem it depended on still downloads.
    const gone = await fetch(`${host}/gems/acc_dep-1.0.0.gem`);
    expect([gone.status, await gone.text()]).toEqual([404, 'Version 1.0.0 of acc_dep was yanked: it can no longer be downloaded.\n']);
    expect((await fetch(`${host}/gems/acc_hello-0.1.1.gem`)).status).toBe(200);
    const again = await push(built('acc_dep', '1.0.0'));
    expect(again.output).toContain('Repushing of gem versions is not allowed.');
  });
  it('a private gem of an org: gem install and bundle install of an org member install it; of a user outside the org find nothing', async () => {
    const org = path.join(work, 'acc_org');
    writeGem(org, 'acc_org', '0.1.0', '');
    fs.writeFileSync(path.join(org, 'lib', 'acc_org.rb'), 'module AccOrg; end\n');
    expect((await run('gem', ['build', 'acc_org.gemspec'], { cwd: org, env })).code).toBe(0);
    expect((await push(built('acc_org', '0.1.0'))).code).toBe(0);
    const [carol, dave] = await Promise.all([createPublisher(suite, 'gemcarol'), createPublisher(suite, 'gemdave')]);
    const api = (method: string, url: string, body: unknown) =>
      fetch(`${suite.urls.api}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await api('POST', '/api/orgs', { name: 'gemorg' })).status).toBe(201);
    expect((await api('PUT', '/api/orgs/gemorg/members/gemcarol', { role: 'member' })).status).toBe(200);
    const give = await fetch(`${host}/-/access`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'acc_org', access: 'restricted', org: 'gemorg' }),
    });
    expect(await give.json()).toMatchObject({ access: 'restricted', org: 'gemorg' });
    const install = (user: string, secret: string, dir: string) =>
      run(
        'gem',
        [
          'install',
          '--remote',
          '--clear-sources',
          '--source',
          `${host.replace('http://', `http://${user}:${encodeURIComponent(secret)}@`)}/`,
          '--install-dir',
          path.join(work, dir),
          '--no-document',
          'acc_org',
        ],
        { cwd: os.tmpdir(), env },
      );
    const [member, outsider] = await Promise.all([
      install('gemcarol', carol, 'org-member-gems'),
      install('gemdave', dave, 'org-outsider-gems'),
    ]);
    expect(member.code, member.output).toBe(0);
    expect(member.stdout).toContain('Successfully installed acc_org-0.1.0');
    expect(outsider.code).not.toBe(0);
    expect(outsider.output).toContain('acc_org');
    expect(fs.existsSync(path.join(work, 'org-outsider-gems', 'cache', 'acc_org-0.1.0.gem'))).toBe(false);

    // Bundler too, with the credentials in the Gemfile's source as teams write them.
    const bundle = async (user: string, secret: string, dir: string) => {
      const app = path.join(work, dir);
      fs.mkdirSync(app);
      const source = host.replace('http://', `http://${user}:${encodeURIComponent(secret)}@`);
      fs.writeFileSync(path.join(app, 'Gemfile'), `source "${source}"\ngem "acc_org", "0.1.0"\n`);
      const cfg = await run('bundle', ['config', 'set', '--local', 'path', 'vendor/bundle'], { cwd: app, env });
      expect(cfg.code, cfg.output).toBe(0);
      return run('bundle', ['install'], { cwd: app, env });
    };
    const memberBundle = await bundle('gemcarol', carol, 'org-member-app');
    expect(memberBundle.code, memberBundle.output).toBe(0);
    expect(memberBundle.stdout).toContain('Installing acc_org 0.1.0');
    const outsiderBundle = await bundle('gemdave', dave, 'org-outsider-app');
    expect(outsiderBundle.code).not.toBe(0);
    expect(outsiderBundle.output).toMatch(/acc_org/);
    expect(fs.existsSync(path.join(work, 'org-outsider-app', 'Gemfile.lock'))).toBe(false);
  });
});
