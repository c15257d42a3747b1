// The whole seeded suite plus Debian's Chromium (/usr/bin/chromium through playwright-core), shared by the
// dashboard browser tests: one suite per test file, a fresh browser profile, page errors collected.
/// <reference lib="dom" />
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT, type Suite, startSuite } from './suite.ts';

const execFileAsync = promisify(execFile);
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface BrowserSuite {
  suite: Suite;
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP refusals seen on any page (they would mean a page half works). */
  pageErrors: string[];
  /** Paths the test opened through go(). */
  visited: Set<string>;
  /** Open a dashboard path in the main page; a 4xx/5xx answer fails the test. */
  go(url: string): Promise<void>;
  /** Log in through the form (logging out first if someone is signed in). */
  login(username: string, password: string): Promise<void>;
  /** An API session token straight from the main API, for setting up fixtures. */
  apiToken(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBrowserSuite(env: Record<string, string> = {}): Promise<BrowserSuite> {
  // One process after the other: on a busy machine five cold starts at once can exceed the helper's deadline.
  const suite = await startSuite({ only: ['api'], env: { SIM_TIME_SCALE: '0.2', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', ...env } });
  for (const name of ['registry', 'marketplace', 'orchestrator', 'dashboard'] as const) await suite.start(name);
  // `npm run seed` as a user runs it (the script has a shebang line, so it is run, not imported by vitest).
  // Asynchronously: a synchronous child blocks this event loop, and the keep-alive sockets of earlier
  // requests then outlive the server's keep-alive timeout unnoticed ("other side closed" on the next fetch).
  await execFileAsync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/seed-data.ts')], { cwd: ROOT, env: suite.env });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-chromium-'));
  // A fresh profile per run (playwright takes it as the persistent context's folder, not as an argument).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: CHROMIUM_ARGS,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon|status of (400|401|403|404|409|422|429)/.test(m.text() + m.location().url))
      pageErrors.push(m.text());
  });
  const visited = new Set<string>();

  const go = async (url: string) => {
    const res = await page.goto(`${suite.urls.dashboard}${url}`);
    expect(res?.status(), url).toBeLessThan(400);
    visited.add(new URL(page.url()).pathname + new URL(page.url()).search);
  };

  return {
    suite,
    context,
    page,
    pageErrors,
    visited,
    go,
    async login(username, password) {
      await context.clearCookies();
      await go('/login');
      await page.getByLabel('User name').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.locator('header .who').textContent()).toContain(`Signed in as ${username}`);
    },
    async apiToken(username, password) {
      const res = await fetch(`${suite.urls.api}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      expect(res.status, `login of ${username}`).toBe(200);
      return ((await res.json()) as { token: string }).token;
    },
    async close() {
      await context.close();
      await suite.stopAll();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** axe-core evaluated through the devtools protocol (not a <script>: the page's CSP would rightly refuse it). */
export async function axeSerious(p: Page) {
  await p.evaluate(AXE);
  const violations = await p.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
