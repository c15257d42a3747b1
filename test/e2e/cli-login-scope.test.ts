// Which token goes where: the stored login belongs to the suite it was made on (a token kept per server, as npm
// keeps one per registry), and `logout` revokes that stored login, never ELIDE_TOKEN (a CI token, say).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliUser, ensureUser, PUBLISH_CLI, SERVICE_CLI, startCliSuite } from '../helpers/cli.ts';
import type { Suite } from '../helpers/suite.ts';

// Each CLI run is a fresh node + tsx start (seconds on a busy 2-core box).
vi.setConfig({ testTimeout: 180_000 });
let suite: Suite;

beforeAll(async () => {
  suite = await startCliSuite(['api']);
  await ensureUser(suite, 'cliscope', 'cliscope-password-1');
}, 180_000);
afterAll(async () => suite?.stopAll());

async function loggedIn(name: string) {
  const u = cliUser(suite, name);
  const r = await u.run(PUBLISH_CLI, ['login', '--username', 'cliscope'], { input: 'cliscope-password-1\n' });
  expect(r.code, r.stderr).toBe(0);
  return u;
}

const statusOf = async (token: string) =>
  (await fetch(`${suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

/** A server that records the Authorization header of whatever reaches it (another suite, or a typo's target). */
async function listener() {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ username: 'someone-else', deployments: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('the stored login stays with its suite', () => {
  it('never sends the session token to another --api-url or --marketplace-url, and says how to log in there', async () => {
    const u = await loggedIn('scope');
    const other = await listener();
    try {
      const who = await u.run(PUBLISH_CLI, ['whoami', '--api-url', other.url]);
      expect(who.code).toBe(1);
      expect(who.stderr).toBe(
        `error: your login is for the main API at ${suite.urls.api}, not ${other.url}: run publish-cli login --api-url ${other.url} (or set ELIDE_TOKEN)\n`,
      );
      const deps = await u.run(SERVICE_CLI, ['list-deployments', '--json'], { env: { ELIDE_MARKETPLACE_URL: other.url } });
      expect(deps.code).toBe(1);
      expect(deps.json()).toMatchObject({ code: 'LOGIN_ELSEWHERE' });
      // Nothing reached the other server: the check comes before any request is sent.
      expect(other.seen).toEqual([]);
      // The suite it was made on still takes it.
      const home = await u.run(PUBLISH_CLI, ['whoami']);
      expect(home.stdout.trim()).toBe('cliscope');
    } finally {
      await other.close();
    }
  });
});

describe('logout', () => {
  it("login and logout with ELIDE_TOKEN set: say it wins; logout revokes the stored session, not the variable's token", async () => {
    const u = await loggedIn('logout');
    const created = await u.run(PUBLISH_CLI, ['token', 'create', '--name', 'ci', '--json']);
    const ci = created.json<{ token: string }>().token;
    // Logging in again with ELIDE_TOKEN set: the login is stored, and the user is told which one commands use.
    const again = await u.run(PUBLISH_CLI, ['login', '--username', 'cliscope'], {
      input: 'cliscope-password-1\n',
      env: { ELIDE_TOKEN: ci },
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('note: ELIDE_TOKEN is set and is used instead of this login until you unset it');
    const stored = JSON.parse(fs.readFileSync(`${u.home}/.config/elide/credentials.json`, 'utf8')) as { token: string };
    const out = await u.run(PUBLISH_CLI, ['logout', '--json'], { env: { ELIDE_TOKEN: ci } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.json()).toEqual({ loggedOut: true, revoked: true, username: 'cliscope' });
    expect(out.stderr).toContain('ELIDE_TOKEN is still set and still used: logout does not revoke it');
    // The CI token keeps working; the session that was logged out no longer does.
    expect(await statusOf(ci)).toBe(200);
    expect(await statusOf(stored.token)).toBe(401);
  });
});
