// The frame every process shares: health, readiness, and the one error body for framework errors.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openDatabase } from '../../lib/db.ts';
import { createServiceApp } from '../../lib/service-app.ts';

function build(ready: () => boolean = () => true) {
  const app = createServiceApp({ service: 'test', logger: 'silent', ready, bodyLimitBytes: 1024 });
  app.post('/things', { schema: { body: z.object({ name: z.string().max(10) }) } }, async (req) => ({ name: req.body.name }));
  app.post('/strict', { schema: { body: z.strictObject({ name: z.string() }) } }, async (req) => ({ name: req.body.name }));
  app.get('/things/:id', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('SELECT secret FROM internals failed at /srv/app.ts:12');
  });
  return app;
}

describe('createServiceApp', () => {
  let app: ReturnType<typeof build>;
  afterEach(async () => app?.close());

  it('GET /health answers status, service, version and uptime', async () => {
    app = build();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', service: 'test', version: expect.any(String), uptime: expect.any(Number) });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('GET /ready is 200 while the database answers and 503 once it does not', async () => {
    const db = openDatabase(':memory:');
    app = build(() => {
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    });
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    db.close();
    const res = await app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'test is not ready: its database does not answer', code: 'NOT_READY' });
  });

  it('unknown route -> 404 in the one error body', async () => {
    app = build();
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no route GET /nope', code: 'ROUTE_NOT_FOUND' });
  });

  it('wrong method -> 405 with Allow', async () => {
    app = build();
    const res = await app.inject({ method: 'DELETE', url: '/health' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(res.json().code).toBe('METHOD_NOT_ALLOWED');
  });

  it('malformed JSON -> 400, wrong content type -> 415, oversize body -> 413, invalid field -> 400 naming it', async () => {
    app = build();
    const bad = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'request body is not valid JSON', code: 'INVALID_JSON' });
    const type = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(type.statusCode).toBe(415);
    expect(type.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // text/plain too (Fastify would parse it into a string, refused later as "not an object").
    const text = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'text/plain' }, payload: '{"name":"a"}' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ error: 'unsupported content type: send application/json', code: 'UNSUPPORTED_MEDIA_TYPE' });
    const big = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(5000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'request body is larger than this server accepts: the limit is 1 KB', code: 'BODY_TOO_LARGE' });
    const invalid = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(11) } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'name' }] });
  });

  it("the router's refusals and a whole-object problem read like every other error", async () => {
    app = build();
    const long = await app.inject({ method: 'GET', url: `/things/${'x'.repeat(600)}` });
    expect([long.statusCode, long.json()]).toEqual([414, { error: 'a path segment is longer than 500 characters', code: 'URL_TOO_LONG' }]);
    const bad = await app.inject({ method: 'GET', url: '/things/%E0%A4%A' });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'BAD_URL']);
    // An unknown key is a problem of the body itself: "invalid body: body: ...", never "invalid body: : ...".
    const extra = await app.inject({ method: 'POST', url: '/strict', payload: { name: 'a', foo: 1 } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatch(/^invalid body: body: /);
  });

  it('a crash answers 500 without internals', async () => {
    app = build();
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/SELECT|secret|srv|\.ts/);
    expect(res.json().code).toBe('INTERNAL');
  });

  it('a full disk answers 507 and a busy database 503, both with Retry-After and without internals', async () => {
    app = build();
    const fault = (code: string) => Object.assign(new Error(`${code}: /data/registry.db write failed`), { code });
    app.get('/enospc', async () => {
      throw fault('ENOSPC');
    });
    app.get('/sqlite-full', async () => {
      throw fault('SQLITE_FULL');
    });
    app.get('/sqlite-busy', async () => {
      throw fault('SQLITE_BUSY');
    });
    for (const [url, status, code] of [
      ['/enospc', 507, 'INSUFFICIENT_STORAGE'],
      ['/sqlite-full', 507, 'INSUFFICIENT_STORAGE'],
      ['/sqlite-busy', 503, 'DATABASE_BUSY'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      expect(res.json().code, url).toBe(code);
      expect(Number(res.headers['retry-after']), url).toBeGreaterThan(0);
      expect(res.body, url).not.toMatch(/registry\.db|\/data/);
    }
  });

  it('keeps a valid x-request-id and replaces a hostile one', async () => {
    app = build();
    const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': '<script>' } });
    expect(replaced.headers['x-request-id']).not.toBe('<script>');
  });
});
