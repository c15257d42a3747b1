// The dashboard's actions in a real browser (Debian's Chromium through playwright-core) against the whole
// seeded suite: register, change the password, the deployments list following a status change without a
// reload, plan change with its cost preview, backup and restore (the timeline updating live), delete with
// the typed confirmation, the admin featuring a service, and an imported advisory shown on the vulnerable
// package, its dependent and its dependents list.
/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishVulnerableFixtures, VULN_ADVISORY } from '../fixtures/dashboard/packages.ts';
import { axeSerious, type BrowserSuite, startBrowserSuite } from '../helpers/dashboard-browser.ts';

let b: BrowserSuite;
let page: Page;
let demoToken = '';
let deploymentId = '';
const NEW_USER = { username: 'browser-new', email: 'browser-new@example.test', password: 'first-password-1' };

/** A marketplace call as demo (set-up and checks only: every action under test goes through the browser). */
async function market(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${b.suite.urls.marketplace}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${demoToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}
const statusOf = async (id: string) => (await market(`/api/deployments/${id}`)).body?.status;

/** Marks the document: still marked later means the page was never reloaded. */
const markPage = () => page.evaluate(() => ((window as unknown as { __same?: boolean }).__same = true));
const samePage = () => page.evaluate(() => (window as unknown as { __same?: boolean }).__same === true);

beforeAll(async () => {
  b = await startBrowserSuite();
  page = b.page;
  demoToken = await b.apiToken('demo', 'demo123');
  await publishVulnerableFixtures(b.suite.urls.registry, demoToken);
}, 240_000);

afterAll(async () => {
  await b?.close();
});

describe('account', () => {
  it('registers a new account through the form and lands signed in on the account page', async () => {
    await b.go('/register');
    await page.getByLabel('User name').fill(NEW_USER.username);
    await page.getByLabel('Email').fill(NEW_USER.email);
    await page.getByLabel('Password').fill(NEW_USER.password);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/\/account\?notice=registered$/);
    expect(await page.locator('.notice').textContent()).toContain('Welcome! Your account is ready.');
    expect(await page.locator('header .who').textContent()).toContain(`Signed in as ${NEW_USER.username}`);
    expect(await page.locator('main').textContent()).toContain(NEW_USER.email);
  });

  it('changes the password: this browser stays signed in, other sessions end, only the new password logs in', async () => {
    const otherSession = await b.apiToken(NEW_USER.username, NEW_USER.password);
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.waitForURL(/\/account\/password$/);
    b.visited.add('/account/password');
    // A wrong current password is refused inline and changes nothing.
    await page.getByLabel('Current password').fill('not-my-password');
    await page.getByLabel('New password', { exact: true }).fill('second-password-2');
    await page.getByLabel('New password again').fill('second-password-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.locator('.field-error').textContent()).toContain('The current password is not correct.');
    expect((await fetch(`${b.suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${otherSession}` } })).status).toBe(200);

    await page.getByLabel('Current password').fill(NEW_USER.password);
    await page.getByLabel('New password', { exact: true }).fill('second-password-2');
    await page.getByLabel('New password again').fill('second-password-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(/\/account\?notice=password-changed$/);
    expect(await page.locator('.notice').textContent()).toContain('Password changed');
    expect(await page.locator('header .who').textContent()).toContain(`Signed in as ${NEW_USER.username}`);
    expect((await fetch(`${b.suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${otherSession}` } })).status).toBe(401);
    const login = (password: string) =>
      fetch(`${b.suite.urls.api}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: NEW_USER.username, password }),
      });
    expect((await login(NEW_USER.password)).status).toBe(401);
    expect((await login('second-password-2')).status).toBe(200);
  });
});

describe('deployments', () => {
  it('the deployments list follows a status change without a reload', async () => {
    await b.login('demo', 'demo123');
    const created = await market('/api/deployments', {
      method: 'POST',
      body: { serviceId: 'postgres-managed', name: 'browser-actions-db', config: { tier: 'starter', region: 'us-east-1' } },
    });
    expect(created.status).toBe(202);
    deploymentId = String(created.body.deploymentId);
    await expect.poll(() => statusOf(deploymentId), { timeout: 60_000, interval: 500 }).toBe('running');
    await b.go('/deployments');
    const cell = page.locator(`[data-status-of="${deploymentId}"]`);
    expect(await cell.textContent()).toBe('running');
    await markPage();
    expect((await market(`/api/deployments/${deploymentId}/stop`, { method: 'POST' })).status).toBe(202);
    await expect.poll(() => cell.textContent(), { timeout: 30_000 }).toBe('stopped');
    expect(await samePage()).toBe(true);
    expect((await market(`/api/deployments/${deploymentId}/start`, { method: 'POST' })).status).toBe(202);
    await expect.poll(() => cell.textContent(), { timeout: 30_000 }).toBe('running');
    expect(await samePage()).toBe(true);
  });

  it('previews a plan change with its cost, then applies it', async () => {
    await b.go(`/deployments/${deploymentId}`);
    await page.getByLabel('Plan').selectOption('pro');
    await page.getByRole('button', { name: 'Preview cost' }).click();
    const preview = page.locator('p[role="status"].notice');
    await expect
      .poll(() => preview.textContent())
      .toMatch(/Changing to pro: projected cost this cycle \$\d+\.\d\d → \$\d+\.\d\d \(\+\$\d+\.\d\d\)\./);
    expect((await market(`/api/deployments/${deploymentId}`)).body.tier).toBe('starter'); // a preview changes nothing
    await page.getByRole('button', { name: 'Change plan' }).click();
    await page.waitForURL(/notice=action-started/);
    await markPage();
    await expect.poll(async () => (await market(`/api/deployments/${deploymentId}`)).body.tier, { timeout: 30_000 }).toBe('pro');
    await expect.poll(() => statusOf(deploymentId), { timeout: 30_000, interval: 500 }).toBe('running');
    // Once running again, the page offers the actions of a running deployment and names the new tier, without
    // a reload (while the change ran, only "Delete…" was offered).
    const summary = page.locator('[data-refresh="summary"]');
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toContain('tier pro');
    await expect.poll(() => page.getByRole('button', { name: 'Stop' }).count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('[data-refresh="status"]').textContent()).not.toMatch(/change_plan/);
    expect(await samePage()).toBe(true);
  });

  it('backs up, then restores the backup: the status timeline grows without a reload', async () => {
    await b.go(`/deployments/${deploymentId}`);
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(/notice=backup-started/);
    expect(await page.locator('.notice').textContent()).toContain('Backup started.');
    // The backup becomes restorable once taken (in progress: listed, disabled).
    await expect
      .poll(
        async () => {
          await page.goto(`${b.suite.urls.dashboard}/deployments/${deploymentId}`);
          return page.locator('#backup option:not([disabled])').count();
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBeGreaterThan(0);
    const backups = (await market(`/api/deployments/${deploymentId}/backups`)).body.backups as { id: string; kind: string }[];
    const manual = backups.find((x) => x.kind === 'manual');
    expect(manual).toBeDefined();
    await page.locator('#backup').selectOption(manual!.id);
    // Restoring in place replaces the live data: the form asks for the box to be ticked first.
    await page.getByRole('button', { name: 'Restore' }).click();
    expect(page.url()).not.toMatch(/notice=restore-started/);
    await page.getByLabel('Replace the current data').check();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.waitForURL(/notice=restore-started/);
    expect(await page.locator('.notice').textContent()).toContain('Restore started.');
    const entries = page.locator('ol.timeline li');
    const before = await entries.count();
    await markPage();
    // restoring, then running again: both transitions reach the timeline by polling.
    await expect.poll(() => entries.count(), { timeout: 60_000 }).toBeGreaterThan(before);
    await expect.poll(() => page.locator('ol.timeline').textContent(), { timeout: 60_000 }).toMatch(/restoring → running/);
    expect(await samePage()).toBe(true);
    // The metric chart is drawn by uPlot, and new points (a health round every 2 s here) reach it by polling.
    await page.locator('#chart-requests .uplot').waitFor();
    const lastX = () =>
      page.evaluate(() =>
        (window as unknown as { elideCharts: { lastX: (id: string) => number | null } }).elideCharts.lastX('chart-requests'),
      );
    const first = (await lastX()) ?? 0;
    await expect.poll(async () => ((await lastX()) ?? 0) > first, { timeout: 30_000 }).toBe(true);
    expect(b.pageErrors).toEqual([]);
  });

  it('deletes only after the deployment name is typed', async () => {
    await b.go(`/deployments/${deploymentId}`);
    await page.getByRole('link', { name: 'Delete…' }).click();
    await page.waitForURL(/\/delete$/);
    b.visited.add(`/deployments/${deploymentId}/delete`);
    await page.getByLabel(/Type the deployment name/).fill('browser-actions-dbx');
    await page.getByRole('button', { name: 'Delete deployment' }).click();
    await expect.poll(() => page.locator('.error').textContent()).toContain('The name does not match: nothing was deleted.');
    expect(await statusOf(deploymentId)).toBe('running');
    await page.getByLabel(/Type the deployment name/).fill('browser-actions-db');
    await page.getByRole('button', { name: 'Delete deployment' }).click();
    await page.waitForURL(/\/deployments\?notice=deleted$/);
    expect(await page.locator('.notice').textContent()).toContain('Deleted.');
    await expect.poll(() => statusOf(deploymentId), { timeout: 30_000, interval: 500 }).toMatch(/^(deleting|deleted|undefined)$/);
  });
});

describe('admin', () => {
  it('features a standard service: the catalog then lists it first, marked featured', async () => {
    await b.login('admin', 'admin-password-for-tests');
    await b.go('/admin');
    await page.getByLabel('Placement of Cron Jobs', { exact: true }).selectOption('featured');
    await page.getByRole('button', { name: 'Save placement of Cron Jobs' }).click();
    await page.waitForURL(/\/admin\?notice=saved$/);
    expect(await page.getByLabel('Placement of Cron Jobs', { exact: true }).inputValue()).toBe('featured');
    await b.go('/services');
    const cron = page.locator('a.card', { hasText: 'Cron Jobs' });
    expect(await cron.locator('.badge').textContent()).toBe('featured');
    // Within its category it now comes before the premium Serverless Functions and the standard Container Hosting.
    const names = await page.locator('a.card strong').allTextContents();
    expect(names.indexOf('Cron Jobs')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('Cron Jobs')).toBeLessThan(names.indexOf('Serverless Functions'));
    expect(names.indexOf('Serverless Functions')).toBeLessThan(names.indexOf('Container Hosting'));
  });

  it('an imported advisory shows on the vulnerable package, on its dependent with the path, and dependents are listed', async () => {
    await b.go('/admin');
    await page.getByLabel(/OSV records/).fill(JSON.stringify(VULN_ADVISORY));
    await page.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('Imported');
    await b.go('/package/@elide/vuln-leaf');
    const leaf = (await page.locator('main').textContent()) ?? '';
    expect(leaf).toMatch(/high\s*GHSA-dash-0001: Prototype pollution in @elide\/vuln-leaf/);
    expect(leaf).toContain('Dependents (1)');
    await page.getByRole('link', { name: '@elide/vuln-app', exact: true }).click();
    await page.waitForURL(/\/package\/(%40|@)elide\/vuln-app$/);
    b.visited.add('/package/@elide/vuln-app');
    const app = (await page.locator('section[aria-labelledby="sec-h"]').textContent()) ?? '';
    expect(app).toContain('@elide/vuln-leaf@1.0.0');
    expect(app).toContain('path @elide/vuln-app@1.0.0 › @elide/vuln-leaf@1.0.0');
    expect(app).toMatch(/fixed by @elide\/vuln-leaf@1\.1\.0|no fix yet|fix available/);
  });

  it('a PyPI package page shows the vulnerable version of its dependency tree with the path and the fix (seeded)', async () => {
    await b.go('/package/elide-http-client?ecosystem=pypi');
    const sec = (await page.locator('section[aria-labelledby="sec-h"]').textContent()) ?? '';
    expect(sec).toContain('requests@2.30.0 (Unintended leak of Proxy-Authorization header in requests)');
    expect(sec).toContain('path elide-http-client@1.0.0 › requests@2.30.0');
    expect(sec).toContain('fixed by requests@2.31.0');
  });

  it('passes axe on the pages these actions added, without script errors', async () => {
    for (const url of ['/admin', '/package/@elide/vuln-leaf', '/package/@elide/vuln-app', '/services']) {
      await page.goto(`${b.suite.urls.dashboard}${url}`);
      expect({ url, violations: await axeSerious(page) }).toEqual({ url, violations: [] });
    }
    await b.login('demo', 'demo123');
    await page.goto(`${b.suite.urls.dashboard}/account/password`);
    expect(await axeSerious(page)).toEqual([]);
    expect(b.pageErrors).toEqual([]);
  }, 60_000);

  it('has no horizontal scroll at phone width (375 px) on these pages', async () => {
    const phone = await b.context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    for (const url of ['/account/password', '/package/@elide/vuln-app', '/package/@elide/vuln-leaf', '/deployments']) {
      await phone.goto(`${b.suite.urls.dashboard}${url}`);
      expect({ url, width: await phone.evaluate(() => document.documentElement.scrollWidth) }).toEqual({ url, width: 375 });
    }
    await b.login('admin', 'admin-password-for-tests');
    await phone.goto(`${b.suite.urls.dashboard}/admin`);
    expect({ url: '/admin', width: await phone.evaluate(() => document.documentElement.scrollWidth) }).toEqual({
      url: '/admin',
      width: 375,
    });
    await phone.close();
  }, 60_000);
});
