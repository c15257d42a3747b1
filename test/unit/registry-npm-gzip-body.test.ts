// gzip request bodies on the npm routes are inflated before credentials are checked (npm audit and adduser are
// anonymous): an anonymous 97 kB gzip of one long JSON string made the registry inflate and parse 95 MB to answer
// 401. A gzip body now inflates to at most 100 times its size past a 4 MB floor; npm's own bodies stay far below.
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseNpmJson } from '../../registry/npm/body-parser.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

const MB = 1024 * 1024;
/** One JSON string of zeros: about a thousand to one once gzipped. */
const zerosJson = (bytes: number) => gzipSync(`{"name":"gz-pkg","x":"${'0'.repeat(bytes)}"}`, { level: 9 });

describe('parseNpmJson', () => {
  it('refuses a gzip body inflating past 100 times its size', () => {
    const bomb = zerosJson(20 * MB);
    expect(bomb.length).toBeLessThan(40 * 1024);
    expect(() => parseNpmJson(bomb, 'gzip', 100 * MB)).toThrow(expect.objectContaining({ statusCode: 413, code: 'BODY_TOO_LARGE' }));
  });

  it('inflates a well-compressed body under the floor, and anything within the ratio', () => {
    expect(parseNpmJson(zerosJson(3 * MB), 'gzip', 100 * MB)).toMatchObject({ name: 'gz-pkg' });
    const audit = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`pkg-${i}`, ['1.0.0', '2.0.0']]));
    expect(Object.keys(parseNpmJson(gzipSync(JSON.stringify(audit)), 'gzip', 100 * MB) as object)).toHaveLength(20_000);
  });
});

describe('npm routes with gzip bodies', () => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  it('answers 413 to an anonymous gzip bomb on publish without inflating it', async () => {
    const res = await r.app.inject({
      method: 'PUT',
      url: docPath('gz-pkg'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: zerosJson(20 * MB),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BODY_TOO_LARGE');
  });

  it('still takes a gzipped npm publish, scoped and unscoped', async () => {
    for (const name of ['gz-plain', '@acme/gz-scoped']) {
      const res = await r.app.inject({
        method: 'PUT',
        url: docPath(name),
        headers: { ...bearer(r.alice), 'content-type': 'application/json', 'content-encoding': 'gzip' },
        payload: gzipSync(JSON.stringify(publishBody(name, '1.0.0'))),
      });
      expect(res.statusCode, name).toBe(201);
    }
  });
});
