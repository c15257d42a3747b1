// SSRF rules for user-supplied URLs (lib/ssrf.ts): every bypass form of the reference catalogue is refused,
// DNS answers are all checked, and the pinned agent connects only to the checked address.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTarget, classifyAddress, embeddedIpv4, pinnedAgent, type Resolver, SsrfError } from '../../lib/ssrf.ts';
import { testConfig } from '../helpers/config.ts';

const strict = { allowPrivateNetworks: false };
const reasonOf = async (url: string, opts: Parameters<typeof checkTarget>[1] = strict) => {
  try {
    await checkTarget(url, opts);
    return 'allowed';
  } catch (err) {
    if (err instanceof SsrfError) return err.reason;
    throw err;
  }
};
const fixed =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);

describe('SSRF checks', () => {
  it.each([
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['gopher://example.com/', 'scheme_not_allowed'],
    ['ftp://example.com/', 'scheme_not_allowed'],
    ['not a url', 'invalid_url'],
    ['http://user:pw@example.com/', 'credentials_in_url'],
    ['https://token@example.com/', 'credentials_in_url'],
    ['http://example.com:22/', 'port_not_allowed'],
    ['http://127.0.0.1/', 'private_address'],
    ['http://127.1/', 'private_address'],
    ['http://2130706433/', 'private_address'],
    ['http://0177.0.0.1/', 'private_address'],
    ['http://0x7f.1/', 'private_address'],
    ['http://10.0.0.1/', 'private_address'],
    ['http://172.16.5.4/', 'private_address'],
    ['http://192.168.1.1/', 'private_address'],
    ['http://[::1]/', 'private_address'],
    ['http://[::ffff:127.0.0.1]/', 'private_address'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', 'private_address'],
    ['http://[::ffff:a00:1]/', 'private_address'],
    ['http://[64:ff9b::7f00:1]/', 'private_address'],
    ['http://[fd00::1]/', 'private_address'],
    ['http://[fe80::1]/', 'private_address'],
    ['http://169.254.169.254/latest/meta-data', 'metadata_address'],
    ['http://[::ffff:169.254.169.254]/', 'metadata_address'],
    ['http://metadata.google.internal/', 'metadata_address'],
    ['http://0.0.0.0/', 'reserved_address'],
    ['http://224.0.0.1/', 'reserved_address'],
    ['http://[2001:db8::1]/', 'reserved_address'],
    ['http://localhost/', 'hostname_not_allowed'],
    ['http://printer.local/', 'hostname_not_allowed'],
    ['http://db.internal/', 'hostname_not_allowed'],
  ])('%s -> %s', async (url, reason) => {
    expect(await reasonOf(url, { allowPrivateNetworks: false, resolve: fixed('93.184.216.34') })).toBe(reason);
  });

  it('a DNS name resolving to loopback is refused, and so is one with any blocked address among its answers', async () => {
    expect(await reasonOf('https://evil.example/', { ...strict, resolve: fixed('127.0.0.1') })).toBe('private_address');
    expect(await reasonOf('https://evil.example/', { ...strict, resolve: fixed('93.184.216.34', '10.1.2.3') })).toBe('private_address');
    expect(await reasonOf('https://evil.example/', { ...strict, resolve: fixed('2606:2800:220:1::1', '::ffff:127.0.0.1') })).toBe(
      'private_address',
    );
    expect(await reasonOf('https://ok.example/', { ...strict, resolve: fixed('93.184.216.34') })).toBe('allowed');
    expect(await reasonOf('https://nx.example/', { ...strict, resolve: async () => Promise.reject(new Error('ENOTFOUND')) })).toBe(
      'dns_error',
    );
  });

  it('WEBHOOKS_ALLOW_PRIVATE_NETWORKS lifts loopback and private ranges but never the metadata address', async () => {
    const dev = { allowPrivateNetworks: true };
    expect(await reasonOf('http://127.0.0.1:8080/', dev)).toBe('allowed');
    expect(await reasonOf('http://[::ffff:10.0.0.1]/', dev)).toBe('allowed');
    expect(await reasonOf('http://169.254.169.254/', dev)).toBe('metadata_address');
    expect(await reasonOf('http://0.0.0.0/', dev)).toBe('reserved_address');
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'instance metadata'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'instance metadata over IPv6'],
    ['http://169.254.170.2/v2/credentials/', 'ECS task credentials'],
    ['http://[::ffff:169.254.170.2]/v2/credentials/', 'ECS task credentials, IPv4-mapped'],
    ['http://169.254.170.23/v1/credentials', 'EKS Pod Identity'],
    ['http://[fd00:ec2::23]/v1/credentials', 'EKS Pod Identity over IPv6'],
  ])('%s (%s) stays blocked with WEBHOOKS_ALLOW_PRIVATE_NETWORKS', async (url) => {
    expect(await reasonOf(url, { allowPrivateNetworks: true })).toBe('metadata_address');
    expect(
      await reasonOf('https://creds.example/', {
        allowPrivateNetworks: true,
        resolve: fixed(new URL(url).hostname.replace(/^\[|\]$/g, '')),
      }),
    ).toBe('metadata_address');
  });

  it('the flag is off unless set', () => {
    expect(testConfig().WEBHOOKS_ALLOW_PRIVATE_NETWORKS).toBe(false);
    expect(testConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }).WEBHOOKS_ALLOW_PRIVATE_NETWORKS).toBe(true);
  });

  it('unwraps embedded IPv4 only from the mapped, compatible and NAT64 prefixes', () => {
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('::7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('64:ff9b::a00:1')).toBe('10.0.0.1');
    expect(embeddedIpv4('64:ff9b:1::c0a8:101')).toBe('192.168.1.1');
    expect(embeddedIpv4('::1')).toBeUndefined();
    expect(embeddedIpv4('2606:2800:220:1::1')).toBeUndefined();
    expect(classifyAddress('8.8.8.8')).toBe('public');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
  });
});

describe('pinned agent', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(`host=${req.headers.host}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('connects to the checked address whatever DNS says later, keeping the original Host', async () => {
    // The check saw 127.0.0.1 (allowed in dev mode); a later DNS answer is never consulted.
    const target = await checkTarget(`http://rebind.example:${port}/hook`, { allowPrivateNetworks: true, resolve: fixed('127.0.0.1') });
    const agent = pinnedAgent(target, { connectMs: 2000, headersMs: 2000, bodyMs: 2000 });
    const res = await request(target.url, { dispatcher: agent });
    expect(await res.body.text()).toBe(`host=rebind.example:${port}`);
    await agent.close();
  });
});
