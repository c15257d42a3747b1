// The dashboard under hostile input, in a real browser (Debian's Chromium through playwright-core) against the
// whole seeded suite (issue #12):
// - bad form input: every form answers empty, too long, wrong-type and script-tag values with an inline message
//   and stores nothing (the browser's own checks are switched off first, so the server's answer is tested);
// - XSS: a package description, a README with raw HTML and javascript: links, a deployment name typed into the
//   deploy form and a webhook URL are shown as text, and no dialog ever opens;
// - CSRF: a page on another site that posts the dashboard's forms is refused and changes nothing.
/// <reference lib="dom" />
import http from 'node:http';
import type { Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishFixtures, publishXssDescription, XSS_DESCRIPTION } from '../fixtures/dashboard/packages.ts';
import { type BrowserSuite, startBrowserSuite } from '../helpers/dashboard-browser.ts';

let b: BrowserSuite;
let page: Page;
let demoToken = '';
let adminToken = '';
const dialogs: string[] = [];
let attacker: http.Server;
let attackerPage = '';
const SCRIPT = `<script>alert('xss')</script>`;
const IMG = `<img src=x onerror="alert('xss-img')">`;

async function get(base: string, path: string, token: string) {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}
const api = (path: string, token = demoToken) => get(b.suite.urls.api, path, token);
const market = (path: string) => get(b.suite.urls.marketplace, path, demoToken);

/** Switches off the browser's own form checks, so the value reaches the dashboard as typed. */
async function unlockForms(p: Page) {
  await p.evaluate(() => {
    for (const d of document.querySelectorAll('details')) d.open = true;
    for (const f of document.querySelectorAll('form')) {
      f.noValidate = true;
      f.removeAttribute('data-validate');
    }
    for (const el of document.querySelectorAll('input, textarea')) {
      for (const a of ['maxlength', 'minlength', 'pattern', 'required', 'min', 'max', 'step']) el.removeAttribute(a);
      if (el instanceof HTMLInputElement && ['number', 'email', 'url'].includes(el.type)) el.type = 'text';
    }
  });
}

interface BadCase {
  what: string;
  values: Record<string, string>;
  /** Expected in the inline message. */
  message: RegExp;
}
interface FormTable {
  form: string;
  page: string;
  /** The form's action path. */
  action: string;
  /** Valid values for the other fields. */
  base: Record<string, string>;
  cases: BadCase[];
  /** What the form would store, read from the owning process. */
  stored: () => Promise<unknown>;
  anonymous?: boolean;
}

const long = (n: number, c = 'a') => c.repeat(n);

