// What every registry seed step shares (npm packages, PyPI/Maven/RubyGems packages, advisories): the main API
// and the registry built in-process (buildApp + inject, so every row goes through a user's own rules), the demo
// user's session token for the uploads, and the cleanup (logout, close) whatever happens.
import type { FastifyInstance } from 'fastify';
import { buildApp as buildApiApp } from '../api/app.ts';
import { openApiDatabase } from '../api/db.ts';
import { systemClock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import { lazyReadonly } from '../lib/db.ts';
import type { Secrets } from '../lib/secrets.ts';
import { buildApp } from './app.ts';
import { openRegistryDatabase } from './db.ts';

export interface SeedStepContext {
  config: Config;
  secrets: Secrets;
  report: { changes: string[] };
}

export interface SeedSession {
  /** The registry app: inject requests as a client would send them. */
  registry: FastifyInstance;
  /** demo's session token (Bearer, Basic password or RubyGems API key). */
  token: string;
  /** Headers of an internal call (x-internal-token). */
  internal: Record<string, string>;
}

/**
 * Runs `step` with both apps and demo logged in. When demo cannot log in (its password was changed), the step is
 * skipped and the report says so: the seed never overrides a user's choice.
 */
export async function withSeedSession(ctx: SeedStepContext, what: string, step: (s: SeedSession) => Promise<void>): Promise<void> {
  const api = await buildApiApp({
    config: ctx.config,
    secrets: ctx.secrets,
    clock: systemClock,
    logger: 'silent',
    db: openApiDatabase(ctx.config.DATABASE_PATH),
  });
  const registry = await buildApp({
    config: ctx.config,
    secrets: ctx.secrets,
    clock: systemClock,
    logger: 'silent',
    db: openRegistryDatabase(ctx.config.REGISTRY_DATABASE_PATH),
    identityDb: lazyReadonly(ctx.config.DATABASE_PATH),
  });
  try {
    const login = await api.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'demo', password: 'demo123' } });
    if (login.statusCode !== 200) {
      ctx.report.changes.push(`skipped ${what}: the demo user cannot log in with its seed password`);
      return;
    }
    const token = (login.json() as { token: string }).token;
    try {
      await step({ registry, token, internal: { 'x-internal-token': ctx.secrets.internalToken } });
    } finally {
      await api.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } });
    }
  } finally {
    await registry.close();
    await api.close();
  }
}
