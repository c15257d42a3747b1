// Account billing: GET /api/billing, budgets (bad amounts refused), billing.threshold exactly once per
// threshold per cycle, re-armed by a new version or cycle, suspend-on-exceed, invoices and the fee ledger.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

const DAY = 86_400_000;

describe('billing and budgets', () => {
  let f: MarketplaceFixture;
  let u: ReturnType<MarketplaceFixture['user']>;
  let id: string;
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, auth: Record<string, string> = u.auth) => {
    const res = await f.app.inject({ method, url, headers: auth, payload });
    return { status: res.statusCode, body: res.statusCode === 204 ? null : res.json() };
  };
  const thresholdEvents = () =>
    f
      .outbox()
      .filter((e) => e.type === 'billing.threshold')
      .map((e) => `${e.data.thresholdId}@v${e.data.budgetVersion}/${(e.data.cycle as { id: string }).id}`);

  beforeEach(async () => {
    f = await marketplaceFixture();
    u = f.user();
    // $19/month starter: no metered overage, so the numbers are exact.
    const res = await call('POST', '/api/deployments', {
      serviceId: 'svc-postgres',
      name: 'db',
      config: { tier: 'starter', region: 'us-east-1' },
    });
    id = res.body.deploymentId;
  });
  afterEach(async () => f.app.close());

  it('GET /api/billing sums the cycle: 15 days of $19/month is $9.50 now and $19.00 projected', async () => {
    f.advance(15 * DAY);
    const b = (await call('GET', '/api/billing')).body;
    expect(b).toMatchObject({ cycle: { id: '2026-03' }, currency: 'USD', currentCost: 9.5, currentCents: 950, method: 'linear_7d' });
    // March has 31 days: the remaining 16 days would add 1013 cents, but the cap is the monthly price.
    expect(b.projectedCents).toBe(1900);
    expect(b.projectedCost).toBe(19);
    expect(b.deployments).toEqual([expect.objectContaining({ deploymentId: id, currentCents: 950, projectedCents: 1900 })]);
    const dep = (await call('GET', `/api/deployments/${id}`)).body;
    expect(dep.billing).toMatchObject({ currentCost: 9.5, projectedCost: 19, currency: 'USD' });
    // Stopping stops the flat charge and the projection.
    await call('POST', `/api/deployments/${id}/stop`);
    f.advance(2_000 + 5 * DAY);
    const stopped = (await call('GET', '/api/billing')).body;
    expect(stopped.currentCents).toBe(950);
    expect(stopped.projectedCents).toBe(950);
  });

  it('refuses negative, zero, absurd and malformed budgets, creating nothing', async () => {
    for (const [payload, code] of [
      [{ amount: -5 }, 'BUDGET_INVALID'],
      [{ amount: 0 }, 'BUDGET_INVALID'],
      [{ amount: 1e12 }, 'BUDGET_INVALID'],
      [{ amountCents: 10.5 }, 'VALIDATION_FAILED'],
      [{ amount: 10, amountCents: 1000 }, 'VALIDATION_FAILED'],
      [{ amount: 10, thresholds: [{ percent: 0, basis: 'actual' }] }, 'VALIDATION_FAILED'],
      [
        {
          amount: 10,
          thresholds: [
            { percent: 50, basis: 'actual' },
            { percent: 50, basis: 'actual' },
          ],
        },
        'BUDGET_INVALID',
      ],
    ] as [object, string][]) {
      const res = await call('POST', '/api/billing/budgets', payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(res.body.code).toBe(code);
    }
    expect((await call('POST', '/api/billing/budgets', { amount: 10, deploymentId: 'deploy-nope' })).status).toBe(404);
    // A deleted deployment spends nothing more: no new budget on it.
    expect((await call('DELETE', `/api/deployments/${id}`)).status).toBe(202);
    f.advance(60_000);
    const onDeleted = await call('POST', '/api/billing/budgets', { amount: 10, deploymentId: id });
    expect([onDeleted.status, onDeleted.body.code]).toEqual([409, 'DEPLOYMENT_DELETED']);
    expect((await call('GET', '/api/billing/budgets')).body.total).toBe(0);
  });

  it('checks who is calling before the body: no or a revoked credential is 401 on every authenticated route, the catalog stays public', async () => {
    const revoked = f.user();
    f.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ?').run(new Date(f.clock.now()).toISOString(), revoked.id);
    for (const auth of [{}, revoked.auth]) {
      for (const [method, url, payload] of [
        ['POST', '/api/billing/budgets', {}],
        ['PUT', '/api/billing/budgets/budget-x', { nope: 1 }],
        ['GET', '/api/billing?limit=0', undefined],
        ['POST', '/api/deployments', {}],
        ['POST', `/api/deployments/${id}/scale`, {}],
        ['GET', `/api/deployments/${id}/logs?tail=0`, undefined],
        ['POST', '/api/services/redis-cache/reviews', { rating: 9 }],
        ['PUT', '/api/admin/services/redis-cache/listing', { listing: 'nope' }],
      ] as ['GET' | 'POST' | 'PUT', string, object | undefined][]) {
        const res = await call(method, url, payload, auth);
        expect(res.status, `${method} ${url}`).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
    }
    // Public reads still validate their query without a credential; /internal/* keeps its own token check.
    expect((await call('GET', '/api/services?limit=0', undefined, {})).body.code).toBe('VALIDATION_FAILED');
    expect((await call('GET', '/api/services/redis-cache/reviews', undefined, {})).status).toBe(200);
    expect((await call('GET', '/api/services/redis-cache', undefined, {})).status).toBe(200);
    expect((await call('GET', '/internal/deployments/live', undefined, {})).body.code).toBe('INTERNAL_ONLY');
    // With a credential, the body is validated as before.
    expect((await call('POST', '/api/billing/budgets', {})).body.code).toBe('VALIDATION_FAILED');
  });

  it('fires each threshold exactly once per cycle, re-arms on a new version and a new cycle', async () => {
    const created = await call('POST', '/api/billing/budgets', { amount: 10 });
    expect(created.status).toBe(201);
    const budgetId = created.body.id;
    // Projected $19 >= $10: forecast@100 fires at once; actual is still ~0.
    expect(thresholdEvents()).toEqual(['forecast-100@v1/2026-03']);
    f.advance(8 * DAY); // actual 8/30 x 1900 = 507 cents >= 500
    expect(f.billing.evaluate(u.id)).toBe(1);
    expect(f.billing.evaluate(u.id)).toBe(0);
    f.advance(5 * DAY); // 13 days: 823 >= 800
    f.billing.evaluate(u.id);
    f.advance(3 * DAY); // 16 days: 1013 >= 1000
    f.billing.evaluate(u.id);
    f.billing.evaluate(u.id);
    expect(thresholdEvents()).toEqual(['forecast-100@v1/2026-03', 'actual-50@v1/2026-03', 'actual-80@v1/2026-03', 'actual-100@v1/2026-03']);
    const e = f.outbox().find((x) => x.type === 'billing.threshold' && x.data.thresholdId === 'actual-100')!;
    expect(e.data).toMatchObject({
      budgetId,
      percent: 100,
      basis: 'actual',
      amountMinor: 1000,
      currentMinor: 1013,
      currency: 'USD',
      scope: { type: 'account' },
    });
    const view = (await call('GET', '/api/billing/budgets')).body.budgets[0];
    expect(view.thresholds.every((t: { firedAt: string | null }) => t.firedAt !== null)).toBe(true);

    // An edit is a new version: every crossed threshold fires again, once.
    const edited = await call('PUT', `/api/billing/budgets/${budgetId}`, { amount: 12 });
    expect(edited.body.version).toBe(2);
    expect(thresholdEvents().filter((t) => t.includes('@v2'))).toEqual([
      'actual-50@v2/2026-03',
      'actual-80@v2/2026-03',
      'forecast-100@v2/2026-03',
    ]);
    // A new cycle re-arms: on April 1 only the forecast is crossed.
    f.clock.set(Date.parse('2026-04-01T00:00:10Z'));
    f.billing.evaluate(u.id);
    expect(thresholdEvents().filter((t) => t.endsWith('2026-04'))).toEqual(['forecast-100@v2/2026-04']);
    // Another user's budget is not found.
    const stranger = f.user();
    expect((await call('PUT', `/api/billing/budgets/${budgetId}`, { amount: 5 }, stranger.auth)).status).toBe(404);
    expect((await call('DELETE', `/api/billing/budgets/${budgetId}`, undefined, stranger.auth)).status).toBe(404);
    expect((await call('DELETE', `/api/billing/budgets/${budgetId}`)).status).toBe(204);
    // The owner's three changes are audited, naming the owner; the stranger's refused ones and the thresholds are not.
    expect(
      f
        .auditEntries()
        .filter((a) => String(a.action).startsWith('budget.'))
        .map((a) => [a.action, a.actorId, a.target, a.details]),
    ).toEqual([
      ['budget.create', u.id, `budget:${budgetId}`, { deploymentId: null, amountCents: 1000, onExceed: 'notify' }],
      ['budget.update', u.id, `budget:${budgetId}`, { amountCents: 1200, onExceed: 'notify' }],
      ['budget.delete', u.id, `budget:${budgetId}`, undefined],
    ]);
  });

  it('suspend-on-exceed suspends (never deletes) the deployment at 100% of actual spend', async () => {
    await call('POST', '/api/billing/budgets', { amount: 5, onExceed: 'suspend', thresholds: [{ percent: 100, basis: 'actual' }] });
    f.advance(8 * DAY);
    f.billing.evaluate(u.id);
    f.advance(2_000);
    const dep = (await call('GET', `/api/deployments/${id}`)).body;
    expect(dep).toMatchObject({ status: 'suspended', statusReason: 'budget_exceeded', allowedActions: ['resume', 'delete'] });
    expect(f.outbox().map((e) => e.type)).toContain('deployment.suspended');
    expect(f.outbox().find((e) => e.type === 'deployment.suspended')?.data.reason).toBe('budget_exceeded');
    const blocked = await call('POST', `/api/deployments/${id}/resume`);
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('BUDGET_EXCEEDED');
    const budgetId = (await call('GET', '/api/billing/budgets')).body.budgets[0].id;
    await call('PUT', `/api/billing/budgets/${budgetId}`, {
      amount: 50,
      onExceed: 'suspend',
      thresholds: [{ percent: 100, basis: 'actual' }],
    });
    expect((await call('POST', `/api/deployments/${id}/resume`)).status).toBe(202);
    f.advance(3_000);
    expect((await call('GET', `/api/deployments/${id}`)).body).toMatchObject({ status: 'running', statusReason: null });
  });

  it('closes the cycle into an invoice with line items and a 10% fee ledger visible to admins only', async () => {
    f.clock.set(Date.parse('2026-04-02T00:00:00Z'));
    f.engine.tick();
    const inv = (await call('GET', '/api/billing/invoices')).body;
    expect(inv.invoices[0]).toMatchObject({ cycle: '2026-04', status: 'open' });
    expect(inv.invoices[1]).toMatchObject({ cycle: '2026-03', status: 'closed', totalCents: 1900, total: 19 });
    expect(inv.invoices[1].lines).toEqual([expect.objectContaining({ deploymentId: id, flatCents: 1900, amountCents: 1900 })]);
    // Closing again changes nothing.
    expect((await call('GET', '/api/billing/invoices')).body.invoices[1].id).toBe(inv.invoices[1].id);
    expect((await call('GET', '/api/admin/revenue')).status).toBe(403);
    const rev = (await call('GET', '/api/admin/revenue', undefined, f.user('enterprise', 'admin').auth)).body;
    expect(rev.feePercent).toBe(10);
    expect(rev.ledger).toEqual([{ cycle: '2026-03', serviceId: 'svc-postgres', grossCents: 1900, feeCents: 190, deployments: 1 }]);
  });
});
