// /internal/metrics/:id: a deployment's metric time series, read by the marketplace (which checks ownership).
import { z } from 'zod';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { HealthMonitor } from '../health-monitor.ts';

export function metricRoutes(app: TypedApp, internalToken: string, monitor: HealthMonitor) {
  app.get(
    '/internal/metrics/:id',
    {
      preHandler: requireInternalToken(internalToken),
      schema: {
        params: z.object({ id: z.string().max(100) }),
        querystring: z.object({ since: z.iso.datetime().optional(), limit: z.coerce.number().int().min(1).max(5000).default(1000) }),
      },
    },
    async (req) => {
      const since = req.query.since ? Date.parse(req.query.since) : 0;
      return { deploymentId: req.params.id, samples: monitor.series(req.params.id, since, req.query.limit) };
    },
  );
}
