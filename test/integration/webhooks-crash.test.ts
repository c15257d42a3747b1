// Crash the main API mid-delivery (kill -9 while the receiver holds the request): after the restart the
// delivery is sent again with the same webhook-id, so nothing is lost (at-least-once).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { type Suite, startSuite, waitFor } from '../helpers/suite.ts';

describe('webhooks: crash of the main API during a delivery', () => {
  let suite: Suite;
  let server: http.Server;
  let receiverUrl: string;
  const seen: { id: string; type: string }[] = [];
  let held = false;

  beforeAll(async () => {
    // The receiver holds the first package.published request open (the API dies while waiting for it).
    server = http.createServer((req, res) => {
      // Only webhook deliveries count: another test's leftover poller may reach a port reused by this receiver.
      if (req.method !== 'POST' || req.headers['webhook-id'] === undefined) return res.writeHead(404).end();
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const type = (JSON.parse(body) as { type: string }).type;
        seen.push({ id: String(req.headers['webhook-id']), type });
        if (type === 'package.published' && !held) {
          held = true;
          return;
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    suite = await startSuite({ only: ['api'], env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_TIME_SCALE: '0.001' } });
  });
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await suite?.stopAll();
  });

  it('sends the interrupted delivery again after restart, with the same webhook-id', async () => {
    const internalToken = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const internal = { 'content-type': 'application/json', 'x-internal-token': internalToken };
    const ensure = await fetch(`${suite.urls.api}/internal/users/ensure`, {
      method: 'POST',
      headers: internal,
      body: JSON.stringify({ username: 'crash-hooks', email: 'crash@example.com', password: 'password-123', role: 'user', plan: 'team' }),
    });
    const { userId } = (await ensure.json()) as { userId: string };
    const token = generateApiToken();
    const db = openDatabase(suite.config.DATABASE_PATH);
    db.prepare(
      `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES ('tok-crash', ?, 'api', 't', ?, 'elk_', ?)`,
    ).run(userId, hashToken(token), new Date().toISOString());
    db.close();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${suite.urls.api}/api/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiverUrl, events: ['*'] }),
    });
    expect(created.status).toBe(201);

    const event = {
      id: 'evt-crash-1',
      type: 'package.published',
      ownerId: userId,
      subject: 'package:c',
      data: { name: 'c' },
      occurredAt: new Date().toISOString(),
    };
    await fetch(`${suite.urls.api}/internal/events`, { method: 'POST', headers: internal, body: JSON.stringify({ events: [event] }) });
    await waitFor(() => seen.some((s) => s.type === 'package.published'), 10_000, 'the first attempt to reach the receiver');

    await suite.stop('api', 'SIGKILL');
    await suite.start('api');
    await waitFor(() => seen.filter((s) => s.type === 'package.published').length === 2, 15_000, 'the delivery after restart');
    expect(seen.filter((s) => s.type === 'package.published').map((s) => s.id)).toEqual([event.id, event.id]);
    expect(fs.readFileSync(suite.logFile('api'), 'utf8')).toContain('resuming deliveries interrupted by a restart');
  });
});
