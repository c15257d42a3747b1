// GET /api/deployments/:id/metrics: the current figures and, from the orchestrator, the time series.
import { z } from 'zod';
import { badRequest } from '../../lib/errors.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { DeploymentService } from '../deployments.ts';
import { Instant } from './deployments.ts';

const HOUR = 3600_000;
/** The most samples one answer carries (the orchestrator's own maximum). */
export const SERIES_LIMIT_MAX = 5000;

export interface SeriesRange {
  since: string;
  until: string;
  limit: number;
}
/** Reads the orchestrator's samples of a deployment (HTTP in production): the latest `limit` of the range, oldest first. */
export type MetricsSource = (deploymentId: string, range: SeriesRange) => Promise<{ samples: unknown[]; truncated: boolean }>;

/** Statuses in which the orchestrator samples a deployment, or soon will again (an operation in flight). */
const STILL_SAMPLED = new Set(['running', 'degraded', 'updating', 'restarting', 'restoring', 'starting', 'provisioning', 'pending']);

export function metricsRoutes(
  app: TypedApp,
  guards: AuthGuards,
  svc: DeploymentService,
  source: MetricsSource | undefined,
  now: () => number,
) {
  app.get(
    '/api/deployments/:id/metrics',
    {
      schema: {
        params: z.object({ id: z.string().max(100) }),
        querystring: z.object({
          since: Instant.optional(),
          until: Instant.optional(),
          limit: z.coerce.number().int().min(1).max(SERIES_LIMIT_MAX).default(1000),
        }),
      },
    },
    async (req) => {
      const dep = svc.get(guards.required(req), req.params.id);
      // Without a range, the last hour of samples: up to now while the deployment is sampled, and up to when it
      // stopped being sampled (stopped, suspended, failed, deleted) otherwise, so its last figures stay on the page.
      // (Anchoring on updatedAt showed, for a deployment untouched for days, the hour before its last change.)
      const anchor = STILL_SAMPLED.has(dep.status) ? now() : Date.parse(dep.stateChangedAt);
      const until = req.query.until ?? (req.query.since ? new Date(now()).toISOString() : new Date(anchor).toISOString());
      const since = req.query.since ?? new Date(Date.parse(until) - HOUR).toISOString();
      if (Date.parse(since) > Date.parse(until))
        throw badRequest(`since (${since}) must not be after until (${until})`, { since, until }, 'INVALID_RANGE');
      const range = { since: new Date(since).toISOString(), until: new Date(until).toISOString(), limit: req.query.limit };
      // The series is best effort: an orchestrator that is down leaves it empty, never fails the page.
      const got = source ? await source(dep.id, range).catch(() => null) : null;
      return {
        deploymentId: dep.id,
        status: dep.status,
        current: dep.metrics,
        ...range,
        series: got?.samples ?? [],
        // More samples than `limit` in the range: these are the latest ones; narrow the range for the older.
        truncated: got?.truncated ?? false,
        seriesAvailable: got !== null,
      };
    },
  );
}
