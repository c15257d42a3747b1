// GET /api/auth/me usage against the real registry process (no marketplace running), then with the registry
// stopped: the figures it owns turn null and the page still answers 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Suite, startSuite } from '../helpers/suite.ts';

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite({ only: ['api', 'registry'] });
}, 120_000);
afterAll(async () => suite?.stopAll());

async function me(token: string) {
  const res = await fetch(`${suite.urls.api}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { usage: Record<string, number | null> } };
}

describe('GET /api/auth/me usage from the running peers', () => {
  it('storage and private packages from the registry; null once the registry is down', async () => {
    const reg = await fetch(`${suite.urls.api}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'usage-int', email: 'usage-int@example.com', password: 'usage-int-password' }),
    });
    expect(reg.status).toBe(201);
    const { token } = (await reg.json()) as { token: string };

    const up = await me(token);
    expect(up.status).toBe(200);
    expect(up.body.usage).toMatchObject({ storageBytes: 0, privatePackages: 0, webhooks: 0 });
    // No marketplace in this suite: its figure is unknown, not an error.
    expect(up.body.usage.activeDeployments).toBeNull();

    await suite.stop('registry');
    const down = await me(token);
    expect(down.status).toBe(200);
    expect(down.body.usage).toMatchObject({ storageBytes: null, privatePackages: null, webhooks: 0 });
  }, 60_000);
});
