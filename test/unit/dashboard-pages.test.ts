// Dashboard pages over fake peers: the deploy form built from a service's config schema with inline errors,
// deployment actions, and admin pages refused to non-admins before the internal token is ever used.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { csrfFor, SESSION_COOKIE } from '../../dashboard/session.ts';
import { testSecrets } from '../helpers/config.ts';
import { dashboardOver } from '../helpers/dashboard.ts';

const users: Record<string, { role: string }> = { elk_user: { role: 'user' }, elk_admin: { role: 'admin' } };
const calls: { method: string; url: string; body?: unknown; internal?: boolean }[] = [];
/** The registry's review queue the fake answers. */
let flagged: { ecosystem?: string; name: string; version: string; verdict: string; findings: unknown[]; scannedAt: string }[] = [];
const SERVICE = {
  id: 'svc-pg',
  name: 'PostgreSQL <Managed>',
  slug: 'pg',
  category: 'database',
  description: 'db',
  publisher: 'Elide',
  averageRating: 4.5,
  ratingCount: 2,
  featured: true,
  premium: true,
  startingPrice: 0,
  pricing: {
    model: 'subscription',
    tiers: [
      {
        id: 'free',
        name: 'Free',
        price: 0,
        model: 'free',
        features: ['1 GB'],
        instances: { min: 1, max: 1 },
        regions: ['us-east-1'],
        usage: null,
      },
      {
        id: 'pro',
        name: 'Pro',
        price: 50,
        model: 'flat',
        features: ['HA'],
        instances: { min: 1, max: 4 },
        regions: ['us-east-1'],
        usage: null,
      },
    ],
  },
  specifications: { versions: ['16'], regions: ['us-east-1'], sla: { uptime: 99.9, responseTime: 100, support: '24/7' } },
  configSchema: {
    type: 'object',
    properties: {
      version: { type: 'string', enum: ['15', '16'] },
      storageGb: { type: 'integer', minimum: 1, maximum: 2000 },
      highAvailability: { type: 'boolean' },
    },
  },
};

