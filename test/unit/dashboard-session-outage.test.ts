// The dashboard while the main API has a bad moment: a session it cannot check (5xx, 429) is not a session that
// ended, so the cookie stays and the next page, once the API answers again, is signed in; a 401 does end it.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { SESSION_COOKIE } from '../../dashboard/session.ts';
import { dashboardOver, FAKE_ME } from '../helpers/dashboard.ts';

let fake: FastifyInstance;
let app: Awaited<ReturnType<typeof buildApp>>;
/** What /api/auth/me answers next: the user, or a status with the API's error body. */
let meAnswer: number | 'ok' = 'ok';

beforeAll(async () => {
  fake = Fastify();
  fake.get('/health', async () => ({ status: 'ok', version: '0.1.0', uptime: 1 }));
  fake.get('/api/auth/me', async (_req, reply) =>
    meAnswer === 'ok'
      ? FAKE_ME
      : reply.status(meAnswer).send({ error: 'not now', code: meAnswer === 401 ? 'UNAUTHORIZED' : 'UNAVAILABLE' }),
  );
  fake.get('/api/auth/tokens', async () => ({ tokens: [] }));
  await fake.listen({ host: '127.0.0.1', port: 0 });
  app = await dashboardOver(`http://127.0.0.1:${(fake.server.address() as { port: number }).port}`);
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const visit = (token: string) => app.inject({ url: '/account/tokens', headers: { cookie: `${SESSION_COOKIE}=${token}` } });
const clearsCookie = (res: { headers: Record<string, unknown> }) =>
  ([res.headers['set-cookie']].flat().filter(Boolean) as string[]).some((c) => c.startsWith(`${SESSION_COOKIE}=;`));

describe('session lookup during a main API outage', () => {
  // One token per case: the dashboard caches who a token is for 5 s, and each case must ask the API afresh.
  it.each([503, 500, 429])('a %i from /api/auth/me shows an error page and keeps the session cookie', async (status) => {
    meAnswer = status;
    const token = `elk_outage${status}`;
    const res = await visit(token);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('could not check who is signed in');
    expect(clearsCookie(res)).toBe(false);
    // The API is back: the same cookie is still a signed-in session.
    meAnswer = 'ok';
    const back = await visit(token);
    expect(back.statusCode).toBe(200);
    expect(back.body).toContain('Signed in as');
  });

  it('a 401 (expired or revoked) still ends the session: cookie cleared, login page', async () => {
    meAnswer = 401;
    const res = await visit('elk_revoked');
    expect(clearsCookie(res)).toBe(true);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Ftokens');
  });
});
