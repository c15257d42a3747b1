// The real gem 3.3 with --host written as the source URL, trailing slash included (http://host/rubygems/, as
// `gem sources` lists it and `gem install --source` takes it): gem push, gem owner and gem yank join
// "#{host}/api/v1/..." and so ask for /rubygems//api/v1/... . rubygems.org and Gemfury accept that; this registry
// answered 404 "no route", so every command failed for a user who pasted the source URL.
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

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gems-slash-'));
  env = { PATH: '/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8' };
  fs.mkdirSync(path.join(work, 'lib'));
  fs.writeFileSync(path.join(work, 'lib', 'slash_gem.rb'), 'module SlashGem; end\n');
  fs.writeFileSync(
    path.join(work, 'slash_gem.gemspec'),
    'Gem::Specification.new do |s|\n  s.name = "slash_gem"; s.version = "1.0.0"; s.summary = "slash"; s.authors = ["t"]\n  s.files = ["lib/slash_gem.rb"]; s.license = "MIT"\nend\n',
  );
  const [built, started] = await Promise.all([
    run('gem', ['build', 'slash_gem.gemspec'], { cwd: work, env }),
    startSuite({ only: ['api', 'registry'] }),
  ]);
  suite = started;
  expect(built.code, built.output).toBe(0);
  host = `${suite.urls.registry}/rubygems/`;
  env.GEM_HOST_API_KEY = await createPublisher(suite, 'slashalice');
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('gem commands with --host http://host/rubygems/', () => {
  it('gem push, gem owner and gem yank succeed with the texts gem prints', async () => {
    const push = await run('gem', ['push', '--host', host, 'slash_gem-1.0.0.gem'], { cwd: work, env });
    expect(push.code, push.output).toBe(0);
    expect(push.stdout).toContain('Successfully registered gem: slash_gem (1.0.0)');
    const owners = await run('gem', ['owner', '--host', host, 'slash_gem'], { cwd: work, env });
    expect(owners.code, owners.output).toBe(0);
    expect(owners.stdout).toContain('Owners for gem: slash_gem');
    expect(owners.stdout).toContain('- slashalice@example.test');
    const yank = await run('gem', ['yank', '--host', host, 'slash_gem', '-v', '1.0.0'], { cwd: work, env });
    expect(yank.code, yank.output).toBe(0);
    expect(yank.stdout).toContain('Successfully deleted gem: slash_gem (1.0.0)');
    expect((await fetch(`${host}gems/slash_gem-1.0.0.gem`)).status).toBe(404);
  });
});
