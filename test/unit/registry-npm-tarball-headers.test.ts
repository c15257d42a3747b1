// An npm tarball is a download, never a page on the registry's origin: octet-stream, attachment, nosniff and a
// sandbox CSP (reliability-security.md rule 13), for a scoped and an unscoped name, fresh or revalidated.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

describe('npm tarball download headers', () => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  for (const [name, file] of [
    ['plain-pkg', '/npm/plain-pkg/-/plain-pkg-1.0.0.tgz'],
    ['@acme/scoped-pkg', '/npm/@acme/scoped-pkg/-/scoped-pkg-1.0.0.tgz'],
  ]) {
    it(`serves ${name} as an inert download`, async () => {
      const put = await r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { ...bearer(r.alice), 'content-type': 'application/json' },
        payload: JSON.stringify(publishBody(name, '1.0.0')),
      });
      expect(put.statusCode).toBe(201);
      const res = await r.app.inject({ method: 'GET', url: file });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${file.split('/').pop()}"`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe('sandbox');
      const again = await r.app.inject({ method: 'GET', url: file, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(again.statusCode).toBe(304);
      expect(again.headers['content-security-policy']).toBe('sandbox');
    });
  }
});
