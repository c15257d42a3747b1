// GET /api/deployments/:id/metrics: the current figures and, from the orchestrator, the time series.
import { z } from 'zod';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { DeploymentService } from '../deployments.ts';

/** Reads the orchestrator's samples of a deployment (HTTP in production). */
export type MetricsSource = (deploymentId: string, sinceIso: string) => Promise<unknown[]>;

export function metricsRoutes(app: TypedApp, guards: AuthGuards, svc: DeploymentService, source: MetricsSource | undefined) {
  app.get(
    '/api/deployments/:id/metrics',
    { schema: { params: z.object({ id: z.string().max(100) }), querystring: z.object({ since: z.iso.datetime().optional() }) } },
    async (req) => {
      const dep = svc.get(guards.required(req), req.params.id);
      const since = req.query.since ?? new Date(Date.parse(dep.updatedAt) - 3600_000).toISOString();
      // The series is best effort: an orchestrator that is down leaves it empty, never fails the page.
      const series = source ? await source(dep.id, since).catch(() => null) : null;
      return { deploymentId: dep.id, status: dep.status, current: dep.metrics, series: series ?? [], seriesAvailable: series !== null };
    },
  );
}
