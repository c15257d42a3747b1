// service-cli end to end against a real api + marketplace (+ orchestrator) with fast simulated time: the seed's
// `deploy postgres-managed` and `status` block, the lifecycle, plan, backups, credentials, billing, budgets, failures.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliUser, cliUser, ensureUser, PUBLISH_CLI, SERVICE_CLI, startCliSuite } from '../helpers/cli.ts';
import type { Suite } from '../helpers/suite.ts';

// Each CLI run is a fresh node + tsx start (seconds on a busy 2-core box): tests that chain many of them need room.
vi.setConfig({ testTimeout: 240_000 });
let suite: Suite;
let u: CliUser;

beforeAll(async () => {
  suite = await startCliSuite(['api', 'marketplace', 'orchestrator'], { SIM_TIME_SCALE: '0.02' });
  await ensureUser(suite, 'clisvc', 'clisvc-password-1', { plan: 'team' });
  u = cliUser(suite, 'svc');
  const r = await u.run(PUBLISH_CLI, ['login', '--username', 'clisvc'], { input: 'clisvc-password-1\n' });
  expect(r.code, r.stderr).toBe(0);
}, 180_000);
afterAll(async () => suite?.stopAll());

describe('catalog', () => {
  it('lists services by category, filters, and shows one service', async () => {
    const all = await u.run(SERVICE_CLI, ['list', '--json']);
    const services = all.json<{ services: { slug: string; category: string }[]; total: number }>().services;
    expect(services.map((s) => s.slug)).toContain('postgres-managed');
    const db = await u.run(SERVICE_CLI, ['list', '--category', 'database']);
    const lines = db.stdout.split('\n');
    expect(lines[0]).toBe('DATABASE');
    expect(lines[1]).toMatch(/^SLUG\s+NAME\s+FROM\s+RATING\s+REGIONS$/);
    expect(db.stdout).toContain('postgres-managed');
    expect(db.stdout).not.toContain('STORAGE');
    const info = await u.run(SERVICE_CLI, ['info', 'postgres-managed', '--json']);
    expect(info.json<{ pricing: { tiers: { id: string }[] } }>().pricing.tiers.length).toBeGreaterThan(0);
    const unknown = await u.run(SERVICE_CLI, ['deploy', 'no-such-service']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no service "no-such-service" in the catalog: run service-cli list to see them\n');
  });
});

describe('deployments', () => {
  let id = '';

  it('deploys postgres-managed until running, printing endpoint and credentials', async () => {
    const r = await u.run(SERVICE_CLI, ['deploy', 'postgres-managed', '--name', 'production-db', '--tier', 'free']);
    expect(r.code, r.stderr).toBe(0);
    id = /Deployment: (deploy-\w+)/.exec(r.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(r.stdout).toMatch(/^Status:\s+running$/m);
    expect(r.stdout).toMatch(new RegExp(`^Endpoint:\\s+${id}\\.db\\.elide\\.services:5432$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}connectionString:\s+postgresql:\/\//m);
    expect(r.stderr).toContain('production-db: running');
  });

  it('prints the seed README status block', async () => {
    const r = await u.run(SERVICE_CLI, ['status', id]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('Deployment: production-db');
    expect(lines[1]).toBe('Status: running');
    expect(lines[2]).toBe('Metrics:');
    expect(lines[3]).toMatch(/^ {2}Requests: \d{1,3}(,\d{3})*$/);
    expect(lines[4]).toMatch(/^ {2}Errors: \d{1,3}(,\d{3})*$/);
    expect(lines[5]).toMatch(/^ {2}Avg Response Time: \d+ms$/);
    expect(lines[6]).toMatch(/^ {2}Uptime: \d+\.\d\d%$/);
    expect(lines[7]).toBe('Billing:');
    expect(lines[8]).toMatch(/^ {2}Current Cost: \$\d[\d,]*\.\d\d$/);
    expect(lines[9]).toMatch(/^ {2}Projected Cost: \$\d[\d,]*\.\d\d$/);
    const json = (await u.run(SERVICE_CLI, ['status', id, '--json'])).json<{
      id: string;
      status: string;
      metrics: object;
      billing: object;
    }>();
    expect(json).toMatchObject({ id, name: 'production-db', status: 'running' });
  });

  it('lists deployments, logs and metrics', async () => {
    const list = (await u.run(SERVICE_CLI, ['list-deployments', '--json'])).json<{ deployments: { id: string }[] }>();
    expect(list.deployments.map((d) => d.id)).toContain(id);
    const logs = (await u.run(SERVICE_CLI, ['logs', id, '--tail', '5', '--json'])).json<{ lines: { message: string }[] }>();
    expect(logs.lines.some((l) => l.message.includes('running'))).toBe(true);
    const metrics = await u.run(SERVICE_CLI, ['metrics', id]);
    expect(metrics.code, metrics.stderr).toBe(0);
    expect(metrics.stdout).toMatch(/requests:\s+[\d,]+/);
  });

  it('follows logs as a stream', async () => {
    const child = spawn(SERVICE_CLI, ['logs', id, '--follow', '--tail', '3'], { env: u.env, cwd: u.home });
    const first = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out);
      });
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, sig) => resolve([c, sig])));
    child.kill('SIGINT');
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\S+ (INFO|WARN|ERROR)\s/);
    // Ctrl-C is how a user ends --follow: a clean exit 0, no error and no stack trace.
    expect(await exited).toEqual([0, null]);
    expect(stderr).toBe('');
  });

  it('asks before stopping, then stops and starts', async () => {
    const refused = await u.run(SERVICE_CLI, ['stop', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing without a terminal; pass --yes to confirm');
    const stop = await u.run(SERVICE_CLI, ['stop', id, '--yes', '--wait', '--json']);
    expect(stop.json()).toEqual({ id, name: 'production-db', action: 'stop', status: 'stopped' });
    // A plan change while stopped keeps it stopped: --wait waits for that, not for running.
    const plan = await u.run(SERVICE_CLI, ['plan', id, 'starter', '--yes', '--wait', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json()).toMatchObject({ applied: true, deployment: { tier: 'starter', status: 'stopped' } });
    expect((await u.run(SERVICE_CLI, ['plan', id, 'free', '--yes', '--wait'])).stdout).toContain(`${id}: on the free plan, stopped\n`);
    const start = await u.run(SERVICE_CLI, ['start', id, '--wait', '--json']);
    expect(start.json()).toEqual({ id, name: 'production-db', action: 'start', status: 'running' });
  });

  it('previews a plan change, backs up, rotates credentials', async () => {
    const plan = await u.run(SERVICE_CLI, ['plan', id, 'pro', '--dry-run', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json()).toMatchObject({ fromPlan: 'free', toPlan: 'pro', applied: false });
    const text = await u.run(SERVICE_CLI, ['plan', id, 'pro', '--dry-run']);
    expect(text.stdout).toMatch(/^Projected cost this cycle: \$[\d,.]+ -> \$[\d,.]+ \(\+\$[\d,.]+\)$/m);
    const backup = await u.run(SERVICE_CLI, ['backups', 'create', id, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const bid = backup.json<{ id: string }>().id;
    const backups = (await u.run(SERVICE_CLI, ['backups', 'list', id, '--json'])).json<{ backups: { id: string }[] }>();
    expect(backups.backups.map((b) => b.id)).toContain(bid);
    const restored = await u.run(SERVICE_CLI, ['restore', id, '--backup', bid, '--name', 'production-db-copy', '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json()).toMatchObject({ success: true, name: 'production-db-copy' });
    const before = (await u.run(SERVICE_CLI, ['credentials', id, '--json'])).json<{
      credentials?: { password: string };
      password?: string;
    }>();
    const rotated = await u.run(SERVICE_CLI, ['credentials', id, '--rotate', '--grace-hours', '0', '--yes', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = (await u.run(SERVICE_CLI, ['credentials', id, '--json'])).json<{
      credentials?: { password: string };
      password?: string;
    }>();
    expect(after.credentials?.password ?? after.password).not.toBe(before.credentials?.password ?? before.password);
  });

  it('changes the plan at the terminal prompt (or with --yes), then scales', async () => {
    const tierOf = async () => (await u.run(SERVICE_CLI, ['status', id, '--json'])).json<{ tier: string; instances: number }>();
    const free = await u.run(SERVICE_CLI, ['scale', id, '3']);
    expect(free.code).toBe(1);
    expect(free.stderr).toBe('error: the free tier allows 1-1 instances: change plan for more\n');
    const no = await u.pty(SERVICE_CLI, ['plan', id, 'pro'], [[/\[y\/N\] /, 'n\r']]);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/Projected cost this cycle: \$[\d,.]+ -> \$[\d,.]+ \(\+\$[\d,.]+\)/);
    expect(no.stdout).toContain('Apply the pro plan? [y/N]');
    expect(no.stdout).toContain('cancelled: nothing was changed');
    expect((await tierOf()).tier).toBe('free');
    const yes = await u.pty(SERVICE_CLI, ['plan', id, 'pro', '--wait'], [[/\[y\/N\] /, 'y\r']]);
    expect(yes.code, yes.stdout).toBe(0);
    expect(yes.stdout).toContain(`${id}: on the pro plan, running`);
    expect((await tierOf()).tier).toBe('pro');
    // Scripts skip the question with --yes; --json prints the preview and the result only.
    const back = await u.run(SERVICE_CLI, ['plan', id, 'starter', '--yes', '--wait', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json()).toMatchObject({
      fromPlan: 'pro',
      toPlan: 'starter',
      applied: true,
      deployment: { tier: 'starter', status: 'running' },
    });
    const same = await u.run(SERVICE_CLI, ['plan', id, 'starter', '--yes']);
    expect(same.stdout).toBe(`${id} is already on the starter plan: nothing changed\n`);
    expect((await u.run(SERVICE_CLI, ['plan', id, 'pro', '--yes', '--wait'])).code).toBe(0);

    const scaled = await u.run(SERVICE_CLI, ['scale', id, '3']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toBe(`${id}: scaling to 3 instances\n`);
    // Scaling is an operation of the deployment's state machine: the instance count changes when it completes.
    const instancesBecome = (n: number) =>
      vi.waitFor(async () => expect((await tierOf()).instances).toBe(n), { timeout: 30_000, interval: 500 });
    await instancesBecome(3);
    const auto = await u.run(SERVICE_CLI, ['scale', id, '--autoscale', '--min', '2', '--max', '4', '--target-cpu', '60']);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stdout).toBe(`${id}: autoscaling from 2 to 4 instances at 60% CPU\n`);
    const st = (await u.run(SERVICE_CLI, ['status', id, '--json'])).json<{ autoscaling: object }>();
    expect(st.autoscaling).toEqual({ enabled: true, min: 2, max: 4, targetCpu: 60 });
    const off = await u.run(SERVICE_CLI, ['scale', id, '--no-autoscale', '--min', '2', '--max', '2', '--json']);
    expect(off.json<{ deployment: { autoscaling: { enabled: boolean } } }>().deployment.autoscaling.enabled).toBe(false);
    // Autoscaling may have moved the count anywhere within 2-4 before it was switched off: a refused scale keeps it.
    const before = (await tierOf()).instances;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThanOrEqual(4);
    const tooMany = await u.run(SERVICE_CLI, ['scale', id, '500']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toBe('error: the number of instances must be a whole number from 1 to 100\n');
    await instancesBecome(before);
  });

  it('restarts after confirmation', async () => {
    const refused = await u.run(SERVICE_CLI, ['restart', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`error: Restart production-db (${id}): refusing without a terminal; pass --yes to confirm\n`);
    const r = await u.pty(SERVICE_CLI, ['restart', id, '--wait'], [[/\[y\/N\] /, 'y\r']]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`Restart production-db (${id})? [y/N]`);
    expect(r.stdout).toContain(`production-db (${id}): running`);
    const st = (await u.run(SERVICE_CLI, ['status', id, '--json'])).json<{
      status: string;
      lastOperation: { type: string; status: string };
    }>();
    expect(st).toMatchObject({ status: 'running', lastOperation: { type: 'restart', status: 'succeeded' } });
  });

  it('restores a backup in place after confirmation', async () => {
    const backup = await u.run(SERVICE_CLI, ['backups', 'create', id, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const bid = backup.json<{ id: string }>().id;
    const refused = await u.run(SERVICE_CLI, ['restore', id, '--backup', bid, '--in-place']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `error: Restore production-db (${id}) in place, losing the changes made since: refusing without a terminal; pass --yes to confirm\n`,
    );
    const both = await u.run(SERVICE_CLI, ['restore', id, '--backup', bid, '--in-place', '--name', 'x', '--yes']);
    expect(both.code).toBe(2);
    const lastOp = async () =>
      (await u.run(SERVICE_CLI, ['status', id, '--json'])).json<{ lastOperation: { type: string } }>().lastOperation.type;
    expect(await lastOp()).toBe('restart');
    const no = await u.pty(SERVICE_CLI, ['restore', id, '--backup', bid, '--in-place'], [[/\[y\/N\] /, '\r']]);
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('cancelled: nothing was changed');
    expect(await lastOp()).toBe('restart');
    const r = await u.run(SERVICE_CLI, ['restore', id, '--backup', bid, '--in-place', '--yes', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`production-db (${id}): restored, running\n`);
    expect(r.stderr).toContain('production-db: running');
    expect(await lastOp()).toBe('restore_in_place');
  });

  it('shows billing and manages budgets', async () => {
    const billing = (await u.run(SERVICE_CLI, ['billing', '--json'])).json<{ deployments: { deploymentId: string }[]; currency: string }>();
    expect(billing.currency).toBe('USD');
    expect(billing.deployments.map((d) => d.deploymentId)).toContain(id);
    const invoices = await u.run(SERVICE_CLI, ['billing', 'invoices', '--json']);
    expect(invoices.json<{ invoices: unknown[] }>().invoices.length).toBeGreaterThan(0);
    const created = await u.run(SERVICE_CLI, [
      'budgets',
      'create',
      '--amount',
      '100',
      '--threshold',
      '80',
      '--threshold',
      '100:forecast',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const bid = created.json<{ id: string }>().id;
    expect((await u.run(SERVICE_CLI, ['budgets', '--json'])).json<{ budgets: { id: string }[] }>().budgets.map((b) => b.id)).toContain(bid);
    expect((await u.run(SERVICE_CLI, ['budgets', 'delete', bid, '--yes'])).stdout).toBe(`Deleted budget ${bid}.\n`);
    const bad = await u.run(SERVICE_CLI, ['budgets', 'create', '--amount', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --amount must be a positive number of dollars\n');
  });

  it('deploys the seed ml-inference example from a --config file without waiting', async () => {
    const file = path.join(u.home, 'model.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        tier: 'gpu',
        region: 'us-west-2',
        model: { framework: 'tensorflow', version: '2.13', modelPath: 's3://my-models/sentiment-model.pb' },
      }),
    );
    const r = await u.run(SERVICE_CLI, ['deploy', 'ml-inference', '--config', file, '--name', 'sentiment', '--no-wait', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ name: 'sentiment', status: 'provisioning', tier: 'gpu', region: 'us-west-2' });
    const st = (await u.run(SERVICE_CLI, ['status', r.json<{ deploymentId: string }>().deploymentId, '--json'])).json<{
      config: { model?: unknown };
    }>();
    expect(st.config.model).toEqual({ framework: 'tensorflow', version: '2.13', modelPath: 's3://my-models/sentiment-model.pb' });
  });

  it('deletes after confirmation', async () => {
    const no = await u.pty(SERVICE_CLI, ['delete', id], [[/\[y\/N\] /, 'n\r']]);
    expect(no.code).toBe(1);
    expect(no.stdout).toContain(`Delete production-db (${id})? Its data will be gone [y/N]`);
    expect(no.stdout).toContain('cancelled: nothing was changed');
    const del = await u.run(SERVICE_CLI, ['delete', id, '--yes', '--wait', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json()).toMatchObject({ id, action: 'delete', status: 'deleted' });
  });
});

/** The stored login, given as ELIDE_TOKEN: a stored login is only sent to the suite it was made on (client/http.ts),
 * and these stand-in marketplaces are other servers. */
const tokenEnv = () => ({
  ...u.env,
  ELIDE_TOKEN: (JSON.parse(fs.readFileSync(path.join(u.home, '.config/elide/credentials.json'), 'utf8')) as { token: string }).token,
});

describe('failures', () => {
  it('exits 2 on bad usage and names the marketplace it cannot reach', async () => {
    const bad = await u.run(SERVICE_CLI, ['deploy']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("error: missing required argument 'slug'");
    const tier = await u.run(SERVICE_CLI, ['deploy', 'postgres-managed', '--tier', 'platinum']);
    expect(tier.code).toBe(2);
    expect(tier.stderr).toMatch(/^error: postgres-managed has no tier "platinum": choose one of /);
    const down = await u.run(SERVICE_CLI, ['list', '--marketplace-url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe('error: cannot reach the marketplace at http://127.0.0.1:9: is the suite running? (npm start)\n');
    const anon = cliUser(suite, 'svc-anon');
    const r = await anon.run(SERVICE_CLI, ['list-deployments']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: not logged in: run publish-cli login (or set ELIDE_TOKEN)\n');
  });

  it('stops waiting on Ctrl-C, saying the deployment carries on (exit 130)', async () => {
    // A stand-in marketplace whose deployment never leaves provisioning, so the interrupt always lands mid-wait.
    let polls = 0;
    const send = (res: http.ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const tier = { id: 'free', name: 'Free', regions: ['us-east-1'] };
    const stub = http.createServer((req, res) => {
      if (req.url === '/api/services/stub-db')
        return send(res, 200, { id: 'svc-stub', slug: 'stub-db', name: 'Stub DB', pricing: { tiers: [tier] } });
      if (req.method === 'POST' && req.url === '/api/deployments')
        return send(res, 202, {
          deploymentId: 'deploy-stub',
          name: 'slow',
          status: 'provisioning',
          endpoint: 'deploy-stub.db.example:5432',
          credentials: {},
          tier: 'free',
          region: 'us-east-1',
        });
      polls++;
      send(res, 200, {
        id: 'deploy-stub',
        name: 'slow',
        status: 'provisioning',
        currentOperation: { type: 'create', step: 'provisioning' },
      });
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    try {
      const child = spawn(SERVICE_CLI, ['deploy', 'stub-db', '--name', 'slow', '--marketplace-url', url], { env: tokenEnv(), cwd: u.home });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) =>
        child.stderr.on('data', (d) => {
          stderr += d;
          if (polls > 0 && stderr.includes('slow: provisioning')) resolve();
        }),
      );
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stdout).toBe('Deploying Stub DB (free, us-east-1) as slow: deploy-stub\n');
      expect(stderr).toBe(
        'waiting for deploy-stub to be running\nslow: provisioning (provisioning)\n' +
          'deploy-stub carries on on the server (Ctrl-C only stopped the waiting): follow it with service-cli status deploy-stub\n',
      );
    } finally {
      stub.closeAllConnections();
      await new Promise<void>((r) => stub.close(() => r()));
    }
  });

  it('resumes logs --follow with ?since= when the server ends the stream', async () => {
    // The marketplace ends a follower after 10 minutes; a stand-in ends the first stream at once to show the resume.
    const seen: URLSearchParams[] = [];
    const line = (at: string, message: string) => `event: log\ndata: ${JSON.stringify({ at, level: 'info', message })}\n\n`;
    const stub = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      // Only the CLI's log requests count: another test's leftover poller may reach a port reused by this stub.
      if (url.pathname !== '/api/deployments/deploy-x/logs') return res.writeHead(404).end();
      const q = url.searchParams;
      seen.push(q);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (seen.length === 1) return res.end(line('2026-01-01T00:00:01.000Z', 'one') + line('2026-01-01T00:00:02.000Z', 'two'));
      res.write(line('2026-01-01T00:00:03.000Z', 'three'));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    try {
      const child = spawn(SERVICE_CLI, ['logs', 'deploy-x', '--follow', '--tail', '2', '--marketplace-url', url], {
        env: tokenEnv(),
        cwd: u.home,
      });
      let out = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('three')) resolve();
        }),
      );
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toBe(
        ['2026-01-01T00:00:01.000Z INFO  one', '2026-01-01T00:00:02.000Z INFO  two', '2026-01-01T00:00:03.000Z INFO  three', ''].join('\n'),
      );
      expect(seen.map((q) => Object.fromEntries(q))).toEqual([
        { tail: '2', follow: 'true' },
        { tail: '1000', since: '2026-01-01T00:00:02.000Z', follow: 'true' },
      ]);
    } finally {
      stub.closeAllConnections();
      await new Promise<void>((r) => stub.close(() => r()));
    }
  });

  // Last in the file: it stops the marketplace.
  it('ends logs --follow with a clear error when the marketplace goes away', async () => {
    const dep = await u.run(SERVICE_CLI, ['deploy', 'postgres-managed', '--name', 'follow-me', '--no-wait', '--json']);
    const id = dep.json<{ deploymentId: string }>().deploymentId;
    const child = spawn(SERVICE_CLI, ['logs', id, '--follow'], { env: u.env, cwd: u.home });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('\n')) resolve();
      }),
    );
    // A graceful shutdown ends the stream; the CLI tries to resume it, finds nothing listening, and says so.
    await suite.stop('marketplace');
    expect(await exited).toBe(1);
    expect(stderr).toBe(`error: cannot reach the marketplace at ${suite.urls.marketplace}: is the suite running? (npm start)\n`);
  });
});
