// /internal/* for peers: the live deployments the orchestrator watches (paged by id), its health and autoscaling reports,
// and a user's deployment usage for the main API's GET /api/auth/me.
import { z } from 'zod';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { DeploymentHealth } from '../deployment-health.ts';

/** The most live deployments one page lists, and the most health reports one request carries. */
export const LIVE_PAGE_MAX = 5000;

export function internalRoutes(app: TypedApp, internalToken: string, health: DeploymentHealth) {
  const preHandler = requireInternalToken(internalToken);
  const Id = z.object({ id: z.string().min(1).max(100) });
  app.get(
    '/internal/deployments/live',
    {
      preHandler,
      schema: {
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(LIVE_PAGE_MAX).default(1000),
          // The last id of the previous page (ids sort as text); the first page has none.
          after: z.string().max(100).default(''),
        }),
      },
    },
    async (req) => ({ deployments: health.live(req.query.limit, req.query.after) }),
  );
  // The orchestrator's round: every live deployment's check result at once (services/app.ts httpMarketplacePort).
  app.post(
    '/internal/deployments/health',
    {
      preHandler,
      schema: {
        body: z.strictObject({
          reports: z.array(z.strictObject({ id: z.string().min(1).max(100), healthy: z.boolean() })).max(LIVE_PAGE_MAX),
        }),
      },
    },
    async (req) => ({ changed: health.reportMany(req.body.reports) }),
  );
  app.post(
    '/internal/deployments/:id/health',
    { preHandler, schema: { params: Id, body: z.strictObject({ healthy: z.boolean() }) } },
    async (req) => health.report(req.params.id, req.body.healthy),
  );
  app.post(
    '/internal/deployments/:id/autoscale',
    { preHandler, schema: { params: Id, body: z.strictObject({ instances: z.number().int().min(1).max(100) }) } },
    async (req) => health.autoscale(req.params.id, req.body.instances),
  );
  app.get('/internal/users/:id/usage', { preHandler, schema: { params: Id } }, async (req) => ({
    activeDeployments: health.activeDeployments(req.params.id),
  }));
}
