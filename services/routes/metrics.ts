// /internal/metrics/:id: a deployment's metric time series, read by the marketplace (which checks ownership).
import { z } from 'zod';
import { badRequest } from '../../lib/errors.ts';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { type HealthMonitor, LAST_INSTANT } from '../health-monitor.ts';

export function metricRoutes(app: TypedApp, internalToken: string, monitor: HealthMonitor) {
  app.get(
    '/internal/metrics/:id',
    {
      preHandler: requireInternalToken(internalToken),
      schema: {
        params: z.object({ id: z.string().max(100) }),
        // With an offset too, as the marketplace's own query accepts them.
        querystring: z.object({
          since: z.iso.datetime({ offset: true }).optional(),
          until: z.iso.datetime({ offset: true }).optional(),
          limit: z.coerce.number().int().min(1).max(5000).default(1000),
        }),
      },
    },
    async (req) => {
      const since = req.query.since ? Date.parse(req.query.since) : 0;
      const until = req.query.until ? Date.parse(req.query.until) : LAST_INSTANT;
      if (since > until)
        throw badRequest('since must not be after until', { since: req.query.since, until: req.query.until }, 'INVALID_RANGE');
      // The latest `limit` samples of the range, oldest first; truncated says older ones were left out.
      return { deploymentId: req.params.id, ...monitor.range(req.params.id, since, until, req.query.limit) };
    },
  );
}
