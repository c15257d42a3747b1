// Wires the account services of the main API together: audit log, tokens, accounts, orgs, admin, the
// shared rate limiter, and auth guards that also record when a token was last used.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { type Authenticator, createAuthenticator } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import { createIdentityReader } from '../lib/identity.ts';
import { CLIENT_IP_HEADER } from '../lib/internal.ts';
import { createRateLimiter, type RateLimitName, type RateLimitRule, withOverrides } from '../lib/rate-limit.ts';
import { createAuthGuards } from '../lib/request-auth.ts';
import type { Secrets } from '../lib/secrets.ts';
import { safeEqual } from '../lib/tokens.ts';
import { createAccountService } from './accounts.ts';
import { createAdminUserService } from './admin-users.ts';
import { createAuditLog, type RequestOrigin } from './audit.ts';
import { createOrgService } from './orgs.ts';
import { createTokenService, type TokenService } from './tokens.ts';

/** Usage counts another process owns (deployments: marketplace; private packages: registry). */
export type UsageName = 'activeDeployments' | 'webhooks' | 'privatePackages' | 'storageBytes';
export type UsageSources = Partial<Record<UsageName, (userId: string) => number | undefined | Promise<number | undefined>>>;

export interface IdentityOptions {
  /** Lower budgets in tests; raise them for a trusted deployment. */
  rateLimits?: Partial<Record<RateLimitName, Partial<RateLimitRule>>>;
  /** Where GET /api/auth/me finds usage it does not own; a missing source reports null. */
  usageSources?: UsageSources;
}

export interface IdentityContextDeps {
  config: Config;
  secrets: Secrets;
  db: Db;
  clock: Clock;
  identity?: IdentityOptions;
}

// Writing last_used_at on every request would turn each read into a write: once a minute per token is enough.
const TOUCH_EVERY_MS = 60_000;

function withLastUsed(auth: Authenticator, tokens: TokenService, clock: Clock): Authenticator {
  const touched = new Map<string, number>();
  return {
    authenticate(cred, ip) {
      const p = auth.authenticate(cred, ip);
      if (p) {
        const now = clock.now();
        const last = touched.get(p.tokenId);
        if (last === undefined || now - last >= TOUCH_EVERY_MS) {
          if (touched.size > 10_000) touched.clear();
          touched.set(p.tokenId, now);
          tokens.touch([p.tokenId], new Date(now).toISOString());
        }
      }
      return p;
    },
    addressRefused: (cred, ip) => auth.addressRefused?.(cred, ip),
  };
}

// Webhooks live in this process's own database (migration 021), so their count needs no peer.
function countWebhooks(db: Db) {
  let stmt: ReturnType<Db['prepare']> | undefined;
  return (userId: string) => {
    stmt ??= db.prepare('SELECT count(*) AS n FROM webhooks WHERE owner_id = ?');
    return (stmt.get(userId) as { n: number }).n;
  };
}

/**
 * Where a request came from, for rate-limit keys and the audit trail. The socket address, except when one
 * of our own processes forwards a client's request (the registry's npm login): with a valid internal token
 * it may name the real client in x-elide-client-ip, so every npm user does not share the registry's budget.
 */
export function createOriginOf(internalToken: string) {
  return (req: FastifyRequest): RequestOrigin => {
    const ua = req.headers['user-agent'];
    const given = req.headers[CLIENT_IP_HEADER];
    const internal = req.headers['x-internal-token'];
    const forwarded =
      typeof given === 'string' && isIP(given) !== 0 && typeof internal === 'string' && safeEqual(internal, internalToken)
        ? given
        : undefined;
    return { ip: forwarded ?? req.ip, userAgent: typeof ua === 'string' ? ua : undefined };
  };
}

export function createIdentityContext(deps: IdentityContextDeps) {
  const audit = createAuditLog(deps.db, deps.clock);
  const tokens = createTokenService(deps.db, deps.clock);
  const limiter = createRateLimiter(() => deps.db, deps.clock.now);
  const limits = withOverrides(deps.identity?.rateLimits);
  const auth = withLastUsed(
    createAuthenticator(() => deps.db, deps.secrets.jwtSecret, deps.clock.now),
    tokens,
    deps.clock,
  );
  return {
    deps,
    audit,
    tokens,
    limiter,
    limits,
    guards: createAuthGuards(auth),
    origin: createOriginOf(deps.secrets.internalToken),
    identity: createIdentityReader(() => deps.db),
    accounts: createAccountService({ db: deps.db, clock: deps.clock, config: deps.config, audit, tokens, limiter, limits }),
    orgs: createOrgService(deps.db, deps.clock, audit),
    admin: createAdminUserService(deps.db, deps.clock, audit),
    usageSources: { webhooks: countWebhooks(deps.db), ...deps.identity?.usageSources },
  };
}

export type IdentityContext = ReturnType<typeof createIdentityContext>;
