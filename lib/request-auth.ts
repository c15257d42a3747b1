// Request-level helpers over the Authenticator: who is calling, and refusals in the one error body.
import type { FastifyRequest } from 'fastify';
import { type Authenticator, hasRole, type Principal, parseAuthorization, type Role } from './auth.ts';
import { AppError, forbidden, unauthorized } from './errors.ts';
import { looksLikeJwt, TOKEN_PREFIX } from './tokens.ts';

export type AuthGuards = ReturnType<typeof createAuthGuards>;

/**
 * The refusal of a change asked with a read-only token, everywhere one is refused. It names the way to a read-write
 * token that works with npm 11 (which ignores --read-only: a token is read-write unless asked otherwise).
 */
export const readOnlyRefusal = (what = 'make changes') =>
  forbidden(
    `this token is read-only: use a read-write token to ${what} (npm token create makes one, as does the dashboard)`,
    'TOKEN_READONLY',
  );

/**
 * `howToSignIn` ends the 401 sentence: what the person at this client does about it (npm users run npm login; an
 * HTTP client sends a token).
 */
export function createAuthGuards(auth: Authenticator, howToSignIn = 'send Authorization: Bearer <token>') {
  // One authentication per request: a hook and the handler both ask (the marketplace checks before validating
  // the body), and the answer cannot change within one short request. A long-lived one asks again (`again`).
  const known = new WeakMap<FastifyRequest, Principal | null>();
  const authenticate = (req: FastifyRequest): Principal | undefined => {
    const found = auth.authenticate(parseAuthorization(req.headers.authorization), req.ip);
    // A copy: the authenticator may share its principals between requests, and this one names its request's origin.
    const ua = req.headers['user-agent'];
    const p = found && { ...found, ip: req.ip, userAgent: typeof ua === 'string' ? ua : undefined };
    known.set(req, p ?? null);
    return p;
  };
  const optional = (req: FastifyRequest): Principal | undefined => {
    const seen = known.get(req);
    return seen === undefined ? authenticate(req) : (seen ?? undefined);
  };
  const refuse = (req: FastifyRequest) => {
    const cred = parseAuthorization(req.headers.authorization);
    // Basic credentials whose password is no token: an account password, as Verdaccio's `_auth` carries it. Here the
    // password of Basic auth is always a token, and the 401 says so rather than only "revoked or expired".
    if (cred?.kind === 'basic' && !cred.token.startsWith(TOKEN_PREFIX) && !looksLikeJwt(cred.token))
      return unauthorized(
        'Basic authentication here takes an API token as the password, not an account password: run npm login (it stores a token), or create a token in the dashboard',
      );
    // A token bound to address ranges, used from outside them: the 401 says so, and `WWW-Authenticate: ipaddress`
    // is what npm reads to print "Login is not allowed from your IP address" (npm-registry-fetch EAUTHIP).
    const ranges = auth.addressRefused?.(cred, req.ip);
    if (ranges)
      return new AppError(
        401,
        'TOKEN_ADDRESS_NOT_ALLOWED',
        `this token may be used only from ${ranges.join(', ')}, and this request came from ${req.ip}: use it from there, or create a token for this address`,
        { allowed: ranges, ip: req.ip },
        { 'www-authenticate': 'ipaddress' },
      );
    return unauthorized(`authentication required: ${howToSignIn} (the token may be revoked or expired)`);
  };
  const required = (req: FastifyRequest): Principal => {
    const p = optional(req);
    if (!p) throw refuse(req);
    return p;
  };
  return {
    optional,
    required,
    /** required, authenticated afresh: for a stream that outlives a revocation, a logout or a disabled account. */
    again(req: FastifyRequest): Principal {
      const p = authenticate(req);
      if (!p) throw refuse(req);
      return p;
    },
    /** A principal allowed to change things (read-only tokens are refused). */
    writer(req: FastifyRequest): Principal {
      const p = required(req);
      if (p.readonly) throw readOnlyRefusal();
      return p;
    },
    role(req: FastifyRequest, role: Role): Principal {
      const p = required(req);
      if (!hasRole(p, role)) throw forbidden(`this action needs the ${role} role`, 'ROLE_REQUIRED');
      return p;
    },
  };
}
