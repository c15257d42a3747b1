// npm tarball downloads (registry/npm/routes-packages.ts sendTarball, issue #11 hot path): the bounded read cache
// of blob-store.ts, the 304 on the immutable tarball's ETag, and the access rules that must hold whatever is
// cached (private packages 404 to outsiders, quarantined versions 403).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBlobReadCache, createMemoryBlobStore } from '../../registry/blob-store.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

describe('createBlobReadCache', () => {
  /** A memory store that counts its reads. */
  async function countingStore(sizes: number[]) {
    const store = createMemoryBlobStore();
    const keys: string[] = [];
    for (const [i, n] of sizes.entries()) keys.push(await store.put(Buffer.alloc(n, i + 1)));
    let reads = 0;
    return {
      keys,
      store: {
        get: (k: string) => {
          reads += 1;
          return store.get(k);
        },
      },
      reads: () => reads,
    };
  }

  it('answers repeated reads from memory, least recently used out first, bounded by bytes', async () => {
    const s = await countingStore([400, 400, 400]);
    const cache = createBlobReadCache(s.store, { maxBytes: 1000, maxItemBytes: 500 });
    const [a, b, c] = s.keys;
    expect((await cache.get(a))?.equals(Buffer.alloc(400, 1))).toBe(true);
    await cache.get(b);
    await cache.get(a);
    expect([s.reads(), cache.stats()]).toEqual([2, { entries: 2, bytes: 800 }]);
    // c does not fit beside a and b: b, the least recently used, goes.
    await cache.get(c);
    expect(cache.stats()).toEqual({ entries: 2, bytes: 800 });
    await cache.get(a);
    await cache.get(c);
    expect(s.reads()).toBe(3);
    await cache.get(b);
    expect(s.reads()).toBe(4);
  });

  it('reads a blob larger than maxItemBytes every time without keeping it; an absent blob is undefined', async () => {
    const s = await countingStore([600, 10]);
    const cache = createBlobReadCache(s.store, { maxBytes: 1000, maxItemBytes: 500 });
    await cache.get(s.keys[0]);
    await cache.get(s.keys[0]);
    expect([s.reads(), cache.stats()]).toEqual([2, { entries: 0, bytes: 0 }]);
    expect(await cache.get('0'.repeat(128))).toBeUndefined();
    // Concurrent first reads of one blob keep it once.
    await Promise.all([cache.get(s.keys[1]), cache.get(s.keys[1])]);
    expect(cache.stats()).toEqual({ entries: 1, bytes: 10 });
  });
});

describe('GET /npm/<name>/-/<file>.tgz', () => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  const publish = async (name: string, version: string, access?: 'restricted') => {
    const res = await r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { ...bearer(r.alice), 'content-type': 'application/json' },
      payload: JSON.stringify(publishBody(name, version, { access })),
    });
    expect(res.statusCode, `${name}@${version}`).toBe(201);
  };
  const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });
  const downloads = async (name: string) =>
    (await get(`/internal/packages/${name.replace('/', '%2f')}`, { 'x-internal-token': testSecrets.internalToken })).json().downloads;

  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  it('answers 304 to the tarball ETag it sent, counted as a download; another ETag gets the bytes', async () => {
    await publish('etagged', '1.0.0');
    const url = '/npm/etagged/-/etagged-1.0.0.tgz';
    const first = await get(url);
    expect(first.statusCode).toBe(200);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const again = await get(url, { 'if-none-match': `"other", ${etag}` });
    expect([again.statusCode, again.rawPayload.length, again.headers.etag]).toEqual([304, 0, etag]);
    const other = await get(url, { 'if-none-match': '"0000"' });
    expect([other.statusCode, other.rawPayload.equals(first.rawPayload)]).toEqual([200, true]);
    expect(await downloads('etagged')).toBe(3);
  });

  it('serves the same bytes from memory, and the access rules still apply to every request', async () => {
    await publish('@acme/private', '1.0.0', 'restricted');
    await publish('public-one', '1.0.0');
    await publish('public-one', '1.1.0');
    const secret = '/npm/@acme/private/-/private-1.0.0.tgz';
    const owner = await get(secret, bearer(r.alice));
    expect(owner.statusCode).toBe(200);
    // Its owner's client may keep it; a shared cache (a proxy, a CDN) must not, or it would serve it to anyone.
    expect(owner.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    // Cached now, yet still invisible to anyone else, with or without the ETag.
    expect((await get(secret)).statusCode).toBe(404);
    expect((await get(secret, { ...bearer(r.bob), 'if-none-match': String(owner.headers.etag) })).statusCode).toBe(404);
    expect((await get(secret, bearer(r.alice))).rawPayload.equals(owner.rawPayload)).toBe(true);

    const tarball = '/npm/public-one/-/public-one-1.1.0.tgz';
    const served = await get(tarball);
    expect(served.statusCode).toBe(200);
    // The security review quarantines the version after its bytes were cached: refused, 304 included.
    r.db.prepare("UPDATE scan_results SET review_state = 'quarantined' WHERE name = 'public-one' AND version = '1.1.0'").run();
    for (const headers of [{}, { 'if-none-match': String(served.headers.etag) }] as Record<string, string>[]) {
      const res = await get(tarball, headers);
      expect([res.statusCode, res.json().code]).toEqual([403, 'VERSION_QUARANTINED']);
    }
    expect((await get('/npm/public-one/-/public-one-1.0.0.tgz')).statusCode).toBe(200);
    expect((await get('/npm/public-one/-/public-one-9.9.9.tgz')).json().code).toBe('TARBALL_NOT_FOUND');
  });
});
