// Account billing: the current cycle's cost and projection over all of a user's deployments, invoices closed
// per cycle with line items and the 10% marketplace fee ledger; budgets (budgets.ts) are composed in.
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { newId } from '../lib/ids.ts';
import { findTemplate } from '../services/templates/index.ts';
import { type Cycle, cycleOf, dollars, roundHalfEven } from './billing.ts';
import { createBudgets } from './budgets.ts';
import type { DeploymentEngine } from './deployment-engine.ts';
import { costOf } from './deployment-usage.ts';
import type { DeploymentRow, DeploymentsRepo } from './deployments-repo.ts';

export const FEE_PERCENT = 10n;
/** Per-deployment lines in one billing summary (the default and the maximum of ?limit). */
export const SUMMARY_LINES_MAX = 100;
const iso = (ms: number) => new Date(ms).toISOString();

export function createBillingService(d: { db: Db; repo: DeploymentsRepo; engine: DeploymentEngine; clock: Clock; timeScale?: number }) {
  const { db, repo, clock } = d;
  const s = {
    invoice: db.prepare('SELECT * FROM mkt_invoices WHERE owner_id = ? AND cycle_id = ?'),
    invoices: db.prepare('SELECT * FROM mkt_invoices WHERE owner_id = ? ORDER BY cycle_id DESC'),
    insertInvoice: db.prepare(
      'INSERT OR IGNORE INTO mkt_invoices (id, owner_id, cycle_id, total_cents, lines, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertFee:
      db.prepare(`INSERT OR IGNORE INTO mkt_fee_ledger (invoice_id, deployment_id, service_id, cycle_id, gross_cents, fee_cents, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    ledger: db.prepare(`SELECT cycle_id, service_id, sum(gross_cents) AS gross, sum(fee_cents) AS fee, count(*) AS n FROM mkt_fee_ledger
      GROUP BY cycle_id, service_id ORDER BY cycle_id DESC, service_id`),
    firstDeployment: db.prepare('SELECT min(created_at) AS at FROM mkt_deployments WHERE owner_id = ?'),
  };

  /** Deployments that existed at some point of the cycle. */
  function inCycle(ownerId: string, c: Cycle): DeploymentRow[] {
    return repo.ownerAll(ownerId, iso(c.endMs)).filter((r) => !r.deleted_at || Date.parse(r.deleted_at) >= c.startMs);
  }

  function account(ownerId: string, c: Cycle, asOfMs: number, onlyDeployment?: string | null) {
    // Only a cost's columns, and every history in one batched read (mostly from the repo's cache): one query per
    // deployment and SELECT * took most of a 10,000-deployment summary.
    const rows = repo
      .ownerCostRows(ownerId, iso(c.endMs))
      .filter((r) => (!r.deleted_at || Date.parse(r.deleted_at) >= c.startMs) && (!onlyDeployment || r.id === onlyDeployment));
    const history = repo.eventsOf(rows.map((r) => r.id));
    const lines = rows.map((r) => {
      const cost = costOf(r, history.get(r.id) ?? [], c, asOfMs);
      return { deploymentId: r.id, name: r.name, serviceId: r.service_id, tier: r.tier_id, status: r.status, ...cost };
    });
    const sum = (k: 'currentCents' | 'projectedCents' | 'lowCents' | 'highCents') => lines.reduce((a, l) => a + l[k], 0);
    return {
      lines,
      currentCents: sum('currentCents'),
      projectedCents: sum('projectedCents'),
      lowCents: sum('lowCents'),
      highCents: sum('highCents'),
    };
  }

  /** Close every past cycle of an owner into an invoice (idempotent), with the marketplace fee per paid line. */
  function closeInvoices(ownerId: string, nowMs: number) {
    const first = (s.firstDeployment.get(ownerId) as { at: string | null }).at;
    if (!first) return;
    const current = cycleOf(nowMs);
    for (let c = cycleOf(Date.parse(first)); c.startMs < current.startMs; c = cycleOf(c.endMs)) {
      if (s.invoice.get(ownerId, c.id)) continue;
      const a = account(ownerId, c, c.endMs);
      const lines = a.lines.map((l) => ({
        deploymentId: l.deploymentId,
        name: l.name,
        serviceId: l.serviceId,
        tier: l.tier,
        ...l.lines,
        amountCents: l.currentCents,
      }));
      const id = newId('inv');
      db.transaction(() => {
        if (s.insertInvoice.run(id, ownerId, c.id, a.currentCents, JSON.stringify(lines), iso(nowMs)).changes === 0) return;
        for (const l of lines)
          if (l.amountCents > 0)
            s.insertFee.run(
              id,
              l.deploymentId,
              l.serviceId,
              c.id,
              l.amountCents,
              roundHalfEven(BigInt(l.amountCents) * FEE_PERCENT * 10_000n),
              iso(nowMs),
            );
      }).immediate();
    }
  }

  const budgets = createBudgets({ ...d, account, inCycle });

  return {
    ...budgets,
    /**
     * The cycle's figures over every deployment, with the per-deployment lines paged (an account of 10,000
     * deployments made a 2.7 MB answer): the totals always cover them all, to the cent.
     */
    summary(ownerId: string, page: { limit: number; offset: number } = { limit: SUMMARY_LINES_MAX, offset: 0 }) {
      const now = clock.now();
      const c = cycleOf(now);
      const a = account(ownerId, c, now);
      return {
        cycle: { id: c.id, start: iso(c.startMs), end: iso(c.endMs) },
        currency: 'USD',
        currentCost: dollars(a.currentCents),
        projectedCost: dollars(a.projectedCents),
        low: dollars(a.lowCents),
        high: dollars(a.highCents),
        currentCents: a.currentCents,
        projectedCents: a.projectedCents,
        method: 'linear_7d',
        asOf: iso(now),
        deploymentsTotal: a.lines.length,
        limit: page.limit,
        offset: page.offset,
        deployments: a.lines.slice(page.offset, page.offset + page.limit).map((l) => ({
          deploymentId: l.deploymentId,
          name: l.name,
          serviceId: l.serviceId,
          tier: l.tier,
          status: l.status,
          currentCost: dollars(l.currentCents),
          projectedCost: dollars(l.projectedCents),
          currentCents: l.currentCents,
          projectedCents: l.projectedCents,
          lines: l.lines,
        })),
        budgets: budgets.listBudgets(ownerId).budgets,
      };
    },
    invoices(ownerId: string) {
      const now = clock.now();
      closeInvoices(ownerId, now);
      const c = cycleOf(now);
      const a = account(ownerId, c, now);
      const closed = (
        s.invoices.all(ownerId) as { id: string; cycle_id: string; total_cents: number; lines: string; created_at: string }[]
      ).map((r) => ({
        id: r.id,
        cycle: r.cycle_id,
        status: 'closed',
        total: dollars(r.total_cents),
        totalCents: r.total_cents,
        currency: 'USD',
        lines: JSON.parse(r.lines),
        createdAt: r.created_at,
      }));
      const draft = {
        id: null,
        cycle: c.id,
        status: 'open',
        total: dollars(a.currentCents),
        totalCents: a.currentCents,
        currency: 'USD',
        lines: a.lines.map((l) => ({
          deploymentId: l.deploymentId,
          name: l.name,
          serviceId: l.serviceId,
          tier: l.tier,
          ...l.lines,
          amountCents: l.currentCents,
        })),
        createdAt: null,
      };
      return { invoices: [draft, ...closed], total: closed.length + 1 };
    },
    /** Admins: the fee ledger of closed cycles, and the fee accruing this cycle. */
    revenue() {
      const now = clock.now();
      const c = cycleOf(now);
      let gross = 0;
      for (const owner of repo.ownersWithDeployments(iso(c.endMs))) {
        closeInvoices(owner, now);
        for (const l of account(owner, c, now).lines) if (findTemplate(l.serviceId) && l.currentCents > 0) gross += l.currentCents;
      }
      const ledger = (s.ledger.all() as { cycle_id: string; service_id: string; gross: number; fee: number; n: number }[]).map((r) => ({
        cycle: r.cycle_id,
        serviceId: r.service_id,
        grossCents: r.gross,
        feeCents: r.fee,
        deployments: r.n,
      }));
      return {
        feePercent: Number(FEE_PERCENT),
        currentCycle: { cycle: c.id, grossCents: gross, feeCents: roundHalfEven(BigInt(gross) * FEE_PERCENT * 10_000n), status: 'open' },
        ledger,
      };
    },
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
