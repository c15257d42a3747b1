// Builds the main API on an in-memory database with a manual clock, plus helpers to make accounts.
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../api/app.ts';
import { openApiDatabase } from '../../api/db.ts';
import type { IdentityOptions } from '../../api/identity-context.ts';
import { createManualClock } from '../../lib/clock.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';

export async function buildAuthApp(identity: IdentityOptions = {}, dbFile = ':memory:') {
  const db = openApiDatabase(dbFile);
  const clock = createManualClock();
  const config = testConfig();
  const app = await buildApp({ config, secrets: testSecrets, db, clock, logger: 'silent', identity });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function register(username: string, extra: Partial<InjectOptions> = {}) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { username, email: `${username}@example.com`, password: `${username}-password` },
      ...extra,
    });
    if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
    return res.json() as { userId: string; username: string; token: string; expiresAt: string };
  }

  /** A user created through the internal route (the seed's way) with a role and plan, then logged in. */
  async function ensureUser(username: string, role: 'user' | 'publisher' | 'admin', plan: 'free' | 'team' | 'enterprise' = 'free') {
    const password = `${username}-password`;
    const made = await app.inject({
      method: 'POST',
      url: '/internal/users/ensure',
      headers: { 'x-internal-token': testSecrets.internalToken },
      payload: { username, email: `${username}@example.com`, password, role, plan },
    });
    if (made.statusCode !== 200) throw new Error(`ensure ${username}: ${made.body}`);
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.body}`);
    return res.json() as { userId: string; username: string; token: string; expiresAt: string };
  }

  const get = (url: string, token?: string, extra: Partial<InjectOptions> = {}) =>
    app.inject({ method: 'GET', url, headers: token ? bearer(token) : {}, ...extra });
  const send = (
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    token: string | undefined,
    payload?: unknown,
    extra: Partial<InjectOptions> = {},
  ) =>
    app.inject({
      method,
      url,
      headers: token ? bearer(token) : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
      ...extra,
    });

  return { app, db, clock, config, bearer, register, ensureUser, get, send };
}

export type AuthFixture = Awaited<ReturnType<typeof buildAuthApp>>;
