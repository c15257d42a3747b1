// The benchmark's two load generators (scripts/bench/load.ts) against a small loopback server: both rotate every
// path, send the spec's headers, count what the server answered and refuse what they cannot send.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadGenerator, luaString, runLoad, wrkScript } from '../../scripts/bench/load.ts';

const seen = new Map<string, number>();
let served = 0;
let badHeaders = 0;
let server: http.Server;
let origin = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    served++;
    seen.set(req.url ?? '', (seen.get(req.url ?? '') ?? 0) + 1);
    if (req.headers.accept !== 'application/vnd.npm.install-v1+json' || req.headers.cookie !== 'sid="a\\b"') badHeaders++;
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'text/plain' });
    res.end('0123456789');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const spec = () => ({
  origin,
  paths: ['/a', '/b%2fc', '/missing'],
  headers: { accept: 'application/vnd.npm.install-v1+json', cookie: 'sid="a\\b"' },
});

describe.each(['wrk', 'autocannon'] as LoadGenerator[])('runLoad with %s', (generator) => {
  it('loads every path with the headers and reports what the server answered', async () => {
    seen.clear();
    served = 0;
    badHeaders = 0;
    const r = await runLoad(spec(), { connections: 4, warmupSeconds: 0, seconds: 1, generator });
    expect(badHeaders).toBe(0);
    expect([...seen.keys()].sort()).toEqual(['/a', '/b%2fc', '/missing']);
    // Responses in flight when the window closes are answered but not counted.
    expect(r.requests).toBeGreaterThan(50);
    expect(r.requests).toBeLessThanOrEqual(served);
    expect(served - r.requests).toBeLessThanOrEqual(4);
    // One path in three is a 404.
    expect(r.non2xx / r.requests).toBeGreaterThan(0.3);
    expect(r.non2xx / r.requests).toBeLessThan(0.37);
    expect(r.errors + r.timeouts).toBe(0);
    expect(r.p50).toBeGreaterThan(0);
    expect(r.p50).toBeLessThanOrEqual(r.p95);
    expect(r.p95).toBeLessThanOrEqual(r.p99);
    expect(r.bytesPerRequest).toBeGreaterThan(10);
  }, 30_000);
});

describe('the wrk script', () => {
  it('quotes paths and headers as Lua strings, and refuses what wrk cannot send', () => {
    expect(luaString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => luaString('line\nbreak')).toThrow(/not printable ASCII/);
    expect(() => luaString('caf\u00e9')).toThrow(/not printable ASCII/);
    const script = wrkScript(spec());
    expect(script).toContain('wrk.headers["cookie"] = "sid=\\"a\\\\b\\""');
    expect(script).toContain('local paths = { "/a", "/b%2fc", "/missing" }');
  });
});
