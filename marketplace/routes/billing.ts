// /api/billing: the account's current cycle, invoices, budgets; /api/admin/revenue: the marketplace fee ledger.
import { z } from 'zod';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import { type BillingService, SUMMARY_LINES_MAX } from '../billing-service.ts';
import type { DeploymentService } from '../deployments.ts';

// Dollars in the API like the seed's cost fields; stored as integer cents. Either amount or amountCents.
const Budget = z
  .strictObject({
    // Whole cents: $10.005 is refused rather than silently rounded to a budget the user did not ask for.
    amount: z
      .number()
      .finite()
      .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, 'must be in whole cents (at most 2 decimals)')
      .optional(),
    amountCents: z.number().int().optional(),
    deploymentId: z.string().min(1).max(100).optional(),
    thresholds: z
      .array(z.strictObject({ percent: z.number().int().min(1).max(1000), basis: z.enum(['actual', 'forecast']) }))
      .min(1)
      .max(10)
      .optional(),
    onExceed: z.enum(['notify', 'suspend']).optional(),
  })
  .refine((b) => (b.amount === undefined) !== (b.amountCents === undefined), 'send exactly one of amount (dollars) or amountCents');

const cents = (b: { amount?: number; amountCents?: number }) => b.amountCents ?? Math.round((b.amount ?? 0) * 100);

export function billingRoutes(app: TypedApp, guards: AuthGuards, billing: BillingService, idempotent: DeploymentService['idempotent']) {
  app.get(
    '/api/billing',
    {
      schema: {
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(SUMMARY_LINES_MAX).default(SUMMARY_LINES_MAX),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req) => billing.summary(guards.required(req).userId, req.query),
  );
  app.get('/api/billing/invoices', async (req) => billing.invoices(guards.required(req).userId));
  app.get('/api/billing/budgets', async (req) => billing.listBudgets(guards.required(req).userId));
  app.post('/api/billing/budgets', { schema: { body: Budget } }, async (req, reply) => {
    const p = guards.writer(req);
    const key = req.headers['idempotency-key'];
    const res = idempotent(p.userId, Array.isArray(key) ? key[0] : key, 'POST /api/billing/budgets', req.body, () => ({
      status: 201,
      body: billing.createBudget(p, { ...req.body, amountCents: cents(req.body) }),
    }));
    // Like every other Idempotency-Key route: a replay says so.
    if (res.replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(res.status).send(res.body);
  });
  app.get('/api/billing/budgets/:id', { schema: { params: z.object({ id: z.string().max(100) }) } }, async (req) =>
    billing.getBudget(guards.required(req).userId, req.params.id),
  );
  app.put('/api/billing/budgets/:id', { schema: { params: z.object({ id: z.string().max(100) }), body: Budget } }, async (req) =>
    billing.updateBudget(guards.writer(req), req.params.id, { ...req.body, amountCents: cents(req.body) }),
  );
  app.delete('/api/billing/budgets/:id', { schema: { params: z.object({ id: z.string().max(100) }) } }, async (req, reply) => {
    billing.deleteBudget(guards.writer(req), req.params.id);
    return reply.status(204).send();
  });
  app.get('/api/admin/revenue', async (req) => {
    guards.role(req, 'admin');
    return billing.revenue();
  });
}
