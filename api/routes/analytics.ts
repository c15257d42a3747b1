// HTTP glue for analytics: the seed's GET /api/analytics (per-day counts per event type, UTC) and npm's
// download-count API (/api/downloads/point|range/{period}/{package}), both read from the daily rollups.
import { z } from 'zod';
import { badRequest } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { assertDownloadsVisible, downloadsRange, ENTITY_TYPES, parsePeriod, queryAnalytics } from '../analytics.ts';
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
const DownloadParams = z.object({ period: z.string().max(30), '*': z.string().min(1).max(214) });

/** "@scope/name", "@scope%2Fname" and "name" all name the same package (npm encodes the slash). */
function packageName(raw: string): string {
  const name = decodeURIComponent(raw);
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name))
    throw badRequest(`invalid package name "${name}"`, undefined, 'INVALID_PACKAGE_NAME');
  return name;
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

  app.get(
    '/api/downloads/point/:period/*',
    {
      schema: {
        tags,
        summary: 'npm-compatible total downloads of a package over a period',
        params: DownloadParams,
        response: { 200: z.object({ downloads: z.number(), start: z.string(), end: z.string(), package: z.string() }) },
      },
    },
    async (req) => {
      const name = packageName(req.params['*']);
      assertDownloadsVisible(repo, guards.optional(req), name);
      const { start, end } = parsePeriod(req.params.period, deps.clock.now());
      const r = downloadsRange(repo, name, start, end);
      return { downloads: r.downloads.reduce((n, d) => n + d.downloads, 0), start, end, package: name };
    },
  );

  app.get(
    '/api/downloads/range/:period/*',
    {
      schema: {
        tags,
        summary: 'npm-compatible downloads of a package per day (zero-filled)',
        params: DownloadParams,
        response: {
          200: z.object({
            downloads: z.array(z.object({ day: z.string(), downloads: z.number() })),
            start: z.string(),
            end: z.string(),
            package: z.string(),
          }),
        },
      },
    },
    async (req) => {
      const name = packageName(req.params['*']);
      assertDownloadsVisible(repo, guards.optional(req), name);
      const { start, end } = parsePeriod(req.params.period, deps.clock.now());
      return downloadsRange(repo, name, start, end);
    },
  );
}
