// Who is calling: resolves a credential (Bearer elk_ token, Bearer JWT, Basic user:token, npm-style headers)
// to a principal by reading the identity tables. Every process uses this with its own connection (the
// main API's read-write one, the others' read-only one), so a revoked token or disabled user is refused
// everywhere on the next request.
import { BlockList, isIP } from 'node:net';
import type { Db } from './db.ts';
import { createRowCache } from './row-cache.ts';
import { hashToken, isWellFormedApiToken, looksLikeJwt, verifySessionJwt } from './tokens.ts';

export type Role = 'user' | 'publisher' | 'admin';

export interface Principal {
  userId: string;
  username: string;
  email: string;
  role: Role;
  planId: string;
  tokenId: string;
  tokenKind: 'session' | 'api';
  readonly: boolean;
  /** Where the request carrying this principal came from (set by the request guards): for audit entries. */
  ip?: string;
  userAgent?: string;
}

export interface Credential {
  kind: 'bearer' | 'basic';
  token: string;
  username?: string;
}

/** Parse an Authorization header. Basic carries a token as its password (twine, Maven, npm legacy auth). */
export function parseAuthorization(header: string | undefined): Credential | undefined {
  if (!header) return undefined;
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const value = rest.join(' ');
  if (!value) {
    // RubyGems sends the bare key: "Authorization: elk_..."
    return scheme.startsWith('elk_') ? { kind: 'bearer', token: scheme } : undefined;
  }
  if (/^bearer$/i.test(scheme)) return { kind: 'bearer', token: value };
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return undefined;
    return { kind: 'basic', username: decoded.slice(0, i), token: decoded.slice(i + 1) };
  }
  return undefined;
}

interface TokenRow {
  token_id: string;
  kind: 'session' | 'api';
  readonly: number;
  cidr_allow: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  user_id: string;
  username: string;
  email: string;
  role: Role;
  plan_id: string;
  disabled_at: string | null;
  token_version: number;
}

const SELECT = `SELECT t.id AS token_id, t.kind, t.readonly, t.cidr_allow, t.expires_at, t.revoked_at,
  u.id AS user_id, u.username, u.email, u.role, u.plan_id, u.disabled_at, u.token_version
  FROM api_tokens t JOIN users u ON u.id = t.user_id`;

export interface Authenticator {
  /** The principal for a credential, or undefined when it is not valid (never throws for bad input). */
  authenticate(cred: Credential | undefined, ip?: string): Principal | undefined;
  /**
   * After a refusal: the address ranges of a token that is valid in every other way but bound to ranges this address
   * is outside, so the 401 can say so (npm prints "Login is not allowed from your IP address"). Undefined otherwise:
   * a revoked, expired or unknown token keeps the one generic answer.
   */
  addressRefused?(cred: Credential | undefined, ip?: string): string[] | undefined;
}

// Token rows kept between requests: at most this many, about 0.5 KB each.
const TOKEN_ROWS_MAX = 10_000;

export function createAuthenticator(getDb: () => Db, jwtSecret: string, now: () => number = Date.now): Authenticator {
  let byHash: ReturnType<Db['prepare']> | undefined;
  let byId: ReturnType<Db['prepare']> | undefined;
  let stmtDb: Db | undefined;
  // The identity rows of recent credentials, kept while the database is unchanged: any write by any process (a
  // revocation, a disabled user, a new token version) empties it, so a revoked token is still refused on the next
  // request. Expiry and the CIDR list are checked on every request (accept). The lookup it spares was about a
  // tenth of an authenticated status request's CPU (issue #11).
  const rows = createRowCache<TokenRow>(getDb, { max: TOKEN_ROWS_MAX });
  const stmts = () => {
    const db = getDb();
    if (db !== stmtDb) {
      stmtDb = db;
      byHash = db.prepare(`${SELECT} WHERE t.token_hash = ?`);
      byId = db.prepare(`${SELECT} WHERE t.id = ?`);
    }
    return { byHash: byHash!, byId: byId! };
  };
  const lookup = (key: string, stmt: 'byHash' | 'byId', value: string) =>
    rows.get(key, () => {
      const row = stmts()[stmt].get(value) as TokenRow | undefined;
      return row && Object.freeze(row);
    });

  /** The token's row, if the credential names one and it is valid apart from the address (see addressRefused). */
  function rowOf(cred: Credential): TokenRow | undefined {
    const { token } = cred;
    if (isWellFormedApiToken(token)) {
      const hash = hashToken(token);
      const row = lookup(`h:${hash}`, 'byHash', hash);
      // Basic auth must name the token's own user (or __token__, PyPI's convention).
      if (row && cred.kind === 'basic' && cred.username !== row.username && cred.username !== '__token__') return undefined;
      return row;
    }
    if (looksLikeJwt(token)) {
      const claims = verifySessionJwt(jwtSecret, token);
      if (!claims) return undefined;
      const row = lookup(`s:${claims.sid}`, 'byId', claims.sid);
      return row && row.user_id === claims.sub && row.token_version === claims.ver ? row : undefined;
    }
    return undefined;
  }

  function accept(row: TokenRow | undefined, ip: string | undefined): Principal | undefined {
    if (!row || row.revoked_at || row.disabled_at) return undefined;
    if (row.expires_at && Date.parse(row.expires_at) <= now()) return undefined;
    if (row.cidr_allow && !ipAllowed(ip, JSON.parse(row.cidr_allow) as string[])) return undefined;
    return {
      userId: row.user_id,
      username: row.username,
      email: row.email,
      role: row.role,
      planId: row.plan_id,
      tokenId: row.token_id,
      tokenKind: row.kind,
      readonly: row.readonly === 1,
    };
  }

  return {
    authenticate(cred, ip) {
      if (!cred) return undefined;
      try {
        return accept(rowOf(cred), ip);
      } catch {
        // The identity tables may not exist yet (owner not started): treat as not authenticated.
        return undefined;
      }
    },
    addressRefused(cred, ip) {
      if (!cred) return undefined;
      try {
        const row = rowOf(cred);
        if (!row?.cidr_allow || accept({ ...row, cidr_allow: null }, ip) === undefined) return undefined;
        const ranges = JSON.parse(row.cidr_allow) as string[];
        return ipAllowed(ip, ranges) ? undefined : ranges;
      } catch {
        return undefined;
      }
    },
  };
}

export function ipAllowed(ip: string | undefined, cidrs: string[]): boolean {
  if (!ip) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(addr, Number(bits ?? (family === 'ipv6' ? 128 : 32)), family);
  }
  const clean = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return list.check(clean, isIP(clean) === 6 ? 'ipv6' : 'ipv4');
}

export const ROLE_RANK: Record<Role, number> = { user: 0, publisher: 1, admin: 2 };

export function hasRole(p: Principal, role: Role): boolean {
  return ROLE_RANK[p.role] >= ROLE_RANK[role];
}
