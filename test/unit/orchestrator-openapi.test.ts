// The orchestrator serves its OpenAPI document (generated from the zod schemas) and the /docs page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../lib/clock.ts';
import { buildApp } from '../../services/app.ts';
import { openOrchestratorDatabase } from '../../services/db.ts';
import { testConfig, testSecrets } from '../helpers/config.ts';

describe('orchestrator /openapi.json and /docs', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    app = await buildApp({
      config: testConfig(),
      secrets: testSecrets,
      db: openOrchestratorDatabase(':memory:'),
      clock: createManualClock(),
      logger: 'silent',
    });
  });
  afterAll(async () => app.close());

  it('lists the public routes and hides /internal/*', async () => {
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { info: { title: string }; paths: Record<string, unknown> };
    expect(doc.info.title).toBe('Elide Marketplace orchestrator');
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/templates', '/api/templates/{slug}']));
    expect(paths.filter((p) => p.startsWith('/internal/') || p === '/openapi.json' || p.startsWith('/docs'))).toEqual([]);
  });

  it('serves the browsable page at /docs', async () => {
    const res = await app.inject({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
  });
});
