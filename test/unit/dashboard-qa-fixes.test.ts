// Dashboard defects found in QA, over a fake main API and marketplace on a loopback port: the deploy form's name rule
// is the API's, metered ML tiers are not "$0.00/month", the catalog's sort, empty states without empty tables, the
// webhook form on a plan without webhooks, a sign-up while signed in, and Secure cookies behind a TLS proxy.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { renderBilling } from '../../dashboard/pages/billing.ts';
import { type DeploymentView, renderDeployment, renderDeployments } from '../../dashboard/pages/deployments.ts';
import { DEPLOYMENT_NAME_PATTERN, renderCatalog, renderService, type ServiceDetail } from '../../dashboard/pages/services.ts';
import { dashboardOver, FAKE_ME, fakeDeploymentView } from '../helpers/dashboard.ts';

const FREE_ME = {
  ...FAKE_ME,
  username: 'freebie',
  plan: { id: 'free', name: 'Free', priceCents: 0, limits: { activeDeployments: 1, webhooks: false, privatePackages: false } },
};
const ME_BY_TOKEN: Record<string, unknown> = { 'Bearer elk_session': FAKE_ME, 'Bearer elk_free': FREE_ME, 'Bearer elk_new': FAKE_ME };
const ctx = { csrf: 'c', user: { userId: 'user-1', username: 'demo', role: 'publisher' } };

const ML_SERVICE: ServiceDetail = {
  name: 'Text Embeddings',
  slug: 'text-embeddings',
  category: 'ml',
  description: 'Embeddings',
  averageRating: 0,
  ratingCount: 0,
  featured: false,
  premium: false,
  startingPrice: 0,
  hasFreeTier: false,
  publisher: 'Elide',
  pricing: {
    model: 'usage',
    tiers: [
      {
        id: 'payg',
        name: 'Pay as you go',
        price: 0,
        model: 'metered',
        features: [],
        instances: { min: 1, max: 1 },
        regions: ['us-east-1'],
        usage: { unit: 'request', included: 0, pricePer: 1000, price: 0.015 },
      },
      {
        id: 'pro',
        name: 'Pro',
        price: 49,
        model: 'flat',
        features: [],
        instances: { min: 1, max: 2 },
        regions: ['us-east-1'],
        usage: { unit: 'request', included: 1_000_000, pricePer: 1000, price: 0.01 },
      },
    ],
  },
  specifications: { versions: [], regions: ['us-east-1'], sla: { uptime: 99.9, responseTime: 100, support: 'email' } },
  configSchema: {},
};

let fake: FastifyInstance;
let app: Awaited<ReturnType<typeof buildApp>>;
let httpsApp: Awaited<ReturnType<typeof buildApp>>;
const revoked = new Set<string>();
const calls: { method: string; url: string; auth?: string }[] = [];

