// Rules for API tokens and login sessions: issue (shown once, stored as sha256), list, revoke, last use.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { conflict, forbidden, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { displayPrefix, generateApiToken, hashToken } from '../lib/tokens.ts';
import { createTokensRepo, type TokenRow } from './tokens-repo.ts';

/** More live API tokens than this is a leak waiting to happen, not a workflow. */
export const MAX_API_TOKENS_PER_USER = 100;

// "10.0.0.0/8", "2001:db8::/32" or a bare address; the prefix length must fit the family.
export const CidrSchema = z
  .string()
  .max(64)
  .refine((c) => {
    const [addr, bits, ...rest] = c.split('/');
    const family = isIP(addr);
    if (!family || rest.length > 0) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    return Number(bits) <= (family === 6 ? 128 : 32);
  }, 'must be an IPv4 or IPv6 address or CIDR range such as 10.0.0.0/8');

/** Whether the range `inner` lies wholly inside `outer` (both as CidrSchema accepts them; a bare address is a /32 or /128). */
export function cidrWithin(inner: string, outer: string): boolean {
  const [ia, ib] = inner.split('/');
  const [oa, ob] = outer.split('/');
  const fam = isIP(ia);
  if (fam === 0 || fam !== isIP(oa)) return false;
  const full = fam === 6 ? 128 : 32;
  const innerBits = ib === undefined ? full : Number(ib);
  const outerBits = ob === undefined ? full : Number(ob);
  // A longer prefix whose address lies in the outer block has its whole network in that block.
  const block = new BlockList();
  block.addSubnet(oa, outerBits, fam === 6 ? 'ipv6' : 'ipv4');
  return innerBits >= outerBits && block.check(ia, fam === 6 ? 'ipv6' : 'ipv4');
}

/** The limits of the credential asking for a new token: an API token's own expiry and address ranges. */
export interface TokenParent {
  kind: 'session' | 'api';
  expiresAt: string | null;
  cidrAllow: string[] | null;
}

/**
 * A new token made with an API token is at most what that token is: it expires no later and is bound to the same
 * address ranges (or narrower), so a leaked CI token bound to 10.0.0.0/8 for 7 days cannot mint an unbound,
 * everlasting one that outlives its revocation. Unset fields inherit the parent's limits; wider ones are a 403
 * TOKEN_SCOPE_EXCEEDED. A login session (the password was given) has no such limits.
 */
export function limitToParent(
  parent: TokenParent | undefined,
  wanted: { expiresAt: string | null; cidrAllow?: string[] },
): { expiresAt: string | null; cidrAllow?: string[] } {
  if (parent?.kind !== 'api') return wanted;
  let { expiresAt, cidrAllow } = wanted;
  if (parent.expiresAt) {
    if (expiresAt === null) expiresAt = parent.expiresAt;
    else if (expiresAt > parent.expiresAt)
      throw forbidden(
        `a token created with an API token cannot outlive it: this one expires at ${parent.expiresAt}`,
        'TOKEN_SCOPE_EXCEEDED',
        { field: 'expiresInDays', parentExpiresAt: parent.expiresAt },
      );
  }
  if (parent.cidrAllow) {
    const ranges = parent.cidrAllow;
    if (!cidrAllow || cidrAllow.length === 0) cidrAllow = ranges;
    else {
      const outside = cidrAllow.filter((c) => !ranges.some((r) => cidrWithin(c, r)));
      if (outside.length > 0)
        throw forbidden(
          `a token created with an API token is bound to that token's address ranges (${ranges.join(', ')}): ${outside.join(', ')} is outside them`,
          'TOKEN_SCOPE_EXCEEDED',
          { field: 'cidrAllow', outside, parentCidrAllow: ranges },
        );
    }
  }
  return { expiresAt, cidrAllow };
}

export interface IssueInput {
  userId: string;
  kind: 'session' | 'api';
  name: string;
  expiresAt: string | null;
  readonly?: boolean;
  cidrAllow?: string[] | null;
  ip?: string;
}

