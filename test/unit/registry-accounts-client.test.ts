// The registry's calls to the main API's accounts: the end client's address travels as x-elide-client-ip next to
// the internal token (so login rate limits and audit see the npm user, not the registry), and answers map back.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerClient } from '../../lib/http.ts';
import { createAccountsClient } from '../../registry/accounts-client.ts';

const seen: http.IncomingHttpHeaders[] = [];
const server = http.createServer((req, res) => {
  seen.push(req.headers);
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
    if (req.url === '/api/auth/login')
      return JSON.parse(body).password === 'right' ? json(200, { token: 'elk_ok' }) : json(401, { error: 'bad', code: 'BAD_CREDENTIALS' });
    if (req.url === '/api/auth/register') return json(409, { error: 'taken', code: 'USERNAME_TAKEN' });
    if (req.url === '/api/auth/tokens') return json(429, { error: 'too many requests: try again in 30 seconds', code: 'RATE_LIMITED' });
    json(500, { error: 'boom' });
  });
});

let client: ReturnType<typeof createAccountsClient>;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const api = createPeerClient({ name: 'main API', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  client = createAccountsClient(api, 'internal-token-for-tests-0123456789');
});
afterAll(() => server.close());

describe('accounts client', () => {
  it('forwards the client address and user agent with the internal token; maps login and register answers', async () => {
    expect(await client.login('alice', 'right', { ip: '203.0.113.7', userAgent: 'npm/11.19.1', requestId: 'req-1' })).toEqual({
      token: 'elk_ok',
    });
    expect(seen[0]).toMatchObject({
      'x-elide-client-ip': '203.0.113.7',
      'x-internal-token': 'internal-token-for-tests-0123456789',
      'user-agent': 'npm/11.19.1',
      'x-request-id': 'req-1',
    });
    expect(await client.login('alice', 'wrong')).toBeUndefined();
    expect(seen[1]['x-elide-client-ip']).toBeUndefined();
    expect(await client.register('alice', 'a@example.test', 'pw-123456789')).toBe('taken');
  });

  it('passes 4xx refusals through with their sentence and turns 5xx into a 502 without internals', async () => {
    await expect(client.createToken('Bearer x', { name: 't' })).rejects.toMatchObject({
      statusCode: 429,
      message: 'too many requests: try again in 30 seconds',
    });
    await expect(client.me('Bearer x')).rejects.toMatchObject({ statusCode: 502, message: 'the accounts service failed: try again' });
  });
});