let fake: FastifyInstance;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  fake = Fastify();
  fake.addHook('onRequest', async (req) => {
    calls.push({ method: req.method, url: req.url, internal: typeof req.headers['x-internal-token'] === 'string' });
  });
  fake.addHook('preHandler', async (req) => {
    calls[calls.length - 1].body = req.body;
  });
  const who = (auth?: string) => users[(auth ?? '').replace('Bearer ', '')];
  fake.get('/health', async () => ({ status: 'ok', version: '0.1.0', uptime: 1 }));
  fake.get('/api/auth/me', async (req, reply) => {
    const u = who(req.headers.authorization);
    if (!u) return reply.status(401).send({ error: 'no', code: 'UNAUTHORIZED' });
    return {
      userId: `id-${u.role}`,
      username: u.role,
      email: 'x@x.test',
      role: u.role,
      plan: { id: 'team', name: 'Team', priceCents: 0, limits: {} },
      usage: {},
      orgs: [],
    };
  });
  fake.get('/api/services/pg', async () => SERVICE);
  fake.get('/api/services/pg/reviews', async () => ({
    reviews: [{ username: 'eve', rating: 5, title: '<i>great</i>', body: 'ok', verified: true, createdAt: '' }],
  }));
  fake.post('/api/deployments', async (req, reply) => {
    const b = req.body as { name: string; config: { storageGb?: number } };
    if (b.name === 'taken') return reply.status(409).send({ error: 'taken', code: 'DEPLOYMENT_NAME_TAKEN' });
    if ((b.config.storageGb ?? 1) > 2000)
      return reply.status(400).send({
        error: 'invalid config',
        code: 'CONFIG_INVALID',
        details: [{ field: 'config.storageGb', message: 'Too big: expected <=2000' }],
      });
    return reply.status(202).send({ deploymentId: 'deploy-1', status: 'provisioning' });
  });
  fake.post('/api/services/pg/reviews', async (req, reply) =>
    (req.body as { title: string }).title.trim() === ''
      ? reply.status(400).send({ error: 'invalid body: title: Too small', code: 'VALIDATION_FAILED' })
      : reply.status(201).send(req.body),
  );
  fake.get('/api/deployments/deploy-1', async () => ({
    id: 'deploy-1',
    name: 'db',
    status: 'running',
    endpoint: 'db.test:5432',
    serviceSlug: 'pg',
    serviceName: 'PostgreSQL',
    tier: 'free',
    region: 'us-east-1',
    instances: 1,
    statusReason: null,
    allowedActions: ['stop', 'restart', 'scale', 'change_plan', 'backup', 'restore', 'delete'],
    metrics: { requests: 5, errors: 0, avgResponseTime: 20, uptime: 100 },
    billing: { currentCost: 0, projectedCost: 0 },
    currentOperation: null,
    createdAt: '2026-11-01T00:00:00Z',
  }));
  fake.post('/api/deployments/deploy-1/plan', async (req) => ({
    fromPlan: 'free',
    toPlan: (req.body as { tier: string }).tier,
    currentCycle: { before: 0, after: 5000, deltaMinor: 5000 },
  }));
  fake.get('/api/deployments/deploy-1/logs', async () => ({
    lines: [{ at: '2026-11-01T00:00:00Z', level: 'info', message: '<b>up</b>' }],
  }));
  fake.post('/api/deployments/:id/stop', async (_req, reply) => reply.status(202).send({ success: true }));
  fake.get('/api/deployments/deploy-1/backups', async () => ({
    backups: [{ id: 'bkp-1', kind: 'manual', status: 'completed', createdAt: '2026-11-01T00:02:00Z' }],
  }));
  fake.post('/api/deployments/deploy-1/credentials/rotate', async () => ({ success: true }));
  fake.post('/api/deployments/deploy-1/restore', async (_req, reply) => reply.status(202).send({ status: 'restoring' }));
  fake.get('/api/deployments/deploy-1/events', async () => ({
    events: [{ from: 'provisioning', to: 'running', at: '2026-11-01T00:00:30Z', reason: '<i>ready</i>' }],
  }));
  fake.get('/api/deployments/deploy-1/metrics', async () => ({
    series: [{ at: '2026-11-01T00:01:00Z', requests: 7, errors: 1, avgResponseTime: 20, p95ResponseTime: 40 }],
  }));
  fake.post('/api/auth/password', async (req, reply) => {
    const b = req.body as { currentPassword: string; newPassword: string };
    if (b.currentPassword !== 'old-password') return reply.status(403).send({ error: 'wrong', code: 'WRONG_PASSWORD' });
    if (b.newPassword.length < 8)
      return reply.status(400).send({
        error: 'invalid body',
        code: 'VALIDATION_FAILED',
        details: [{ field: 'newPassword', message: 'must be at least 8 characters' }],
      });
    return { success: true, revokedTokens: 2 };
  });
  fake.get('/api/services', async () => ({
    services: [{ slug: 'pg', name: 'PostgreSQL <Managed>', category: 'database', listing: 'standard' }],
    total: 1,
  }));
  fake.put('/api/admin/services/:slug/listing', async (req, reply) => {
    const { listing } = req.body as { listing: string };
    if (!['featured', 'premium', 'standard'].includes(listing))
      return reply.status(400).send({ error: 'invalid body: listing: Invalid option', code: 'VALIDATION_FAILED' });
    return { slug: 'pg', listing };
  });
  fake.get('/api/packages/search', async () => ({
    results: [
      {
        name: 'left-pad',
        version: '1.3.0',
        description: 'pads <left>',
        keywords: [],
        ecosystem: 'npm',
        score: 0.5,
        downloads: 9,
        updatedAt: '2026-11-01T00:00:00.000Z',
      },
    ],
    total: 41,
    limit: 20,
    offset: 40,
  }));
  fake.get('/api/admin/users', async () => ({ users: [], total: 0 }));
  // The lines are paged: the home page's count must come from deploymentsTotal, not from the lines.
  fake.get('/api/billing', async () => ({
    cycle: { id: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
    low: 30,
    high: 50,
    currentCost: 12.5,
    projectedCost: 40,
    deploymentsTotal: 250,
    limit: 1,
    offset: 0,
    deployments: [{ deploymentId: 'deploy-1', name: 'db', currentCost: 0.05, projectedCost: 0.16 }],
  }));
  fake.post('/api/billing/budgets', async (req, reply) => {
    const b = req.body as { amount: number | null };
    if (!(Number(b.amount) > 0))
      return reply.status(400).send({ error: 'a budget must be a positive amount of at most $1000000 a month', code: 'VALIDATION_FAILED' });
    return reply.status(201).send({ id: 'bud-1', ...b });
  });
  fake.get('/internal/security/reviews', async () => ({ flagged }));
  fake.post('/internal/security/reviews', async (req) => ({ ...(req.body as object), reviewState: 'quarantined' }));
  fake.get('/api/admin/revenue', async () => ({
    feePercent: 10,
    currentCycle: { cycle: '2026-11', grossCents: 1000, feeCents: 100 },
    ledger: [],
  }));
  // The audit log: hostile strings in every field a user can influence, 120 entries in all so that it pages.
  fake.get('/api/audit', async (req, reply) => {
    const q = req.query as { action?: string; limit: string; offset: string };
    if (q.action === 'Bad Action')
      return reply.status(400).send({ error: 'invalid querystring: action: must be a dotted lowercase name', code: 'VALIDATION_FAILED' });
    if (q.action === 'package.publish') return { entries: [], total: 0, limit: Number(q.limit), offset: Number(q.offset) };
    return {
      entries: [
        {
          id: 7,
          actorId: 'id-user',
          actorUsername: 'user',
          action: 'token.create<script>',
          target: '<img src=x onerror=alert(1)>',
          ip: '203.0.113.9',
          userAgent: `Mozilla/5.0 <script>alert("ua")</script> ${'x'.repeat(80)}`,
          details: {
            name: '<b>ci</b>',
            readonly: false,
            plan: { from: 'free', to: 'team' },
            versions: [{ version: '1.0.0', deep: { a: 1 } }],
          },
          createdAt: '2026-11-27T17:05:09.123Z',
        },
        {
          id: 6,
          actorId: 'id-user',
          actorUsername: 'user',
          action: 'auth.login',
          target: null,
          ip: null,
          userAgent: null,
          details: null,
          createdAt: '2026-11-27T17:00:00.000Z',
        },
      ],
      total: 120,
      limit: Number(q.limit),
      offset: Number(q.offset),
    };
  });
  // The org @acme: user is a member, admin an owner, and the only one (so they cannot leave).
  const orgRole = (auth?: string) => (who(auth)?.role === 'admin' ? 'owner' : 'member');
  fake.get('/api/orgs/acme', async (req) => ({ name: 'acme', plan: 'team', role: orgRole(req.headers.authorization), memberCount: 3 }));
  fake.get('/api/orgs/acme/members', async () => ({
    members: [
      { username: 'admin', role: 'owner', joinedAt: '2026-11-01T00:00:00Z' },
      { username: 'user', role: 'member', joinedAt: '2026-11-02T00:00:00Z' },
      { username: 'eve<b>', role: 'admin', joinedAt: '2026-11-03T00:00:00Z' },
    ],
  }));
  fake.delete('/api/orgs/acme/members/:username', async (req, reply) =>
    (req.params as { username: string }).username === 'ghost'
      ? reply.status(404).send({ error: '"ghost" is not a member of @acme', code: 'MEMBER_NOT_FOUND' })
      : { success: true },
  );
  fake.post('/api/orgs/acme/leave', async (req, reply) =>
    orgRole(req.headers.authorization) === 'owner'
      ? reply.status(409).send({ error: '@acme must keep at least one owner: make someone else owner first', code: 'LAST_OWNER' })
      : { success: true },
  );
  await fake.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`;
  app = await dashboardOver(base, { internalToken: 'internal-x' });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const as = (token: string) => ({ cookie: `${SESSION_COOKIE}=${token}` });
const post = (token: string, url: string, form: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url,
    headers: { ...as(token), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfFor(testSecrets.jwtSecret, token), ...form }).toString(),
  });

describe('home page', () => {
  it('counts all my deployments from the billing summary, asking for one line only', async () => {
    const res = await app.inject({ url: '/', headers: as('elk_user') });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<strong class="block">250 · $12.50</strong>');
    // The count is of the cycle's cost lines, deleted deployments included: the label says so.
    expect(res.body).toContain('Deployments billed this cycle · cost');
    expect(calls.filter((c) => c.url.startsWith('/api/billing')).at(-1)?.url).toBe('/api/billing?limit=1');
  });
});

describe('billing page', () => {
  it('pages the cost lines 100 at a time: the page number reaches the marketplace and the pager says where we are', async () => {
    const res = await app.inject({ url: '/billing?page=3', headers: as('elk_user') });
    expect(res.statusCode).toBe(200);
    expect(calls.filter((c) => c.url.startsWith('/api/billing?')).at(-1)?.url).toBe('/api/billing?limit=100&offset=200');
    expect(res.body).toContain('of 250</span>');
    expect(res.body).toContain('rel="next"');
    // A page number that is not one starts at the first page.
    await app.inject({ url: '/billing?page=-4', headers: as('elk_user') });
    expect(calls.filter((c) => c.url.startsWith('/api/billing?')).at(-1)?.url).toBe('/api/billing?limit=100&offset=0');
  });

  it('a refused budget keeps what was typed in the form, with the reason', async () => {
    const res = await post('elk_user', '/billing/budgets', { amount: '-5', percent: '90', onExceed: 'suspend' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('a budget must be a positive amount');
    expect(res.body).toContain('name="amount" type="number" min="1" step="0.01" required value="-5"');
    expect(res.body).toContain('name="percent" type="number" min="1" max="1000" value="90"');
    expect(res.body).toContain('<option value="suspend" selected>');
    // A fresh page starts from the defaults.
    const fresh = await app.inject({ url: '/billing', headers: as('elk_user') });
    expect(fresh.body).toContain('required value=""');
    expect(fresh.body).toContain('max="1000" value="80"');
    expect(fresh.body).not.toContain('<option value="suspend" selected>');
  });
});

describe('package search', () => {
  it('lets the API sort and page over every match: the chosen order and the page reach the API', async () => {
    const res = await app.inject({ url: '/packages?q=pad&sort=downloads&page=3', headers: as('elk_user') });
    expect(res.statusCode).toBe(200);
    const call = calls.filter((c) => c.url.startsWith('/api/packages/search')).at(-1);
    const params = new URL(call?.url ?? '', 'http://x').searchParams;
    expect(Object.fromEntries(params)).toMatchObject({ q: 'pad', sort: 'downloads', limit: '20', offset: '40' });
    expect(res.body).toContain('41 packages found.');
    expect(res.body).toContain('pads &lt;left&gt;');
  });
});

describe('service page and deploy form', () => {
  it('compares tiers and builds fields from the config schema, escaping catalog text', async () => {
    const res = await app.inject({ url: '/services/pg', headers: as('elk_user') });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>PostgreSQL &lt;Managed&gt;</h1>');
    expect(res.body).toContain('<th scope="col">Free</th><th scope="col">Pro</th>');
    expect(res.body).toMatch(
      /<select id="cfg-version" name="config.version"><option value="">default<\/option><option value="15">15<\/option>/,
    );
    expect(res.body).toContain('name="config.storageGb" type="number" step="1" min="1" max="2000"');
    expect(res.body).toContain('<input type="checkbox" id="cfg-highAvailability" name="config.highAvailability" value="true">');
    expect(res.body).toContain('&lt;i&gt;great&lt;/i&gt;');
    expect(res.body).toContain('verified user');
    // Browsers compile pattern with the v flag, where a bare "-" at the end of a class is a syntax error.
    const pattern = /pattern="([^"]+)"/.exec(res.body)?.[1] ?? '';
    // The marketplace's deployment name rule (marketplace/routes/deployments.ts NAME): upper case, "." and "_" too.
    expect(pattern).toBe('[A-Za-z0-9][A-Za-z0-9._\\-]*');
    expect(() => new RegExp(`^(?:${pattern})$`, 'v')).not.toThrow();
  });

  it('sends typed config and redirects to the new deployment', async () => {
    const res = await post('elk_user', '/services/pg/deploy', {
      name: 'db',
      tier: 'pro',
      region: 'us-east-1',
      'config.storageGb': '20',
      'config.highAvailability': 'true',
      'config.version': '',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/deployments/deploy-1?notice=deployed');
    const sent = calls.filter((c) => c.url === '/api/deployments').at(-1);
    expect(sent?.body).toEqual({
      serviceId: 'pg',
      name: 'db',
      config: { tier: 'pro', region: 'us-east-1', storageGb: 20, highAvailability: true },
    });
  });

  it('shows the API refusals inline next to their fields, keeping what was typed', async () => {
    const bad = await post('elk_user', '/services/pg/deploy', {
      name: 'db',
      tier: 'free',
      region: 'us-east-1',
      'config.storageGb': '5000',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<span class="field-error" id="err-config.storageGb">Too big: expected &lt;=2000</span>');
    expect(bad.body).toContain('value="5000"');
    const taken = await post('elk_user', '/services/pg/deploy', { name: 'taken', tier: 'free', region: 'us-east-1' });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('You already have a deployment with this name.');
  });

  it('asks anonymous visitors to log in instead of showing the form', async () => {
    const res = await app.inject('/services/pg');
    expect(res.body).not.toContain('action="/services/pg/deploy"');
    expect(res.body).toContain('/login?next=%2Fservices%2Fpg');
  });
});

describe('deployment actions', () => {
  it('runs only known verbs and redirects back to the page', async () => {
    const ok = await post('elk_user', '/deployments/deploy-1/action', { action: 'stop' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/deployments/deploy-1?notice=action-started');
    const weird = await post('elk_user', '/deployments/deploy-1/action', { action: '../../admin' });
    expect(weird.statusCode).toBe(404);
  });

  it('rotating credentials comes back to them revealed, with the notice in the query (not lost after the #fragment)', async () => {
    const res = await post('elk_user', '/deployments/deploy-1/rotate', { graceHours: '24' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/deployments/deploy-1?reveal=credentials&notice=saved#credentials');
    const after = await app.inject({ url: '/deployments/deploy-1?reveal=credentials&notice=saved', headers: as('elk_user') });
    expect(after.body).toContain('Saved.');
  });

  it('restores in place only once the user ticked that the current data is replaced', async () => {
    const restores = () => calls.filter((c) => c.method === 'POST' && c.url === '/api/deployments/deploy-1/restore');
    const page = await app.inject({ url: '/deployments/deploy-1', headers: as('elk_user') });
    expect(page.body).toMatch(/action="\/deployments\/deploy-1\/restore"[\s\S]*name="confirm" value="1" required/);
    const unconfirmed = await post('elk_user', '/deployments/deploy-1/restore', { backupId: 'bkp-1' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toContain('nothing was changed');
    expect(restores()).toHaveLength(0);
    const ok = await post('elk_user', '/deployments/deploy-1/restore', { backupId: 'bkp-1', confirm: '1' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/deployments/deploy-1?notice=restore-started');
    expect(restores().map((c) => c.body)).toEqual([{ backupId: 'bkp-1', mode: 'in_place' }]);
  });
});

describe('reviews and plan change', () => {
  it('posts a review as the user and comes back to the service page', async () => {
    const res = await post('elk_user', '/services/pg/reviews', { rating: '4', title: 'Solid', body: 'Fast.' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/services/pg?notice=saved');
    expect(calls.filter((c) => c.url === '/api/services/pg/reviews' && c.method === 'POST').at(-1)?.body).toEqual({
      rating: 4,
      title: 'Solid',
      body: 'Fast.',
    });
  });

  it('forwards typed values whole: a wrong-type rating is sent as null and a long title uncut, for the API to refuse', async () => {
    const title = 't'.repeat(300);
    await post('elk_user', '/services/pg/reviews', { rating: 'five', title, body: '' });
    expect(calls.filter((c) => c.url === '/api/services/pg/reviews' && c.method === 'POST').at(-1)?.body).toEqual({
      rating: null,
      title,
      body: '',
    });
    await post('elk_user', '/services/pg/reviews', { rating: '1e999', title: 'x', body: '' });
    expect(calls.filter((c) => c.url === '/api/services/pg/reviews').at(-1)?.body).toMatchObject({ rating: null });
  });

  it('a refused review stays in the opened review form with its reason, not above the deploy form', async () => {
    const res = await post('elk_user', '/services/pg/reviews', { rating: '2', title: '   ', body: 'Long <b>careful</b> text' });
    expect(res.statusCode).toBe(400);
    const review = res.body.slice(res.body.indexOf('<h2>Reviews</h2>'));
    expect(review).toContain(
      '<details open><summary>Write a review</summary>\n<p class="error" role="alert">invalid body: title: Too small</p>',
    );
    expect(review).toContain('<option value="2" selected>');
    expect(review).toContain('name="title" required maxlength="120" value="   "');
    expect(review).toContain('maxlength="5000">Long &lt;b&gt;careful&lt;/b&gt; text</textarea>');
    expect(res.body.slice(0, res.body.indexOf('<h2>Reviews</h2>'))).not.toContain('class="error"');
  });

  it('previews a plan change with its cost before applying it', async () => {
    const res = await post('elk_user', '/deployments/deploy-1/plan', { tier: 'pro', step: 'preview' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Changing to pro: projected cost this cycle $0.00 → $50.00 (+$50.00).');
    expect(res.body).toContain('<button type="submit" name="step" value="apply">Change plan</button>');
    expect(res.body).toContain('<option value="pro" selected>'); // "Change plan" applies the previewed tier
    expect(calls.some((c) => c.url === '/api/deployments/deploy-1/plan?preview=true')).toBe(true);
  });
});

describe('logs tail', () => {
  it('answers the latest lines as JSON for the polling script, only when signed in', async () => {
    const res = await app.inject({ url: '/deployments/deploy-1/logs.json', headers: as('elk_user') });
    expect(res.json()).toEqual({ lines: ['2026-11-01T00:00:00Z INFO <b>up</b>'] });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await app.inject('/deployments/deploy-1/logs.json')).statusCode).toBe(401);
    const page = await app.inject({ url: '/deployments/deploy-1', headers: as('elk_user') });
    expect(page.body).toContain('data-logs="/deployments/deploy-1/logs.json"');
    expect(page.body).toContain('INFO &lt;b&gt;up&lt;/b&gt;');
  });
});

describe('deployment activity', () => {
  it('answers the timeline and chart columns as JSON for the live page, only when signed in', async () => {
    const res = await app.inject({ url: '/deployments/deploy-1/activity.json', headers: as('elk_user') });
    expect(res.json()).toEqual({
      events: [{ when: '2026-11-01 00:00 UTC', from: 'provisioning', to: 'running', reason: '<i>ready</i>' }],
      xs: [Date.parse('2026-11-01T00:01:00Z') / 1000],
      requests: [7],
      errors: [1],
      average: [20],
      p95: [40],
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await app.inject('/deployments/deploy-1/activity.json')).statusCode).toBe(401);
    expect((await app.inject({ url: '/deployments/nope/activity.json', headers: as('elk_user') })).statusCode).toBe(404);
    const page = await app.inject({ url: '/deployments/deploy-1', headers: as('elk_user') });
    expect(page.body).toContain('data-activity="/deployments/deploy-1/activity.json"');
    expect(page.body).toContain('(&lt;i&gt;ready&lt;/i&gt;)');
    expect(page.body).toContain('id="chart-requests"');
    expect(page.body).toContain('<script src="/public/charts.js" defer></script>');
  });
});

describe('password change', () => {
  const change = (form: Record<string, string>) => post('elk_user', '/account/password', form);
  const sent = () => calls.filter((c) => c.url === '/api/auth/password').length;

  it('changes it through the main API and comes back to the account with a notice', async () => {
    const before = sent();
    const res = await change({ currentPassword: 'old-password', newPassword: 'new-password-1', confirmPassword: 'new-password-1' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account?notice=password-changed');
    expect(calls.filter((c) => c.url === '/api/auth/password').at(-1)?.body).toEqual({
      currentPassword: 'old-password',
      newPassword: 'new-password-1',
    });
    expect(sent()).toBe(before + 1);
    // API tokens survive a password change at the main API: neither the notice nor the form may claim otherwise.
    const after = await app.inject({ url: res.headers.location as string, headers: as('elk_user') });
    expect(after.body).toContain('every other login session was signed out. API tokens keep working');
    const form = await app.inject({ url: '/account/password', headers: as('elk_user') });
    expect(form.body).toContain('API tokens keep working');
    for (const body of [after.body, form.body]) expect(body).not.toMatch(/session and API token/);
  });

  it('shows each refusal inline next to its field', async () => {
    const cases: [Record<string, string>, number, string, boolean][] = [
      [
        { currentPassword: '', newPassword: 'new-password-1', confirmPassword: 'new-password-1' },
        400,
        'Enter your current password.',
        false,
      ],
      [
        { currentPassword: 'old-password', newPassword: 'new-password-1', confirmPassword: 'other' },
        400,
        'The two new passwords differ',
        false,
      ],
      [
        { currentPassword: 'wrong', newPassword: 'new-password-1', confirmPassword: 'new-password-1' },
        403,
        'The current password is not correct.',
        true,
      ],
      [{ currentPassword: 'old-password', newPassword: 'short', confirmPassword: 'short' }, 400, 'must be at least 8 characters', true],
    ];
    for (const [form, status, message, asked] of cases) {
      const before = sent();
      const res = await change(form);
      expect({ form, status: res.statusCode }).toEqual({ form, status });
      expect(res.body).toContain('class="field-error"');
      expect(res.body).toContain(message);
      expect(sent()).toBe(before + (asked ? 1 : 0));
    }
    expect((await app.inject('/account/password')).statusCode).toBe(303); // anonymous: to the login page
  });
});

describe('admin', () => {
  it('places a catalog service as featured through the marketplace, refusals shown on the page', async () => {
    const page = await app.inject({ url: '/admin', headers: as('elk_admin') });
    expect(page.body).toContain('Placement of PostgreSQL &lt;Managed&gt;');
    const ok = await post('elk_admin', '/admin/services/pg/listing', { listing: 'featured' });
    expect(ok.statusCode).toBe(303);
    expect(calls.filter((c) => c.method === 'PUT').at(-1)).toMatchObject({
      url: '/api/admin/services/pg/listing',
      body: { listing: 'featured' },
    });
    const bad = await post('elk_admin', '/admin/services/pg/listing', { listing: '<b>gold</b>' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('invalid body: listing: Invalid option');
    const puts = calls.filter((c) => c.method === 'PUT').length;
    expect((await post('elk_user', '/admin/services/pg/listing', { listing: 'featured' })).statusCode).toBe(403);
    expect(calls.filter((c) => c.method === 'PUT').length).toBe(puts);
  });

  it('refuses non-admins before any internal call', async () => {
    const before = calls.filter((c) => c.internal && c.url.startsWith('/internal/')).length;
    const page = await app.inject({ url: '/admin', headers: as('elk_user') });
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('This page is for administrators.');
    const review = await post('elk_user', '/admin/reviews', { name: 'x', version: '1.0.0', action: 'release' });
    expect(review.statusCode).toBe(403);
    expect(calls.filter((c) => c.internal && c.url.startsWith('/internal/')).length).toBe(before);
  });

  it("a review names the flagged version's ecosystem, so a PyPI release is never mistaken for an npm package", async () => {
    flagged = [{ ecosystem: 'pypi', name: 'demo-tool', version: '1.1', verdict: 'warn', findings: [], scannedAt: '2026-11-26T10:00:00Z' }];
    try {
      const page = await app.inject({ url: '/admin', headers: as('elk_admin') });
      expect(page.body).toContain('demo-tool@1.1</strong> · pypi · warn');
      expect(page.body).toContain('<input type="hidden" name="ecosystem" value="pypi">');
      const res = await post('elk_admin', '/admin/reviews', { ecosystem: 'pypi', name: 'demo-tool', version: '1.1', action: 'quarantine' });
      expect(res.statusCode).toBe(303);
      expect(calls.filter((c) => c.url === '/internal/security/reviews' && c.method === 'POST').at(-1)?.body).toEqual({
        ecosystem: 'pypi',
        name: 'demo-tool',
        version: '1.1',
        action: 'quarantine',
        by: 'admin',
      });
    } finally {
      flagged = [];
    }
  });

  it('shows users, the review queue and revenue to admins', async () => {
    const page = await app.inject({ url: '/admin', headers: as('elk_admin') });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Nothing waits for review.');
    expect(page.body).toContain('gross $10.00, fee (10%) $1.00');
  });
});

describe('activity (audit log)', () => {
  const audits = () => calls.filter((c) => c.url.startsWith('/api/audit'));
  const sentQuery = () => Object.fromEntries(new URL(audits().at(-1)?.url ?? '', 'http://x').searchParams);

  it('shows my entries as a table with readable times and details, hostile strings escaped', async () => {
    const res = await app.inject({ url: '/account/activity', headers: as('elk_user') });
    expect(res.statusCode).toBe(200);
    // A non-admin asks without an actor: the API narrows it to their own entries.
    expect(sentQuery()).toEqual({ limit: '50', offset: '0' });
    expect(res.body).toContain('<time datetime="2026-11-27T17:05:09.123Z">2026-11-27 17:05:09 UTC</time>');
    expect(res.body).toContain('<code>token.create&lt;script&gt;</code>');
    expect(res.body).toContain('<td>&lt;img src=x onerror=alert(1)&gt;</td>');
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).not.toContain('<script>alert');
    // The user agent is cut for the table, whole (escaped) in the title.
    expect(res.body).toContain(`title="Mozilla/5.0 &lt;script&gt;alert(&quot;ua&quot;)&lt;/script&gt; ${'x'.repeat(80)}"`);
    expect(res.body).toContain('>Mozilla/5.0 &lt;script&gt;alert(&quot;ua&quot;)&lt;/script…</td>');
    // Details as "key: value" words, never a JSON object.
    expect(res.body).toContain('name: &lt;b&gt;ci&lt;/b&gt;, readonly: no, plan: free → team, versions: (version: 1.0.0, deep: …)');
    expect(res.body).not.toContain('{&quot;');
    expect(res.body).toContain('<th scope="col">User agent</th>');
    expect(res.body).toContain('class="table-scroll" tabindex="0" role="region" aria-label="Activity"');
    // An entry without details, ip or agent shows dashes.
    expect(res.body).toContain('<td>–</td><td>–</td><td>–</td><td>–</td></tr>');
    const account = await app.inject({ url: '/account', headers: as('elk_user') });
    expect(account.body).toContain('<a href="/account/activity">Activity</a>');
    // Plans are not self-service here: the page says who changes them (the limit errors say "upgrade to Team").
    expect(account.body).toContain("Plans are set by this registry's administrators");
  });

  it('pages with newer/older links that keep the action filter, and links each action to its filter', async () => {
    const first = await app.inject({ url: '/account/activity?action=token.create', headers: as('elk_user') });
    expect(sentQuery()).toEqual({ limit: '50', offset: '0', action: 'token.create' });
    expect(first.body).toContain('value="token.create"');
    expect(first.body).toContain('<a href="/account/activity?action=token.create&amp;page=2" rel="next">Older</a>');
    expect(first.body).not.toContain('rel="prev"');
    expect(first.body).toContain('Entries 1–2 of 120');
    expect(first.body).toContain('<a href="/account/activity?action=auth.login"><code>auth.login</code></a>');
    const third = await app.inject({ url: '/account/activity?page=3', headers: as('elk_user') });
    expect(sentQuery()).toEqual({ limit: '50', offset: '100' });
    expect(third.body).toContain('<a href="/account/activity?page=2" rel="prev">Newer</a>');
    expect(third.body).not.toContain('rel="next"');
    // A page number that is not one starts at the newest.
    await app.inject({ url: '/account/activity?page=-2', headers: as('elk_user') });
    expect(sentQuery()).toEqual({ limit: '50', offset: '0' });
  });

  it('says so when nothing matches, and shows the API refusal of a bad filter', async () => {
    const none = await app.inject({ url: '/account/activity?action=package.publish', headers: as('elk_user') });
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('No activity with the action “package.publish” yet.');
    expect(none.body).not.toContain('<table>');
    const bad = await app.inject({ url: '/account/activity?action=Bad%20Action', headers: as('elk_user') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<p class="error" role="alert">invalid querystring: action: must be a dotted lowercase name</p>');
  });

  it("an admin sees only their own entries, never every user's", async () => {
    const res = await app.inject({ url: '/account/activity', headers: as('elk_admin') });
    expect(res.statusCode).toBe(200);
    expect(sentQuery()).toEqual({ limit: '50', offset: '0', actor: 'admin' });
    expect((await app.inject('/account/activity')).statusCode).toBe(303); // anonymous: to the login page
  });
});

describe('org members: remove and leave', () => {
  const sent = (method: string, url: string) => calls.filter((c) => c.method === method && c.url === url).length;

  it('an owner gets a confirmed Remove per other member, escaped; a member gets only Leave', async () => {
    const owner = await app.inject({ url: '/orgs/acme', headers: as('elk_admin') });
    expect(owner.statusCode).toBe(200);
    expect(owner.body).toMatch(
      /<form method="post" action="\/orgs\/acme\/members\/eve%3Cb%3E\/remove" class="row"><input type="hidden" name="_csrf" value="[^"]+"><label class="check" for="remove-2"><input type="checkbox" id="remove-2" name="confirm" value="1" required> Confirm<span class="visually-hidden">: remove eve&lt;b&gt;<\/span><\/label><button type="submit" class="danger" aria-label="Remove eve&lt;b&gt;">Remove<\/button><\/form>/,
    );
    expect(owner.body).toContain('action="/orgs/acme/members/user/remove"');
    expect(owner.body).not.toContain('action="/orgs/acme/members/admin/remove"'); // not on one's own row
    expect(owner.body).toContain('action="/orgs/acme/leave"');
    const member = await app.inject({ url: '/orgs/acme', headers: as('elk_user') });
    expect(member.body).not.toContain('/remove"');
    expect(member.body).toMatch(/action="\/orgs\/acme\/leave"[\s\S]*name="confirm" value="1" required[\s\S]*>Leave organization<\/button>/);
  });

  it('removes a member through DELETE once confirmed, back to the org with a notice', async () => {
    const path = '/api/orgs/acme/members/eve%3Cb%3E';
    const unconfirmed = await post('elk_admin', '/orgs/acme/members/eve%3Cb%3E/remove', {});
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toContain('Tick the box next to eve&lt;b&gt; to remove them: nothing was changed.');
    expect(sent('DELETE', path)).toBe(0);
    const ok = await post('elk_admin', '/orgs/acme/members/eve%3Cb%3E/remove', { confirm: '1' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/orgs/acme?notice=member-removed');
    expect(sent('DELETE', path)).toBe(1);
    const after = await app.inject({ url: ok.headers.location as string, headers: as('elk_admin') });
    expect(after.body).toContain('Member removed.');
  });

  it("shows the API's sentence when it refuses, on the org page", async () => {
    const gone = await post('elk_admin', '/orgs/acme/members/ghost/remove', { confirm: '1' });
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toContain('<p class="error" role="alert">&quot;ghost&quot; is not a member of @acme</p>');
    expect(gone.body).toContain('<h1>@acme</h1>');
    const last = await post('elk_admin', '/orgs/acme/leave', { confirm: '1' });
    expect(last.statusCode).toBe(409);
    expect(last.body).toContain('@acme must keep at least one owner: make someone else owner first');
  });

  it('leaves through POST /leave once confirmed, back to the account with a notice', async () => {
    const before = sent('POST', '/api/orgs/acme/leave');
    const unconfirmed = await post('elk_user', '/orgs/acme/leave', {});
    expect(unconfirmed.statusCode).toBe(400);
    expect(sent('POST', '/api/orgs/acme/leave')).toBe(before);
    const ok = await post('elk_user', '/orgs/acme/leave', { confirm: '1' });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/account?notice=org-left');
    expect(sent('POST', '/api/orgs/acme/leave')).toBe(before + 1);
  });

  it('refuses a remove or leave post without the CSRF token before calling the API', async () => {
    const before = calls.filter((c) => c.url.startsWith('/api/orgs/acme') && c.method !== 'GET').length;
    for (const url of ['/orgs/acme/members/user/remove', '/orgs/acme/leave']) {
      for (const csrf of [{}, { _csrf: 'forged' }] as Record<string, string>[]) {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { ...as('elk_admin'), 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ confirm: '1', ...csrf }).toString(),
        });
        expect(res.statusCode).toBe(403);
      }
    }
    expect(calls.filter((c) => c.url.startsWith('/api/orgs/acme') && c.method !== 'GET').length).toBe(before);
  });
});
