// HTTP glue for analytics: the seed's GET /api/analytics (per-day counts per event type, UTC) and npm's
// download-count API (/api/downloads/point|range/{period}/{package}), both read from the daily rollups.
import { z } from 'zod';
import type { Principal } from '../../lib/auth.ts';
import { badRequest } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import {
  assertDownloadsVisible,
  DOWNLOAD_ECOSYSTEMS,
  type DownloadEcosystem,
  downloadsRange,
  downloadsVisible,
  ENTITY_TYPES,
  MAX_BULK_DAYS,
  MAX_BULK_PACKAGES,
  packageEntityId,
  parsePeriod,
  queryAnalytics,
} from '../analytics.ts';
import { createAnalyticsRepo } from '../analytics-repo.ts';
import type { ApiDeps } from '../app.ts';

export const MAX_ANALYTICS_DAYS = 365;

const AnalyticsQuery = z.object({
  type: z.enum(ENTITY_TYPES).describe('what the id names'),
  id: z.string().min(1).max(300).describe('package name, deployment id, service id or user id'),
  days: z.coerce.number().int().min(1).max(MAX_ANALYTICS_DAYS).default(30).describe(`1 to ${MAX_ANALYTICS_DAYS}, ending today (UTC)`),
});
const AnalyticsReply = z.object({
  period: z.string(),
  start: z.string(),
  end: z.string(),
  analytics: z.array(z.object({ date: z.string(), event_type: z.string(), count: z.number() })),
});
// 128 names of up to 214 characters each, comma-separated: npm's bulk form (reference section 5.1).
const DownloadParams = z.object({
  period: z.string().max(30),
  '*': z
    .string()
    .min(1)
    .max(MAX_BULK_PACKAGES * 215),
});
const DownloadQuery = z.object({
  ecosystem: z.enum(DOWNLOAD_ECOSYSTEMS).default('npm').describe("whose package the name is (npm unless said); not part of npm's API"),
});
const Point = z.object({ downloads: z.number(), start: z.string(), end: z.string(), package: z.string() });
const Range = z.object({
  downloads: z.array(z.object({ day: z.string(), downloads: z.number() })),
  start: z.string(),
  end: z.string(),
  package: z.string(),
});

const NPM_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;
// PyPI project names, RubyGems names and Maven "groupId:artifactId".
const OTHER_NAME = /^[a-z0-9][\w.-]*(:[a-z0-9][\w.-]*)?$/i;

/** "@scope/name", "@scope%2Fname" and "name" all name the same package (npm encodes the slash). */
function packageName(raw: string, ecosystem: DownloadEcosystem): string {
  const name = decodeURIComponent(raw);
  if (name.length > 214 || !(ecosystem === 'npm' ? NPM_NAME : OTHER_NAME).test(name))
    throw badRequest(`invalid package name "${name}"`, undefined, 'INVALID_PACKAGE_NAME');
  // PEP 503: "Foo_Bar" and "foo-bar" are one project, stored under the normalized name.
  return ecosystem === 'pypi' ? name.replace(/[-_.]+/g, '-').toLowerCase() : name;
}

/**
 * The names of a request: one, or npm's bulk "a,b,c" (at most 128, over at most 365 days). undefined for one.
 * Each name is checked like a single one; repeats are answered once.
 */
function bulkNames(raw: string, ecosystem: DownloadEcosystem, start: string, end: string): string[] | undefined {
  if (!raw.includes(',')) return undefined;
  const names = [...new Set(raw.split(',').map((n) => packageName(n, ecosystem)))];
  if (names.length > MAX_BULK_PACKAGES)
    throw badRequest(`a bulk query names at most ${MAX_BULK_PACKAGES} packages (got ${names.length})`, undefined, 'TOO_MANY_PACKAGES');
  if ((Date.parse(end) - Date.parse(start)) / 86_400_000 + 1 > MAX_BULK_DAYS)
    throw badRequest(`a bulk query covers at most ${MAX_BULK_DAYS} days`, undefined, 'PERIOD_TOO_LONG');
  return names;
}

export function registerAnalyticsRoutes(app: TypedApp, deps: ApiDeps, guards: AuthGuards) {
  const repo = createAnalyticsRepo(deps.db);
  const tags = ['analytics'];

  app.get(
    '/api/analytics',
    {
      schema: {
        tags,
        summary: 'Per-day event counts for a resource you can see',
        querystring: AnalyticsQuery,
        response: { 200: AnalyticsReply },
      },
    },
    async (req) => {
      const p = guards.required(req);
      return queryAnalytics(repo, p, req.query.type, req.query.id, req.query.days, deps.clock.now());
    },
  );

  /** One package's days, or npm's bulk answer: each name to its counts, null when unknown or not visible. */
  function downloadsOf(req: { params: z.infer<typeof DownloadParams>; query: z.infer<typeof DownloadQuery> }, p: Principal | undefined) {
    const { ecosystem } = req.query;
    const { start, end } = parsePeriod(req.params.period, deps.clock.now());
    const bulk = bulkNames(req.params['*'], ecosystem, start, end);
    if (!bulk) {
      const name = packageName(req.params['*'], ecosystem);
      const id = packageEntityId(ecosystem, name);
      assertDownloadsVisible(repo, p, id, name);
      return { one: downloadsRange(repo, id, start, end, name) };
    }
    const all: Record<string, ReturnType<typeof downloadsRange> | null> = {};
    for (const name of bulk) {
      const id = packageEntityId(ecosystem, name);
      all[name] = downloadsVisible(repo, p, id) ? downloadsRange(repo, id, start, end, name) : null;
    }
    return { all };
  }
  const total = (r: ReturnType<typeof downloadsRange>) => ({ ...r, downloads: r.downloads.reduce((n, d) => n + d.downloads, 0) });

  app.get(
    '/api/downloads/point/:period/*',
    {
      schema: {
        tags,
        summary: 'npm-compatible total downloads of a package (or of "a,b,c", npm\'s bulk form) over a period',
        params: DownloadParams,
        querystring: DownloadQuery,
        response: { 200: z.union([Point, z.record(z.string(), Point.nullable())]) },
      },
    },
    async (req) => {
      const r = downloadsOf(req, guards.optional(req));
      if (r.one) return total(r.one);
      return Object.fromEntries(Object.entries(r.all ?? {}).map(([n, v]) => [n, v && total(v)]));
    },
  );

  app.get(
    '/api/downloads/range/:period/*',
    {
      schema: {
        tags,
        summary: 'npm-compatible downloads of a package (or of "a,b,c") per day (zero-filled)',
        params: DownloadParams,
        querystring: DownloadQuery,
        response: { 200: z.union([Range, z.record(z.string(), Range.nullable())]) },
      },
    },
    async (req) => {
      const r = downloadsOf(req, guards.optional(req));
      return r.one ?? r.all;
    },
  );
}
