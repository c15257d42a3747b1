// The real npm 11 CLI on the commands a team runs day to day beyond publish and install, where the registry must
// answer in a sentence npm prints rather than a bare status, or work as npmjs does: npm profile set and enable-2fa,
// npm token list / revoke <token>, npm access set mfa, and an unpublished version still named by a lockfile (npm ci),
// a dist-tag or a republish. Each for a scoped and an
// unscoped name where a package is involved.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmUser, npmUser, writePackage } from '../helpers/npm-cli.ts';
import { setRole } from '../helpers/reliability.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
let registry: string;
let alice: NpmUser;
let bob: NpmUser;
const PASSWORD = 'daily-password-123';

/** An account made by npm adduser's CouchDB PUT, its token stored in the user's .npmrc as npm login would. */
async function signUp(u: NpmUser, name: string) {
  const res = await fetch(`${registry}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: PASSWORD, email: `${name}@example.test` }),
  });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const reg = new URL(registry);
  fs.writeFileSync(path.join(u.home, '.npmrc'), `//${reg.host}${reg.pathname}:_authToken=${token}\n`);
}

beforeAll(async () => {
  suite = await startSuite({ only: ['api', 'registry'] });
  registry = `${suite.urls.registry}/npm/`;
  alice = npmUser(registry, 'alice');
  bob = npmUser(registry, 'bob');
  await signUp(alice, 'alice');
  await signUp(bob, 'bob');
  setRole(suite, 'alice', 'publisher');
  setRole(suite, 'bob', 'publisher');
}, 120_000);

afterAll(async () => {
  await suite?.stopAll();
});

describe('npm profile set', () => {
  it('a profile field is refused with a 400 sentence, not a 405 naming PUT and DELETE; the profile is unchanged', async () => {
    const r = await alice.run(['profile', 'set', 'fullname', 'Alice Example']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E400');
    expect(r.stderr).toContain('this registry keeps no profile besides the account name and e-mail');
    expect(r.stderr).not.toContain('PUT, DELETE');
    const get = await alice.run(['profile', 'get', '--json']);
    expect(get.json()).toMatchObject({ name: 'alice', email: 'alice@example.test', fullname: '' });
  });

  it('password: npm prompts, then the refusal names the dashboard page that changes it', async () => {
    const r = await alice.run(['profile', 'set', 'password'], {
      answers: [
        [/Current password:/, PASSWORD],
        [/New password:/, 'another-password-456'],
        [/Again:/, 'another-password-456'],
      ],
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `npm profile set password is not supported on this registry: change your password in the dashboard at ${suite.urls.dashboard}/account/password`,
    );
    // The old password still works: nothing was changed.
    const login = await fetch(`${registry}-/user/org.couchdb.user:alice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: PASSWORD }),
    });
    expect(login.status).toBe(201);
  });

  it('enable-2fa: npm asks for the password, then the refusal says there is no 2FA here and what limits CI tokens instead', async () => {
    const r = await alice.run(['profile', 'enable-2fa', 'auth-and-writes'], { answers: [[/password:/, PASSWORD]] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E400');
    expect(r.stderr).toContain('two-factor authentication is not available on this registry: limit what CI can do with a read-only token');
    expect((await alice.run(['profile', 'get', '--json'])).json()).toMatchObject({ tfa: false });
  });
});

describe('npm token', () => {
  it('list prints the start of each token once, as npmjs does; revoke takes a whole token, as found in .npmrc', async () => {
    const created = await bob.run(['token', 'create', '--password', PASSWORD, '--json']);
    expect(created.code).toBe(0);
    const token = created.json<{ token: string }>().token;
    const list = await bob.run(['token', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`Token ${token.slice(0, 8)}… with id`);
    expect(list.stdout).not.toMatch(/…\S*…/);
    const revoke = await bob.run(['token', 'revoke', token]);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain('Removed 1 token');
    expect((await fetch(`${registry}-/whoami`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    // bob's own login token still works: only the one given was revoked.
    expect((await bob.run(['whoami'])).stdout.trim()).toBe('bob');
  });
});

for (const name of ['daily-plain', '@alice/daily-scoped']) {
  describe(`package commands: ${name}`, () => {
    const bare = name.split('/').pop()!;
    const dir = () => path.join(alice.home, `src-${bare}`);
    const publish = (version: string) => {
      writePackage(dir(), { name, version, description: `${bare} daily` });
      return alice.run(['publish'], { cwd: dir() });
    };

    it('npm access set mfa=none is accepted (nothing requires 2FA here); mfa=publish is refused saying why; a stranger gets E403', async () => {
      expect((await publish('1.0.0')).code).toBe(0);
      const none = await alice.run(['access', 'set', 'mfa=none', name]);
      expect(none.code).toBe(0);
      const publishMfa = await alice.run(['access', 'set', 'mfa=publish', name]);
      expect(publishMfa.code).toBe(1);
      expect(publishMfa.stderr).toContain('E400');
      expect(publishMfa.stderr).toContain(
        `two-factor authentication is not available on this registry, so publishing ${name} cannot require it`,
      );
      const stranger = await bob.run(['access', 'set', 'mfa=none', name]);
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).toContain('E403');
      expect(stranger.stderr).toContain(`you are not a maintainer of ${name}`);
    });

    it('after an unpublish, npm ci from a lockfile pinning the version, a dist-tag on it and a republish of its number all say it was unpublished and when', async () => {
      expect((await publish('1.1.0')).code).toBe(0);
      const app = writePackage(path.join(alice.home, `app-${bare}`), { name: `app-${bare}`, version: '1.0.0', private: true });
      expect((await alice.run(['install', `${name}@1.1.0`], { cwd: app })).code).toBe(0);
      expect((await alice.run(['unpublish', `${name}@1.1.0`])).code).toBe(0);
      // A teammate's CI: the lockfile still names 1.1.0, nothing is cached.
      fs.rmSync(path.join(app, 'node_modules'), { recursive: true });
      fs.rmSync(path.join(alice.home, 'cache'), { recursive: true, force: true });
      const ci = await alice.run(['ci'], { cwd: app });
      expect(ci.code).toBe(1);
      expect(ci.stderr).toContain('E404');
      expect(ci.stderr).toContain(`${name}@1.1.0 was unpublished on`);
      expect(ci.stderr).toMatch(/@1\.1\.0 was unpublished on \d{4}-\d\d-\d\dT[\d:.]+Z and can no longer be installed/);
      expect(ci.stderr).toContain(`depend on another version (npm view ${name} versions) and update the lockfile`);
      // The single-version document other tools read (GET /<pkg>/<version>) says the same.
      const one = await fetch(`${registry}${name.replace('/', '%2f')}/1.1.0`);
      expect(one.status).toBe(404);
      expect(((await one.json()) as { code: string }).code).toBe('VERSION_UNPUBLISHED');
      const tag = await alice.run(['dist-tag', 'add', `${name}@1.1.0`, 'stable']);
      expect(tag.code).toBe(1);
      expect(tag.stderr).toContain('E404');
      expect(tag.stderr).toContain(`${name}@1.1.0 was unpublished on`);
      expect(tag.stderr).toContain(`and cannot be tagged: tag one of the versions npm view ${name} versions lists`);
      const view = await alice.run(['view', name, 'versions', '--json']);
      expect(view.json()).toEqual(['1.0.0']);
      const again = await publish('1.1.0');
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('You cannot publish over the previously published versions: 1.1.0.');
      expect(again.stderr).toMatch(
        /1\.1\.0 was unpublished on \d{4}-\d\d-\d\dT[\d:.]+Z, and an unpublished version number can never be used again: publish a new version\./,
      );
      // A live version's refusal stays npm's sentence alone.
      writePackage(dir(), { name, version: '1.0.0', description: 'other bytes' });
      const live = await alice.run(['publish', '--force'], { cwd: dir() });
      expect(live.code).toBe(1);
      expect(live.stderr).toContain('You cannot publish over the previously published versions: 1.0.0.');
      expect(live.stderr).not.toContain('was unpublished');
    });
  });
}