beforeAll(async () => {
  fake = Fastify();
  fake.addHook('onRequest', async (req) => {
    calls.push({ method: req.method, url: req.url, auth: req.headers.authorization });
  });
  const meOf = (auth?: string) => (auth && !revoked.has(auth) ? ME_BY_TOKEN[auth] : undefined);
  fake.get(
    '/api/auth/me',
    async (req, reply) => meOf(req.headers.authorization) ?? reply.status(401).send({ error: 'no', code: 'UNAUTHORIZED' }),
  );
  fake.post('/api/auth/login', async () => ({ token: 'elk_session', expiresAt: '2099-01-01T00:00:00.000Z' }));
  fake.post('/api/auth/register', async (_req, reply) =>
    reply.status(201).send({ token: 'elk_new', expiresAt: '2099-01-01T00:00:00.000Z' }),
  );
  fake.post('/api/auth/logout', async (req) => {
    if (req.headers.authorization) revoked.add(req.headers.authorization);
    return { success: true };
  });
  fake.get('/api/webhooks', async () => ({ webhooks: [], total: 0, limit: 100, offset: 0 }));
  // What the main API answers a Free user (lib/identity.ts planLimitError).
  fake.post('/api/webhooks', async (_req, reply) =>
    reply.status(403).send({
      error: 'your Free plan does not include webhooks: upgrade to Team to use them',
      code: 'PLAN_LIMIT_EXCEEDED',
    }),
  );
  fake.get('/api/services', async () => ({ services: [], total: 0, limit: 100, offset: 0 }));
  await fake.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`;
  app = await dashboardOver(base);
  httpsApp = await dashboardOver(base, { env: { ELIDE_DASHBOARD_URL: 'https://dash.example.test' } });
});

afterAll(async () => {
  await app?.close();
  await httpsApp?.close();
  await fake?.close();
});

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
const setCookies = (res: { headers: Record<string, unknown> }) => [res.headers['set-cookie'] ?? []].flat().map(String);
const get = (a: typeof app, url: string, token?: string) =>
  a.inject({ method: 'GET', url, headers: token ? { cookie: `elide_session=${token}` } : {} });
const post = (a: typeof app, url: string, form: Record<string, string>, cookie: string) =>
  a.inject({
    method: 'POST',
    url,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });

describe('deploy form name rule', () => {
  // The marketplace's rule (marketplace/routes/deployments.ts NAME) with the browser's anchoring and maxlength 63.
  const browserAccepts = (name: string) => name.length <= 63 && new RegExp(`^(?:${DEPLOYMENT_NAME_PATTERN})$`, 'v').test(name);

  it.each([
    ['My_DB.prod-2', true],
    ['API.v1', true],
    ['a', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['-lead', false],
    ['.hidden', false],
    ['_under', false],
    ['has space', false],
    ['slash/name', false],
  ])('%s → %s, as the API decides', (name, ok) => {
    expect(browserAccepts(name)).toBe(ok);
  });

  it('the form carries that pattern and says it', () => {
    const page = renderService(ctx, ML_SERVICE, [], { values: {}, errors: {} });
    expect(page).toContain('pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"');
    expect(page).toContain('maxlength="63"');
    expect(page).toContain('letters, digits, dots, dashes or underscores');
    expect(page).not.toContain('Lower-case letters');
  });
});

describe('catalog prices and sort', () => {
  it('a metered $0 tier is "pay as you go" with its unit price, never $0.00/month', () => {
    const catalog = renderCatalog(ctx, { q: '', category: '', region: '', maxPrice: '', minRating: '', sort: '' }, [ML_SERVICE]);
    expect(catalog).toContain('pay as you go ·');
    expect(catalog).not.toContain('$0.00');
    const free = renderCatalog(ctx, { q: '', category: '', region: '', maxPrice: '', minRating: '', sort: '' }, [
      { ...ML_SERVICE, hasFreeTier: true },
    ]);
    expect(free).toContain('free tier ·');
    const page = renderService(ctx, ML_SERVICE, [], { values: {}, errors: {} });
    expect(page).toContain('<td>pay as you go, $0.015 per 1,000 requests</td>');
    expect(page).toContain('<td>$49.00/month + $0.01 per 1,000 requests</td>');
    expect(page).toContain('>Pay as you go (pay as you go, $0.015 per 1,000 requests)</option>');
    expect(page).not.toContain('$0.00');
  });

  it('the plan change of an ML deployment names the metered price too', () => {
    const d: DeploymentView = {
      id: 'dep-ml',
      name: 'emb',
      status: 'running',
      endpoint: null,
      serviceSlug: ML_SERVICE.slug,
      serviceName: ML_SERVICE.name,
      tier: 'pro',
      region: 'us-east-1',
      instances: 1,
      statusReason: null,
      allowedActions: ['change_plan'],
      metrics: { requests: 0, errors: 0, avgResponseTime: 0, uptime: 100 },
      billing: { currentCost: 0, projectedCost: 0 },
      currentOperation: null,
      createdAt: '2026-01-01T00:00:00Z',
    };
    const page = renderDeployment(ctx, d, { events: [], series: [], logs: [], backups: [], tiers: ML_SERVICE.pricing.tiers });
    expect(page).toContain('>Pay as you go (pay as you go, $0.015 per 1,000 requests)</option>');
    expect(page).not.toContain('$0.00/month');
  });

  it('offers the catalog sorts and forwards a known one to the marketplace, an unknown one not at all', async () => {
    const page = await get(app, '/services?sort=price');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<select id="sort" name="sort">');
    expect(page.body).toContain('<option value="price" selected>cheapest first</option>');
    for (const s of ['featured', 'name', 'rating', 'popular']) expect(page.body).toContain(`<option value="${s}"`);
    expect(calls.some((c) => c.url.startsWith('/api/services?') && new URL(c.url, 'http://x').searchParams.get('sort') === 'price')).toBe(
      true,
    );
    calls.length = 0;
    await get(app, '/services?sort=<script>');
    const asked = calls.find((c) => c.url.startsWith('/api/services?'));
    expect(asked && new URL(asked.url, 'http://x').searchParams.has('sort')).toBe(false);
  });
});

describe('empty states', () => {
  it('/deployments with none: the message only, no table; with some: the cost cell is marked for live updates', () => {
    const empty = renderDeployments(ctx, []);
    expect(empty).toContain('No deployments yet.');
    expect(empty).not.toContain('<table');
    const one = renderDeployments(ctx, [fakeDeploymentView(1.5)]);
    expect(one).toContain('<td data-cost-of="dep-1">$1.50</td>');
  });

  it('/billing with no deployment this cycle: a sentence, no empty table', () => {
    const page = renderBilling(
      ctx,
      {
        cycle: { id: '2026-11', start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' },
        currentCost: 0,
        projectedCost: 0,
        low: 0,
        high: 0,
        deployments: [],
        deploymentsTotal: 0,
      },
      [],
      [],
    );
    expect(page).toContain('No deployments this cycle.');
    expect(page).not.toContain('aria-label="Cost per deployment"');
  });
});

describe('webhooks on a plan without them', () => {
  it('shows the plan limit in the account page’s words instead of the form', async () => {
    const page = await get(app, '/webhooks', 'elk_free');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('action="/webhooks"');
    expect(page.body).toContain('Your Free plan does not include webhooks.');
    expect(page.body).toContain('Plans are set by this registry&#39;s administrators');
    const team = await get(app, '/webhooks', 'elk_session');
    expect(team.body).toContain('action="/webhooks"');
  });

  it('a refusal posted from an old tab says the same, not "upgrade to Team"', async () => {
    // The CSRF value is per session, not per form: the webhooks page has none for this user, the password page has.
    const freePage = await get(app, '/account/password', 'elk_free');
    const res = await post(
      app,
      '/webhooks',
      { _csrf: csrfOf(freePage.body), url: 'https://x.test/h', events: '*' },
      'elide_session=elk_free',
    );
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Your Free plan does not include webhooks.');
    expect(res.body).not.toContain('upgrade to Team');
  });
});

describe('registering while signed in', () => {
  it('revokes the old session at the API before the new cookie replaces it', async () => {
    revoked.clear();
    calls.length = 0;
    const page = await get(app, '/register', 'elk_session');
    expect(page.body).toContain('You are signed in as demo');
    const res = await post(
      app,
      '/register',
      { _csrf: csrfOf(page.body), username: 'second', email: 's@x.test', password: 'long-enough-1' },
      'elide_session=elk_session',
    );
    expect(res.statusCode).toBe(303);
    expect(setCookies(res).some((c) => c.startsWith('elide_session=elk_new;'))).toBe(true);
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/auth/logout' && c.auth === 'Bearer elk_session')).toBe(true);
    // The old cookie no longer signs anyone in (the dashboard's 5 s cache was dropped too).
    const old = await get(app, '/account', 'elk_session');
    expect(old.statusCode).toBe(303);
    revoked.clear();
  });
});

describe('Secure cookies behind a TLS-terminating proxy', () => {
  it('sets Secure on the session and pre-session cookies when ELIDE_DASHBOARD_URL is https, though the request is http', async () => {
    const page = await get(httpsApp, '/login');
    expect(setCookies(page).find((c) => c.startsWith('elide_presession='))).toMatch(/; Secure/);
    const pre = setCookies(page)[0].split(';')[0];
    const res = await post(httpsApp, '/login', { _csrf: csrfOf(page.body), username: 'demo', password: 'demo123' }, pre);
    expect(res.statusCode).toBe(303);
    expect(setCookies(res).find((c) => c.startsWith('elide_session='))).toMatch(/; Secure/);
  });

  it('leaves it off for a plain-http public URL (local development)', async () => {
    const page = await get(app, '/login');
    expect(setCookies(page).find((c) => c.startsWith('elide_presession='))).not.toMatch(/Secure/);
  });
});
