// HTTP glue for npm's account commands: ping, whoami, login/adduser (CouchDB flow after the web-login
// fallback), logout, profile get, token list/create/revoke and org membership, mapped onto the main API's accounts;
// npm's team endpoints answer that there are no teams here, and profile set that it changes nothing here.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../lib/config.ts';
import { AppError, badRequest, conflict, forbidden, unauthorized } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { TOKEN_PREFIX } from '../../lib/tokens.ts';
import type { AccountsClient, CallMeta } from '../accounts-client.ts';
import type { IdentityLookups } from '../identity-repo.ts';

export interface UserRouteDeps {
  config: Config;
  guards: AuthGuards;
  accounts: AccountsClient;
  identity: IdentityLookups;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const COUCH_PREFIX = 'org.couchdb.user:';

// npm prints "bad username/password, access denied" verbatim after E401 (npm-protocol.md section 2.3).
const badCredentials = () => unauthorized('bad username/password, access denied', 'BAD_CREDENTIALS');
const nameTaken = (name: string) =>
  conflict(
    `the user name "${name}" is already taken: if it is your account the password is wrong (npm login to try again), otherwise choose another name`,
    'USERNAME_TAKEN',
  );

/** The start and end the main API shows of a token ("elk_AbCd…wxyz"); end is "" when it shows only a start. */
function maskedToken(t: Record<string, unknown>): { start: string; end: string } {
  const [start = '', end = ''] = String(t.displayPrefix ?? t.prefix ?? t.display ?? '').split('…');
  return { start, end };
}

const meta = (req: FastifyRequest): CallMeta => ({
  requestId: req.id,
  ip: req.ip,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
});

/** What the main API's POST /api/auth/tokens is asked for; it owns the limits (name length, days, CIDR count). */
export interface TokenRequest {
  name: string;
  readonly: boolean;
  cidrAllow?: string[];
  expiresInDays?: number;
}

const PERMISSIONS = ['read-only', 'read-write', 'no-access'] as const;
const READ_WRITE_NOTICE =
  'this token can publish and change packages; for a read-only one use npm token create --packages-and-scopes-permission read-only';
const tokenRefusal = (message: string, code = 'INVALID_TOKEN_REQUEST') => badRequest(message, undefined, code);

/**
 * The token npm 11's `npm token create` body asks for (npm-protocol.md section 2.10), or a 400 naming the option
 * that cannot be honoured. Tokens here cover every package and org of the account, either read-write or read-only;
 * an option that would make a narrower token is refused rather than dropped, so a token never has more rights than
 * asked. Options that do not change rights (description, packages_all, bypass_2fa: there is no 2FA) are ignored.
 */
export function npmTokenRequest(body: Record<string, unknown>): TokenRequest {
  const permission = (field: string, flag: string) => {
    const v = body[field];
    if (v === undefined || v === null) return undefined;
    if (!PERMISSIONS.includes(v as (typeof PERMISSIONS)[number]))
      throw tokenRefusal(`${field} (--${flag}) must be "read-only" or "read-write", not ${JSON.stringify(v).slice(0, 60)}`);
    return v as (typeof PERMISSIONS)[number];
  };
  const packages = permission('packages_and_scopes_permission', 'packages-and-scopes-permission');
  const orgs = permission('orgs_permission', 'orgs-permission');
  if (packages === 'no-access')
    throw tokenRefusal(
      'a token with no access to packages cannot be made here: use read-only or read-write',
      'TOKEN_PERMISSION_UNSUPPORTED',
    );
  if (body.readonly !== undefined && typeof body.readonly !== 'boolean') throw tokenRefusal('readonly must be true or false');
  const readonly = body.readonly === true || packages === 'read-only';
  // A token reads the orgs its user belongs to, and a read-write one can change their members (npm org set).
  if (orgs === 'no-access')
    throw tokenRefusal(
      'every token here can read the orgs of its account, so --orgs-permission no-access cannot be honoured: leave it out',
      'TOKEN_PERMISSION_UNSUPPORTED',
    );
  if (orgs === 'read-only' && !readonly)
    throw tokenRefusal(
      '--orgs-permission read-only needs --packages-and-scopes-permission read-only: a token here has one permission for packages and orgs alike',
      'TOKEN_PERMISSION_UNSUPPORTED',
    );
  for (const [field, flag] of [
    ['packages', 'packages'],
    ['scopes', 'scopes'],
    ['orgs', 'orgs'],
  ] as const) {
    const v = body[field];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    throw tokenRefusal(
      `a token here covers every package, scope and org of your account: --${flag} cannot limit it; leave it out`,
      'TOKEN_PERMISSION_UNSUPPORTED',
    );
  }
  const request: TokenRequest = { name: typeof body.name === 'string' && body.name ? body.name : 'npm token', readonly };
  const cidr = body.cidr_whitelist;
  if (cidr !== undefined && cidr !== null) {
    const list = typeof cidr === 'string' ? [cidr] : cidr;
    if (!Array.isArray(list) || !list.every((c) => typeof c === 'string'))
      throw tokenRefusal('cidr_whitelist must be a list of address ranges such as "10.0.0.0/8"');
    if (list.length > 0) request.cidrAllow = list;
  }
  // npm sends --expires as a whole number of days (parseInt); the main API enforces the range.
  if (body.expires !== undefined && body.expires !== null) {
    if (!Number.isInteger(body.expires) || (body.expires as number) < 1)
      throw tokenRefusal(
        `expires (--expires) must be a whole number of days, at least 1, not ${JSON.stringify(body.expires).slice(0, 40)}`,
      );
    request.expiresInDays = body.expires as number;
  }
  return request;
}

// The main API names its fields; npm users typed npm's options.
const NPM_TOKEN_FIELDS: Record<string, string> = {
  expiresInDays: 'expires (days, --expires)',
  cidrAllow: 'cidr_whitelist (--cidr)',
  name: 'name (--name)',
};
function inNpmTerms(err: unknown): unknown {
  if (!(err instanceof AppError) || err.statusCode !== 400 || !Array.isArray(err.details)) return err;
  const issues = (err.details as { field?: string; message?: string }[]).map((i) => ({
    field: NPM_TOKEN_FIELDS[i.field ?? ''] ?? i.field ?? 'body',
    message: i.message ?? 'is invalid',
  }));
  return new AppError(400, err.code, `invalid token request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
}

export function registerUserRoutes(app: TypedApp, d: UserRouteDeps) {
  const authHeader = (req: FastifyRequest) => {
    d.guards.required(req);
    return String(req.headers.authorization);
  };

  app.get('/npm/-/ping', async () => ({}));

  app.get('/npm/-/whoami', async (req) => ({ username: d.guards.required(req).username }));

  // npm 11 tries web login first; any 4xx (not 501-504) makes it fall back to the CouchDB flow (fact 1, trap 9).
  app.post('/npm/-/v1/login', async (_req, reply) =>
    reply
      .status(404)
      .send({ error: 'web login is not available on this registry: use the username and password prompt', code: 'WEB_LOGIN_UNSUPPORTED' }),
  );

  app.put('/npm/-/user/:user', async (req, reply) => {
    const { user } = req.params as { user: string };
    if (!user.startsWith(COUCH_PREFIX)) throw badRequest('expected /-/user/org.couchdb.user:<name>', undefined, 'INVALID_PATH');
    const body = isObj(req.body) ? req.body : {};
    const name = user.slice(COUCH_PREFIX.length);
    if (typeof body.name !== 'string' || body.name !== name)
      throw badRequest('the user name in the body does not match the URL', undefined, 'NAME_MISMATCH');
    if (typeof body.password !== 'string' || body.password === '')
      throw badRequest('a password is required', undefined, 'PASSWORD_REQUIRED');
    const login = await d.accounts.login(name, body.password, meta(req));
    let token = login?.token;
    if (!token) {
      // adduser sends an e-mail address; login does not, and keeps the 401 npm prints as a wrong password (npm
      // login would follow a 409 with a -rev PUT this registry does not offer). An adduser of a taken name answers
      // 409 as npmjs does: npm prints it and stops. That a name is taken is public anyway (scopes, registration).
      if (typeof body.email !== 'string') throw badCredentials();
      if (d.identity.userByName(name) || d.identity.orgExists(name)) throw nameTaken(name);
      if (!d.config.NPM_ADDUSER_ENABLED)
        throw forbidden('creating accounts with npm adduser is disabled on this registry: sign up on the website', 'ADDUSER_DISABLED');
      const created = await d.accounts.register(name, body.email, body.password, meta(req));
      // The name was free a moment ago (or is held by a disabled account), or the e-mail address is in use.
      if (created === 'taken')
        throw conflict(
          `the user name "${name}" or the e-mail address is already registered: log in with npm login, or choose another name and address`,
          'ACCOUNT_TAKEN',
        );
      token = created.token;
    }
    return reply.status(201).send({ ok: true, id: `${COUCH_PREFIX}${name}`, rev: '1-0', token });
  });

  // `npm owner add` copies {name, email} from here (trap 23).
  // Authenticated (npm sends its token on every request), so addresses cannot be harvested anonymously.
  app.get('/npm/-/user/:user', async (req) => {
    d.guards.required(req);
    const { user } = req.params as { user: string };
    const name = user.startsWith(COUCH_PREFIX) ? user.slice(COUCH_PREFIX.length) : user;
    const u = d.identity.userByName(name);
    if (!u) throw new AppError(404, 'USER_NOT_FOUND', `there is no user named ${name}`);
    return { _id: `${COUCH_PREFIX}${u.username}`, name: u.username, email: u.email };
  });

  // Logout must answer 2xx even for an unknown token, or npm keeps it in .npmrc (trap 11); it really revokes.
  app.delete('/npm/-/user/token/:token', async (req) => {
    const { token } = req.params as { token: string };
    await d.accounts.logout(token, meta(req)).catch((err) => req.log.warn({ err: (err as Error).message }, 'logout: revoke failed'));
    return { ok: true };
  });

  app.get('/npm/-/npm/v1/user', async (req) => {
    const me = await d.accounts.me(authHeader(req), meta(req));
    const u = (isObj(me.user) ? me.user : me) as Obj;
    return {
      name: u.username,
      email: u.email,
      email_verified: u.emailVerified ?? false,
      tfa: false,
      created: u.createdAt ?? '',
      updated: u.updatedAt ?? u.createdAt ?? '',
      fullname: u.fullname ?? '',
    };
  });

  // `npm profile set <prop> <value>`, `npm profile set password` and `npm profile enable-2fa` POST the
  // profile back here (npm-profile's set, with {password: {old, new}} or {tfa: ...} for those two). This registry
  // keeps only an account's name and e-mail, has no two-factor authentication and changes passwords in the
  // dashboard, so each is refused with the sentence npm prints, saying where to go instead. Without this route the
  // generic 405 listed PUT and DELETE (the package wildcard's methods) as the ones to use on this URL.
  app.post('/npm/-/npm/v1/user', async (req) => {
    d.guards.required(req);
    const body = isObj(req.body) ? req.body : {};
    if (body.tfa !== undefined)
      throw badRequest(
        'two-factor authentication is not available on this registry: limit what CI can do with a read-only token (npm token create --packages-and-scopes-permission read-only) or a CIDR-bound one (--cidr)',
        undefined,
        'TFA_UNSUPPORTED',
      );
    if (body.password !== undefined)
      throw badRequest(
        `npm profile set password is not supported on this registry: change your password in the dashboard at ${d.config.urls.dashboard}/account/password`,
        undefined,
        'PROFILE_READ_ONLY',
      );
    throw badRequest(
      'this registry keeps no profile besides the account name and e-mail, and npm profile set cannot change them: nothing was changed',
      undefined,
      'PROFILE_READ_ONLY',
    );
  });

  // Tokens: list needs urls:{} (trap 29). `token` is the start of the token only, as npmjs lists it: npm appends
  // its own "…" when printing, and `npm token revoke <whole token>` (as found in .npmrc) accepts a token only when a
  // listed `token` is a prefix of it (npm's lib/commands/token.js). The main API's "elk_AbCd…wxyz" failed both.
  app.get('/npm/-/npm/v1/tokens', async (req) => {
    const tokens = await d.accounts.listTokens(authHeader(req), meta(req));
    const objects = tokens.map((t) => ({
      key: String(t.id),
      token: maskedToken(t).start,
      created: t.createdAt ?? '',
      updated: t.lastUsedAt ?? t.createdAt ?? '',
      readonly: !!t.readonly,
      cidr_whitelist: (t.cidrAllow as string[] | null | undefined) ?? null,
      name: t.name,
    }));
    return { objects, total: objects.length, urls: {} };
  });

  // `npm token create` always prompts for the password and sends it, and npmjs refuses a create without it: a
  // stolen token alone must not be able to mint fresh long-lived tokens. The request is read before the password
  // is checked, so a refused option costs no login attempt.
  app.post('/npm/-/npm/v1/tokens', async (req, reply) => {
    const auth = authHeader(req);
    const who = d.guards.required(req);
    const body = isObj(req.body) ? req.body : {};
    const asked = npmTokenRequest(body);
    if (typeof body.password !== 'string' || body.password === '')
      throw badRequest(
        'a password is required to create a token: npm token create prompts for it (or pass --password)',
        undefined,
        'PASSWORD_REQUIRED',
      );
    const check = await d.accounts.login(who.username, body.password, meta(req));
    if (!check) throw badCredentials();
    await d.accounts.logout(check.token, meta(req));
    const created = await d.accounts.createToken(auth, asked, meta(req)).catch((err: unknown) => {
      throw inNpmTerms(err);
    });
    const readonly = typeof created.readonly === 'boolean' ? created.readonly : asked.readonly;
    // npm 11 accepts --read-only but does not send it (npm-protocol.md section 2.10): say what was made.
    if (!readonly) reply.header('npm-notice', READ_WRITE_NOTICE);
    return reply.status(201).send({
      token: created.token,
      key: String(created.id),
      created: created.createdAt ?? new Date().toISOString(),
      readonly,
      cidr_whitelist: asked.cidrAllow ?? null,
      name: created.name,
      ...(typeof created.expiresAt === 'string' ? { expires: created.expiresAt } : {}),
    });
  });

  app.delete('/npm/-/npm/v1/tokens/token/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    const auth = authHeader(req);
    // `npm token revoke` sends either a key from the list or a whole token (npm's docs: "complete tokens, such as
    // those found in your .npmrc"); every token starts with TOKEN_PREFIX, a key never does. A whole token is matched
    // against the caller's own tokens by the start and end the main API shows of each; it is never echoed back, so a
    // mistyped secret does not land in terminals.
    if (key.startsWith(TOKEN_PREFIX)) {
      const mine = (await d.accounts.listTokens(auth, meta(req))).filter((t) => {
        const { start, end } = maskedToken(t);
        return start.length > TOKEN_PREFIX.length && key.startsWith(start) && key.endsWith(end) && key.length > start.length + end.length;
      });
      if (mine.length !== 1 || !(await d.accounts.revokeToken(auth, String(mine[0].id), meta(req))))
        throw new AppError(404, 'TOKEN_NOT_FOUND', 'none of your tokens is the token given: npm token list shows them');
      return reply.status(204).send();
    }
    const ok = await d.accounts.revokeToken(auth, key, meta(req));
    if (!ok) throw new AppError(404, 'TOKEN_NOT_FOUND', `no token with key ${key}`);
    return reply.status(204).send();
  });

  // `npm access grant|revoke <perm> <org:team>`, `npm access list packages <org:team>` and `npm team` call
  // /-/team/<org>/<team>[/package|/user] and /-/org/<org>/team. There are no teams here: every member of an org
  // reads and publishes its packages. 400 because npm prints it plainly; a 404 would make npm list the user's own
  // packages instead (its fallback) or print "could not be found", and a 5xx would make it retry PUT and DELETE.
  const teamsUnsupported = (org: string) =>
    badRequest(
      `teams are not supported on this registry: every member of the org ${org} can read and publish its packages; add people with npm org set ${org} <user>`,
      undefined,
      'TEAMS_UNSUPPORTED',
    );
  for (const url of ['/npm/-/team/:org/*', '/npm/-/org/:org/team'])
    app.route({
      method: ['GET', 'PUT', 'POST', 'DELETE'],
      url,
      handler: async (req) => {
        throw teamsUnsupported((req.params as { org: string }).org.slice(0, 100));
      },
    });

  // `npm org set <org> <user> [developer|admin|owner]` and `npm org rm <org> <user>` (libnpmorg): PUT/DELETE
  // /-/org/<org>/user with {user, role}. The main API owns memberships and checks that the caller may manage
  // them; npm's "developer" is our "member". npm prints the org size from the answer to set.
  const NPM_TO_ORG_ROLE = { developer: 'member', admin: 'admin', owner: 'owner' } as const;
  const memberName = (body: unknown) => {
    const user = isObj(body) ? body.user : undefined;
    if (typeof user !== 'string' || !user) throw badRequest('send {"user": "<username>"}', undefined, 'INVALID_BODY');
    return user;
  };
  app.put('/npm/-/org/:org/user', async (req) => {
    const { org } = req.params as { org: string };
    const user = memberName(req.body);
    const asked = isObj(req.body) && typeof req.body.role === 'string' ? req.body.role : 'developer';
    if (!(asked in NPM_TO_ORG_ROLE)) throw badRequest('role must be developer, admin or owner', undefined, 'INVALID_ROLE');
    await d.accounts.setOrgMember(authHeader(req), org, user, NPM_TO_ORG_ROLE[asked as keyof typeof NPM_TO_ORG_ROLE], meta(req));
    return { org: { name: org, size: d.identity.orgMembers(org).length }, user, role: asked };
  });
  app.delete('/npm/-/org/:org/user', async (req) => {
    const { org } = req.params as { org: string };
    await d.accounts.removeOrgMember(authHeader(req), org, memberName(req.body), meta(req));
    return { ok: true };
  });
}
