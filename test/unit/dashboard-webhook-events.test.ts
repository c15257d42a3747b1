// Creating a webhook with an event name the API does not know: the refusal on the page lists the events it
// does know (from the API's answer), and what was typed stays in the form.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApp } from '../../dashboard/app.ts';
import { csrfFor, SESSION_COOKIE } from '../../dashboard/session.ts';
import { testSecrets } from '../helpers/config.ts';
import { dashboardOver, FAKE_ME } from '../helpers/dashboard.ts';

const ALLOWED = ['package.published', 'service.deployed', 'deployment.failed'];

let fake: FastifyInstance;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  fake = Fastify();
  fake.get('/api/auth/me', async () => FAKE_ME);
  fake.get('/api/webhooks', async () => ({ webhooks: [] }));
  // The main API's refusal (api/webhooks.ts validateEvents): the unknown names and every allowed one in details.
  fake.post('/api/webhooks', async (req, reply) => {
    const events = (req.body as { events: string[] }).events;
    const unknown = events.filter((e) => e !== '*' && !ALLOWED.includes(e));
    return reply
      .status(400)
      .send({ error: `unknown event type: ${unknown.join(', ')}`, code: 'UNKNOWN_EVENT_TYPE', details: { unknown, allowed: ALLOWED } });
  });
  await fake.listen({ host: '127.0.0.1', port: 0 });
  app = await dashboardOver(`http://127.0.0.1:${(fake.server.address() as { port: number }).port}`);
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('webhook events the API does not know', () => {
  it('the refusal lists the known events; the typed values stay', async () => {
    const token = 'elk_hooks';
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: { cookie: `${SESSION_COOKIE}=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        _csrf: csrfFor(testSecrets.jwtSecret, token),
        url: 'https://hooks.example.test/in',
        events: 'deployment.created',
      }).toString(),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain(
      '<p class="error" role="alert">unknown event type: deployment.created. Known events: package.published, service.deployed, deployment.failed (or * for all).</p>',
    );
    expect(res.body).toContain('value="deployment.created"');
    expect(res.body).toContain('value="https://hooks.example.test/in"');
  });
});
