// The dashboard in a real browser (Debian's Chromium through playwright-core) against the whole seeded suite:
// log in, search and open @elide/http (its XSS README stays inert), create and revoke a token and see both on
// the Activity page, deploy postgres-managed and watch it reach running without reloading, read metrics and
// cost, stop it, create a webhook and send a test, axe on every page, and no horizontal scroll at phone width.
/// <reference lib="dom" />
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishFixtures } from '../fixtures/dashboard/packages.ts';
import { axeSerious, type BrowserSuite, startBrowserSuite } from '../helpers/dashboard-browser.ts';
import type { Suite } from '../helpers/suite.ts';

let b: BrowserSuite;
let suite: Suite;
let context: BrowserContext;
let page: Page;
let receiver: http.Server;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let deploymentUrl = '';
const go = (url: string) => b.go(url);

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  b = await startBrowserSuite();
  ({ suite, context, page } = b);
  await publishFixtures(suite.urls.registry, await b.apiToken('demo', 'demo123'));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.urls.dashboard });
}, 240_000);

afterAll(async () => {
  await b?.close();
  await new Promise((r) => receiver?.close(r));
});

describe('dashboard in a browser', () => {
  it('logs in as demo', async () => {
    await go('/login');
    await page.getByLabel('User name').fill('demo');
    await page.getByLabel('Password').fill('demo123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('header .who').textContent()).toContain('Signed in as demo');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'elide_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Lax');
    expect(await page.evaluate(() => document.cookie)).not.toContain('elk_');
  });

  it('searches and opens @elide/http: install, versions, dist-tags, maintainers, score, downloads chart', async () => {
    await go('/');
    await page.getByLabel('Search packages').fill('http');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: '@elide/http', exact: true }).click();
    await page.waitForURL(/\/package\/(%40|@)elide\/http$/);
    b.visited.add(new URL(page.url()).pathname);
    await expect.poll(() => page.locator('h1').first().textContent()).toContain('@elide/http');
    // From this registry, not the public one.
    expect(await page.locator('#install-snippet').textContent()).toBe(`npm install @elide/http --registry ${suite.urls.registry}/npm/`);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toContain('beta: 2.1.0-beta.1');
    expect(main).toContain('latest: 2.0.0');
    expect(main).toContain('1.1.0');
    expect(main).toMatch(/Maintainers\s*demo/);
    expect(main).toMatch(/Score \d\.\d\d/);
    await page.locator('.uplot').first().waitFor(); // the downloads chart, drawn by uPlot from a local file
  });

  it('renders a hostile README inert', async () => {
    await go('/package/@elide/xss-readme');
    const readme = page.locator('article.readme');
    expect(await readme.textContent()).toContain("<script>window.__xss = 'script-tag'</script>");
    expect(await readme.locator('script, img, iframe').count()).toBe(0);
    const hrefs = await readme.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(['https://elide.dev']);
    for (const a of await readme.locator('a').all()) expect(await a.getAttribute('rel')).toBe('nofollow noopener');
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    await page.getByRole('link', { name: '@elide/http' }).click(); // its dependency links to the package page
    await page.waitForURL(/\/package\/(%40|@)elide\/http$/);
  });

  it('filters the search by keyword and sort', async () => {
    await go('/packages?keywords=xss-fixture&sort=downloads');
    expect(await page.locator('.result').allTextContents()).toEqual([expect.stringContaining('@elide/xss-readme')]);
  });

  it('creates a token (shown once, copyable) and revokes it', async () => {
    await go('/account/tokens');
    await page.getByLabel('Name').fill('browser-ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.locator('#new-token').textContent();
    expect(token).toMatch(/^elk_/);
    await page.getByRole('button', { name: 'Copy token' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    const check = await fetch(`${suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(check.status).toBe(200);
    await go('/account/tokens');
    expect(await page.locator('#new-token').count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke token browser-ci' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Token revoked.');
    expect(await page.getByRole('button', { name: 'Revoke token browser-ci' }).count()).toBe(0);
    expect((await fetch(`${suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('lists that token creation and revocation on the Activity page, linked from the account, filtered by action', async () => {
    await go('/account');
    await page.getByRole('link', { name: 'Activity', exact: true }).click();
    await page.waitForURL(/\/account\/activity$/);
    b.visited.add('/account/activity');
    const created = page.locator('tbody tr', { hasText: 'token.create' }).filter({ hasText: 'name: browser-ci' });
    expect(await created.count()).toBe(1);
    expect(await created.locator('time').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await page.locator('tbody tr', { hasText: 'token.revoke' }).filter({ hasText: 'name: browser-ci' }).count()).toBe(1);
    await page.getByLabel('Action', { exact: true }).fill('token.revoke');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=token\.revoke/);
    const actions = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['token.revoke']));
  });

  it('deploys postgres-managed from its config form and watches it reach running without a reload', async () => {
    await go('/services');
    await page
      .getByRole('link', { name: /PostgreSQL Managed/ })
      .first()
      .click();
    b.visited.add(new URL(page.url()).pathname);
    await page.getByLabel('Deployment name').fill('browser-db');
    await page.getByLabel('Tier', { exact: true }).selectOption('free');
    await page.getByLabel('Region', { exact: true }).selectOption('us-east-1');
    await page.getByLabel('Storage Gb').fill('5000');
    await page.getByRole('button', { name: 'Deploy PostgreSQL Managed' }).click();
    // Inline validation, before anything is sent.
    await expect.poll(() => page.locator('#live-err-config\\.storageGb').textContent()).toBeTruthy();
    await page.getByLabel('Storage Gb').fill('10');
    await page.getByLabel('Version').selectOption('16');
    await page.getByRole('button', { name: 'Deploy PostgreSQL Managed' }).click();
    await page.waitForURL(/\/deployments\/deploy-/);
    deploymentUrl = new URL(page.url()).pathname;
    b.visited.add(deploymentUrl);
    await page.evaluate(() => {
      (window as unknown as { __same?: boolean }).__same = true;
    });
    const status = page.locator(`[data-status-of]`).first();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe('running');
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
  });

  it('shows metrics charts, cost, credentials on demand, then stops it', async () => {
    // Both charts are drawn at once; their points arrive by polling, which hides the "no time series yet" note.
    await page.goto(`${suite.urls.dashboard}${deploymentUrl}`);
    expect(await page.locator('.uplot').count()).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.locator('#series-empty').isHidden(), { timeout: 30_000 }).toBe(true);
    // Written as people read them: "$1,234.50", "12,345" (thousands grouped).
    expect(await page.locator('#current-cost').textContent()).toMatch(/^\$\d{1,3}(,\d{3})*\.\d\d$/);
    expect(await page.locator('#projected-cost').textContent()).toMatch(/^\$\d{1,3}(,\d{3})*\.\d\d$/);
    expect(await page.locator('#metric-requests').textContent()).toMatch(/^\d{1,3}(,\d{3})*$/);
    expect(await page.locator('.creds').count()).toBe(0);
    await page.getByRole('link', { name: 'Reveal credentials' }).click();
    expect(await page.locator('.creds').textContent()).toContain('password');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.locator('[data-status-of]').first().textContent(), { timeout: 30_000 }).toBe('stopped');
    await go('/billing');
    expect(await page.locator('main').textContent()).toContain('browser-db');
  });

  it('creates a webhook (secret shown once) and sends a test that reaches the receiver', async () => {
    await go('/webhooks');
    const port = (receiver.address() as { port: number }).port;
    await page.getByLabel('Receiver URL').fill(`http://127.0.0.1:${port}/hook`);
    await page.getByLabel(/^Events/).fill('*');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    expect((await page.locator('#new-secret').textContent())?.length).toBeGreaterThan(10);
    await page.getByRole('link', { name: 'Open the webhook' }).click();
    b.visited.add(new URL(page.url()).pathname);
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect.poll(() => page.locator('#test-result').textContent()).toContain('HTTP 200');
    expect(received.some((r) => r.body.includes('webhook.test') && typeof r.headers['webhook-signature'] === 'string')).toBe(true);
  });

  it('passes axe without serious violations on every page visited', async () => {
    const checked: string[] = [];
    for (const url of [
      ...b.visited,
      '/',
      '/login',
      '/register',
      '/account',
      '/orgs/elide',
      '/deployments',
      '/services',
      '/billing',
      '/webhooks',
    ]) {
      await page.goto(`${suite.urls.dashboard}${url}`);
      expect({ url, violations: await axeSerious(page) }).toEqual({ url, violations: [] });
      checked.push(url);
    }
    expect(checked.length).toBeGreaterThanOrEqual(12);
    expect(b.pageErrors).toEqual([]);
  }, 60_000);

  it('has no horizontal scroll at phone width (375 px)', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-shots-'));
    for (const url of [
      '/',
      '/packages?q=http',
      '/package/@elide/http',
      '/services',
      '/services/postgres-managed',
      deploymentUrl,
      '/billing',
      '/account/tokens',
      '/account/activity',
    ]) {
      await phone.goto(`${suite.urls.dashboard}${url}`);
      await phone.screenshot({ path: path.join(shots, `${url.replace(/\W+/g, '_')}.png`), fullPage: true });
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      expect({ url, width }).toEqual({ url, width: 375 });
    }
    fs.rmSync(shots, { recursive: true, force: true });
    await phone.close();
  }, 60_000);
});

