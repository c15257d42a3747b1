// service-cli against a fake marketplace: prices of metered tiers as a shopper reads them (never "free" for a
// tier that bills every request), logs --since / --until, which the marketplace takes as ISO instants, and
// status --wait, which follows a deploy --no-wait to where the deployment is heading.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_CLI } from '../helpers/cli.ts';

const run = promisify(execFile);
const REGIONS = ['us-east-1'];
const usage = (price: number, included: number) => ({ meter: 'requests', unit: 'request', included, pricePer: 1000, price });
const tiers = [
  { id: 'free', name: 'Free', price: 0, period: 'month', model: 'free', features: [], usage: null, regions: REGIONS },
  { id: 'cpu', name: 'CPU', price: 0, period: 'month', model: 'metered', features: [], usage: usage(0.05, 100_000), regions: REGIONS },
  { id: 'pro', name: 'Pro', price: 50, period: 'month', model: 'flat', features: [], usage: usage(0.015, 1_000_000), regions: REGIONS },
  { id: 'starter', name: 'Starter', price: 19, period: 'month', model: 'flat', features: [], usage: null, regions: REGIONS },
];
const summary = (slug: string, hasFreeTier: boolean) => ({
  id: `svc-${slug}`,
  name: slug,
  slug,
  category: 'ml',
  description: '',
  averageRating: 0,
  ratingCount: 0,
  startingPrice: 0,
  hasFreeTier,
  regions: REGIONS,
});

const fake = Fastify({ logger: false });
const logQueries: Record<string, string>[] = [];
fake.get('/api/services', async () => ({ services: [summary('metered-only', false), summary('with-free', true)], total: 2 }));
fake.get('/api/services/:slug', async () => ({
  ...summary('metered-only', false),
  pricing: { model: 'hybrid', currency: 'USD', tiers },
  specifications: { regions: REGIONS, sla: { uptime: 99.9 } },
}));
fake.get('/api/deployments/:id/logs', async (req) => {
  logQueries.push(req.query as Record<string, string>);
  return { lines: [{ at: '2026-11-27T20:00:01.000Z', level: 'info', message: 'served 3 requests' }] };
});

// Each deployment answers its states in turn, one per poll, then stays on the last.
const timelines: Record<string, [status: string, operation: string | null][]> = {
  'deploy-up': [
    ['provisioning', 'create'],
    ['provisioning', 'create'],
    ['running', null],
  ],
  'deploy-stopping': [
    ['stopping', 'stop'],
    ['stopped', null],
  ],
  'deploy-broken': [
    ['provisioning', 'create'],
    ['failed', null],
  ],
};
const polls: Record<string, number> = {};
fake.get('/api/deployments/:id', async (req, reply) => {
  const id = (req.params as { id: string }).id;
  const steps = timelines[id];
  if (!steps) return reply.status(404).send({ error: 'no such deployment', code: 'DEPLOYMENT_NOT_FOUND' });
  const n = polls[id] ?? 0;
  polls[id] = n + 1;
  const [status, op] = steps[Math.min(n, steps.length - 1)];
  return {
    id,
    name: id.replace('deploy-', ''),
    status,
    desiredStatus: id === 'deploy-stopping' ? 'stopped' : 'running',
    endpoint: null,
    metrics: { requests: 1, errors: 0, avgResponseTime: 5, uptime: 100 },
    billing: { currentCost: 0, projectedCost: 0, currency: 'USD' },
    currentOperation: op ? { type: op, step: status } : null,
    lastOperation: status === 'failed' ? { type: 'create', status: 'failed', error: { code: 'X', message: 'disk full' } } : null,
    statusReason: null,
  };
});

let env: Record<string, string>;
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', SERVICE_CLI, ...args], { env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  await fake.listen({ host: '127.0.0.1', port: 0 });
  env = {
    PATH: process.env.PATH ?? '',
    HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'cli-catalog-')),
    NO_COLOR: '1',
    ELIDE_TOKEN: 'elk_test_token_for_the_fake',
    ELIDE_MARKETPLACE_URL: `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`,
  };
});
afterAll(async () => fake.close());

describe('service-cli prices', () => {
  it('info prints a metered tier as pay as you go with its unit price, a flat tier with its overage', async () => {
    const { code, stdout } = await cli('info', 'metered-only');
    expect(code).toBe(0);
    const row = (id: string) => stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? '';
    expect(row('free')).toMatch(/\bfree\b/);
    expect(row('cpu')).toContain('pay as you go, $0.05 per 1,000 requests');
    expect(row('cpu')).not.toMatch(/\bfree\b/);
    // $0.015, not formatMoney's rounded $0.02.
    expect(row('pro')).toContain('$50.00/month + $0.015 per 1,000 requests');
    expect(row('starter')).toContain('$19.00/month');
  });

  it('list says "pay as you go" for a service whose $0 tier is metered, "free" for one with a free tier', async () => {
    const { code, stdout } = await cli('list');
    expect(code).toBe(0);
    expect(stdout.split('\n').find((l) => l.startsWith('metered-only'))).toContain('pay as you go');
    expect(stdout.split('\n').find((l) => l.startsWith('with-free'))).toMatch(/\bfree\b/);
  });
});

describe('service-cli logs --since / --until', () => {
  it('sends ISO instants, also for durations back from now', async () => {
    logQueries.length = 0;
    const a = await cli('logs', 'deploy-abc', '--since', '2026-11-27T21:00:00+01:00', '--until', '2026-11-27T20:30:00Z', '--tail', '5');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('served 3 requests');
    expect(logQueries[0]).toEqual({ tail: '5', since: '2026-11-27T20:00:00.000Z', until: '2026-11-27T20:30:00.000Z' });

    const before = Date.now();
    expect((await cli('logs', 'deploy-abc', '--since', '10m')).code).toBe(0);
    const since = Date.parse(logQueries[1].since);
    expect(since).toBeGreaterThanOrEqual(before - 600_000 - 1000);
    expect(since).toBeLessThanOrEqual(Date.now() - 600_000);
    expect(logQueries[1].until).toBeUndefined();
  });

  it('refuses bad times, an empty range and --until with --follow as usage errors, asking nothing', async () => {
    logQueries.length = 0;
    const bad = await cli('logs', 'deploy-abc', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since must be an ISO time such as 2026-01-01T12:00:00Z or a duration such as 10m, 2h or 1d');
    const empty = await cli('logs', 'deploy-abc', '--since', '1h', '--until', '2h');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--since \(.*\) must be before --until/);
    const follow = await cli('logs', 'deploy-abc', '--follow', '--until', '1h', '--json');
    expect(follow.code).toBe(2);
    expect(JSON.parse(follow.stdout)).toEqual({
      error: '--follow prints new lines as they come: it takes --since, not --until',
      code: 'USAGE',
    });
    expect(logQueries).toEqual([]);
  });
});

describe('service-cli status --wait', () => {
  it('waits for a provisioning deployment to run, and for a stop to end stopped, then prints the status block', async () => {
    const up = await cli('status', 'deploy-up', '--wait');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('Status: running');
    expect(polls['deploy-up']).toBe(3);
    const stopping = await cli('status', 'deploy-stopping', '--wait', '--json');
    expect(stopping.code).toBe(0);
    expect(JSON.parse(stopping.stdout)).toMatchObject({ status: 'stopped' });
  });

  it('exits 1 with the reason when the deployment fails instead', async () => {
    const broken = await cli('status', 'deploy-broken', '--wait', '--json');
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toEqual({ error: 'broken ended failed, not running: disk full', code: 'DEPLOYMENT_FAILED' });
  });
});