const TABLES: FormTable[] = [
  {
    form: 'register',
    page: '/register',
    action: '/register',
    anonymous: true,
    base: { username: 'valid-name', email: 'valid@example.test', password: 'long-enough-1' },
    cases: [
      { what: 'empty user name', values: { username: '' }, message: /username/i },
      { what: 'too long user name', values: { username: long(300) }, message: /username/i },
      { what: 'not an email', values: { email: 'not-an-email' }, message: /email/i },
      { what: 'script tag as user name', values: { username: SCRIPT }, message: /username/i },
    ],
    stored: async () => (await api('/api/admin/users?limit=100', adminToken)).total,
  },
  {
    form: 'API token',
    page: '/account/tokens',
    action: '/account/tokens',
    base: { name: 'valid-token' },
    cases: [
      { what: 'empty name', values: { name: '' }, message: /name/i },
      { what: 'too long name', values: { name: long(101) }, message: /name/i },
      { what: 'expiry not a number', values: { expiresInDays: 'ten' }, message: /expiresInDays/ },
      { what: 'script tag as expiry', values: { expiresInDays: SCRIPT }, message: /expiresInDays/ },
    ],
    stored: async () => ((await api('/api/auth/tokens')).tokens as unknown[]).length,
  },
  {
    form: 'organization',
    page: '/account',
    action: '/orgs',
    base: { name: 'valid-org' },
    cases: [
      { what: 'empty name', values: { name: '' }, message: /name/i },
      { what: 'too long name', values: { name: long(215) }, message: /name/i },
      { what: 'wrong characters', values: { name: 'Has Spaces!' }, message: /name/i },
      { what: 'script tag', values: { name: SCRIPT }, message: /name/i },
    ],
    stored: async () => JSON.stringify((await api('/api/auth/me')).orgs),
  },
  {
    form: 'deploy',
    page: '/services/postgres-managed',
    action: '/services/postgres-managed/deploy',
    base: { name: 'valid-deploy' },
    cases: [
      { what: 'empty name', values: { name: '' }, message: /name|letters, digits/i },
      { what: 'too long name', values: { name: long(64) }, message: /letters, digits/i },
      { what: 'storage not a number', values: { 'config.storageGb': 'lots' }, message: /storageGb|number/i },
      { what: 'markup as name', values: { name: IMG }, message: /letters, digits/i },
    ],
    stored: async () => ((await market('/api/deployments?limit=100')).deployments as unknown[]).length,
  },
  {
    form: 'webhook',
    page: '/webhooks',
    action: '/webhooks',
    base: { url: 'http://127.0.0.1:9/hook', events: '*' },
    cases: [
      { what: 'empty URL', values: { url: '' }, message: /url/i },
      { what: 'too long URL', values: { url: `http://127.0.0.1:9/${long(2100)}` }, message: /url/i },
      { what: 'not a URL', values: { url: 'not a url' }, message: /url/i },
      { what: 'javascript: URL', values: { url: `javascript:alert('xss')` }, message: /url|http/i },
    ],
    stored: async () => JSON.stringify(await api('/api/webhooks')),
  },
  {
    form: 'budget',
    page: '/billing',
    action: '/billing/budgets',
    base: { amount: '100', percent: '80' },
    cases: [
      { what: 'empty amount', values: { amount: '' }, message: /amount|budget/i },
      { what: 'too large amount', values: { amount: long(30, '9') }, message: /amount|budget/i },
      { what: 'amount not a number', values: { amount: 'a lot' }, message: /amount|budget/i },
      { what: 'script tag as threshold', values: { percent: SCRIPT }, message: /percent|threshold/i },
    ],
    stored: async () => ((await market('/api/billing/budgets')).budgets as unknown[]).length,
  },
  {
    form: 'review',
    page: '/services/postgres-managed',
    action: '/services/postgres-managed/reviews',
    base: { rating: '5', title: 'valid title', body: 'fine' },
    cases: [
      { what: 'empty title', values: { title: '' }, message: /title/i },
      { what: 'too long title', values: { title: long(200) }, message: /title/i },
      { what: 'rating not a number', values: { rating: 'five' }, message: /rating/i },
      { what: 'script tag as rating', values: { rating: SCRIPT }, message: /rating/i },
    ],
    stored: async () => JSON.stringify(await get(b.suite.urls.marketplace, '/api/services/postgres-managed/reviews?limit=100', demoToken)),
  },
  {
    form: 'password change',
    page: '/account/password',
    action: '/account/password',
    base: { currentPassword: 'demo123', newPassword: 'new-password-1', confirmPassword: 'new-password-1' },
    cases: [
      { what: 'empty current password', values: { currentPassword: '' }, message: /current password/i },
      { what: 'too long new password', values: { newPassword: long(100), confirmPassword: long(100) }, message: /72 bytes/ },
      { what: 'confirmation differs', values: { confirmPassword: 'other-password-1' }, message: /differ/ },
      { what: 'wrong current password', values: { currentPassword: SCRIPT }, message: /not correct/ },
    ],
    // Still the old password: demo can log in with it.
    stored: async () =>
      (
        await fetch(`${b.suite.urls.api}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'demo', password: 'demo123' }),
        })
      ).status,
  },
];

beforeAll(async () => {
  b = await startBrowserSuite();
  page = b.page;
  demoToken = await b.apiToken('demo', 'demo123');
  adminToken = await b.apiToken('admin', 'admin-password-for-tests');
  await publishFixtures(b.suite.urls.registry, demoToken);
  await publishXssDescription(b.suite.urls.registry, demoToken);
  const recordDialog = (d: Dialog) => {
    dialogs.push(d.message());
    return d.dismiss();
  };
  page.on('dialog', recordDialog);
  b.context.on('page', (p) => p.on('dialog', recordDialog));
  // The cross-site attacker: served as http://localhost:<port>, another site than the dashboard's 127.0.0.1.
  attacker = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '/';
    const fields = new URL(req.url ?? '/', 'http://x').searchParams.get('fields') ?? '';
    const inputs = [...new URLSearchParams(fields)].map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<!doctype html><html><body><form id="f" method="post" action="${b.suite.urls.dashboard}${target}">${inputs}<button>go</button></form></body></html>`,
    );
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerPage = `http://localhost:${(attacker.address() as { port: number }).port}/`;
}, 240_000);

afterAll(async () => {
  await b?.close();
  await new Promise((r) => attacker?.close(r));
});

describe('bad form input', () => {
  for (const t of TABLES) {
    it(`${t.form}: empty, too long, wrong type and script values get an inline message and store nothing`, async () => {
      if (t.anonymous) await b.context.clearCookies();
      else if (
        !(
          await page
            .locator('header .who')
            .textContent()
            .catch(() => '')
        )?.includes('Signed in as demo')
      )
        await b.login('demo', 'demo123');
      const before = await t.stored();
      for (const c of t.cases) {
        await b.go(t.page);
        await unlockForms(page);
        const form = page.locator(`form[action="${t.action}"]`);
        for (const [name, value] of Object.entries({ ...t.base, ...c.values })) {
          const field = form.locator(`[name="${name}"]`);
          // A select gets the hostile value as an extra option, as a forged form would send it.
          if ((await field.evaluate((el) => el.tagName)) === 'SELECT')
            await field.evaluate((el, v) => {
              const select = el as HTMLSelectElement;
              if (![...select.options].some((o) => o.value === v)) select.add(new Option(v, v));
              select.value = v;
            }, value);
          else await field.fill(value);
        }
        const [res] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === t.action),
          form.locator('button[type="submit"]').last().click(),
        ]);
        await page.waitForLoadState();
        const status = res.status();
        expect({ form: t.form, case: c.what, status: status >= 400 && status < 500 }).toEqual({ form: t.form, case: c.what, status: true });
        const message = (await page.locator('main .error, main .field-error').allTextContents()).join(' ');
        expect({ form: t.form, case: c.what, message }).toEqual({ form: t.form, case: c.what, message: expect.stringMatching(c.message) });
        // Whatever was typed came back as text: no element was made of it.
        expect(await page.locator('main script, main img, main iframe').count()).toBe(0);
      }
      expect(await t.stored()).toEqual(before);
      expect(dialogs).toEqual([]);
    }, 120_000);
  }
});