describe('dashboard admin in a browser', () => {
  it('logs out, logs in as admin and manages users, reviews and revenue', async () => {
    await go('/');
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('You are logged out.');
    expect((await context.cookies()).some((c) => c.name === 'elide_session')).toBe(false);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('admin-password-for-tests');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/admin$/);
    await page.getByLabel('Find users').fill('demo');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByLabel('Plan of demo').selectOption('enterprise');
    await page.getByRole('button', { name: 'Save demo' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Saved.');
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).toMatch(/Nothing waits for review\.|Release/);
    expect(main).toMatch(/Current cycle \d{4}-\d{2}: gross \$/);
    expect(await axeSerious(page)).toEqual([]);
  });

  it('sees only their own entries on the Activity page, and may remove members of an org they own', async () => {
    await go('/account/activity');
    expect(await page.locator('tbody tr', { hasText: 'admin.user.update' }).count()).toBeGreaterThan(0);
    expect(await page.locator('tbody tr', { hasText: 'browser-ci' }).count()).toBe(0); // demo's token, not theirs
    expect(await axeSerious(page)).toEqual([]);
    // The seed makes admin the owner of @elide and demo a member: a confirmed Remove for demo, none for themselves.
    await go('/orgs/elide');
    expect(await page.getByRole('button', { name: 'Remove demo' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Remove admin' }).count()).toBe(0);
    expect(await axeSerious(page)).toEqual([]);
  });
});
