// How the dashboard writes numbers, as npmjs.com and Vercel/Heroku billing pages do: singular for one
// ("1 download", "1 request"), thousands separators, and money with the sign before the currency symbol.
import { describe, expect, it } from 'vitest';
import { renderAccount } from '../../dashboard/pages/account.ts';
import { renderBilling } from '../../dashboard/pages/billing.ts';
import { renderHome } from '../../dashboard/pages/home.ts';
import { renderSearch } from '../../dashboard/pages/packages.ts';
import { renderWebhook } from '../../dashboard/pages/webhooks.ts';
import { bytes, money, num, plural } from '../../dashboard/views.ts';

describe('numbers on dashboard pages', () => {
  it('formats money grouped, with a leading minus, and never "-$0.00"', () => {
    expect(money(1234567.5)).toBe('$1,234,567.50');
    expect(money(12)).toBe('$12.00');
    expect(money(-3)).toBe('-$3.00');
    expect(money(-0)).toBe('$0.00');
    expect(money(null)).toBe('–');
  });

  it('counts with separators and the singular for exactly one', () => {
    expect(num(0)).toBe('0');
    expect(num(1234567)).toBe('1,234,567');
    expect(plural(1, 'download')).toBe('1 download');
    expect(plural(0, 'download')).toBe('0 downloads');
    expect(plural(2_000_000, 'download')).toBe('2,000,000 downloads');
  });

  it('search results say "1 download" and group large counts', () => {
    const hit = (name: string, downloads: number) => ({
      name,
      description: null,
      version: '1.0.0',
      downloads,
      score: null,
      updatedAt: '2026-01-01T00:00:00Z',
    });
    const page = renderSearch(
      { csrf: 'x' },
      {
        q: '',
        keywords: '',
        ecosystem: 'npm',
        sort: 'relevance',
        page: 1,
        pageSize: 20,
        total: 2,
        results: [hit('one', 1), hit('many', 1234567)],
      },
    );
    expect(page).toContain('1 download ·');
    expect(page).not.toContain('1 downloads');
    expect(page).toContain('1,234,567 downloads ·');
  });

  it('invoice lines say "1 request" and group large usage; a credit reads -$', () => {
    const page = renderBilling(
      { csrf: 'x' },
      undefined,
      [
        {
          id: 'inv-1',
          cycle: '2026-10',
          status: 'paid',
          total: 1234.5,
          lines: [
            { deploymentId: 'd1', name: 'api', tier: 'metered', amountCents: 1, usageQuantity: 1 },
            { deploymentId: 'd2', name: 'db', tier: 'metered', amountCents: -500, usageQuantity: 1500000 },
          ],
        },
      ],
      [],
    );
    expect(page).toContain('api (metered): $0.01, 1 request</li>');
    expect(page).toContain('db (metered): -$5.00, 1,500,000 requests</li>');
    expect(page).toContain('2026-10 · paid · $1,234.50');
  });

  it('the billing page says when its figures were computed', () => {
    const summary = {
      cycle: { id: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
      currentCost: 0.01,
      projectedCost: 5.3,
      low: 5.3,
      high: 5.3,
      asOf: '2026-11-27T19:53:17.663Z',
      deployments: [],
    };
    const page = renderBilling({ csrf: 'x' }, summary, [], []);
    expect(page).toContain('<p class="small muted" id="billing-as-of">Computed 2026-11-27 19:53 UTC; reload for the latest figures.</p>');
  });

  it('a webhook with one failure says "1 failure in a row"', () => {
    const hook = (consecutiveFailures: number) =>
      renderWebhook(
        { csrf: 'x' },
        {
          id: 'wh_1',
          url: 'https://example.com/hook',
          description: null,
          events: ['*'],
          active: true,
          disabledReason: null,
          consecutiveFailures,
          lastSuccessAt: null,
          createdAt: '2026-11-27T19:00:00Z',
        },
        [],
      );
    expect(hook(1)).toContain('· 1 failure in a row</p>');
    expect(hook(0)).toContain('· 0 failures in a row</p>');
  });

  it('the home page groups large package counts', () => {
    const page = renderHome({ csrf: 'x' }, [], {
      perEcosystem: [
        { ecosystem: 'npm', total: 1234567 },
        { ecosystem: 'pypi', total: null },
      ],
      services: 1200,
      recent: [],
    });
    expect(page).toContain('<strong class="block">1,234,567</strong>');
    expect(page).toContain('<strong class="block">1,200</strong>');
    expect(page).toContain('<strong class="block">–</strong>');
  });

  it('the account page shows package storage in SI units (the API counts it; the page left it out)', () => {
    expect(bytes(1)).toBe('1 byte');
    expect(bytes(999)).toBe('999 bytes');
    expect(bytes(20110)).toBe('20.1 kB');
    expect(bytes(999_960)).toBe('1.0 MB');
    expect(bytes(3_500_000_000)).toBe('3.5 GB');
    const me = {
      userId: 'u1',
      username: 'demo',
      email: 'demo@example.com',
      role: 'publisher',
      plan: { id: 'team', name: 'Team', limits: {} },
      usage: { activeDeployments: 1, webhooks: 0, privatePackages: 1, storageBytes: 20110, apiTokens: 0 },
      orgs: [],
    };
    const page = renderAccount({ csrf: 'x' }, me as unknown as Parameters<typeof renderAccount>[1], []);
    expect(page).toContain('<tr><td>Package storage</td><td>20.1 kB</td><td>–</td></tr>');
  });
});
