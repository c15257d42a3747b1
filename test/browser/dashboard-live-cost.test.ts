// The deployments list and the deploy form in Chromium over a fake main API and marketplace: the cost column follows
// each poll as the status does, and the browser's own validation of a deployment name is the marketplace's rule.
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { dashboardOver, FAKE_ME, fakeDeploymentView } from '../helpers/dashboard.ts';
import { CHROMIUM_ARGS } from '../helpers/dashboard-browser.ts';

describe('deployments list and deploy form in a browser', () => {
  let peer: FastifyInstance;
  let dash: Awaited<ReturnType<typeof buildApp>>;
  let base: string;
  let context: BrowserContext;
  let profile: string;
  // Every answer of the marketplace costs one cent more: a running deployment accrues by the minute.
  let cents = 100;

  beforeAll(async () => {
    peer = Fastify();
    peer.get('/api/auth/me', async (req, reply) =>
      req.headers.authorization === 'Bearer elk_session' ? FAKE_ME : reply.status(401).send({ error: 'no', code: 'UNAUTHORIZED' }),
    );
    peer.get('/api/deployments', async () => {
      cents += 1;
      return {
        deployments: [fakeDeploymentView(cents / 100)],
        total: 1,
      };
    });
    peer.get('/api/services/postgres-managed', async () => ({
      name: 'PostgreSQL',
      slug: 'postgres-managed',
      category: 'database',
      description: 'Postgres',
      averageRating: 0,
      ratingCount: 0,
      featured: false,
      premium: false,
      startingPrice: 0,
      publisher: 'Elide',
      pricing: {
        model: 'tiered',
        tiers: [
          {
            id: 'starter',
            name: 'Starter',
            price: 0,
            model: 'free',
            features: [],
            instances: { min: 1, max: 1 },
            regions: ['us-east-1'],
            usage: null,
          },
        ],
      },
      specifications: { versions: [], regions: ['us-east-1'], sla: { uptime: 99.9, responseTime: 100, support: 'email' } },
      configSchema: {},
    }));
    peer.get('/api/services/postgres-managed/reviews', async () => ({ reviews: [] }));
    peer.setNotFoundHandler((_req, reply) => reply.status(404).send({ error: 'not found', code: 'NOT_FOUND' }));
    const peerUrl = await peer.listen({ port: 0, host: '127.0.0.1' });
    dash = await dashboardOver(peerUrl);
    base = await dash.listen({ port: 0, host: '127.0.0.1' });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-live-cost-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    await context.addCookies([{ name: 'elide_session', value: 'elk_session', url: base }]);
  });
  afterAll(async () => {
    await context?.close();
    await dash?.close();
    await peer?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('updates the cost column with each poll, without a reload', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/deployments`);
    const cell = page.locator('[data-cost-of="dep-1"]');
    const first = await cell.textContent();
    expect(first).toMatch(/^\$1\.\d\d$/);
    // app.js polls every 2 s; the next answer costs more than the one the page was drawn from.
    await page.waitForFunction((shown) => document.querySelector('[data-cost-of="dep-1"]')?.textContent !== shown, first, {
      timeout: 10_000,
    });
    expect(Number((await cell.textContent())?.slice(1))).toBeGreaterThan(Number(first?.slice(1)));
    await page.close();
  });

  it('accepts the names the marketplace accepts (upper case, dots, underscores) and refuses the others', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${base}/services/postgres-managed`);
    const valid = (name: string) =>
      page.locator('#dep-name').evaluate((el, v) => {
        const input = el as HTMLInputElement;
        input.value = v;
        return input.checkValidity();
      }, name);
    expect(await valid('My_DB.prod-2')).toBe(true);
    expect(await valid('API.v1')).toBe(true);
    expect(await valid('-lead')).toBe(false);
    expect(await valid('.hidden')).toBe(false);
    expect(await valid('has space')).toBe(false);
    // A pattern Chromium cannot compile (v flag) is ignored with a console error: it would accept everything.
    expect(errors.filter((e) => e.includes('pattern'))).toEqual([]);
    await page.close();
  });
});
