// Rules for signing up, signing in and out, and changing a password. Unknown user and wrong password give
// the same 401 in similar time (a dummy bcrypt compare), so the login form does not reveal who has an account.
import bcrypt from 'bcryptjs';
import type { Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import { AppError, badRequest, forbidden, unauthorized } from '../lib/errors.ts';
import type { RATE_LIMITS, RateLimiter } from '../lib/rate-limit.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import type { TokenService } from './tokens.ts';
import { createUser, hashPassword } from './users.ts';
import { createUsersRepo } from './users-repo.ts';

export interface AccountDeps {
  db: Db;
  clock: Clock;
  config: Config;
  audit: AuditLog;
  tokens: TokenService;
  limiter: RateLimiter;
  limits: typeof RATE_LIMITS;
}

const INVALID_LOGIN = 'invalid username or password';
/** How long an address the user signed in from keeps its own login budget for that user. */
const KNOWN_ADDRESS_DAYS = 30;

export function createAccountService(d: AccountDeps) {
  const users = createUsersRepo(d.db);
  // Compared against when the user does not exist, so both failures cost one bcrypt compare.
  const dummyHash = hashPassword('not-a-real-password-for-timing', d.config.BCRYPT_COST);
  const sessionExpiry = () => new Date(d.clock.now() + d.config.TOKEN_EXPIRY * 1000).toISOString();

  function newSession(userId: string, name: string, origin: RequestOrigin) {
    const expiresAt = sessionExpiry();
    const t = d.db.transaction(() => d.tokens.insertToken({ userId, kind: 'session', name, expiresAt, ip: origin.ip })).immediate();
    return { token: t.token, tokenId: t.id, expiresAt };
  }

  return {
    register(input: { username: string; email: string; password: string }, origin: RequestOrigin) {
      d.limiter.enforce([[d.limits.registerPerIp, origin.ip ?? 'unknown']]);
      const user = createUser(d.db, d.clock, d.config.BCRYPT_COST, { ...input, role: 'user', planId: 'free' });
      d.audit.record({ actorId: user.id, actorUsername: user.username, action: 'auth.register', target: user.username, ...origin });
      const s = newSession(user.id, 'registration session', origin);
      return { userId: user.id, username: user.username, role: user.role, token: s.token, expiresAt: s.expiresAt };
    },

    // bcrypt runs asynchronously (bcryptjs yields between rounds) so one login does not stall other requests.
    async login(input: { username: string; password: string }, origin: RequestOrigin) {
      const name = input.username.toLowerCase();
      const user = users.findByUsername(name);
      // Both budgets count every attempt: per name (stuffing from many IPs) and per IP (spraying many names). A name's
      // budget alone would let anyone keep its owner out by spending it every minute, so from an address the owner
      // signed in from lately the name has a budget of its own there (loginPerUserIp), which strangers cannot spend.
      const known = user !== undefined && origin.ip !== undefined && d.tokens.signedInFrom(user.id, origin.ip, KNOWN_ADDRESS_DAYS);
      d.limiter.enforce([
        [d.limits.loginPerIp, origin.ip ?? 'unknown'],
        known ? [d.limits.loginPerUserIp, `${name}|${origin.ip}`] : [d.limits.loginPerUser, name],
      ]);
      const ok = (await bcrypt.compare(input.password, user?.password_hash ?? dummyHash)) && !!user;
      if (!user || !ok) {
        d.audit.record({ actorId: user?.id ?? null, actorUsername: name, action: 'auth.login.failed', target: name, ...origin });
        throw unauthorized(INVALID_LOGIN, 'INVALID_CREDENTIALS');
      }
      if (user.disabled_at) {
        d.audit.record({
          actorId: user.id,
          actorUsername: user.username,
          action: 'auth.login.refused',
          target: user.username,
          ...origin,
          details: { reason: 'disabled' },
        });
        throw forbidden('this account is disabled: contact an administrator', 'ACCOUNT_DISABLED');
      }
      const s = newSession(user.id, 'login session', origin);
      d.audit.record({
        actorId: user.id,
        actorUsername: user.username,
        action: 'auth.login',
        target: user.username,
        ...origin,
        details: { tokenId: s.tokenId },
      });
      return { userId: user.id, username: user.username, role: user.role, token: s.token, expiresAt: s.expiresAt };
    },

    /** Revoke the credential used for this request (a session or an API token). */
    logout(p: Principal, origin: RequestOrigin) {
      d.tokens.revoke(p.userId, p.tokenId);
      d.audit.record({ actorId: p.userId, actorUsername: p.username, action: 'auth.logout', target: p.tokenId, ...origin });
    },

    /**
     * Change the password: every JWT (token_version) and every other login session is void at once. API tokens
     * stay (docs/API-AUTH.md): they are revoked one by one, so a password change does not break CI.
     */
    async changePassword(p: Principal, input: { currentPassword: string; newPassword: string }, origin: RequestOrigin) {
      d.limiter.enforce([[d.limits.passwordChangePerUser, p.userId]]);
      const user = users.findById(p.userId);
      if (!user || !(await bcrypt.compare(input.currentPassword, user.password_hash))) {
        d.audit.record({ actorId: p.userId, actorUsername: p.username, action: 'auth.password.failed', target: p.username, ...origin });
        throw new AppError(403, 'WRONG_PASSWORD', 'the current password is not correct');
      }
      // Only once the current password is verified is it known to be the current one.
      if (input.newPassword === input.currentPassword) {
        throw badRequest(
          'the new password is the same as the current one: choose another; nothing was changed',
          [{ field: 'newPassword', message: 'must differ from the current password' }],
          'PASSWORD_UNCHANGED',
        );
      }
      const hash = await bcrypt.hash(input.newPassword, d.config.BCRYPT_COST);
      return d.db
        .transaction(() => {
          users.setPassword(p.userId, hash, new Date(d.clock.now()).toISOString());
          // The answer's revokedTokens counts these sessions (its name predates API tokens being kept).
          const revoked = d.tokens.revokeOtherSessions(p.userId, p.tokenId);
          d.audit.record({
            actorId: p.userId,
            actorUsername: p.username,
            action: 'auth.password.change',
            target: p.username,
            ...origin,
            details: { revokedTokens: revoked },
          });
          return { revokedTokens: revoked };
        })
        .immediate();
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
