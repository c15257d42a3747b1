// Token formats. API tokens: "elk_" + 30 base62 random + 6 base62 CRC32 checksum, so secret scanners can
// validate them offline and garbage is refused without a database query. Stored only as sha256.
import { createHash, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import jwt from 'jsonwebtoken';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Every API token starts so (secret scanners and the CLIs recognise it). */
export const TOKEN_PREFIX = 'elk_';
const TOKEN_RE = /^elk_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;

function base62(n: number, width: number): string {
  let out = '';
  let v = n >>> 0;
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of Buffer.from(s)) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function generateApiToken(): string {
  let body = '';
  while (body.length < 30) {
    for (const b of randomBytes(40)) if (b < 248 && body.length < 30) body += BASE62[b % 62];
  }
  return `${TOKEN_PREFIX}${body}${base62(crc32(body), 6)}`;
}

/** Format and checksum only: no database. */
export function isWellFormedApiToken(token: string): boolean {
  const m = TOKEN_RE.exec(token);
  return !!m && base62(crc32(m[1]), 6) === m[2];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** "elk_ab12…wxyz": enough to recognise a token in a list, useless to an attacker. */
export function displayPrefix(token: string): string {
  return `${token.slice(0, 8)}…${token.slice(-4)}`;
}

export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

// JWTs (dashboard sessions, and accepted as Bearer): HS256 pinned, issuer and audience pinned, exp required.
// Each JWT names the session token row it belongs to (sid), so revoking that row voids the JWT at once.
const JWT_ISSUER = 'elide-marketplace';
const JWT_AUDIENCE = 'elide-marketplace';

export interface SessionClaims {
  sub: string;
  sid: string;
  ver: number;
}

// jsonwebtoken given a string first tries to parse it as a PEM key and builds an OpenSSL error when that fails:
// about 0.7 ms per call, on every authenticated request (issue #11). A KeyObject made once skips that (25 µs).
const secretKeys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, key);
  }
  return key;
}

export function signSessionJwt(secret: string, claims: SessionClaims, expiresInSeconds: number): string {
  return jwt.sign(claims, keyOf(secret), { algorithm: 'HS256', expiresIn: expiresInSeconds, issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
}

export function verifySessionJwt(secret: string, token: string): SessionClaims | undefined {
  try {
    const c = jwt.verify(token, keyOf(secret), { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, clockTolerance: 30 });
    if (typeof c !== 'object' || typeof c.sub !== 'string' || typeof c.sid !== 'string' || typeof c.ver !== 'number' || !c.exp)
      return undefined;
    return { sub: c.sub, sid: c.sid, ver: c.ver };
  } catch {
    return undefined;
  }
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
