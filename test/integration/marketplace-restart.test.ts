// Deadlines are data: a marketplace killed (SIGKILL) mid-provisioning and started again still brings the
// deployment to running, timestamped at its original deadline, and its events reach the main API.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Suite, startSuite, waitFor } from '../helpers/suite.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies asserted field by field
type Json = any;
const json = async (r: Response): Promise<Json> => r.json();

describe('marketplace restart mid-provisioning', () => {
  let suite: Suite;
  let auth: Record<string, string>;

  beforeAll(async () => {
    suite = await startSuite({ only: ['api', 'marketplace', 'orchestrator'], env: { SIM_TIME_SCALE: '0.3' } });
    const internal = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const ensured = await fetch(`${suite.urls.api}/internal/users/ensure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internal },
      body: JSON.stringify({
        username: 'restarter',
        email: 'restarter@example.test',
        password: 'restart-password-1',
        role: 'user',
        plan: 'team',
      }),
    });
    expect(ensured.status).toBe(200);
    const login = await fetch(`${suite.urls.api}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'restarter', password: 'restart-password-1' }),
    });
    expect(login.status).toBe(200);
    auth = { authorization: `Bearer ${(await json(login)).token}` };
  });
  afterAll(async () => suite?.stopAll());

  it('reaches running after the marketplace and the orchestrator were killed mid-provisioning', async () => {
    const res = await fetch(`${suite.urls.marketplace}/api/deployments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'restart-1' },
      body: JSON.stringify({ serviceId: 'svc-postgres', name: 'survivor', config: { tier: 'starter', region: 'eu-west-1' } }),
    });
    expect(res.status).toBe(202);
    const created = await json(res);
    expect(created).toMatchObject({ status: 'provisioning', estimatedTime: '1-3 seconds' });
    const id = created.deploymentId as string;
    const dueAt = Date.parse(created.operation.dueAt);

    await suite.stop('marketplace', 'SIGKILL');
    await suite.stop('orchestrator', 'SIGKILL');
    // Let the deadline pass while nothing is running.
    await waitFor(() => Date.now() > dueAt + 300, 10_000, 'the provisioning deadline to pass');
    await suite.start('orchestrator');
    await suite.start('marketplace');

    const get = async () => json(await fetch(`${suite.urls.marketplace}/api/deployments/${id}`, { headers: auth }));
    await waitFor(async () => (await get()).status === 'running', 10_000, 'the deployment to reach running');
    const events = (await json(await fetch(`${suite.urls.marketplace}/api/deployments/${id}/events`, { headers: auth }))).events;
    expect(events[0]).toMatchObject({ from: 'provisioning', to: 'running', at: new Date(dueAt).toISOString() });

    // The retry of the original request replays the same deployment.
    const retry = await fetch(`${suite.urls.marketplace}/api/deployments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'restart-1' },
      body: JSON.stringify({ serviceId: 'svc-postgres', name: 'survivor', config: { tier: 'starter', region: 'eu-west-1' } }),
    });
    expect((await json(retry)).deploymentId).toBe(id);

    // service.deployed went through the outbox to the main API.
    await waitFor(
      async () => {
        const list = await json(await fetch(`${suite.urls.api}/api/events?type=service.deployed`, { headers: auth }));
        return list.events?.some((e: { data: { deploymentId: string } }) => e.data.deploymentId === id);
      },
      10_000,
      'service.deployed at the main API',
    );

    // The orchestrator watches the live deployment and its samples come back through the marketplace.
    await waitFor(
      async () => {
        const m = await json(await fetch(`${suite.urls.marketplace}/api/deployments/${id}/metrics`, { headers: auth }));
        return m.seriesAvailable === true && m.series.length > 0 && m.series[0].instances === 1;
      },
      15_000,
      'orchestrator metric samples',
    );
  });
});
