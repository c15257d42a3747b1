// Outbound requests to user-supplied URLs (webhooks, tarball URLs): parse, resolve every address, refuse
// private, loopback, link-local, metadata and reserved ranges, then connect only to the addresses checked
// (reliability-security.md section 6; marketplace-billing-webhooks.md section 4.2).
import dns from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';

export type SsrfReason =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'port_not_allowed'
  | 'hostname_not_allowed'
  | 'private_address'
  | 'metadata_address'
  | 'reserved_address'
  | 'dns_error';

export class SsrfError extends Error {
  constructor(
    readonly reason: SsrfReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** A and AAAA, in the resolver's order (verbatim), so an AAAA-only host is checked too. */
export const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface SsrfOptions {
  /** WEBHOOKS_ALLOW_PRIVATE_NETWORKS: lifts private, loopback and link-local, never the metadata addresses. */
  allowPrivateNetworks: boolean;
  resolve?: Resolver;
}

export interface CheckedTarget {
  url: URL;
  hostname: string;
  addresses: ResolvedAddress[];
}

const list = (entries: [string, number, 'ipv4' | 'ipv6'][]) => {
  const b = new BlockList();
  for (const [a, p, f] of entries) b.addSubnet(a, p, f);
  return b;
};
// Cloud credential endpoints, blocked even with WEBHOOKS_ALLOW_PRIVATE_NETWORKS: instance metadata (AWS, GCP,
// Azure, IPv4 and AWS IPv6), AWS ECS task credentials, and EKS Pod Identity (IPv4 and IPv6).
const METADATA = list([
  ['169.254.169.254', 32, 'ipv4'],
  ['fd00:ec2::254', 128, 'ipv6'],
  ['169.254.170.2', 32, 'ipv4'],
  ['169.254.170.23', 32, 'ipv4'],
  ['fd00:ec2::23', 128, 'ipv6'],
]);
// What WEBHOOKS_ALLOW_PRIVATE_NETWORKS lifts for local development.
const PRIVATE = list([
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  // Site-local (RFC 3879 deprecated it, but a network may still number its hosts from it): as private as fc00::/7.
  ['fec0::', 10, 'ipv6'],
]);
// Never a legitimate destination: "this network", documentation, benchmarking, multicast, reserved, tunnels.
const RESERVED = list([
  ['0.0.0.0', 8, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['2001::', 32, 'ipv6'],
  ['2002::', 16, 'ipv6'],
]);

/** The 16 bytes of an IPv6 address in any textual form (::, embedded dotted quad). */
function ipv6Bytes(ip: string): number[] {
  let text = ip.split('%')[0].toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const o = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address embedded in a mapped, compatible or NAT64 IPv6 address, if any. */
export function embeddedIpv4(ip: string): string | undefined {
  const b = ipv6Bytes(ip);
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = () => b.slice(12).join('.');
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(); // ::ffff:0:0/96
  if (zero(0, 12) && !zero(12, 14)) return v4(); // ::/96 (deprecated IPv4-compatible), not :: or ::1
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zero(4, 12)) return v4(); // 64:ff9b::/96
    if (b[4] === 0 && b[5] === 1) return v4(); // 64:ff9b:1::/48 (local-use NAT64)
  }
  return undefined;
}

export type AddressClass = 'public' | 'private' | 'metadata' | 'reserved';

export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const v4 = embeddedIpv4(ip);
    if (v4) return classifyAddress(v4);
  }
  const f = family === 6 ? 'ipv6' : 'ipv4';
  if (METADATA.check(ip, f)) return 'metadata';
  if (RESERVED.check(ip, f)) return 'reserved';
  if (PRIVATE.check(ip, f)) return 'private';
  return 'public';
}

function assertAddressAllowed(ip: string, opts: SsrfOptions): void {
  const c = classifyAddress(ip);
  if (c === 'public' || (c === 'private' && opts.allowPrivateNetworks)) return;
  const reason: SsrfReason = c === 'metadata' ? 'metadata_address' : c === 'private' ? 'private_address' : 'reserved_address';
  throw new SsrfError(reason, `the URL points at a ${c === 'private' ? 'private, loopback or link-local' : c} address (${ip})`);
}

const ALLOWED_PORTS = new Set(['', '80', '443', '8443']);

/**
 * Check a URL's form without DNS. The WHATWG parser has already turned 2130706433, 0x7f.1 and 0177.0.0.1
 * into 127.0.0.1, so the parsed hostname is what is checked, never the raw string.
 */
export function parseTargetUrl(raw: string, opts: SsrfOptions): { url: URL; hostname: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfError('invalid_url', 'the URL is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SsrfError('scheme_not_allowed', 'the URL must use http or https');
  if (url.username || url.password) throw new SsrfError('credentials_in_url', 'the URL must not contain a user name or password');
  if (!ALLOWED_PORTS.has(url.port) && Number(url.port) < 1024) {
    throw new SsrfError('port_not_allowed', `port ${url.port} is not allowed: use 80, 443, 8443 or a port from 1024 up`);
  }
  // url.hostname keeps the brackets of an IPv6 literal; a trailing dot names the same host.
  const hostname = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (!hostname) throw new SsrfError('invalid_url', 'the URL has no host');
  if (hostname === 'metadata.google.internal' || hostname === 'metadata') {
    throw new SsrfError('metadata_address', 'the URL points at a cloud metadata service');
  }
  const localName = hostname === 'localhost' || /\.(localhost|local|internal|home\.arpa)$/.test(hostname);
  if (localName && !opts.allowPrivateNetworks) {
    throw new SsrfError('hostname_not_allowed', `the host name "${hostname}" is local to this network`);
  }
  if (isIP(hostname)) assertAddressAllowed(hostname, opts);
  return { url, hostname };
}

/** Parse, resolve every address and check each: one blocked address refuses the whole URL (DNS tricks). */
export async function checkTarget(raw: string, opts: SsrfOptions): Promise<CheckedTarget> {
  const { url, hostname } = parseTargetUrl(raw, opts);
  const family = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (family) addresses = [{ address: hostname, family: family as 4 | 6 }];
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(hostname);
    } catch {
      throw new SsrfError('dns_error', `the host name "${hostname}" does not resolve`);
    }
    if (addresses.length === 0) throw new SsrfError('dns_error', `the host name "${hostname}" does not resolve`);
  }
  for (const a of addresses) assertAddressAllowed(a.address, opts);
  return { url, hostname, addresses };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | ResolvedAddress[], family?: number) => void;

/**
 * An undici Agent that connects only to the checked addresses: its lookup answers from the check instead of
 * asking DNS again (no rebinding between check and connect); SNI and Host stay the original hostname. Node 20
 * calls lookup with {all:true} (autoSelectFamily), so both answer forms are handled.
 */
export function pinnedAgent(target: CheckedTarget, timeouts: { connectMs: number; headersMs: number; bodyMs: number }): Agent {
  const lookup = (_host: string, options: { all?: boolean } | number | undefined, cb: LookupCallback) => {
    if (typeof options === 'object' && options?.all) cb(null, target.addresses);
    else cb(null, target.addresses[0].address, target.addresses[0].family);
  };
  return new Agent({
    connect: { lookup: lookup as never, timeout: timeouts.connectMs },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    connections: 1,
    pipelining: 0,
  });
}
