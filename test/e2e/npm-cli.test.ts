// The real npm 11 CLI against the registry at /npm/ (main API + registry processes): login/adduser, publish,
// install, ci, view, dist-tag, deprecate, owner, star, search, access, token, profile, audit, unpublish, logout,
// each asserted by exit code, --json output and the registry's state over HTTP, for a scoped and an unscoped name.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db.ts';
import { type NpmUser, npmUser, writePackage } from '../helpers/npm-cli.ts';
import { publishBody } from '../helpers/npm-fixtures.ts';
import { setRole } from '../helpers/reliability.ts';
import { type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
let registry: string;
let alice: NpmUser;
let bob: NpmUser;
const PASSWORD = 'correct-horse-battery-1';

const tokenOf = (u: NpmUser) => /:_authToken=(\S+)/.exec(fs.readFileSync(path.join(u.home, '.npmrc'), 'utf8'))?.[1] ?? '';
const get = async (p: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${registry}${p}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    headers: res.headers,
  };
};
const enc = (name: string) => name.replace('/', '%2f');

beforeAll(async () => {
  suite = await startSuite({ only: ['api', 'registry'] });
  registry = `${suite.urls.registry}/npm/`;
  alice = npmUser(registry, 'alice');
  bob = npmUser(registry, 'bob');
  const res = await fetch(`${suite.urls.api}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bob', email: 'bob@example.test', password: PASSWORD }),
  });
  expect(res.status).toBe(201);
  setRole(suite, 'bob', 'publisher');
});

afterAll(async () => {
  await suite?.stopAll();
});

describe('accounts', () => {
  it('ping answers', async () => {
    const r = await alice.run(['ping', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ registry, details: {} });
  });

  it('adduser falls back from web login to the CouchDB flow, creates the account and stores a token; whoami answers', async () => {
    const r = await alice.run(['adduser'], {
      answers: [
        [/Username:/, 'alice'],
        [/Password:/, PASSWORD],
        [/Email/, 'alice@example.test'],
      ],
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Logged in on');
    expect(tokenOf(alice)).toMatch(/^elk_/);
    const who = await alice.run(['whoami']);
    expect(who.code).toBe(0);
    expect(who.stdout.trim()).toBe('alice');
  });

  it('a new account has the role user: npm publish is refused with the sentence saying why, until an admin makes it a publisher', async () => {
    const dir = writePackage(path.join(alice.home, 'first-try'), { name: 'alice-first-try', version: '1.0.0', description: 'first' });
    const refused = await alice.run(['publish'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('E403');
    expect(refused.stderr).toContain('alice has the role user, which installs packages but does not publish them');
    setRole(suite, 'alice', 'publisher');
    expect((await alice.run(['publish'], { cwd: dir })).code).toBe(0);
  });

  it('login with a wrong password fails with E401 and stores nothing; the right password logs in', async () => {
    const bad = await bob.run(['login'], {
      answers: [
        [/Username:/, 'bob'],
        [/Password:/, 'wrong-password-123'],
      ],
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('E401');
    expect(bad.stderr).toContain('bad username/password, access denied');
    expect(fs.existsSync(path.join(bob.home, '.npmrc'))).toBe(false);
    const ok = await bob.run(['login'], {
      answers: [
        [/Username:/, 'bob'],
        [/Password:/, PASSWORD],
      ],
    });
    expect(ok.code).toBe(0);
    expect((await bob.run(['whoami'])).stdout.trim()).toBe('bob');
  });
});

for (const name of ['e2e-plain-pkg', '@alice/e2e-scoped']) {
  describe(`package lifecycle: ${name}`, () => {
    const bare = name.split('/').pop()!;
    const dir = () => path.join(alice.home, `src-${bare}`);
    const consumer = () => path.join(alice.home, `app-${bare}`);
    const publish = (version: string, extra: string[] = [], pkg: Record<string, unknown> = {}) => {
      writePackage(
        dir(),
        { name, version, description: `${bare} for e2e`, author: 'alice', keywords: ['elide-e2e'], bin: { [bare]: './cli.js' }, ...pkg },
        {
          'cli.js': '#!/usr/bin/env node\nconsole.log("hi")\n',
          'README.md': `# ${name}\n`,
        },
      );
      return alice.run(['publish', '--json', ...extra], { cwd: dir() });
    };

    it('publish, publish --tag beta, view --json; the packument has both versions and the tags', async () => {
      const p1 = await publish('1.0.0');
      expect(p1.code).toBe(0);
      expect(p1.json<Record<string, { id: string }>>()[name].id).toBe(`${name}@1.0.0`);
      expect((await publish('1.1.0-beta.0', ['--tag', 'beta'])).code).toBe(0);
      const view = await alice.run(['view', name, '--json']);
      expect(view.code).toBe(0);
      const v = view.json<{ 'dist-tags': Record<string, string>; versions: string[]; maintainers: string[]; readme?: string }>();
      expect(v['dist-tags']).toEqual({ latest: '1.0.0', beta: '1.1.0-beta.0' });
      expect(v.versions).toEqual(['1.0.0', '1.1.0-beta.0']);
      const doc = await get(enc(name));
      expect(doc.status).toBe(200);
      expect(doc.body.versions['1.0.0'].dist.tarball).toBe(`${registry}${name}/-/${bare}-1.0.0.tgz`);
      expect(doc.body.maintainers).toEqual([{ name: 'alice', email: 'alice@example.test' }]);
      const again = await get(enc(name), { 'if-none-match': doc.headers.get('etag')! });
      expect(again.status).toBe(304);
      const corgi = await get(enc(name), { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' });
      expect(corgi.headers.get('content-type')).toContain('application/vnd.npm.install-v1+json');
    });

    it("a version cannot be published twice (E403 with npm's sentence), and bob cannot publish to alice's package", async () => {
      // Identical bytes would be a tolerated replay (npm retries PUTs): other bytes under 1.0.0 are refused.
      const dup = await publish('1.0.0', ['--force'], { author: 'someone else' });
      expect(dup.code).toBe(1);
      expect(dup.stderr).toContain('You cannot publish over the previously published versions: 1.0.0.');
      writePackage(path.join(bob.home, bare), { name, version: '9.0.0', description: 'hijack' });
      const hijack = await bob.run(['publish'], { cwd: path.join(bob.home, bare) });
      expect(hijack.code).toBe(1);
      expect(hijack.stderr).toContain('E403');
      expect((await get(enc(name))).body.versions['9.0.0']).toBeUndefined();
    });

    it('install, then npm ci from the lockfile; every tarball served counts as a download', async () => {
      writePackage(consumer(), { name: `app-${bare}`, version: '1.0.0', private: true });
      // npm publish leaves the packed tarball in the cache: clear it so install downloads it.
      fs.rmSync(path.join(alice.home, 'cache'), { recursive: true, force: true });
      const inst = await alice.run(['install', name], { cwd: consumer() });
      expect(inst.code).toBe(0);
      const installed = JSON.parse(fs.readFileSync(path.join(consumer(), 'node_modules', name, 'package.json'), 'utf8'));
      expect(installed.version).toBe('1.0.0');
      const lock = JSON.parse(fs.readFileSync(path.join(consumer(), 'package-lock.json'), 'utf8'));
      expect(lock.packages[`node_modules/${name}`].resolved).toBe(`${registry}${name}/-/${bare}-1.0.0.tgz`);
      fs.rmSync(path.join(consumer(), 'node_modules'), { recursive: true });
      fs.rmSync(path.join(alice.home, 'cache'), { recursive: true });
      const ci = await alice.run(['ci'], { cwd: consumer() });
      expect(ci.code).toBe(0);
      expect(fs.existsSync(path.join(consumer(), 'node_modules', name, 'cli.js'))).toBe(true);
      const res = await fetch(`${suite.urls.registry}/internal/packages/${enc(name)}`, {
        headers: { 'x-internal-token': fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim() },
      });
      expect(((await res.json()) as { downloads: number }).downloads).toBe(2);
      // The registry relays the counts as package.downloaded events: the main API's npm-style download API
      // (and analytics) see both real installs.
      let downloads = 0;
      for (let i = 0; i < 100 && downloads < 2; i++) {
        const point = await fetch(`${suite.urls.api}/api/downloads/point/last-week/${name}`);
        downloads = point.ok ? ((await point.json()) as { downloads: number }).downloads : 0;
        if (downloads < 2) await new Promise((r) => setTimeout(r, 200));
      }
      expect(downloads).toBe(2);
    });

    it('dist-tag add / ls / rm', async () => {
      expect((await alice.run(['dist-tag', 'add', `${name}@1.0.0`, 'stable'])).code).toBe(0);
      const ls = await alice.run(['dist-tag', 'ls', name]);
      expect(ls.stdout).toContain('stable: 1.0.0');
      expect((await alice.run(['dist-tag', 'rm', name, 'stable'])).code).toBe(0);
      expect((await get(`-/package/${enc(name)}/dist-tags`)).body).toEqual({ latest: '1.0.0', beta: '1.1.0-beta.0' });
    });

    it('deprecate and undeprecate change only the deprecation', async () => {
      expect((await alice.run(['deprecate', `${name}@1.0.0`, 'use 2.x'])).code).toBe(0);
      const doc = (await get(enc(name))).body;
      expect(doc.versions['1.0.0'].deprecated).toBe('use 2.x');
      expect(doc.versions['1.1.0-beta.0'].deprecated).toBeUndefined();
      expect((await alice.run(['deprecate', `${name}@1.0.0`, ''])).code).toBe(0);
      expect((await get(enc(name))).body.versions['1.0.0'].deprecated).toBeUndefined();
    });

    it('owner add / ls / rm', async () => {
      expect((await alice.run(['owner', 'add', 'bob', name])).code).toBe(0);
      const ls = await alice.run(['owner', 'ls', name]);
      expect(ls.stdout).toContain('alice <alice@example.test>');
      expect(ls.stdout).toContain('bob <bob@example.test>');
      expect((await alice.run(['owner', 'rm', 'bob', name])).code).toBe(0);
      expect((await get(enc(name))).body.maintainers).toEqual([{ name: 'alice', email: 'alice@example.test' }]);
    });

    it('star, stars, unstar', async () => {
      expect((await bob.run(['star', name])).code).toBe(0);
      expect((await get(enc(name))).body.users).toEqual({ bob: true });
      expect((await bob.run(['stars'])).stdout).toContain(name);
      expect((await bob.run(['unstar', name])).code).toBe(0);
      expect((await get(enc(name))).body.users).toEqual({});
    });

    it('access get status and list collaborators', async () => {
      const status = await alice.run(['access', 'get', 'status', name, '--json']);
      expect(status.code).toBe(0);
      expect(status.json()).toEqual({ [name]: 'public' });
      const collab = await alice.run(['access', 'list', 'collaborators', name, '--json']);
      expect(collab.json()).toEqual({ alice: 'read-write' });
    });

    it('unpublish one version, then the whole package; an unpublished version can never come back', async () => {
      expect((await publish('1.2.0')).code).toBe(0);
      const one = await alice.run(['unpublish', `${name}@1.2.0`]);
      expect(one.code).toBe(0);
      const doc = (await get(enc(name))).body;
      expect(Object.keys(doc.versions)).toEqual(['1.0.0', '1.1.0-beta.0']);
      expect(doc['dist-tags'].latest).toBe('1.0.0');
      expect(doc.time['1.2.0']).toBeTruthy();
      const republish = await publish('1.2.0');
      expect(republish.code).toBe(1);
      expect(republish.stderr).toContain('You cannot publish over the previously published versions: 1.2.0.');
      const all = await alice.run(['unpublish', name, '--force']);
      expect(all.code).toBe(0);
      expect((await get(enc(name))).status).toBe(404);
      expect((await publish('1.0.0')).code).toBe(1);
      // npm's rule: the freed name is nobody's for 24 hours, its owner's included.
      const soon = await publish('3.0.0');
      expect(soon.code).toBe(1);
      expect(soon.stderr).toContain(`${name} was unpublished less than 24 hours ago`);
      // A day later (the unpublish moved back 25 hours in registry.db), a new version may take the name.
      const db = openDatabase(suite.config.REGISTRY_DATABASE_PATH);
      const dayAgo = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
      db.prepare('UPDATE burned_versions SET unpublished_at = ? WHERE name = ? AND unpublished_at IS NOT NULL').run(dayAgo, name);
      db.close();
      expect((await publish('3.0.0')).code).toBe(0);
    });
  });
}

