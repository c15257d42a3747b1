// Attacks against the running suite: an IDOR matrix (user B against every resource type of user A), a
// secrets canary (a flow with known password, API token, JWT-free session token, webhook secret and deployment
// credentials, then grep every process log and every webhook payload for them), and slowloris sockets that
// trickle headers and must be closed by the header timeout while the server keeps answering others.
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docPath, publishBody } from '../helpers/npm-fixtures.ts';
import { createUser, type SuiteUser, startSuiteSequential } from '../helpers/reliability.ts';
import { type Suite, waitFor } from '../helpers/suite.ts';

const PASSWORD = 'Canary-Pass-7f3a9c2e';
const hdr = (u: SuiteUser) => ({ ...u.auth, 'content-type': 'application/json' });

describe('attacks: IDOR matrix, secrets canary, slowloris', () => {
  let suite: Suite;
  let a: SuiteUser;
  let b: SuiteUser;
  const secrets: Record<string, string> = {};
  const payloads: string[] = [];
  let receiver: http.Server;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        payloads.push(`${JSON.stringify(req.headers)}\n${body}`);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    suite = await startSuiteSequential(['api', 'registry', 'marketplace'], {
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001', SIM_TIME_SCALE: '0.05' },
    });
    // A's session and API token come from the real routes, so the canary covers what they log.
    const reg = await fetch(`${suite.urls.api}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'canary-a', email: 'canary-a@example.test', password: PASSWORD }),
    });
    expect(reg.status).toBe(201);
    const session = ((await reg.json()) as { token: string; userId: string }).token;
    secrets.session = session;
    secrets.password = PASSWORD;
    const tok = await fetch(`${suite.urls.api}/api/auth/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'canary' }),
    });
    expect(tok.status).toBe(201);
    const t = (await tok.json()) as { token: string; id: string };
    secrets.apiToken = t.token;
    ids.token = t.id;
    const me = (await (await fetch(`${suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as {
      userId: string;
    };
    a = { id: me.userId, username: 'canary-a', password: PASSWORD, token: t.token, auth: { authorization: `Bearer ${t.token}` } };
    b = await createUser(suite, 'intruder-b', { role: 'publisher' });
    // Registration gives the free plan; webhooks and private packages need Team (test setup, not under test).
    const db = new Database(suite.config.DATABASE_PATH);
    db.prepare(`UPDATE users SET plan_id = 'team', role = 'publisher' WHERE id = ?`).run(a.id);
    db.close();
    // npm login through the registry (it forwards the password to the main API).
    const npmLogin = await fetch(`${suite.urls.registry}/npm/-/user/org.couchdb.user:canary-a`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _id: 'org.couchdb.user:canary-a', name: 'canary-a', password: PASSWORD, type: 'user', roles: [] }),
    });
    expect(npmLogin.status).toBe(201);
    secrets.npmToken = ((await npmLogin.json()) as { token: string }).token;

    const hook = await fetch(`${suite.urls.api}/api/webhooks`, {
      method: 'POST',
      headers: hdr(a),
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['*'] }),
    });
    expect(hook.status).toBe(201);
    const h = (await hook.json()) as { webhookId: string; secret: string };
    ids.webhook = h.webhookId;
    secrets.webhookSecret = h.secret;
    for (const name of ['@canary-a/private', 'canary-public']) {
      const pub = await fetch(`${suite.urls.registry}${docPath(name)}`, {
        method: 'PUT',
        headers: hdr(a),
        body: JSON.stringify(publishBody(name, '1.0.0', { access: name.startsWith('@') ? 'restricted' : null })),
      });
      expect(pub.status, await pub.text()).toBe(201);
    }
    const org = await fetch(`${suite.urls.api}/api/orgs`, {
      method: 'POST',
      headers: hdr(a),
      body: JSON.stringify({ name: 'canary-org' }),
    });
    expect(org.status).toBe(201);
    const dep = await fetch(`${suite.urls.marketplace}/api/deployments`, {
      method: 'POST',
      headers: hdr(a),
      body: JSON.stringify({ serviceId: 'svc-postgres', name: 'canary-db', config: { tier: 'starter', region: 'eu-west-1' } }),
    });
    expect(dep.status).toBe(202);
    ids.deployment = ((await dep.json()) as { deploymentId: string }).deploymentId;
    await waitFor(
      async () =>
        (await fetch(`${suite.urls.marketplace}/api/deployments/${ids.deployment}/credentials`, { headers: a.auth })).status === 200,
      60_000,
      'credentials',
    );
    const creds = JSON.stringify(
      await (await fetch(`${suite.urls.marketplace}/api/deployments/${ids.deployment}/credentials`, { headers: a.auth })).json(),
    );
    secrets.dbPassword = /"password":"([^"]+)"/.exec(creds)?.[1] ?? '';
    expect(secrets.dbPassword.length).toBeGreaterThan(8);
    const budget = await fetch(`${suite.urls.marketplace}/api/billing/budgets`, {
      method: 'POST',
      headers: hdr(a),
      body: JSON.stringify({ amount: 50 }),
    });
    expect(budget.status).toBe(201);
    ids.budget = ((await budget.json()) as { id: string }).id;
  }, 180_000);
  afterAll(async () => {
    receiver?.closeAllConnections();
    receiver?.close();
    await suite?.stopAll();
  });

  it('refuses user B on every resource type of user A (IDOR matrix)', async () => {
    const A = a.auth;
    const matrix: [string, string, string, string, number[], unknown?][] = [
      ['package (restricted)', 'GET', suite.urls.registry, `${docPath('@canary-a/private')}`, [403, 404]],
      ['package tarball (restricted)', 'GET', suite.urls.registry, '/npm/@canary-a/private/-/private-1.0.0.tgz', [403, 404]],
      ['package REST (restricted)', 'GET', suite.urls.api, '/api/packages/%40canary-a%2Fprivate', [403, 404]],
      ['package publish over', 'PUT', suite.urls.registry, docPath('canary-public'), [403], publishBody('canary-public', '2.0.0')],
      ['package dist-tag', 'PUT', suite.urls.registry, '/npm/-/package/canary-public/dist-tags/evil', [403, 404], '"1.0.0"'],
      ['org', 'GET', suite.urls.api, '/api/orgs/canary-org', [403, 404]],
      ['org members add self', 'PUT', suite.urls.api, '/api/orgs/canary-org/members/intruder-b', [403, 404], { role: 'owner' }],
      ['token revoke', 'DELETE', suite.urls.api, `/api/auth/tokens/${ids.token}`, [404]],
      ['deployment read', 'GET', suite.urls.marketplace, `/api/deployments/${ids.deployment}`, [404]],
      ['deployment stop', 'POST', suite.urls.marketplace, `/api/deployments/${ids.deployment}/stop`, [404], {}],
      ['deployment delete', 'DELETE', suite.urls.marketplace, `/api/deployments/${ids.deployment}`, [404]],
      ['credentials', 'GET', suite.urls.marketplace, `/api/deployments/${ids.deployment}/credentials`, [404]],
      ['credentials rotate', 'POST', suite.urls.marketplace, `/api/deployments/${ids.deployment}/credentials/rotate`, [404], {}],
      ['deployment logs', 'GET', suite.urls.marketplace, `/api/deployments/${ids.deployment}/logs`, [404]],
      ['budget update', 'PUT', suite.urls.marketplace, `/api/billing/budgets/${ids.budget}`, [404], { amount: 1 }],
      ['budget delete', 'DELETE', suite.urls.marketplace, `/api/billing/budgets/${ids.budget}`, [404]],
      ['webhook read', 'GET', suite.urls.api, `/api/webhooks/${ids.webhook}`, [404]],
      ['webhook redirect URL', 'PATCH', suite.urls.api, `/api/webhooks/${ids.webhook}`, [404], { url: 'http://127.0.0.1:9/x' }],
      ['webhook secret rotate', 'POST', suite.urls.api, `/api/webhooks/${ids.webhook}/secrets/rotate`, [404], {}],
      ['webhook deliveries', 'GET', suite.urls.api, `/api/webhooks/${ids.webhook}/deliveries`, [404]],
      ['webhook delete', 'DELETE', suite.urls.api, `/api/webhooks/${ids.webhook}`, [404]],
    ];
    const failures: string[] = [];
    for (const [what, method, base, p, expected, body] of matrix) {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: body === undefined ? b.auth : hdr(b),
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      if (!expected.includes(res.status)) failures.push(`${what}: ${res.status} ${text.slice(0, 150)}`);
      if (text.includes(secrets.dbPassword) || text.includes(secrets.webhookSecret)) failures.push(`${what}: leaked a secret`);
    }
    // Lists answer only B's own objects; audit entries of A never show up for B.
    const lists: [string, string][] = [
      [suite.urls.marketplace, '/api/deployments'],
      [suite.urls.marketplace, '/api/billing/invoices'],
      [suite.urls.marketplace, '/api/billing/budgets'],
      [suite.urls.api, '/api/webhooks'],
      [suite.urls.api, '/api/auth/tokens'],
      [suite.urls.api, '/api/orgs'],
      [suite.urls.api, '/api/audit'],
    ];
    for (const [base, p] of lists) {
      const text = await (await fetch(`${base}${p}`, { headers: b.auth })).text();
      for (const id of [ids.deployment, ids.webhook, ids.budget, ids.token, a.id, 'canary-org'])
        if (text.includes(id)) failures.push(`${p} shows A's ${id}`);
    }
    expect(failures).toEqual([]);
    // A's objects are untouched.
    expect((await fetch(`${suite.urls.marketplace}/api/deployments/${ids.deployment}`, { headers: A })).status).toBe(200);
    expect((await fetch(`${suite.urls.api}/api/webhooks/${ids.webhook}`, { headers: A })).status).toBe(200);
    console.info(`idor-matrix: ${matrix.length} cross-user actions + ${lists.length} lists, ${failures.length} failures`);
  }, 120_000);

  it('never writes a password, token or secret to any log or webhook payload (canary)', async () => {
    await waitFor(() => payloads.length > 0, 30_000, 'a webhook delivery');
    // A failed login with the canary password in the body, and bad-path requests carrying the token.
    await fetch(`${suite.urls.api}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'canary-a', password: `${PASSWORD}-wrong` }),
    });
    await fetch(`${suite.urls.registry}/npm/-/nope?token=x`, { headers: a.auth });
    await fetch(`${suite.urls.marketplace}/api/nope`, { headers: a.auth });
    const hits: string[] = [];
    for (const name of ['api', 'registry', 'marketplace'] as const) {
      const log = fs.readFileSync(suite.logFile(name), 'utf8');
      for (const [k, v] of Object.entries(secrets)) if (v && log.includes(v)) hits.push(`${name}.log contains ${k}`);
    }
    for (const p of payloads)
      for (const [k, v] of Object.entries(secrets))
        if (v && k !== 'webhookSecret' && p.includes(v)) hits.push(`webhook payload contains ${k}`);
    console.info(`secrets-canary: ${Object.keys(secrets).length} secrets x 3 logs + ${payloads.length} payloads, ${hits.length} hits`);
    expect(hits).toEqual([]);
  });

  it('closes slowloris sockets at the header timeout and keeps serving', async () => {
    const { port } = new URL(suite.urls.api);
    const sockets = Array.from({ length: 5 }, () => net.connect(Number(port), '127.0.0.1'));
    const closed = new Set<number>();
    const trickle: NodeJS.Timeout[] = [];
    sockets.forEach((s, i) => {
      s.on('close', () => closed.add(i));
      s.on('error', () => closed.add(i));
      s.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      // One header byte pair every second: never completes the header block.
      trickle.push(setInterval(() => s.writable && s.write('X-a: b\r\n'), 1000));
    });
    try {
      // While they trickle, others are served.
      expect((await fetch(`${suite.urls.api}/health`)).status).toBe(200);
      // headersTimeout is 15 s, checked every 2 s (connectionsCheckingInterval in lib/service-app.ts); the
      // margin is for a loaded machine. Node's default 30 s check interval would let them live up to 45 s.
      await waitFor(() => closed.size === sockets.length, 30_000, 'slowloris sockets to be closed');
    } finally {
      for (const t of trickle) clearInterval(t);
      for (const s of sockets) s.destroy();
    }
    expect((await fetch(`${suite.urls.api}/health`)).status).toBe(200);
  }, 90_000);
});
