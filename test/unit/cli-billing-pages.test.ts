// service-cli billing against a marketplace that pages its per-deployment lines (at most 100 at a time, with
// deploymentsTotal): the command follows the pages, so the table and --json list every deployment once; and
// service-cli billing invoices with the current cycle's open draft, which has no id yet.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_CLI } from '../helpers/cli.ts';

const run = promisify(execFile);
const TOTAL = 250;
const lines = Array.from({ length: TOTAL }, (_, i) => ({
  deploymentId: `deploy-${String(i).padStart(3, '0')}`,
  name: `db-${i}`,
  serviceId: 'postgres-managed',
  tier: 'basic',
  status: 'running',
  currentCost: 0.01,
  projectedCost: 0.02,
}));
const fake = Fastify({ logger: false });
const asked: string[] = [];
fake.get('/api/billing', async (req) => {
  asked.push(req.url);
  const q = req.query as { limit?: string; offset?: string };
  const limit = Math.min(Number(q.limit ?? 100), 100);
  const offset = Number(q.offset ?? 0);
  return {
    cycle: { id: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
    currency: 'USD',
    currentCost: 2.5,
    projectedCost: 5,
    low: 4,
    high: 6,
    deploymentsTotal: TOTAL,
    limit,
    offset,
    deployments: lines.slice(offset, offset + limit),
  };
});
// The open draft of the current cycle has no id yet (id: null) until the cycle closes.
fake.get('/api/billing/invoices', async () => ({
  invoices: [
    { id: null, cycle: '2026-11', status: 'open', total: 2.5, currency: 'USD', lines: [] },
    { id: 'inv-2026-10', cycle: '2026-10', status: 'closed', total: 19, currency: 'USD', lines: [] },
  ],
  total: 2,
}));
let env: Record<string, string>;

beforeAll(async () => {
  await fake.listen({ host: '127.0.0.1', port: 0 });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-billing-'));
  env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    NO_COLOR: '1',
    ELIDE_TOKEN: 'elk_test_token_for_the_fake',
    ELIDE_MARKETPLACE_URL: `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`,
  };
});
afterAll(async () => fake.close());

describe('service-cli billing over paged lines', () => {
  it('--json lists all 250 deployments once, asking page after page', async () => {
    asked.length = 0;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', SERVICE_CLI, 'billing', '--json'], { env });
    const body = JSON.parse(stdout) as { deployments: { deploymentId: string }[]; deploymentsTotal: number };
    expect(body.deploymentsTotal).toBe(TOTAL);
    expect(body.deployments.map((d) => d.deploymentId)).toEqual(lines.map((l) => l.deploymentId));
    expect(asked).toEqual(['/api/billing', '/api/billing?offset=100', '/api/billing?offset=200']);
  });

  it('the table has one row per deployment', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', SERVICE_CLI, 'billing'], { env });
    expect(stdout.split('\n').filter((l) => l.startsWith('deploy-'))).toHaveLength(TOTAL);
    expect(stdout).toContain('Current Cost');
  });
});

describe('service-cli billing invoices', () => {
  it('shows the open draft (id null) as the current cycle instead of failing', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', SERVICE_CLI, 'billing', 'invoices'], { env });
    const rows = stdout.split('\n');
    expect(rows.find((l) => l.includes('2026-11'))).toMatch(/^open \(current cycle\)\s+2026-11\s+open\s+\$2\.50$/);
    expect(rows.find((l) => l.includes('2026-10'))).toMatch(/^inv-2026-10\s+2026-10\s+closed\s+\$19\.00$/);
  });
});
