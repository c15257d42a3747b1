// Package search and package pages, read from the main API's /api/packages (details, search, downloads) and,
// for what it does not expose yet (dependencies, dependents, security report), the registry with the internal token.
import type { FastifyInstance } from 'fastify';
import { lastDays, periodOf } from '../pages/charts.ts';
import {
  type DependentsView,
  ECOSYSTEMS,
  type PackageView,
  renderPackage,
  renderSearch,
  type SearchHit,
  type SecurityView,
  SORTS,
} from '../pages/packages.ts';
import { errorPage } from '../views.ts';
import { getAs, type RouteDeps, sendHtml, str } from './common.ts';

const PAGE_SIZE = 20;

const oneOf = <T extends string>(v: unknown, list: readonly T[], dflt: T): T => (list.includes(v as T) ? (v as T) : dflt);

export function registerPackageRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { api, registry } = deps.peers;

  app.get('/packages', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const v = {
      q: str(q.q, 200),
      keywords: str(q.keywords, 200),
      ecosystem: oneOf(q.ecosystem, ECOSYSTEMS, 'npm'),
      sort: oneOf(q.sort, SORTS, 'relevance'),
      page: Math.min(500, Math.max(1, Number.parseInt(str(q.page, 6), 10) || 1)),
    };
    const kw = v.keywords
      .split(/[\s,]+/)
      .filter(Boolean)
      .join(',');
    const text = [v.q, kw ? `keywords:${kw}` : ''].filter(Boolean).join(' ');
    // The API sorts and pages over every match (FTS index), so every order is exact across pages.
    const params = new URLSearchParams({
      q: text,
      ecosystem: v.ecosystem,
      sort: v.sort,
      limit: String(PAGE_SIZE),
      offset: String((v.page - 1) * PAGE_SIZE),
    });
    const r = await getAs<{ results: SearchHit[]; total: number }>(api, req, `/api/packages/search?${params}`);
    return sendHtml(reply, renderSearch(req.session.ctx, { ...v, pageSize: PAGE_SIZE, total: r?.total ?? 0, results: r?.results ?? [] }));
  });

  app.get('/package/*', async (req, reply) => {
    const raw = req.url.split('?')[0].slice('/package/'.length);
    const name = decodeURIComponent(raw);
    const ecosystem = oneOf((req.query as Record<string, unknown>).ecosystem, ECOSYSTEMS, 'npm');
    if (!/^(@[\w.-]+\/)?[\w.:-]+$/.test(name)) return sendHtml(reply, errorPage(req.session.ctx, 404, 'No such package.'), 404);
    const path = name.split('/').map(encodeURIComponent).join('/');
    const pkg = await getAs<PackageView>(api, req, `/api/packages/${path}?ecosystem=${ecosystem}`);
    if (!pkg) return sendHtml(reply, errorPage(req.session.ctx, 404, `Package ${name} was not found.`), 404);
    const latest = pkg.distTags.latest;
    const days = periodOf((req.query as Record<string, unknown>).days);
    const range = lastDays(days);
    const quiet = <T>(p: Promise<T | undefined>) => p.catch(() => undefined);
    const [packument, security, downloads, score, dependents] = await Promise.all([
      ecosystem === 'npm'
        ? quiet(
            registry.get<{ versions?: Record<string, { dependencies?: Record<string, string> }> }>(`/npm/${name.replace('/', '%2f')}`, {
              requestId: req.id,
            }),
          )
        : undefined,
      // npm reports come from the npm security routes, the others from the artifact store (same report shape).
      latest
        ? quiet(
            registry.get<SecurityView>(
              ecosystem === 'npm'
                ? `/internal/packages/${path}/${encodeURIComponent(latest)}/security`
                : `/internal/artifacts/${ecosystem}/${encodeURIComponent(name)}/${encodeURIComponent(latest)}/security`,
              { requestId: req.id },
            ),
          )
        : undefined,
      quiet(
        getAs<{ downloads: { day: string; downloads: number }[] }>(
          api,
          req,
          // ?ecosystem: a wheel's or gem's own counts, never those of an npm package of the same name.
          `/api/downloads/range/${range[0]}:${range[range.length - 1]}/${path}?ecosystem=${ecosystem}`,
        ),
      ),
      // The main API's details may not carry the score yet: the registry's scorer has it.
      ecosystem === 'npm' && !pkg.score
        ? quiet(registry.get<{ score: PackageView['score'] }>(`/internal/packages/${path}/score`, { requestId: req.id }))
        : undefined,
      ecosystem === 'npm' ? quiet(registry.get<DependentsView>(`/internal/packages/${path}/dependents`, { requestId: req.id })) : undefined,
    ]);
    if (!pkg.score && score?.score) pkg.score = score.score;
    const depsOf = (latest && packument?.versions?.[latest]?.dependencies) || {};
    return sendHtml(
      reply,
      renderPackage(req.session.ctx, pkg, {
        deps: depsOf,
        dependents,
        security,
        downloads: downloads?.downloads,
        days,
        registry: deps.registryOrigin,
      }),
    );
  });
}
