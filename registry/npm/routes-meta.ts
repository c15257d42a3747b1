// HTTP glue for npm's package-management endpoints: dist-tag, access, collaborators, visibility, search,
// stars, org listings and the registry signing keys (npm-protocol.md sections 2.1, 2.8, 2.11).
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, notFound } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { renderedOnce, SEARCH_SORTS, type SearchHit, type SearchSort, searchPackages } from '../search.ts';
import { canRead, inScope } from './access-rules.ts';
import { findPackage, removeDistTag, setAccess, setDistTag, setPublishMfa } from './changes.ts';
import { NPM, type NpmContext } from './context.ts';
import { parseNpmName } from './names.ts';
import { splitName } from './paths.ts';

export interface MetaRouteDeps {
  ctx: NpmContext;
  guards: AuthGuards;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An optional whole-number query parameter: absent gives the default, anything but digits is a 400. */
function queryInt(v: unknown, name: string, fallback: number, min: number): number {
  if (v === undefined || v === '') return fallback;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < min)
    throw badRequest(`${name} must be a whole number of at least ${min}`, undefined, 'INVALID_QUERY');
  return Number(v);
}

function packagePath(req: FastifyRequest): { name: string; rest: string[] } {
  const raw = req.url.split('?')[0].slice('/npm/-/package/'.length);
  const split = splitName(raw);
  if (!split || split.rest.length === 0) throw notFound(`no route ${req.method} ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
  parseNpmName(split.name);
  return split;
}

export function registerMetaRoutes(app: TypedApp, d: MetaRouteDeps) {
  const { ctx, guards } = d;
  const unknownRoute = (req: FastifyRequest) => notFound(`no route ${req.method} ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');

  app.get('/npm/-/package/*', async (req) => {
    const { name, rest } = packagePath(req);
    const pkg = findPackage(ctx, name, guards.optional(req));
    if (rest.length === 1 && rest[0] === 'dist-tags') return ctx.repo.tags(pkg.id);
    if (rest.length === 1 && rest[0] === 'collaborators')
      return Object.fromEntries(ctx.repo.maintainers(pkg.id).map((m) => [m.username, 'read-write']));
    if (rest.length === 1 && rest[0] === 'visibility') return { public: pkg.access === 'public' };
    throw unknownRoute(req);
  });

  // dist-tag add sends a bare JSON string as the body (trap 6): no object schema here.
  app.put('/npm/-/package/*', async (req) => {
    const { name, rest } = packagePath(req);
    if (rest.length !== 2 || rest[0] !== 'dist-tags') throw unknownRoute(req);
    setDistTag(ctx, name, decodeURIComponent(rest[1]), req.body, guards.required(req));
    return { ok: true };
  });

  app.delete('/npm/-/package/*', async (req) => {
    const { name, rest } = packagePath(req);
    if (rest.length !== 2 || rest[0] !== 'dist-tags') throw unknownRoute(req);
    removeDistTag(ctx, name, decodeURIComponent(rest[1]), guards.required(req));
    return { ok: true };
  });

  app.post('/npm/-/package/*', async (req) => {
    const { name, rest } = packagePath(req);
    if (rest.length !== 1 || rest[0] !== 'access') throw unknownRoute(req);
    const body = isObj(req.body) ? req.body : {};
    // `npm access set mfa=...` sends {publish_requires_tfa, automation_token_overrides_tfa} instead of {access}.
    if (body.access === undefined && body.publish_requires_tfa !== undefined) {
      setPublishMfa(ctx, name, body.publish_requires_tfa, guards.required(req));
      return { ok: true };
    }
    if (body.access === undefined)
      throw badRequest('only access=public|restricted can be set here (mfa settings are not supported)', undefined, 'UNSUPPORTED');
    setAccess(ctx, name, body.access, guards.required(req));
    return { ok: true };
  });

  // npm sends text, size, from and its ranking weights (quality, popularity, maintenance: ignored). sort is ours.
  app.get('/npm/-/v1/search', async (req, reply) => {
    const q = req.query as Obj;
    const size = Math.min(queryInt(q.size, 'size', 20, 1), 250);
    const from = queryInt(q.from, 'from', 0, 0);
    const sort = q.sort ?? 'relevance';
    if (!SEARCH_SORTS.includes(sort as SearchSort))
      throw badRequest(`sort must be one of ${SEARCH_SORTS.join(', ')}`, undefined, 'INVALID_QUERY');
    if (q.text !== undefined && typeof q.text !== 'string') throw badRequest('text must be given once', undefined, 'INVALID_QUERY');
    ctx.downloads.flush();
    const result = searchPackages(ctx.db, {
      ecosystem: NPM,
      text: q.text ?? '',
      sort: sort as SearchSort,
      limit: size,
      offset: from,
    });
    const objects = renderedOnce(result, 'npm', ({ hits }) => JSON.stringify(hits.map(searchObject)));
    const time = new Date(ctx.clock.now()).toUTCString();
    return reply.type('application/json; charset=utf-8').send(`{"objects":${objects},"total":${result.total},"time":"${time}"}`);
  });

  /** One hit as npm's /-/v1/search shows it. */
  function searchObject(h: SearchHit) {
    const publisher = h.latest?.publisher;
    return {
      package: {
        name: h.pkg.name,
        scope: h.pkg.scope ?? 'unscoped',
        version: h.latest?.version ?? '',
        description: h.pkg.description,
        keywords: JSON.parse(h.pkg.keywords) as string[],
        date: h.latest?.publishedAt ?? h.pkg.updated_at,
        links: h.links,
        publisher: publisher ? { username: publisher, email: h.maintainers.find((m) => m.username === publisher)?.email ?? '' } : undefined,
        // npm's text output needs maintainers[].username (fact 9, trap 28).
        maintainers: h.maintainers,
      },
      downloads: { monthly: h.pkg.downloads, weekly: h.pkg.downloads },
      // Unscored packages show their text relevance (0..3) scaled into 0..1.
      score: h.score
        ? {
            final: h.score.overall,
            detail: { quality: h.score.quality, popularity: h.score.popularity, maintenance: h.score.maintenance },
          }
        : { final: h.relevance / 3, detail: { quality: h.relevance / 3, popularity: h.relevance / 3, maintenance: h.relevance / 3 } },
      searchScore: h.relevance,
      flags: {},
    };
  }

  app.get('/npm/-/_view/starredByUser', async (req) => {
    const key = String((req.query as Obj).key ?? '');
    let user: unknown;
    try {
      user = JSON.parse(key);
    } catch {
      throw badRequest('key must be a JSON string such as "alice"', undefined, 'INVALID_QUERY');
    }
    if (typeof user !== 'string') throw badRequest('key must be a JSON string such as "alice"', undefined, 'INVALID_QUERY');
    // A star stays when its package is (or becomes) restricted: only the packages the caller may read are listed,
    // or anyone could learn a private package's name from a member's stars.
    const who = guards.optional(req);
    const starred = ctx.repo.starredBy(user, NPM).filter((p) => canRead(ctx, p, who));
    return { rows: starred.map((p) => ({ value: p.name })) };
  });

  // `npm access list packages` asks /-/org/<name>/package first and falls back to /-/user/ on 404 (trap 32).
  app.get('/npm/-/org/:org/package', async (req) => {
    const { org } = req.params as { org: string };
    // Anonymous callers and non-members get the 404 of an unknown org, on which npm asks /-/user/<name>/package.
    const who = guards.optional(req);
    if (!ctx.identity.orgExists(org)) throw new AppError(404, 'ORG_NOT_FOUND', `there is no org named ${org}`);
    if (!who || (!inScope(ctx, org, who) && who.role !== 'admin')) throw new AppError(404, 'ORG_NOT_FOUND', `there is no org named ${org}`);
    const rows = ctx.db.prepare("SELECT name FROM packages WHERE ecosystem = 'npm' AND scope = ? ORDER BY name LIMIT 1000").all(org) as {
      name: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.name, 'write']));
  });

  app.get('/npm/-/user/:user/package', async (req) => {
    const { user } = req.params as { user: string };
    // As on npmjs.com, anyone may list a user's public packages; the user also sees their private ones.
    const who = guards.optional(req);
    const target = ctx.identity.userByName(user);
    if (!target) throw new AppError(404, 'USER_NOT_FOUND', `there is no user named ${user}`);
    const names = ctx.repo
      .packagesOfUser(target.id, NPM)
      .filter((n) => who?.userId === target.id || ctx.repo.find(NPM, n)?.access === 'public');
    return Object.fromEntries(names.map((n) => [n, 'write']));
  });

  // `npm org ls <org>`: members and roles, visible to members only.
  app.get('/npm/-/org/:org/user', async (req) => {
    const { org } = req.params as { org: string };
    const who = guards.required(req);
    if (!ctx.identity.orgExists(org) || (!ctx.identity.orgRole(org, who.userId) && who.role !== 'admin'))
      throw new AppError(404, 'ORG_NOT_FOUND', `there is no org named ${org}`);
    return Object.fromEntries(
      ctx.identity.orgMembers(org).map((m) => [m.username, m.role === 'owner' ? 'owner' : m.role === 'admin' ? 'admin' : 'developer']),
    );
  });

  app.get('/npm/-/npm/v1/keys', async () => ({
    keys: [
      {
        expires: null,
        keyid: ctx.signer.keyid,
        keytype: 'ecdsa-sha2-nistp256',
        scheme: 'ecdsa-sha2-nistp256',
        key: ctx.signer.publicKeyBase64,
      },
    ],
  }));
}
