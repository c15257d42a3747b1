// The real `gem signin` (gem 3.3) against this registry: it asks for the e-mail, the password, a key name and the
// scopes, POSTs them to <host>/api/v1/api_key and stores the key it gets in ~/.gem/credentials for that host. The
// key then pushes a gem with no other setup, as after signing in to rubygems.org.
import { spawn } from 'node:child_process';
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

/**
 * gem in a pseudo-terminal (`script`), answering each prompt when it appears: gem reads the password only from a
 * terminal, with echo off. RUBYGEMS_HOST names this registry: gem 3.3's signin otherwise asks rubygems.org for the
 * account's MFA level whatever --host says.
 */
function gemAtTerminal(args: string[], answers: [RegExp, string][]) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const command = ['gem', ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work, env: { ...env, RUBYGEMS_HOST: host } });
    let output = '';
    let next = 0;
    child.stdout.on('data', (d) => {
      output += d;
      while (next < answers.length && answers[next][0].test(output.slice(output.lastIndexOf('\n', output.length - 2) + 1))) {
        child.stdin.write(`${answers[next][1]}\n`);
        next++;
      }
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** gem 3.3's prompts: e-mail, password, key name, then each scope (index_rubygems, push_rubygem, yank_rubygem, ...). */
const signinAnswers = (password: string, keyName: string): [RegExp, string][] => [
  [/Email:\s*$/, 'gemsigner@example.test'],
  [/Password:\s*$/, password],
  [/API Key name.*:\s*$/, keyName],
  [/index_rubygems.*$/, 'n'],
  [/push_rubygem.*$/, 'y'],
  [/yank_rubygem.*$/, 'n'],
  [/add_owner.*$/, 'n'],
  [/remove_owner.*$/, 'n'],
  [/access_webhooks.*$/, 'n'],
  [/show_dashboard.*$/, 'n'],
];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gems-signin-'));
  env = { PATH: '/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8', USER: 'tester' };
  fs.mkdirSync(path.join(work, 'lib'));
  fs.writeFileSync(path.join(work, 'lib', 'signin_gem.rb'), 'module SigninGem; end\n');
  fs.writeFileSync(
    path.join(work, 'signin_gem.gemspec'),
    'Gem::Specification.new do |s|\n  s.name = "signin_gem"; s.version = "1.0.0"; s.summary = "signin"; s.authors = ["t"]\n  s.files = ["lib/signin_gem.rb"]; s.license = "MIT"\nend\n',
  );
  const [built, started] = await Promise.all([
    run('gem', ['build', 'signin_gem.gemspec'], { cwd: work, env }),
    startSuite({ only: ['api', 'registry'] }),
  ]);
  suite = started;
  expect(built.code, built.output).toBe(0);
  host = `${suite.urls.registry}/rubygems`;
  await createPublisher(suite, 'gemsigner', 'signer-password-1');
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('gem signin', () => {
  it('stores a key for the host that gem push then uses; a wrong password is refused with no key stored', async () => {
    const wrong = await gemAtTerminal(['signin', '--host', host], signinAnswers('not-the-password', 'never'));
    expect(wrong.code, wrong.output).not.toBe(0);
    expect(wrong.output).toContain('HTTP Basic: Access denied.');
    const ok = await gemAtTerminal(['signin', '--host', host], signinAnswers('signer-password-1', 'laptop'));
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).toContain('Signed in with API key: laptop.');
    // gem 3.3 keeps credentials under XDG_DATA_HOME (~/.local/share/gem) unless ~/.gem exists.
    const credentials = fs.readFileSync(path.join(work, '.local', 'share', 'gem', 'credentials'), 'utf8');
    expect(credentials).toMatch(new RegExp(`${host.replace(/[.]/g, '\\.')}: elk_`));
    const push = await run('gem', ['push', '--host', host, 'signin_gem-1.0.0.gem'], { cwd: work, env });
    expect(push.code, push.output).toBe(0);
    expect(push.stdout).toContain('Successfully registered gem: signin_gem (1.0.0)');
  });
});
