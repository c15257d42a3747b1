// Billing routes through the marketplace's /api/billing (summary, invoices, budgets).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type BillingSummary, type Budget, type Invoice, renderBilling } from '../pages/billing.ts';
import { act, formNumber, formText, getAs, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str } from './common.ts';

const LINES_PER_PAGE = 100;

type BudgetForm = NonNullable<NonNullable<Parameters<typeof renderBilling>[4]>['form']>;

export function registerBillingRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { marketplace } = deps.peers;

  async function show(req: FastifyRequest, reply: FastifyReply, error?: string, status = 200, form?: BudgetForm) {
    // 100 cost lines per page (the marketplace's maximum); a page past the end shows the last lines there are.
    const page = Math.min(Math.max(Math.trunc(Number((req.query as Record<string, unknown>).page)) || 1, 1), 10_000);
    const [b, inv, bud] = await Promise.all([
      getAs<BillingSummary>(marketplace, req, `/api/billing?limit=${LINES_PER_PAGE}&offset=${(page - 1) * LINES_PER_PAGE}`),
      getAs<{ invoices: Invoice[] }>(marketplace, req, '/api/billing/invoices'),
      getAs<{ budgets: Budget[] }>(marketplace, req, '/api/billing/budgets'),
    ]);
    return sendHtml(
      reply,
      renderBilling(req.session.ctx, b, inv?.invoices ?? [], bud?.budgets ?? [], { error, notice: noticeOf(req), form }),
      status,
    );
  }

  app.get('/billing', async (req, reply) => {
    requireMe(req);
    return show(req, reply);
  });

  app.post('/billing/budgets', async (req, reply) => {
    requireMe(req);
    const b = req.body as Record<string, unknown>;
    const r = await act(marketplace, req, '/api/billing/budgets', {
      method: 'POST',
      body: {
        amount: formNumber(b.amount),
        thresholds: [{ percent: formText(b.percent).trim() ? formNumber(b.percent) : 80, basis: 'actual' }],
        onExceed: str(b.onExceed, 10) === 'suspend' ? 'suspend' : 'notify',
      },
    });
    if (!r.ok) {
      const form = { amount: formText(b.amount), percent: formText(b.percent), onExceed: str(b.onExceed, 10) };
      return show(req, reply, r.error, r.status, form);
    }
    return seeOther(reply, '/billing', 'saved');
  });

  app.post('/billing/budgets/:id/delete', async (req, reply) => {
    requireMe(req);
    const r = await act(marketplace, req, `/api/billing/budgets/${encodeURIComponent((req.params as { id: string }).id)}`, {
      method: 'DELETE',
    });
    if (!r.ok) return show(req, reply, r.error, r.status);
    return seeOther(reply, '/billing', 'deleted');
  });
}
