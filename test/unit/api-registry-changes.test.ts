// The main API's reuse of the registry's answers (api/registry-changes.ts, api/packages.ts): an answer is reused
// only while the change feed is connected and still at the answer's generation, and no write of this process is
// in flight or done since; the caller's right to see a package is checked on every read all the same.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPackagesReader } from '../../api/packages.ts';
import { countingWrites, followRegistryChanges, type RegistryChanges } from '../../api/registry-changes.ts';
import type { Principal } from '../../lib/auth.ts';
import type { CallOptions, PeerClient } from '../../lib/http.ts';
import type { IdentityReader } from '../../lib/identity.ts';
import { REGISTRY_GENERATION_HEADER, SEARCH_COUNTS_MAX_AGE_MS } from '../../lib/internal.ts';

/** A feed whose generation the test moves by hand. */
function manualChanges() {
  let latest: string | undefined = 'e.1';
  let writes = 0;
  const changes: RegistryChanges = {
    current: () => (latest === undefined ? undefined : `${latest}/${writes}`),
    stampOf: (h, before) => (typeof h === 'string' ? `${h}/${before}` : undefined),
    writes: () => writes,
    wrote: () => {
      writes++;
    },
    close: () => {},
  };
  return { changes, set: (g: string | undefined) => (latest = g) };
}

/** A registry that answers with the generation the test sets, counting what it is asked. */
function fakeRegistry(state: { generation: string; access?: string; description?: string }) {
  const asked: string[] = [];
  const call = async (path: string, o: CallOptions = {}) => {
    asked.push(`${o.method ?? 'GET'} ${path}`);
    const headers = { [REGISTRY_GENERATION_HEADER]: state.generation };
    if (path.startsWith('/internal/packages/search'))
      return {
        status: 200,
        headers,
        body: { results: [{ id: 'pkg-1', name: 'p', description: state.description ?? '' }], total: 1, limit: 20, offset: 0 },
      };
    if (path.startsWith('/internal/packages/'))
      return {
        status: 200,
        headers,
        body: {
          id: 'pkg-1',
          name: 'p',
          ecosystem: 'npm',
          access: state.access ?? 'public',
          maintainers: ['owner'],
          org: null,
          description: state.description ?? '',
          versions: [],
          distTags: {},
          keywords: [],
        },
      };
    return { status: 200, headers, body: {} };
  };
  return {
    asked,
    client: {
      name: 'registry',
      baseUrl: 'http://registry.invalid',
      call,
      get: async () => undefined,
      post: async () => undefined,
    } as unknown as PeerClient,
  };
}

const identity = { canPublishToScope: () => false } as unknown as IdentityReader;
const owner = { userId: 'u-owner', username: 'owner', role: 'user' } as Principal;
const outsider = { userId: 'u-out', username: 'outsider', role: 'user' } as Principal;
const q = { q: 'p', limit: 20, offset: 0, ecosystem: 'npm', sort: 'relevance' } as const;

