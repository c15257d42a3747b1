// Email notifications: the worker mails pending account notifications (deployment failed, billing threshold,
// package flagged, webhook endpoint disabled) through SMTP_HOST/PORT/USER/PASS with nodemailer. With
// SMTP_HOST unset nothing is sent, the notifications stay in the feed, and one log line says so.
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import { createEventsRepo } from './events-repo.ts';

/** A failing SMTP server is retried on each run; after this many attempts the notification is marked failed. */
export const MAX_EMAIL_ATTEMPTS = 5;

export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
}
export type SendMail = (m: EmailMessage) => Promise<unknown>;

export function smtpSender(config: Pick<Config, 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_USER' | 'SMTP_PASS'>): SendMail {
  const transport = nodemailer.createTransport({
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    // 465 is implicit TLS; other ports upgrade with STARTTLS when the server offers it.
    secure: config.SMTP_PORT === 465,
    auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASS ?? '' } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return (m) => transport.sendMail(m);
}

export interface EmailWorkerDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_USER' | 'SMTP_PASS'>;
  logger: Logger;
  /** Defaults to nodemailer over SMTP_HOST; undefined when SMTP_HOST is unset. */
  send?: SendMail;
}

export function createEmailWorker(d: EmailWorkerDeps) {
  const repo = createEventsRepo(d.db);
  const send = d.send ?? (d.config.SMTP_HOST ? smtpSender(d.config) : undefined);
  const from = d.config.SMTP_USER?.includes('@') ? d.config.SMTP_USER : 'notifications@elide.dev';
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;

  if (!send) d.logger.info('SMTP_HOST is not set: email notifications are not sent (they stay in the account notification feed)');

  async function run(): Promise<number> {
    let sent = 0;
    for (;;) {
      const batch = repo.pendingEmails(20);
      if (batch.length === 0) return sent;
      for (const n of batch) {
        const at = new Date(d.clock.now()).toISOString();
        if (!send) {
          repo.markEmail(n.id, 'not_configured', null);
          continue;
        }
        try {
          await send({ from, to: n.email, subject: n.title, text: `${n.body}\n\n-- Elide Marketplace` });
          repo.markEmail(n.id, 'sent', at);
          sent++;
        } catch (err) {
          const giveUp = n.email_attempts + 1 >= MAX_EMAIL_ATTEMPTS;
          repo.markEmail(n.id, giveUp ? 'failed' : 'pending', null);
          d.logger.warn({ err: (err as Error).message, notification: n.id, giveUp }, 'email notification not sent');
          if (!giveUp) return sent; // the server is failing: try the rest on the next run
        }
      }
    }
  }

  /** Send every pending email; concurrent calls share the run in flight. */
  function runPending(): Promise<number> {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    runPending,
    /** Wake the worker (a notification was written); a no-op until start(). */
    kick: () => {
      if (started) void runPending().catch((err) => d.logger.error({ err }, 'email worker failed'));
    },
    start(intervalMs = 5000) {
      started = true;
      timer = setInterval(() => void runPending().catch((err) => d.logger.error({ err }, 'email worker failed')), intervalMs);
      timer.unref();
    },
    async stop() {
      started = false;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
