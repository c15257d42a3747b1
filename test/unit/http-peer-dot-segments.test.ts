// Peer paths are concatenated onto a base URL and undici resolves "." and ".." segments (raw or %2e-encoded), so a
// name that slipped through validation could turn /internal/packages/<name> into another internal route, with the
// internal token attached. lib/http.ts refuses such paths before anything is sent; a peer on loopback records
// what reaches it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerClient, hasDotSegment } from '../../lib/http.ts';

const seen: { url: string; token?: string }[] = [];
const peer = http.createServer((req, res) => {
  seen.push({ url: req.url ?? '', token: req.headers['x-internal-token'] as string | undefined });
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
});
let client: ReturnType<typeof createPeerClient>;

beforeAll(async () => {
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  client = createPeerClient({
    name: 'registry',
    baseUrl: `http://127.0.0.1:${(peer.address() as AddressInfo).port}`,
    internalToken: 'peer-token-0123456789abcdef',
  });
});
afterAll(() => peer.close());

describe('peer paths with dot segments', () => {
  it.each([
    '/internal/packages/../admin/users',
    '/internal/packages/%2e%2e/admin/users',
    '/internal/packages/%2E%2e/admin/users',
    '/internal/packages/.%2e/admin/users',
    '/internal/packages/./x',
    '/internal/packages/..',
    '/internal/packages/..?q=1',
    '/internal/packages/..\\admin',
  ])('%s is refused before anything is sent', async (path) => {
    const before = seen.length;
    await expect(client.call(path)).rejects.toMatchObject({ statusCode: 400, code: 'INVALID_PEER_PATH' });
    // Before: undici sent /internal/admin/users (or /internal/x) to the peer, token and all.
    expect(seen.length).toBe(before);
  });

  it('dots inside a name, or in the query, are ordinary characters and go through unchanged', async () => {
    for (const path of ['/internal/packages/a..b', '/internal/packages/.npmrc', '/internal/packages/...', '/internal/search?q=../..']) {
      expect(hasDotSegment(path)).toBe(false);
      expect((await client.call(path))?.status).toBe(200);
      expect(seen.at(-1)).toEqual({ url: path, token: 'peer-token-0123456789abcdef' });
    }
  });
});
