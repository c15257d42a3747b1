// Budgets: thresholds on actual or forecast spend that fire billing.threshold exactly once per (budget,
// version, threshold, cycle) by a unique insert (reference §3.5), and the opt-in suspend-on-exceed.
import { enqueueAudit, type RelayedAuditAction } from '../lib/audit-outbox.ts';
import type { Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { badRequest, conflict, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { enqueueEvent } from '../lib/outbox.ts';
import { type Cycle, cycleOf, dollars } from './billing.ts';
import type { DeploymentEngine } from './deployment-engine.ts';
import type { DeploymentRow, DeploymentsRepo } from './deployments-repo.ts';

const MAX_BUDGET_CENTS = 100_000_000; // $1,000,000 a month: anything above is a typo, not a budget
const iso = (ms: number) => new Date(ms).toISOString();
/** Who changes a budget: the owner, named in the audit entry. */
type Actor = Pick<Principal, 'userId' | 'username' | 'ip' | 'userAgent'>;

export interface Threshold {
  id: string;
  percent: number;
  basis: 'actual' | 'forecast';
}
export interface BudgetInput {
  amountCents: number;
  deploymentId?: string | null;
  thresholds?: { percent: number; basis: 'actual' | 'forecast' }[];
  onExceed?: 'notify' | 'suspend';
}
interface BudgetRow {
  id: string;
  owner_id: string;
  version: number;
  deployment_id: string | null;
  amount_cents: number;
  thresholds: string;
  on_exceed: 'notify' | 'suspend';
  created_at: string;
  updated_at: string;
}

const DEFAULT_THRESHOLDS: Threshold[] = [
  { id: 'actual-50', percent: 50, basis: 'actual' },
  { id: 'actual-80', percent: 80, basis: 'actual' },
  { id: 'actual-100', percent: 100, basis: 'actual' },
  { id: 'forecast-100', percent: 100, basis: 'forecast' },
];

/** The account figures budgets compare against (from billing-service.ts). */
export interface AccountTotals {
  currentCents: number;
  projectedCents: number;
}

export function createBudgets(d: {
  db: Db;
  repo: DeploymentsRepo;
  engine: DeploymentEngine;
  clock: Clock;
  timeScale?: number;
  account: (ownerId: string, c: Cycle, asOfMs: number, onlyDeployment?: string | null) => AccountTotals;
  inCycle: (ownerId: string, c: Cycle) => DeploymentRow[];
}) {
  const { db, repo, clock, account, inCycle } = d;
  const s = {
    budgets: db.prepare('SELECT * FROM mkt_budgets WHERE owner_id = ? AND deleted_at IS NULL ORDER BY created_at'),
    budget: db.prepare('SELECT * FROM mkt_budgets WHERE id = ? AND owner_id = ? AND deleted_at IS NULL'),
    budgetOwners: db.prepare('SELECT DISTINCT owner_id FROM mkt_budgets WHERE deleted_at IS NULL'),
    insertBudget:
      db.prepare(`INSERT INTO mkt_budgets (id, owner_id, version, deployment_id, amount_cents, thresholds, on_exceed, created_at, updated_at)
      VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)`),
    updateBudget: db.prepare(
      'UPDATE mkt_budgets SET version = version + 1, amount_cents = ?, thresholds = ?, on_exceed = ?, updated_at = ? WHERE id = ?',
    ),
    deleteBudget: db.prepare('UPDATE mkt_budgets SET deleted_at = ? WHERE id = ?'),
    fire: db.prepare(`INSERT OR IGNORE INTO mkt_threshold_firings (budget_id, budget_version, threshold_id, cycle_id, fired_at, value_cents)
      VALUES (?, ?, ?, ?, ?, ?)`),
    firings: db.prepare('SELECT * FROM mkt_threshold_firings WHERE budget_id = ? AND budget_version = ? AND cycle_id = ?'),
  };

  function budgetView(b: BudgetRow, c: Cycle) {
    const fired = s.firings.all(b.id, b.version, c.id) as { threshold_id: string; fired_at: string; value_cents: number }[];
    return {
      id: b.id,
      version: b.version,
      scope: b.deployment_id ? { type: 'deployment', deploymentId: b.deployment_id } : { type: 'account' },
      amount: dollars(b.amount_cents),
      amountCents: b.amount_cents,
      currency: 'USD',
      thresholds: (JSON.parse(b.thresholds) as Threshold[]).map((t) => ({
        ...t,
        firedAt: fired.find((f) => f.threshold_id === t.id)?.fired_at ?? null,
      })),
      onExceed: b.on_exceed,
      createdAt: b.created_at,
      updatedAt: b.updated_at,
    };
  }

  function validateBudget(input: BudgetInput, ownerId: string, creating = false): Threshold[] {
    if (!Number.isInteger(input.amountCents) || input.amountCents <= 0 || input.amountCents > MAX_BUDGET_CENTS)
      throw badRequest(
        `a budget must be a positive amount of at most $${MAX_BUDGET_CENTS / 100} a month`,
        { max: MAX_BUDGET_CENTS / 100 },
        'BUDGET_INVALID',
      );
    if (input.deploymentId) {
      const dep = repo.byId(input.deploymentId);
      if (!dep || dep.owner_id !== ownerId) throw notFound(`no deployment "${input.deploymentId}" in your account`, 'DEPLOYMENT_NOT_FOUND');
      // A deleted deployment spends nothing more: a new budget on it could never guard anything. (An existing
      // budget outlives its deployment's deletion and can still be edited.)
      if (creating && dep.status === 'deleted')
        throw conflict(`deployment "${dep.name}" is deleted: set a budget on a live deployment or on the account`, 'DEPLOYMENT_DELETED');
    }
    const list = input.thresholds?.map((t) => ({ id: `${t.basis}-${t.percent}`, ...t })) ?? DEFAULT_THRESHOLDS;
    if (new Set(list.map((t) => t.id)).size !== list.length)
      throw badRequest('each threshold (basis and percent) may appear once', undefined, 'BUDGET_INVALID');
    return list;
  }

  /** A suspend-on-exceed budget at or over 100% of its actual spend: its scope is suspended and stays so. */
  const spent = (b: BudgetRow, currentCents: number) => b.on_exceed === 'suspend' && currentCents >= b.amount_cents;

  /** Fire every crossed threshold not yet fired this cycle; returns how many fired. Call inside a transaction. */
  function evaluateOwner(ownerId: string, nowMs: number): number {
    const c = cycleOf(nowMs);
    let fired = 0;
    for (const b of s.budgets.all(ownerId) as BudgetRow[]) {
      const a = account(ownerId, c, nowMs, b.deployment_id);
      for (const t of JSON.parse(b.thresholds) as Threshold[]) {
        const value = t.basis === 'actual' ? a.currentCents : a.projectedCents;
        if (value < Math.ceil((b.amount_cents * t.percent) / 100)) continue;
        if (s.fire.run(b.id, b.version, t.id, c.id, iso(nowMs), value).changes === 0) continue;
        fired++;
        enqueueEvent(db, { table: 'marketplace_outbox' }, clock, {
          type: 'billing.threshold',
          ownerId,
          subject: `budget:${b.id}`,
          data: {
            budgetId: b.id,
            budgetVersion: b.version,
            thresholdId: t.id,
            percent: t.percent,
            basis: t.basis,
            amountMinor: b.amount_cents,
            currentMinor: a.currentCents,
            projectedMinor: a.projectedCents,
            currency: 'USD',
            cycle: { id: c.id, start: iso(c.startMs), end: iso(c.endMs) },
            crossedAt: iso(nowMs),
            scope: b.deployment_id ? { type: 'deployment', deploymentId: b.deployment_id } : { type: 'account' },
          },
        });
      }
      // Opt-in hard cap: suspend (never delete) at 100% of actual spend (reference §3.5), on every evaluation while
      // the budget stays spent, not only when its threshold fires: a deployment that was mid-operation (restarting,
      // updating) at that moment, or retried since, is suspended once it is steady again, rather than running
      // unchecked for the rest of the cycle.
      if (spent(b, a.currentCents)) {
        for (const r of inCycle(ownerId, c).filter((r) => !b.deployment_id || r.id === b.deployment_id)) {
          if (r.status === 'running' || r.status === 'degraded' || r.status === 'stopped') {
            repo.setDesired(r.id, 'stopped', iso(nowMs));
            d.engine.begin(r, 'suspend', { returnTo: r.status });
          }
        }
      }
    }
    return fired;
  }

  let lastEvaluation = 0;
  /** The owner's budget, or the 404 another user's or a deleted one gets. */
  const ownBudget = (ownerId: string, id: string): BudgetRow => {
    const b = s.budget.get(id, ownerId) as BudgetRow | undefined;
    if (!b) throw notFound(`no budget "${id}" in your account`, 'BUDGET_NOT_FOUND');
    return b;
  };
  // A user's change to a budget is audited (lib/audit-outbox.ts); its thresholds firing is an outcome, not an action.
  const auditBudget = (actor: Actor, action: RelayedAuditAction & `budget.${string}`, id: string, details?: Record<string, unknown>) =>
    enqueueAudit(db, { table: 'marketplace_outbox' }, clock, actor, action, `budget:${id}`, details);

  return {
    listBudgets(ownerId: string) {
      const c = cycleOf(clock.now());
      const budgets = (s.budgets.all(ownerId) as BudgetRow[]).map((b) => budgetView(b, c));
      return { budgets, total: budgets.length };
    },
    getBudget: (ownerId: string, id: string) => budgetView(ownBudget(ownerId, id), cycleOf(clock.now())),
    createBudget(actor: Actor, input: BudgetInput) {
      const ownerId = actor.userId;
      const thresholds = validateBudget(input, ownerId, true);
      const id = newId('budget');
      const at = iso(clock.now());
      return db
        .transaction(() => {
          s.insertBudget.run(
            id,
            ownerId,
            input.deploymentId ?? null,
            input.amountCents,
            JSON.stringify(thresholds),
            input.onExceed ?? 'notify',
            at,
            at,
          );
          auditBudget(actor, 'budget.create', id, {
            deploymentId: input.deploymentId ?? null,
            amountCents: input.amountCents,
            onExceed: input.onExceed ?? 'notify',
          });
          evaluateOwner(ownerId, clock.now());
          return budgetView(s.budget.get(id, ownerId) as BudgetRow, cycleOf(clock.now()));
        })
        .immediate();
    },
    updateBudget(actor: Actor, id: string, input: BudgetInput) {
      const ownerId = actor.userId;
      const b = ownBudget(ownerId, id);
      // The scope is fixed at creation (the firings and the suspend action belong to it): a PUT naming another
      // scope is refused, never applied to the old scope as if it had been accepted.
      if (input.deploymentId !== undefined && input.deploymentId !== b.deployment_id)
        throw badRequest(
          `a budget's scope cannot change (it covers ${b.deployment_id ? `deployment "${b.deployment_id}"` : 'the account'}): create a new budget for the other scope and delete this one`,
          { scope: b.deployment_id ? { type: 'deployment', deploymentId: b.deployment_id } : { type: 'account' } },
          'BUDGET_INVALID',
        );
      const thresholds = validateBudget({ ...input, deploymentId: b.deployment_id }, ownerId);
      return db
        .transaction(() => {
          // A new version re-arms every threshold (reference §3.5).
          s.updateBudget.run(input.amountCents, JSON.stringify(thresholds), input.onExceed ?? b.on_exceed, iso(clock.now()), id);
          auditBudget(actor, 'budget.update', id, { amountCents: input.amountCents, onExceed: input.onExceed ?? b.on_exceed });
          evaluateOwner(ownerId, clock.now());
          return budgetView(s.budget.get(id, ownerId) as BudgetRow, cycleOf(clock.now()));
        })
        .immediate();
    },
    deleteBudget(actor: Actor, id: string) {
      ownBudget(actor.userId, id);
      db.transaction(() => {
        s.deleteBudget.run(iso(clock.now()), id);
        auditBudget(actor, 'budget.delete', id);
      }).immediate();
    },
    /**
     * A suspend-on-exceed budget still over 100% of actual spend this cycle keeps its deployments suspended, and
     * refuses to bring one up (resume, start, retry) or create one in its scope (deploymentId null: a new one).
     */
    blockingBudget(ownerId: string, deploymentId: string | null): string | undefined {
      const now = clock.now();
      const c = cycleOf(now);
      for (const b of s.budgets.all(ownerId) as BudgetRow[]) {
        if (b.on_exceed !== 'suspend' || (b.deployment_id && b.deployment_id !== deploymentId)) continue;
        if (spent(b, account(ownerId, c, now, b.deployment_id).currentCents)) return b.id;
      }
      return undefined;
    },
    evaluate: (ownerId: string) => db.transaction(() => evaluateOwner(ownerId, clock.now())).immediate(),
    /** The periodic evaluation (every 60 simulated seconds). */
    evaluateDue(nowMs = clock.now()) {
      if (nowMs - lastEvaluation < 60_000 * (d.timeScale ?? 1)) return 0;
      lastEvaluation = nowMs;
      let fired = 0;
      for (const { owner_id } of s.budgetOwners.all() as { owner_id: string }[])
        fired += db.transaction(() => evaluateOwner(owner_id, nowMs)).immediate();
      return fired;
    },
  };
}

export type Budgets = ReturnType<typeof createBudgets>;