describe('XSS', () => {
  it('a hostile package description and README render as text and never run', async () => {
    await b.login('demo', 'demo123');
    await b.go('/packages?keywords=xss-description');
    const result = page.locator('.result', { hasText: '@elide/xss-description' });
    expect(await result.locator('p').first().textContent()).toBe(XSS_DESCRIPTION);
    expect(await result.locator('img, script').count()).toBe(0);
    await b.go('/package/@elide/xss-description');
    expect(await page.locator('main > p').first().textContent()).toBe(XSS_DESCRIPTION);
    expect(await page.locator('main img, main script, main iframe').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    expect(await page.locator('article.readme').textContent()).toContain('<iframe src="javascript:alert(1)"></iframe>');
    await b.go('/package/@elide/xss-readme');
    expect(await page.locator('article.readme script, article.readme img, article.readme iframe').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:" i], a[href^="data:" i]').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it('a deployment name typed as markup comes back in the form as text', async () => {
    await b.go('/services/postgres-managed');
    await unlockForms(page);
    await page.getByLabel('Deployment name').fill(`"><svg onload="alert('name')">`);
    await page.getByRole('button', { name: 'Deploy PostgreSQL Managed' }).click();
    await page.waitForLoadState();
    expect(await page.getByLabel('Deployment name').inputValue()).toBe(`"><svg onload="alert('name')">`);
    expect(await page.locator('main svg[onload]').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('a webhook URL with markup in it is listed as text', async () => {
    const url = `http://127.0.0.1:9/hook?q="><img src=x onerror="alert('url')">`;
    await b.go('/webhooks');
    await unlockForms(page);
    await page.getByLabel('Receiver URL').fill(url);
    await page.getByLabel(/^Events/).fill('*');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/webhooks'),
      page.getByRole('button', { name: 'Create webhook' }).click(),
    ]);
    await page.waitForLoadState();
    expect(await page.locator('main img').count()).toBe(0);
    if (res.status() === 201) {
      // Accepted: listed as text, as given or percent-encoded.
      await b.go('/webhooks');
      const listed = (await page.locator('main').textContent()) ?? '';
      expect(listed.includes(url) || listed.includes(new URL(url).href)).toBe(true);
    } else {
      // Refused: the reason inline, and the form gives the URL back as text.
      expect(await page.locator('main .error').textContent()).toBeTruthy();
      expect(await page.getByLabel('Receiver URL').inputValue()).toBe(url);
    }
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });
});

describe('CSRF', () => {
  it('a form posted from another site is refused and changes nothing', async () => {
    await b.login('demo', 'demo123');
    const tokens = ((await api('/api/auth/tokens')).tokens as unknown[]).length;
    const hooks = JSON.stringify(await api('/api/webhooks'));
    const attempts: [string, Record<string, string>][] = [
      ['/account/tokens', { name: 'csrf-token' }],
      ['/webhooks', { url: 'http://127.0.0.1:9/csrf', events: '*' }],
      ['/account/password', { currentPassword: 'demo123', newPassword: 'stolen-pass-1', confirmPassword: 'stolen-pass-1' }],
      // A guessed token does not help either.
      ['/account/tokens', { name: 'csrf-guess', _csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      // Login CSRF: signing the victim into the attacker's account.
      ['/login', { username: 'admin', password: 'admin-password-for-tests' }],
    ];
    const evil = await b.context.newPage();
    for (const [target, fields] of attempts) {
      await evil.goto(
        `${attackerPage}?target=${encodeURIComponent(target)}&fields=${encodeURIComponent(new URLSearchParams(fields).toString())}`,
      );
      const [res] = await Promise.all([
        evil.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === target),
        evil.locator('#f button').click(),
      ]);
      expect({ target, status: res.status() }).toEqual({ target, status: 403 });
      expect(await evil.locator('main').textContent()).toContain('came from another site');
    }
    await evil.close();
    expect(((await api('/api/auth/tokens')).tokens as unknown[]).length).toBe(tokens);
    expect(JSON.stringify(await api('/api/webhooks'))).toBe(hooks);
    // Still demo, still with the old password; the session cookie never left SameSite=Lax.
    await b.go('/account');
    expect(await page.locator('header .who').textContent()).toContain('Signed in as demo');
    expect((await b.context.cookies()).find((c) => c.name === 'elide_session')?.sameSite).toBe('Lax');
    expect(dialogs).toEqual([]);
  });
});
