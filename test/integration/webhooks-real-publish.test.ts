// The "done" path across real processes: a publish to the registry (npm protocol PUT) goes through
// the registry's outbox and relay to the main API, which stores the event, counts it in analytics and
// delivers a signed webhook to the subscriber's receiver on 127.0.0.1.
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { docPath, publishBody } from '../helpers/npm-fixtures.ts';
import { type Suite, startSuite, waitFor } from '../helpers/suite.ts';
import { startReceiver } from '../unit/api-webhooks-receiver.ts';

describe('webhooks: a real registry publish reaches the subscriber', () => {
  let suite: Suite;
  let token: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    suite = await startSuite({
      only: ['api', 'registry'],
      env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' },
    });
    const internalToken = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const ensure = await fetch(`${suite.urls.api}/internal/users/ensure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internalToken },
      body: JSON.stringify({
        username: 'pub-hooks',
        email: 'pub-hooks@example.com',
        password: 'password-123',
        role: 'publisher',
        plan: 'team',
      }),
    });
    const { userId } = (await ensure.json()) as { userId: string };
    token = generateApiToken();
    const db = openDatabase(suite.config.DATABASE_PATH);
    db.prepare(
      `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES ('tok-pub', ?, 'api', 't', ?, 'elk_', ?)`,
    ).run(userId, hashToken(token), new Date().toISOString());
    db.close();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await suite?.stopAll();
  });

  it('publish -> event stored once -> signed delivery, GET /api/events and analytics', async () => {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${suite.urls.api}/api/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url, events: ['package.published'] }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { secret: string };
    await waitFor(() => receiver.received.length === 1, 10_000, 'the creation ping');

    const name = 'hooked-pkg';
    const put = await fetch(`${suite.urls.registry}${docPath(name)}`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(publishBody(name, '1.0.0')),
    });
    expect(put.status).toBe(201);

    await waitFor(() => receiver.received.length === 2, 15_000, 'the package.published delivery');
    const got = receiver.received[1];
    const payload = new Webhook(hook.secret).verify(got.body, got.headers) as {
      type: string;
      data: Record<string, unknown>;
      subject: string;
    };
    expect(payload).toMatchObject({ type: 'package.published', subject: `package:${name}`, data: { name, version: '1.0.0' } });

    const events = (await (await fetch(`${suite.urls.api}/api/events?type=package.published`, { headers: auth })).json()) as {
      total: number;
      events: { id: string }[];
    };
    expect(events.total).toBe(1);
    expect(events.events[0].id).toBe(got.headers['webhook-id']);

    const analytics = await fetch(`${suite.urls.api}/api/analytics?type=package&id=${name}&days=1`, { headers: auth });
    expect(analytics.status).toBe(200);
    expect(((await analytics.json()) as { analytics: unknown[] }).analytics).toEqual([
      { date: new Date().toISOString().slice(0, 10), event_type: 'published', count: 1 },
    ]);
  });
});
