// Internal package API for the main API's REST /api/packages (x-internal-token only): search and details,
// documented in registry/README.md. Restricted packages are not listed by search; details carry `access`.

import { createHash } from 'node:crypto';
import type { preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { notFound } from '../lib/errors.ts';
import { holdsEtag } from '../lib/etag.ts';
import { requireInternalToken } from '../lib/internal.ts';
import type { TypedApp } from '../lib/service-app.ts';
import { mainFileUrl, versionFiles } from './multiformat/details.ts';
import type { NpmContext } from './npm/context.ts';
import { splitName } from './npm/paths.ts';
import { normalizeName } from './pypi/names.ts';
import { MAX_SEARCH_TEXT, renderedOnce, SEARCH_ECOSYSTEMS, SEARCH_SORTS, searchPackages } from './search.ts';
import { scoreReply } from './security/routes-security.ts';

const SearchQuery = z.object({
  q: z.string().max(MAX_SEARCH_TEXT).default(''),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  ecosystem: z.enum(SEARCH_ECOSYSTEMS).default('npm'),
  keywords: z.string().max(MAX_SEARCH_TEXT).optional(),
  maintainer: z.string().min(1).max(214).optional(),
  sort: z.enum(SEARCH_SORTS).default('relevance'),
});

/**
 * keptRead (change-feed.ts) runs before the reads the main API may keep: it writes pending download counts (so
 * the answers report them) and stamps the answer with the registry's generation.
 */
export function registerInternalRoutes(app: TypedApp, ctx: NpmContext, internalToken: string, keptRead: preHandlerHookHandler) {
  const guard = requireInternalToken(internalToken);
  const preHandler = [guard, keptRead];

  app.get('/internal/packages/search', { preHandler, schema: { querystring: SearchQuery } }, async (req, reply) => {
    const { q, limit, offset, ecosystem, sort, maintainer } = req.query;
    const keywords = req.query.keywords?.split(',').filter(Boolean);
    const result = searchPackages(ctx.db, { ecosystem, text: q, keywords, maintainer, sort, limit, offset });
    const results = renderedOnce(result, 'internal', ({ hits }) =>
      JSON.stringify(
        hits.map((h) => ({
          id: `pkg-${h.pkg.id}`,
          name: h.pkg.name,
          ecosystem: h.pkg.ecosystem,
          description: h.pkg.description,
          version: h.latest?.version ?? null,
          downloads: h.pkg.downloads,
          score: h.score?.overall ?? null,
          relevance: h.relevance,
          updatedAt: h.pkg.updated_at,
        })),
      ),
    );
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"results":${results},"total":${result.total},"limit":${limit},"offset":${offset}}`);
  });

  // A failing scorer must not fail the details: the main API shows score null, as when there is none yet.
  const embeddedScore = (pkg: { ecosystem: string; name: string }) => {
    if (!ctx.security) return null;
    try {
      return scoreReply(ctx.security, pkg.name, pkg.ecosystem) ?? null;
    } catch (err) {
      app.log.error({ err, name: pkg.name }, 'score for the internal details failed');
      return null;
    }
  };

  app.get('/internal/packages/*', { preHandler }, async (req, reply) => {
    const raw = req.url.split('?')[0].slice('/internal/packages/'.length);
    const query = req.query as Record<string, unknown>;
    const ecosystem = String(query.ecosystem ?? 'npm');
    const split = splitName(raw);
    if (!split || split.rest.length > 0) throw notFound(`no route GET ${req.url.split('?')[0]}`, 'ROUTE_NOT_FOUND');
    // PyPI names are stored PEP 503-normalised: "Hello_World.Pkg" finds hello-world-pkg.
    const pkg = ctx.repo.find(ecosystem, ecosystem === 'pypi' ? normalizeName(split.name) : split.name);
    if (!pkg) throw notFound(`package ${split.name} was not found`, 'PACKAGE_NOT_FOUND');
    const score = query.score === '1' ? { score: embeddedScore(pkg) } : {};
    // npm packages carry an ETag so the main API can keep its assembled details and be answered 304. Every npm
    // change bumps the rev (npm/changes.ts, publish, unpublish: as the packument cache relies on); downloads and
    // the score change without it, so they are part of the tag. Other ecosystems are answered in full.
    if (pkg.ecosystem === 'npm') {
      const etag = `"${pkg.id}-${pkg.rev}-${pkg.downloads}-${createHash('sha1').update(JSON.stringify(score)).digest('base64url')}"`;
      reply.header('etag', etag);
      if (holdsEtag(req.headers['if-none-match'], etag)) return reply.status(304).send();
    }
    // Quarantined versions (security review) are left out here as from every index and packument.
    const view = ctx.security?.visibleRepo(ctx.repo) ?? ctx.repo;
    const tags = view.tags(pkg.id);
    const versions = view.versions(pkg.id).sort((a, b) => (a.published_at < b.published_at ? 1 : -1));
    const latest = versions.find((v) => v.version === tags.latest) ?? versions[0];
    const manifest = latest ? (JSON.parse(latest.manifest) as Record<string, unknown>) : {};
    return {
      id: `pkg-${pkg.id}`,
      name: pkg.name,
      ecosystem: pkg.ecosystem,
      description: pkg.description,
      access: pkg.access,
      // The owning org (npm: the scope): its members see the package when it is private (multiformat/access.ts).
      org: pkg.scope,
      maintainers: ctx.repo.maintainers(pkg.id).map((m) => m.username),
      license: typeof manifest.license === 'string' ? manifest.license : null,
      keywords: JSON.parse(pkg.keywords) as string[],
      downloads: pkg.downloads,
      stars: ctx.repo.stars(pkg.id).length,
      distTags: tags,
      readme: latest?.readme ?? '',
      createdAt: pkg.created_at,
      updatedAt: pkg.updated_at,
      versions: versions.map((v) => {
        // PyPI, Maven and RubyGems versions have several files (wheel + sdist, jar + pom, platform gems).
        const files = pkg.ecosystem === 'npm' ? [] : versionFiles(ctx.db, pkg, v);
        return {
          version: v.version,
          publishedAt: v.published_at,
          deprecated: v.deprecated,
          integrity: v.integrity,
          size: v.size,
          publisher: v.publisher_name,
          tarball: mainFileUrl(pkg, v, files),
          ...(pkg.ecosystem === 'npm' ? {} : { files }),
        };
      }),
      // ?score=1: the score as /internal/packages/:name/score answers it for npm (null if none), so the main API's
      // details page needs one round trip, not two.
      ...score,
    };
  });
}