export interface PublicToken {
  id: string;
  name: string;
  kind: 'session' | 'api';
  prefix: string;
  readonly: boolean;
  cidrAllow: string[] | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export function toPublicToken(r: TokenRow): PublicToken {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    prefix: r.display_prefix,
    readonly: r.readonly === 1,
    cidrAllow: r.cidr_allow ? (JSON.parse(r.cidr_allow) as string[]) : null,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
  };
}

export function createTokenService(db: Db, clock: Clock) {
  const repo = createTokensRepo(db);
  const nowIso = () => new Date(clock.now()).toISOString();

  /** Insert a token row; call inside the caller's IMMEDIATE transaction. Returns the secret once. */
  function insertToken(input: IssueInput): PublicToken & { token: string } {
    const token = generateApiToken();
    const row = {
      id: newId('tok'),
      user_id: input.userId,
      kind: input.kind,
      name: input.name,
      token_hash: hashToken(token),
      display_prefix: displayPrefix(token),
      readonly: input.readonly ? 1 : 0,
      cidr_allow: input.cidrAllow && input.cidrAllow.length > 0 ? JSON.stringify(input.cidrAllow) : null,
      created_at: nowIso(),
      expires_at: input.expiresAt,
      created_ip: input.ip ?? null,
    };
    repo.insert(row);
    return { ...toPublicToken({ ...row, last_used_at: null, revoked_at: null }), token };
  }

  return {
    insertToken,
    /** Create an API token for a user (POST /api/auth/tokens): 409 past MAX_API_TOKENS_PER_USER. */
    createApiToken(input: Omit<IssueInput, 'kind'>, onCreated?: (t: PublicToken) => void) {
      return db
        .transaction(() => {
          if (repo.countLive(input.userId, nowIso(), 'api') >= MAX_API_TOKENS_PER_USER)
            throw conflict(`you already have ${MAX_API_TOKENS_PER_USER} active tokens: revoke unused ones first`, 'TOO_MANY_TOKENS');
          const t = insertToken({ ...input, kind: 'api' });
          onCreated?.(t);
          return t;
        })
        .immediate();
    },
    list: (userId: string) => repo.listLive(userId, nowIso()).map(toPublicToken),
    /** The limits of the caller's own credential (undefined for a JWT whose row is gone: it no longer authenticates). */
    parentOf(userId: string, tokenId: string): TokenParent | undefined {
      const row = repo.findForUser(tokenId, userId);
      return (
        row && { kind: row.kind, expiresAt: row.expires_at, cidrAllow: row.cidr_allow ? (JSON.parse(row.cidr_allow) as string[]) : null }
      );
    },
    /** Revoke one of the user's own live tokens; another user's id, or a dead token, is 404. */
    revoke(userId: string, tokenId: string, onRevoked?: (t: PublicToken) => void) {
      return db
        .transaction(() => {
          const row = repo.findForUser(tokenId, userId);
          const now = nowIso();
          if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now))
            throw notFound(`no active token with id "${tokenId}"`, 'TOKEN_NOT_FOUND');
          repo.revoke(row.id, now);
          onRevoked?.(toPublicToken(row));
        })
        .immediate();
    },
    /** Whether the user signed in (or registered) from this address in the last `days` days. */
    signedInFrom: (userId: string, ip: string, days: number) =>
      repo.sessionFrom(userId, ip, new Date(clock.now() - days * 86_400_000).toISOString()),
    revokeOtherSessions: (userId: string, keepId: string) => repo.revokeOtherSessions(userId, keepId, nowIso()),
    /** Record use of tokens (the main API on authentication; peers in batches via /internal/tokens/used). */
    touch(ids: string[], at = nowIso()): number {
      return db
        .transaction(() => {
          let n = 0;
          for (const id of ids) n += repo.touch(id, at);
          return n;
        })
        .immediate();
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
