// Numbers on the package page as a user reads them next to npmjs.com, over a fake main API in Chromium: the
// downloads chart in UTC days whatever the browser's time zone, the period asked for, and a wheel's own counts.
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { dashboardOver } from '../helpers/dashboard.ts';
import { CHROMIUM_ARGS } from '../helpers/dashboard-browser.ts';

const calls: string[] = [];
const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('package page numbers in a browser west of UTC', () => {
  let peer: FastifyInstance;
  let dash: Awaited<ReturnType<typeof buildApp>>;
  let base: string;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    peer = Fastify();
    peer.get('/api/packages/*', async (req) => ({
      name: 'requests',
      ecosystem: (req.query as { ecosystem?: string }).ecosystem ?? 'npm',
      description: 'HTTP for humans',
      maintainers: ['demo'],
      license: 'Apache-2.0',
      keywords: [],
      downloads: 1_234_567,
      stars: 1,
      score: null,
      distTags: { latest: '2.31.0' },
      readme: '',
      versions: [{ version: '2.31.0', publishedAt: '2026-01-02T00:00:00Z', deprecated: null, size: 1 }],
    }));
    // Zero-filled days of the period asked for, one download on the last (today, UTC) and 1,000 the day before.
    peer.get('/api/downloads/range/:period/*', async (req) => {
      calls.push(req.url);
      const [start, end] = (req.params as { period: string }).period.split(':');
      const downloads = [];
      for (let t = Date.parse(start); t <= Date.parse(end); t += DAY_MS) {
        const day = utcDay(t);
        downloads.push({ day, downloads: day === end ? 1 : t === Date.parse(end) - DAY_MS ? 1000 : 0 });
      }
      return { downloads, start, end, package: 'requests' };
    });
    peer.setNotFoundHandler((_req, reply) => reply.status(404).send({ error: 'not found', code: 'NOT_FOUND' }));
    const peerUrl = await peer.listen({ port: 0, host: '127.0.0.1' });
    dash = await dashboardOver(peerUrl);
    base = await dash.listen({ port: 0, host: '127.0.0.1' });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-numbers-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      // Eight hours behind UTC: a day's point at 00:00 UTC is 16:00 the day before here.
      timezoneId: 'America/Los_Angeles',
    });
  });
  afterAll(async () => {
    await context?.close();
    await dash?.close();
    await peer?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('shows a PyPI package’s own downloads for the period asked, totalled, pluralised and drawn on UTC days', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${base}/package/requests?ecosystem=pypi&days=7`);
    expect(res?.status()).toBe(200);
    // The wheel's counts, not those of an npm package named "requests".
    expect(calls.at(-1)).toMatch(/^\/api\/downloads\/range\/\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2}\/requests\?ecosystem=pypi$/);
    await expect(page.locator('#downloads-h').textContent()).resolves.toBe('Downloads, last 7 days');
    await expect(page.locator('#downloads-total').textContent()).resolves.toBe('1,001 downloads');
    await expect(page.locator('dd', { hasText: '1,234,567' }).count()).resolves.toBe(1);
    await expect(page.locator('nav[aria-label="Period"] a', { hasText: '30 days' }).getAttribute('href')).resolves.toBe(
      '/package/requests?ecosystem=pypi&days=30',
    );
    // Hovering the first point: uPlot's legend (its axes are canvas) names the first day of the period as the API
    // counts it, midnight UTC, not 4 pm the evening before.
    await page.waitForFunction(() => document.querySelector('#chart-downloads .u-over') !== null);
    // The mouse reaches only what is in the viewport.
    await page.locator('#chart-downloads').scrollIntoViewIfNeeded();
    const box = await page.locator('#chart-downloads .u-over').boundingBox();
    if (!box) throw new Error('the chart has no plotting area');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + 2, box.y + box.height / 2, { steps: 5 });
    const legend = page.locator('#chart-downloads .u-legend .u-series').first().locator('.u-value');
    await page.waitForFunction((el) => el?.textContent !== '--', await legend.elementHandle());
    const start = new Date(Date.now() - 6 * DAY_MS);
    await expect(legend.textContent()).resolves.toBe(`${utcDay(start.getTime())} 12:00am`);
    expect(errors).toEqual([]);
  });
});
