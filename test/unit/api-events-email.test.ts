// Email notifications through a local SMTP sink (smtp-server on 127.0.0.1): deployment failed, billing
// threshold, package flagged and webhook disabled reach the owner's address; with SMTP_HOST unset nothing
// is sent and one log line says so.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmailWorker } from '../../api/email.ts';
import { createManualClock } from '../../lib/clock.ts';
import { addUser, buildTestApi, internalHeaders, makeEvent } from './api-events-fixtures.ts';
import { startReceiver } from './api-webhooks-receiver.ts';

interface Mail {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

describe('email notifications', () => {
  const clock = createManualClock(Math.floor(Date.now() / 1000) * 1000);
  const mails: Mail[] = [];
  let smtp: SMTPServer;
  let port: number;
  let t: Awaited<ReturnType<typeof buildTestApi>> | undefined;

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'notifications@elide.test' && auth.password === 'smtp-pass') cb(null, { user: auth.username });
        else cb(new Error('bad credentials'));
      },
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (c) => (raw += c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            user: session.user as string | undefined,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => smtp.close(() => r())));
  afterEach(async () => {
    mails.length = 0;
    await t?.app.close();
    t = undefined;
  });

  const smtpEnv = () => ({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(port),
    SMTP_USER: 'notifications@elide.test',
    SMTP_PASS: 'smtp-pass',
  });

  it('mails the owner for a failed deployment, a billing threshold and a flagged package', async () => {
    t = await buildTestApi(clock, smtpEnv());
    const alice = addUser(t.db, clock, 'alice');
    const events = [
      makeEvent(clock, {
        type: 'deployment.failed',
        ownerId: alice.id,
        data: { deploymentId: 'deploy-9', error: { message: 'out of capacity' } },
      }),
      // The marketplace sends service.failed beside deployment.failed: one email, not two.
      makeEvent(clock, { type: 'service.failed', ownerId: alice.id, data: { deploymentId: 'deploy-9' } }),
      makeEvent(clock, {
        type: 'billing.threshold',
        ownerId: alice.id,
        data: { percent: 80, basis: 'actual', amountMinor: 10_000, currentMinor: 8000, projectedMinor: 12_000, currency: 'USD' },
      }),
      makeEvent(clock, {
        type: 'package.vulnerable',
        ownerId: alice.id,
        data: { name: 'left-pad', version: '1.0.1', reason: 'install script downloads a binary' },
      }),
      makeEvent(clock, { type: 'package.published', ownerId: alice.id, data: { name: 'left-pad' } }), // no email
    ];
    await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events } });
    expect(await t.pipeline.email.runPending()).toBe(3);
    expect(mails.map((m) => m.to)).toEqual([['alice@example.com'], ['alice@example.com'], ['alice@example.com']]);
    expect(mails.every((m) => m.from === 'notifications@elide.test' && m.user === 'notifications@elide.test')).toBe(true);
    const subjects = mails.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]);
    expect(subjects).toEqual([
      'Deployment deploy-9 failed',
      'Billing threshold reached',
      'Package left-pad@1.0.1 was flagged by the security scanner',
    ]);
    expect(mails[0].raw).toContain('out of capacity');
    expect(mails[1].raw.replace(/=\r?\n/g, '')).toContain('Your spending (80.00 USD) reached 80% of your budget of 100.00 USD.');
    expect(t.db.prepare("SELECT count(*) AS n FROM notifications WHERE email_status = 'sent'").get()).toEqual({ n: 3 });
    expect(await t.pipeline.email.runPending()).toBe(0); // sent once
  });

  it('mails the owner when a webhook endpoint is disabled', async () => {
    t = await buildTestApi(clock, { ...smtpEnv(), WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
    const owner = addUser(t.db, clock, 'hooker');
    const receiver = await startReceiver([{ status: 410 }]);
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: owner.auth,
        payload: { url: receiver.url, events: ['*'] },
      });
      expect(res.statusCode).toBe(201);
      await t.pipeline.dispatcher.runDue(); // the creation ping: a test, it never disables
      expect(await t.pipeline.email.runPending()).toBe(0);
      const e = makeEvent(clock, { type: 'package.published', ownerId: owner.id, data: { name: 'x' } });
      await t.app.inject({ method: 'POST', url: '/internal/events', headers: internalHeaders, payload: { events: [e] } });
      await t.pipeline.dispatcher.runDue(); // 410 Gone
      expect(await t.pipeline.email.runPending()).toBe(1);
      expect(mails[0].to).toEqual(['hooker@example.com']);
      expect(mails[0].raw).toMatch(/^Subject: Webhook endpoint http:\/\/127\.0\.0\.1:\d+\/hook was disabled$/m);
    } finally {
      await receiver.close();
    }
  });

  it('with SMTP_HOST unset sends nothing, says so once in the log, and keeps the notification', async () => {
    t = await buildTestApi(clock);
    const alice = addUser(t.db, clock, 'alice');
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    );
    const worker = createEmailWorker({ db: t.db, clock, config: { SMTP_PORT: 587 }, logger });
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      'SMTP_HOST is not set: email notifications are not sent (they stay in the account notification feed)',
    ]);
    await t.app.inject({
      method: 'POST',
      url: '/internal/events',
      headers: internalHeaders,
      payload: { events: [makeEvent(clock, { type: 'deployment.failed', ownerId: alice.id, data: { deploymentId: 'd' } })] },
    });
    expect(await worker.runPending()).toBe(0);
    expect(mails).toHaveLength(0);
    expect(t.db.prepare('SELECT kind, email_status FROM notifications').all()).toEqual([
      { kind: 'deployment_failed', email_status: 'not_configured' },
    ]);
  });

  it('keeps a notification pending while the SMTP server fails, and gives up after 5 attempts', async () => {
    t = await buildTestApi(clock);
    const alice = addUser(t.db, clock, 'alice');
    const logger = pino({ level: 'silent' });
    const worker = createEmailWorker({
      db: t.db,
      clock,
      config: { SMTP_PORT: 587 },
      logger,
      send: () => Promise.reject(new Error('421 try later')),
    });
    await t.app.inject({
      method: 'POST',
      url: '/internal/events',
      headers: internalHeaders,
      payload: { events: [makeEvent(clock, { type: 'billing.threshold', ownerId: alice.id, data: { percent: 100 } })] },
    });
    for (let i = 0; i < 4; i++) await worker.runPending();
    expect(t.db.prepare('SELECT email_status, email_attempts FROM notifications').get()).toEqual({
      email_status: 'pending',
      email_attempts: 4,
    });
    await worker.runPending();
    expect(t.db.prepare('SELECT email_status, email_attempts FROM notifications').get()).toEqual({
      email_status: 'failed',
      email_attempts: 5,
    });
  });
});
