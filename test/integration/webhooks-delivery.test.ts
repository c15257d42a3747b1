// End to end in a real main API process: an event relayed to POST /internal/events reaches a subscribed
// receiver on 127.0.0.1, signed (verified with the standardwebhooks package), retried on the scaled
// schedule while the receiver fails, and delivered once it recovers.
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { type Suite, startSuite, waitFor } from '../helpers/suite.ts';
import { startReceiver } from '../unit/api-webhooks-receiver.ts';

describe('webhooks: delivery by the main API process', () => {
  let suite: Suite;
  let internalToken: string;
  let auth: Record<string, string>;
  let userId: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    // Only this suite may reach the 127.0.0.1 receiver; retries run 1000x faster.
    suite = await startSuite({ only: ['api'], env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' } });
    internalToken = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const ensure = await fetch(`${suite.urls.api}/internal/users/ensure`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internalToken },
      body: JSON.stringify({ username: 'hook-owner', email: 'hooks@example.com', password: 'password-123', role: 'user', plan: 'team' }),
    });
    userId = ((await ensure.json()) as { userId: string }).userId;
    const token = generateApiToken();
    const db = openDatabase(suite.config.DATABASE_PATH);
    db.prepare(
      `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES ('tok-hooks', ?, 'api', 't', ?, 'elk_', ?)`,
    ).run(userId, hashToken(token), new Date().toISOString());
    db.close();
    auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await suite?.stopAll();
  });

  it('retries while the receiver fails, then delivers a verifiable signed event', async () => {
    const created = await fetch(`${suite.urls.api}/api/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url, events: ['deployment.failed'] }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { webhookId: string; secret: string };
    await waitFor(() => receiver.received.length === 1, 10_000, 'the creation ping');
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ type: 'webhook.test' });

    receiver.respond([{ status: 500 }, { status: 503 }, { status: 200 }]);
    const event = {
      id: 'evt-integration-1',
      type: 'deployment.failed',
      ownerId: userId,
      subject: 'deployment:deploy-abc',
      data: { deploymentId: 'deploy-abc', error: { code: 'PROVISION_FAILED', message: 'no capacity' } },
      occurredAt: new Date().toISOString(),
    };
    const posted = await fetch(`${suite.urls.api}/internal/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internalToken },
      body: JSON.stringify({ events: [event] }),
    });
    expect(await posted.json()).toEqual({ stored: 1, duplicates: 0 });

    // 5 s and 300 s scaled by 0.001: both retries land within about a second.
    await waitFor(() => receiver.received.length === 4, 15_000, 'three attempts');
    const attempts = receiver.received.slice(1);
    expect(attempts.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    expect(new Webhook(hook.secret).verify(attempts[2].body, attempts[2].headers)).toMatchObject({
      id: event.id,
      type: 'deployment.failed',
      data: { deploymentId: 'deploy-abc' },
    });

    const list = await fetch(`${suite.urls.api}/api/webhooks/${hook.webhookId}/deliveries?eventType=deployment.failed`, { headers: auth });
    const [delivery] = ((await list.json()) as { deliveries: { id: string; status: string; attemptCount: number }[] }).deliveries;
    await waitFor(
      async () => {
        const r = await fetch(`${suite.urls.api}/api/webhooks/${hook.webhookId}/deliveries/${delivery.id}`, { headers: auth });
        return ((await r.json()) as { status: string }).status === 'succeeded';
      },
      5000,
      'the delivery to be recorded as succeeded',
    );
    const full = (await (
      await fetch(`${suite.urls.api}/api/webhooks/${hook.webhookId}/deliveries/${delivery.id}`, { headers: auth })
    ).json()) as {
      attempts: { responseStatus: number; outcome: string }[];
    };
    expect(full.attempts.map((a) => a.responseStatus)).toEqual([500, 503, 200]);
    // The relay's resend of the same event is dropped, so the receiver gets nothing more.
    const again = await fetch(`${suite.urls.api}/internal/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internalToken },
      body: JSON.stringify({ events: [event] }),
    });
    expect(await again.json()).toEqual({ stored: 0, duplicates: 1 });
    // The log never carries the signing secret.
    expect(fs.readFileSync(suite.logFile('api'), 'utf8')).not.toContain(hook.secret.slice(6));
  });
});
