// HTTP glue for npm's account commands: ping, whoami, login/adduser (CouchDB flow after the web-login
// fallback), logout, profile get and token list/create/revoke, mapped onto the main API's accounts.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../lib/config.ts';
import { AppError, badRequest, forbidden, unauthorized } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
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

const meta = (req: FastifyRequest): CallMeta => ({
  requestId: req.id,
  ip: req.ip,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
});

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
      // adduser sends an e-mail address; login does not. Creating accounts this way follows NPM_ADDUSER_ENABLED.
      if (typeof body.email !== 'string' || d.identity.userByName(name)) throw badCredentials();
      if (!d.config.NPM_ADDUSER_ENABLED)
        throw forbidden('creating accounts with npm adduser is disabled on this registry: sign up on the website', 'ADDUSER_DISABLED');
      const created = await d.accounts.register(name, body.email, body.password, meta(req));
      if (created === 'taken') throw badCredentials();
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

  // Tokens: list needs urls:{} (trap 29); create accepts npm 11's granular fields and ignores them.
  app.get('/npm/-/npm/v1/tokens', async (req) => {
    const tokens = await d.accounts.listTokens(authHeader(req), meta(req));
    const objects = tokens.map((t) => ({
      key: String(t.id),
      token: String(t.displayPrefix ?? t.prefix ?? t.display ?? ''),
      created: t.createdAt ?? '',
      updated: t.lastUsedAt ?? t.createdAt ?? '',
      readonly: !!t.readonly,
      cidr_whitelist: (t.cidrAllow as string[] | null | undefined) ?? null,
      name: t.name,
    }));
    return { objects, total: objects.length, urls: {} };
  });

  app.post('/npm/-/npm/v1/tokens', async (req, reply) => {
    const auth = authHeader(req);
    const who = d.guards.required(req);
    const body = isObj(req.body) ? req.body : {};
    if (typeof body.password === 'string' && body.password !== '') {
      const check = await d.accounts.login(who.username, body.password, meta(req));
      if (!check) throw badCredentials();
      await d.accounts.logout(check.token, meta(req));
    }
    const cidr = Array.isArray(body.cidr_whitelist) ? body.cidr_whitelist.filter((c): c is string => typeof c === 'string') : undefined;
    const created = await d.accounts.createToken(
      auth,
      {
        name: typeof body.name === 'string' && body.name ? body.name : 'npm token',
        readonly: body.readonly === true,
        ...(cidr && cidr.length > 0 ? { cidrAllow: cidr } : {}),
      },
      meta(req),
    );
    return reply.status(201).send({
      token: created.token,
      key: String(created.id),
      created: created.createdAt ?? new Date().toISOString(),
      readonly: body.readonly === true,
      cidr_whitelist: cidr && cidr.length > 0 ? cidr : null,
      name: created.name,
    });
  });

  app.delete('/npm/-/npm/v1/tokens/token/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    const ok = await d.accounts.revokeToken(authHeader(req), key, meta(req));
    if (!ok) throw new AppError(404, 'TOKEN_NOT_FOUND', `no token with key ${key}`);
    return reply.status(204).send();
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