describe('package reads reused while the registry is unchanged', () => {
  it('details and search are asked once per generation; a move of the feed, or the feed down, asks again', async () => {
    const feed = manualChanges();
    const state = { generation: 'e.1', description: 'one' };
    const reg = fakeRegistry(state);
    const reader = createPackagesReader(reg.client, identity, undefined, feed.changes);
    for (let i = 0; i < 3; i++) {
      expect(JSON.parse(await reader.detailsJson('p', 'npm', undefined, 'r')).description).toBe('one');
      expect(JSON.parse(await reader.searchJson(q, 'r')).results[0].description).toBe('one');
    }
    expect(reg.asked).toHaveLength(2);

    state.generation = 'e.2';
    state.description = 'two';
    feed.set('e.2');
    expect(JSON.parse(await reader.detailsJson('p', 'npm', undefined, 'r')).description).toBe('two');
    expect(JSON.parse(await reader.searchJson(q, 'r')).results[0].description).toBe('two');
    expect(reg.asked).toHaveLength(4);

    feed.set(undefined);
    await reader.detailsJson('p', 'npm', undefined, 'r');
    await reader.searchJson(q, 'r');
    await reader.detailsJson('p', 'npm', undefined, 'r');
    expect(reg.asked).toHaveLength(7);
  });

  it('a search body is kept no longer than the download counts may lag (lib/internal.ts), feed unchanged or not', async () => {
    // The registry keeps search answers across count flushes for that window: kept here past it, a count could
    // stay missing for as long as nothing else changes in the registry.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.parse('2026-03-01T00:00:00Z'));
      const feed = manualChanges();
      const state = { generation: 'e.1', description: 'one' };
      const reg = fakeRegistry(state);
      const reader = createPackagesReader(reg.client, identity, undefined, feed.changes);
      await reader.searchJson(q, 'r');
      vi.setSystemTime(Date.parse('2026-03-01T00:00:00Z') + SEARCH_COUNTS_MAX_AGE_MS - 1);
      expect(JSON.parse(await reader.searchJson(q, 'r')).results[0].description).toBe('one');
      expect(reg.asked).toHaveLength(1);
      state.description = 'counted';
      vi.setSystemTime(Date.parse('2026-03-01T00:00:00Z') + SEARCH_COUNTS_MAX_AGE_MS);
      expect(JSON.parse(await reader.searchJson(q, 'r')).results[0].description).toBe('counted');
      expect(JSON.parse(await reader.searchJson(q, 'r')).results[0].description).toBe('counted');
      expect(reg.asked).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an answer read at an older generation than the feed is not reused', async () => {
    const feed = manualChanges();
    const state = { generation: 'e.1' };
    const reg = fakeRegistry(state);
    const reader = createPackagesReader(reg.client, identity, undefined, feed.changes);
    feed.set('e.2'); // the feed is ahead: a change happened after the registry read this answer
    await reader.searchJson(q, 'r');
    await reader.searchJson(q, 'r');
    await reader.detailsJson('p', 'npm', undefined, 'r');
    await reader.detailsJson('p', 'npm', undefined, 'r');
    expect(reg.asked).toHaveLength(4);
  });

  it("this process's own write to the registry ends the reuse, even before the feed moves", async () => {
    const feed = manualChanges();
    const reg = fakeRegistry({ generation: 'e.1' });
    const registry = countingWrites(reg.client, feed.changes);
    const reader = createPackagesReader(registry, identity, undefined, feed.changes);
    await reader.detailsJson('p', 'npm', undefined, 'r');
    await reader.detailsJson('p', 'npm', undefined, 'r');
    expect(reg.asked).toHaveLength(1);
    await registry.call('/npm/p', { method: 'PUT', body: {} });
    await reader.detailsJson('p', 'npm', undefined, 'r');
    expect(reg.asked).toEqual([
      'GET /internal/packages/p?ecosystem=npm&score=1',
      'PUT /npm/p',
      'GET /internal/packages/p?ecosystem=npm&score=1',
    ]);
  });

  it('a reused restricted package is still shown only to those who may see it', async () => {
    const feed = manualChanges();
    const reg = fakeRegistry({ generation: 'e.1', access: 'restricted' });
    const reader = createPackagesReader(reg.client, identity, undefined, feed.changes);
    expect(JSON.parse(await reader.detailsJson('p', 'npm', owner, 'r')).name).toBe('p');
    await expect(reader.detailsJson('p', 'npm', outsider, 'r')).rejects.toMatchObject({ statusCode: 404, code: 'PACKAGE_NOT_FOUND' });
    await expect(reader.detailsJson('p', 'npm', undefined, 'r')).rejects.toMatchObject({ statusCode: 404, code: 'PACKAGE_NOT_FOUND' });
    expect(reg.asked).toHaveLength(1);
  });
});

describe('followRegistryChanges', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  it('follows the lines, refuses to reuse while disconnected, and reconnects', async () => {
    const streams = new Set<http.ServerResponse>();
    let token = '';
    server = http.createServer((req, res) => {
      token = String(req.headers['x-internal-token']);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('ep.1\n');
      streams.add(res);
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const changes = followRegistryChanges({ baseUrl: url, internalToken: 'the-internal-token' });
    try {
      const until = async (want: string | undefined) => {
        const deadline = Date.now() + 5000;
        while (changes.current() !== want && Date.now() < deadline) await new Promise((d) => setTimeout(d, 10));
        expect(changes.current()).toBe(want);
      };
      await until('ep.1/0');
      expect(token).toBe('the-internal-token');
      for (const s of streams) s.write('ep.2\nep.3\n');
      await until('ep.3/0');
      changes.wrote();
      await until('ep.3/1');
      for (const s of streams) s.end();
      streams.clear();
      await until(undefined);
      await until('ep.1/1'); // reconnected (about a second later)
    } finally {
      changes.close();
      for (const s of streams) s.end();
    }
  });
});
