// gem push/yank/owner join "#{host}/api/v1/..." onto --host (or GEM_HOST / allowed_push_host). Written as the source
// URL, with its trailing slash (http://host/rubygems/, as `gem sources` lists it and gem install needs it), that is
// /rubygems//api/v1/... . rubygems.org and Gemfury squeeze the double slash; this registry answered 404 "no route".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeGem } from '../fixtures/rubygems/gem-fixtures.ts';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;

describe('RubyGems commands with --host ending in a slash', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Buffer | string, type = 'application/x-www-form-urlencoded') =>
    r.app.inject({ method, url: `/rubygems/${url}`, headers: { authorization: r.alice.token, 'content-type': type }, payload });

  it('push, owner list, owner add and yank all work under //api/v1', async () => {
    const pushed = await call('POST', '/api/v1/gems', makeGem('slashy', '1.0.0'), 'application/octet-stream');
    expect(pushed.statusCode, pushed.body).toBe(200);
    expect(pushed.body).toBe('Successfully registered gem: slashy (1.0.0)');
    const owners = await call('GET', '/api/v1/gems/slashy/owners.yaml');
    expect(owners.statusCode).toBe(200);
    expect(owners.body).toContain('- handle: "alice"');
    const add = await call('POST', '/api/v1/gems/slashy/owners', 'email=nobody-here');
    expect(add.statusCode).toBe(404);
    expect(add.body).toBe('Owner could not be found.\n');
    const yanked = await call('DELETE', '/api/v1/gems/yank', 'gem_name=slashy&version=1.0.0');
    expect(yanked.statusCode, yanked.body).toBe(200);
    expect((await r.app.inject({ method: 'GET', url: '/rubygems/gems/slashy-1.0.0.gem' })).statusCode).toBe(404);
  });
});
