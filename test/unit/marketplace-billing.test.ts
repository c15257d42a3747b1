// Billing maths: the reference's worked example to the cent, proration, caps, voiding and rounding.
import { describe, expect, it } from 'vitest';
import { computeCost, cycleOf, flatMicros, roundHalfEven, type Segment } from '../../marketplace/billing.ts';
import { perThousandRequests } from '../../services/templates/index.ts';
import { marketplaceFixture } from '../helpers/marketplace.ts';

const seg = (start: string, end: string, monthlyCents: number, extra: Partial<Segment> = {}): Segment => ({
  startMs: Date.parse(start),
  endMs: Date.parse(end),
  tierId: 'standard-0',
  monthlyCents,
  instances: 1,
  billable: true,
  serving: true,
  ...extra,
});

describe('billing: reference §3.4 worked example', () => {
  it('reproduces currentMinor 4667 and projectedMinor 12067 to the cent', () => {
    const asOfMs = Date.parse('2025-07-20T00:00:00Z');
    const r = computeCost({
      segments: [seg('2025-07-10T00:00:00Z', '2025-07-20T00:00:00Z', 5000)],
      currentMonthlyCents: 5000,
      currentInstances: 1,
      accruing: true,
      voided: false,
      meter: perThousandRequests(0.015, 1_000_000),
      usageSoFar: 3_000_000,
      usageInWindow: 2_100_000,
      windowMs: 7 * 86_400_000,
      cycle: cycleOf(asOfMs),
      asOfMs,
    });
    expect(r.lines).toEqual({ flatCents: 1667, instancesCents: 0, usageCents: 3000, usageQuantity: 3_000_000 });
    expect(r.currentCents).toBe(4667);
    expect(r.projectedCents).toBe(12067);
    expect(r.lowCents).toBe(12067);
    expect(r.highCents).toBe(12067);
  });

  it('uses 1,500 µ per request for $0.015 per 1,000', () => {
    expect(perThousandRequests(0.015, 0).unitPriceMicros).toBe(1_500_000);
  });
});

describe('billing: flat proration', () => {
  it('caps a full cycle at the monthly price and bills February at 28/30', () => {
    const jan = flatMicros(
      [seg('2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z', 1900)],
      Date.parse('2025-01-01T00:00:00Z'),
      Date.parse('2025-02-01T00:00:00Z'),
    );
    expect(roundHalfEven(jan.flat)).toBe(1900);
    const feb = flatMicros(
      [seg('2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z', 3000)],
      Date.parse('2025-02-01T00:00:00Z'),
      Date.parse('2025-03-01T00:00:00Z'),
    );
    expect(roundHalfEven(feb.flat)).toBe(2800);
  });

  it('bills only billable segments, never above the dearest plan used, and voids a failed provisioning', () => {
    const from = Date.parse('2025-07-01T00:00:00Z');
    const to = Date.parse('2025-08-01T00:00:00Z');
    const segs = [
      seg('2025-07-01T00:00:00Z', '2025-07-16T00:00:00Z', 1900, { tierId: 'starter' }),
      seg('2025-07-16T00:00:00Z', '2025-07-20T00:00:00Z', 1900, { tierId: 'starter', billable: false }),
      seg('2025-07-20T00:00:00Z', '2025-08-01T00:00:00Z', 5000, { tierId: 'pro' }),
    ];
    const f = flatMicros(segs, from, to);
    // starter 15 days = 950, pro 12 days = 2000: 2950, under the 5000 cap
    expect(roundHalfEven(f.flat)).toBe(2950);
    const r = computeCost({
      segments: segs,
      currentMonthlyCents: 5000,
      currentInstances: 1,
      accruing: false,
      voided: true,
      usageSoFar: 0,
      usageInWindow: 0,
      windowMs: 0,
      cycle: cycleOf(from),
      asOfMs: to,
    });
    expect(r.currentCents).toBe(0);
  });

  it('rounds half to even once per line', () => {
    expect(roundHalfEven(2_500_000n)).toBe(2);
    expect(roundHalfEven(3_500_000n)).toBe(4);
    expect(roundHalfEven(3_500_001n)).toBe(4);
    expect(roundHalfEven(3_499_999n)).toBe(3);
  });

  it('charges extra instances at the plan rate per instance', () => {
    const from = Date.parse('2025-07-01T00:00:00Z');
    const f = flatMicros(
      [seg('2025-07-01T00:00:00Z', '2025-07-16T00:00:00Z', 3000, { instances: 3 })],
      from,
      Date.parse('2025-07-16T00:00:00Z'),
    );
    expect(roundHalfEven(f.flat)).toBe(1500);
    expect(roundHalfEven(f.instances)).toBe(3000);
  });
});

describe('billing: metered usage across a plan change', () => {
  const DAY = 86_400_000;
  async function run(from: string, to: string) {
    const f = await marketplaceFixture();
    const u = f.user('enterprise');
    const call = async (method: 'GET' | 'POST', url: string, payload?: object) =>
      (await f.app.inject({ method, url, headers: u.auth, payload })).json();
    const id = (await call('POST', '/api/deployments', { serviceId: 'svc-redis', name: 'r1', config: { tier: from, region: 'us-east-1' } }))
      .deploymentId as string;
    f.advance(5_000);
    f.advance(20 * DAY);
    const before = (await call('GET', `/api/deployments/${id}`)).billing.lines;
    await call('POST', `/api/deployments/${id}/plan`, { tier: to });
    f.advance(5_000); // the change lands
    f.advance(3_600_000);
    const after = (await call('GET', `/api/deployments/${id}`)).billing;
    await f.app.close();
    return { before, after };
  }

  it("an upgrade from a plan without a meter does not bill the earlier requests at the new plan's rate", async () => {
    const { before, after } = await run('starter', 'pro');
    // Preconditions: 20 days served far more than pro's 1,000,000 included requests, none of them metered on starter.
    expect(before.usageQuantity).toBeGreaterThan(1_000_000);
    expect(before.usageCents).toBe(0);
    // One hour on pro is well inside its included amount: no usage charge (was the whole cycle's overage).
    expect(after.lines.usageQuantity).toBeGreaterThan(before.usageQuantity);
    expect(after.lines.usageCents).toBe(0);
    expect(after.currentCents).toBe(after.lines.flatCents + after.lines.instancesCents);
  });

  it('a downgrade to a plan without a meter still bills the overage run up on the metered plan', async () => {
    const { before, after } = await run('pro', 'starter');
    expect(before.usageCents).toBeGreaterThan(0);
    // (plus the few requests of the 5 s the change takes, still on pro: at most a cent)
    expect(after.lines.usageCents).toBeGreaterThanOrEqual(before.usageCents);
    expect(after.lines.usageCents).toBeLessThanOrEqual(before.usageCents + 1);
  });
});
