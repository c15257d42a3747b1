// The marketplace serves its OpenAPI document (generated from the zod schemas) and the /docs page.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

describe('marketplace /openapi.json and /docs', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  it('lists the public routes and hides /internal/*', async () => {
    const res = await f.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info.title).toBe('Elide Marketplace service marketplace');
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/services',
        '/api/services/{slug}',
        '/api/services/{slug}/reviews',
        '/api/deployments',
        '/api/deployments/{id}',
        '/api/billing',
      ]),
    );
    expect(Object.keys(doc.paths['/api/deployments'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(paths.filter((p) => p.startsWith('/internal/') || p === '/openapi.json' || p.startsWith('/docs'))).toEqual([]);
  });

  it('serves the browsable page at /docs', async () => {
    const res = await f.app.inject({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
  });
});
