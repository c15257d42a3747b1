// The login form's "next" against open redirects: browsers drop tab and newline from a URL and read a backslash
// as "/", so a "next" of "/<tab>/evil.test" was answered with that Location and Chromium went to evil.test
// (a phishing link through the dashboard's own login page, with or without a session).
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { dashboardOver, FAKE_ME } from '../helpers/dashboard.ts';

let fake: FastifyInstance;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  fake = Fastify();
  fake.post('/api/auth/login', async () => ({ token: 'elk_session', expiresAt: '2099-01-01T00:00:00.000Z' }));
  fake.get('/api/auth/me', async (req, reply) =>
    req.headers.authorization === 'Bearer elk_session' ? FAKE_ME : reply.status(401).send({ error: 'no', code: 'UNAUTHORIZED' }),
  );
  await fake.listen({ host: '127.0.0.1', port: 0 });
  app = await dashboardOver(`http://127.0.0.1:${(fake.server.address() as { port: number }).port}`);
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
const cookiesOf = (res: { headers: Record<string, unknown> }) =>
  ([] as string[])
    .concat((res.headers['set-cookie'] as string[] | string | undefined) ?? [])
    .map((c) => c.split(';')[0])
    .join('; ');

async function loginWithNext(next: string) {
  const page = await app.inject({ method: 'GET', url: '/login' });
  return app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfOf(page.body), username: 'demo', password: 'demo123', next }).toString(),
  });
}

// Each of these is another origin once a browser has parsed it (WHATWG URL: tab/LF/CR removed, "\" is "/").
const OFF_SITE = ['/\t/evil.test/x', '/\n/evil.test', '/\r/evil.test', '/\\evil.test', '/\t\\evil.test', '\t//evil.test', ' /evil.test'];

describe('login next', () => {
  for (const next of OFF_SITE) {
    it(`refuses ${JSON.stringify(next)} after the form`, async () => {
      const res = await loginWithNext(next);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/');
    });
  }

  it('refuses them for a signed-in visitor sent to /login (no click needed)', async () => {
    for (const next of OFF_SITE) {
      const res = await app.inject({
        method: 'GET',
        url: `/login?next=${encodeURIComponent(next)}`,
        headers: { cookie: 'elide_session=elk_session' },
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/');
    }
  });

  it('keeps a same-site path with its query and fragment', async () => {
    const res = await loginWithNext('/deployments/dep-1?tab=logs#top');
    expect(res.headers.location).toBe('/deployments/dep-1?tab=logs#top');
    const encoded = await loginWithNext('/package/%40elide%2Fhello');
    expect(encoded.headers.location).toBe('/package/%40elide%2Fhello');
  });
});
