// Wires the event pipeline into the main API: event ingest and polling, webhooks and their delivery
// worker, analytics and download counts, email notifications. app.ts calls registerEventPipeline once.
import { createAuthenticator } from '../lib/auth.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { TypedApp } from '../lib/service-app.ts';
import type { Resolver } from '../lib/ssrf.ts';
import type { ApiDeps } from './app.ts';
import { createEmailWorker, type SendMail } from './email.ts';
import { createEventIngest } from './events.ts';
import { pruneExpired } from './events-retention.ts';
import { registerAnalyticsRoutes } from './routes/analytics.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { createWebhookRules } from './webhooks.ts';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks-dispatcher.ts';

export interface EventPipeline {
  ingest: ReturnType<typeof createEventIngest>;
  dispatcher: WebhookDispatcher;
  email: ReturnType<typeof createEmailWorker>;
}

export interface PipelineOptions {
  /** DNS for webhook targets (tests inject one). */
  resolve?: Resolver;
  random?: () => number;
  /** false: no background worker; tests call pipelineOf(app).dispatcher.runDue() themselves. */
  worker?: boolean;
  /** Replaces nodemailer (tests). */
  sendMail?: SendMail;
}

/** Test seams for a deps object, set before buildApp (app.ts passes only deps). */
export const pipelineOptions = new WeakMap<ApiDeps, PipelineOptions>();

const pipelines = new WeakMap<object, EventPipeline>();
/** The pipeline behind an app (tests drive the webhook worker directly with an injected clock). */
export const pipelineOf = (app: object): EventPipeline => pipelines.get(app)!;

export function registerEventPipeline(app: TypedApp, deps: ApiDeps, opts: PipelineOptions = pipelineOptions.get(deps) ?? {}) {
  const guards = createAuthGuards(
    createAuthenticator(
      () => deps.db,
      deps.secrets.jwtSecret,
      () => deps.clock.now(),
    ),
  );
  const allowPrivateNetworks = deps.config.WEBHOOKS_ALLOW_PRIVATE_NETWORKS;
  const email = createEmailWorker({ db: deps.db, clock: deps.clock, config: deps.config, logger: app.log as never, send: opts.sendMail });
  const dispatcher = createWebhookDispatcher({
    db: deps.db,
    clock: deps.clock,
    logger: app.log as never,
    encryptionKey: deps.secrets.encryptionKey,
    allowPrivateNetworks,
    timeScale: deps.config.WEBHOOK_RETRY_TIME_SCALE,
    resolve: opts.resolve,
    random: opts.random,
    onNotification: () => email.kick(),
  });
  const ingest = createEventIngest(deps.db, deps.clock);
  const rules = createWebhookRules({
    db: deps.db,
    clock: deps.clock,
    encryptionKey: deps.secrets.encryptionKey,
    allowPrivateNetworks,
    dispatcher,
    resolve: opts.resolve,
  });
  registerEventRoutes(app, deps, guards, {
    ingest,
    afterIngest: () => {
      dispatcher.kick();
      email.kick();
    },
  });
  registerWebhookRoutes(app, deps, guards, rules);
  registerAnalyticsRoutes(app, deps, guards);
  pipelines.set(app, { ingest, dispatcher, email });

  let pruneTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    if (allowPrivateNetworks) {
      app.log.warn('WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true: webhooks may reach private and loopback addresses (local development only)');
    }
    if (opts.worker !== false) {
      dispatcher.start();
      email.start();
      const prune = () => {
        try {
          const n = pruneExpired(deps.db, deps.clock.now());
          if (n.deliveries || n.events) app.log.info(n, 'pruned events and deliveries past the 30-day retention');
        } catch (err) {
          app.log.error({ err }, 'retention prune failed');
        }
      };
      prune();
      pruneTimer = setInterval(prune, 3_600_000);
      pruneTimer.unref();
    }
  });
  app.addHook('preClose', async () => {
    clearInterval(pruneTimer);
    await dispatcher.stop();
    await email.stop();
  });
}