describe('registry-wide commands', () => {
  it('search finds packages by keyword with maintainers in the text output', async () => {
    const json = await alice.run(['search', 'e2e', '--json']);
    expect(json.code).toBe(0);
    const names = json.json<{ name: string }[]>().map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['e2e-plain-pkg', '@alice/e2e-scoped']));
    const text = await alice.run(['search', 'e2e-plain-pkg']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Maintainers: alice');
  });

  it('org scopes: members publish, non-members get E403, npm org ls and access list packages show the org', async () => {
    const api = (method: string, p: string, body?: unknown) =>
      fetch(`${suite.urls.api}${p}`, {
        method,
        headers: { authorization: `Bearer ${tokenOf(alice)}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await api('POST', '/api/orgs', { name: 'e2eorg' })).status).toBe(201);
    const tool = writePackage(path.join(alice.home, 'org-tool'), { name: '@e2eorg/tool', version: '1.0.0', description: 'org tool' });
    expect((await alice.run(['publish', '--access', 'public'], { cwd: tool })).code).toBe(0);
    const intruder = writePackage(path.join(bob.home, 'org-other'), {
      name: '@e2eorg/other',
      version: '1.0.0',
      description: 'not a member',
    });
    const refused = await bob.run(['publish'], { cwd: intruder });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'you cannot publish into the @e2eorg scope: it is neither your username nor an org you are a member of',
    );
    expect((await api('PUT', '/api/orgs/e2eorg/members/bob', { role: 'member' })).status).toBe(200);
    writePackage(path.join(bob.home, 'org-tool'), { name: '@e2eorg/tool', version: '1.1.0', description: 'org tool' });
    expect((await bob.run(['publish'], { cwd: path.join(bob.home, 'org-tool') })).code).toBe(0);
    const ls = await alice.run(['org', 'ls', 'e2eorg', '--json']);
    expect(ls.code).toBe(0);
    expect(ls.json()).toEqual({ alice: 'owner', bob: 'developer' });
    // npm org rm / npm org set change the membership through the main API; bob cannot manage the org.
    const rm = await alice.run(['org', 'rm', 'e2eorg', 'bob']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toContain('Successfully removed bob from e2eorg. You now have 1 member in this org.');
    expect((await alice.run(['org', 'ls', 'e2eorg', '--json'])).json()).toEqual({ alice: 'owner' });
    const set = await alice.run(['org', 'set', 'e2eorg', 'bob', 'developer']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Added bob as developer to e2eorg. You now have 2 members in this org.');
    const notAllowed = await bob.run(['org', 'set', 'e2eorg', 'bob', 'owner']);
    expect(notAllowed.code).toBe(1);
    expect((await alice.run(['org', 'ls', 'e2eorg', '--json'])).json()).toEqual({ alice: 'owner', bob: 'developer' });
    const pkgs = await alice.run(['access', 'list', 'packages', 'e2eorg', '--json']);
    expect(pkgs.json()).toEqual({ '@e2eorg/tool': 'read-write' });
    const restricted = writePackage(path.join(alice.home, 'org-secret'), {
      name: '@e2eorg/secret',
      version: '1.0.0',
      description: 'private',
    });
    const plan = await alice.run(['publish', '--access', 'restricted'], { cwd: restricted });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('your plan does not include private packages');
  });

  it('publish events reach the main API through the outbox relay', async () => {
    let types: string[] = [];
    for (let i = 0; i < 50 && !types.includes('package.unpublished'); i++) {
      const res = await fetch(`${suite.urls.api}/api/events?limit=100`, { headers: { authorization: `Bearer ${tokenOf(alice)}` } });
      types = ((await res.json()) as { events: { type: string }[] }).events.map((e) => e.type);
      if (!types.includes('package.unpublished')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(types).toEqual(expect.arrayContaining(['package.published', 'package.deprecated', 'package.unpublished']));
  });

  it('20 concurrent publishes of distinct versions over two connections are all present', async () => {
    const pool = new Pool(suite.urls.registry, { connections: 2 });
    const token = tokenOf(alice);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await pool.request({
          method: 'PUT',
          path: '/npm/@alice%2fconcurrent',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(publishBody('@alice/concurrent', `1.0.${i}`)),
        });
        await res.body.text();
        return res.statusCode;
      }),
    );
    await pool.close();
    expect(statuses).toEqual(Array(20).fill(201));
    const view = await alice.run(['view', '@alice/concurrent', 'versions', '--json']);
    expect(view.json<string[]>()).toHaveLength(20);
  });

  it('npm audit runs clean against the bulk advisory endpoint', async () => {
    const app = path.join(alice.home, 'app-audit');
    writePackage(app, { name: 'app-audit', version: '1.0.0', private: true });
    expect((await alice.run(['install', '@alice/concurrent@1.0.3'], { cwd: app })).code).toBe(0);
    const audit = await alice.run(['audit', '--audit', '--json'], { cwd: app });
    expect(audit.code).toBe(0);
    expect(audit.json<{ metadata: { vulnerabilities: { total: number } } }>().metadata.vulnerabilities.total).toBe(0);
  });

  it("registry signatures verify with npm's own pacote code path and the keys at /-/npm/v1/keys", async () => {
    const npmRoot = path.resolve(path.dirname(fs.realpathSync(path.join(path.dirname(process.execPath), 'npm'))), '..');
    const pacote = createRequire(path.join(npmRoot, 'package.json'))('pacote');
    const { keys } = (await get('-/npm/v1/keys')).body as { keys: { keyid: string; key: string }[] };
    const u = new URL(registry);
    const opts = {
      registry,
      cache: path.join(alice.home, 'cache'),
      verifySignatures: true,
      [`//${u.host}${u.pathname}:_keys`]: keys.map((k) => ({
        ...k,
        pemkey: `-----BEGIN PUBLIC KEY-----\n${k.key}\n-----END PUBLIC KEY-----`,
      })),
    };
    const mani = await pacote.manifest('@alice/concurrent@1.0.7', opts);
    expect(mani._signatures[0].keyid).toBe(keys[0].keyid);
    const forged = {
      ...opts,
      [`//${u.host}${u.pathname}:_keys`]: [
        {
          keyid: keys[0].keyid,
          pemkey: `-----BEGIN PUBLIC KEY-----\n${'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE'}${Buffer.alloc(65, 4).toString('base64').slice(0, 88)}\n-----END PUBLIC KEY-----`,
        },
      ],
    };
    await expect(pacote.manifest('@alice/concurrent@1.0.7', forged)).rejects.toThrow();
  });

  it('token list, create, revoke; profile get', async () => {
    const created = await alice.run(['token', 'create', '--password', PASSWORD, '--json']);
    expect(created.code).toBe(0);
    const token = created.json<{ token: string }>().token;
    expect(token).toMatch(/^elk_/);
    const list = await alice.run(['token', 'list', '--json']);
    const objects = list.json<{ key: string; token: string }[]>();
    expect(objects.length).toBeGreaterThanOrEqual(2);
    // The list shows the start of each token, as npmjs does (npm prints it with "…").
    const fresh = objects.find((o) => o.token.length > 4 && token.startsWith(o.token));
    expect(fresh).toBeTruthy();
    expect((await alice.run(['token', 'revoke', fresh!.key])).code).toBe(0);
    expect((await get('-/whoami', { authorization: `Bearer ${token}` })).status).toBe(401);
    const profile = await alice.run(['profile', 'get', '--json']);
    expect(profile.code).toBe(0);
    expect(profile.json()).toMatchObject({ name: 'alice', email: 'alice@example.test' });
  });

  it('logout revokes the token on the server and removes it from .npmrc', async () => {
    const token = tokenOf(bob);
    expect((await get('-/whoami', { authorization: `Bearer ${token}` })).body).toEqual({ username: 'bob' });
    expect((await bob.run(['logout'])).code).toBe(0);
    expect(fs.existsSync(path.join(bob.home, '.npmrc')) ? fs.readFileSync(path.join(bob.home, '.npmrc'), 'utf8') : '').not.toContain(
      '_authToken',
    );
    expect((await get('-/whoami', { authorization: `Bearer ${token}` })).status).toBe(401);
  });
});
