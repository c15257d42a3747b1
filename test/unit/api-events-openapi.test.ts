// The main API's OpenAPI document at /openapi.json, generated from the zod schemas, and the browsable /docs
// page served from local assets only; internal routes are not described.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { buildTestApi } from './api-events-fixtures.ts';

describe('OpenAPI', () => {
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  beforeAll(async () => {
    t = await buildTestApi(createManualClock());
  });
  afterAll(async () => t.app.close());

  it('describes the public routes from their zod schemas, and no internal route', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info.title).toBe('Elide Marketplace main API');
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/webhooks',
      '/api/webhooks/{id}',
      '/api/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      '/api/analytics',
      '/api/events',
    ]) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => p.startsWith('/internal'))).toEqual([]);
    const create = doc.paths['/api/webhooks'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['url', 'events']);
    expect(Object.keys(create.responses['201'].content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['webhookId', 'url', 'events', 'secret']),
    );
    const analytics = doc.paths['/api/analytics'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(analytics).toEqual(expect.arrayContaining(['query:type', 'query:id', 'query:days']));
  });

  it('serves a browsable /docs page whose assets are all local', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).not.toMatch(/(src|href)="https?:\/\//);
    const bundle = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
  });
});
