// GET /internal/users/:id/usage: the main API's /api/auth/me reads a user's active deployments from here.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testSecrets } from '../helpers/config.ts';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

describe('GET /internal/users/:id/usage', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  it('counts the active deployments of that user only, and only for the suite itself', async () => {
    const a = f.user();
    const b = f.user();
    const body = { serviceId: 'svc-postgres', name: 'db-1', config: { tier: 'starter', region: 'us-east-1' } };
    expect((await f.app.inject({ method: 'POST', url: '/api/deployments', headers: a.auth, payload: body })).statusCode).toBe(202);
    const internal = { 'x-internal-token': testSecrets.internalToken };
    const usageA = await f.app.inject({ method: 'GET', url: `/internal/users/${a.id}/usage`, headers: internal });
    expect(usageA.statusCode).toBe(200);
    expect(usageA.json()).toEqual({ activeDeployments: 1 });
    const usageB = await f.app.inject({ method: 'GET', url: `/internal/users/${b.id}/usage`, headers: internal });
    expect(usageB.json()).toEqual({ activeDeployments: 0 });
    // A user token is never accepted on an internal route.
    const asUser = await f.app.inject({ method: 'GET', url: `/internal/users/${a.id}/usage`, headers: a.auth });
    expect(asUser.statusCode).toBe(403);
    expect(asUser.json().code).toBe('INTERNAL_ONLY');
  });
});
