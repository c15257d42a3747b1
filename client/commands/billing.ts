// service-cli billing (this cycle's summary, invoices) and budgets (list, create, delete).
import type { Command } from 'commander';
import { usageError } from '../http.ts';
import { formatFields, formatMoney, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { confirm } from '../prompt.ts';

interface Summary {
  cycle: { id: string; start: string; end: string };
  currency: string;
  currentCost: number;
  projectedCost: number;
  low: number;
  high: number;
  deploymentsTotal?: number;
  limit?: number;
  offset?: number;
  deployments: {
    deploymentId: string;
    name: string;
    serviceId: string;
    tier: string;
    status: string;
    currentCost?: number;
    projectedCost?: number;
  }[];
}

/** The marketplace pages the per-deployment lines (at most 100 at a time): the CLI shows them all. */
async function summary(ctx: Ctx) {
  const s = await ctx.client.request<Summary>('marketplace', '/api/billing');
  while (s.deploymentsTotal !== undefined && s.deployments.length < s.deploymentsTotal) {
    const next = await ctx.client.request<Summary>('marketplace', `/api/billing?offset=${s.deployments.length}`);
    if (next.deployments.length === 0) break;
    s.deployments.push(...next.deployments);
  }
  delete s.limit;
  delete s.offset;
  if (ctx.json) return printJson(s);
  print(
    formatFields([
      ['Cycle', `${s.cycle.id} (${s.cycle.start.slice(0, 10)} to ${s.cycle.end.slice(0, 10)})`],
      ['Current Cost', formatMoney(s.currentCost, s.currency)],
      [
        'Projected Cost',
        `${formatMoney(s.projectedCost, s.currency)} (range ${formatMoney(s.low, s.currency)} to ${formatMoney(s.high, s.currency)})`,
      ],
    ]),
  );
  if (s.deployments.length === 0) return;
  print('');
  print(
    formatTable(s.deployments, [
      { header: 'DEPLOYMENT', get: (d) => d.deploymentId },
      { header: 'NAME', get: (d) => d.name },
      { header: 'TIER', get: (d) => d.tier },
      { header: 'STATUS', get: (d) => d.status },
      { header: 'CURRENT', get: (d) => (d.currentCost === undefined ? '-' : formatMoney(d.currentCost)), align: 'right' },
      { header: 'PROJECTED', get: (d) => (d.projectedCost === undefined ? '-' : formatMoney(d.projectedCost)), align: 'right' },
    ]),
  );
}

interface Invoice {
  /** null for the current cycle's open draft: it has no id until the cycle closes into an invoice. */
  id: string | null;
  cycle: string;
  status: string;
  total: number;
  currency: string;
}

async function invoices(ctx: Ctx) {
  const r = await ctx.client.request<{ invoices: Invoice[]; total: number }>('marketplace', '/api/billing/invoices');
  if (ctx.json) return printJson(r);
  print(
    formatTable(r.invoices, [
      { header: 'ID', get: (i) => i.id ?? 'open (current cycle)' },
      { header: 'CYCLE', get: (i) => i.cycle },
      { header: 'STATUS', get: (i) => i.status },
      { header: 'TOTAL', get: (i) => formatMoney(i.total, i.currency), align: 'right' },
    ]),
  );
}

interface Budget {
  id: string;
  amount?: number;
  amountCents?: number;
  deploymentId: string | null;
  onExceed: string;
  thresholds?: { percent: number; basis: string }[];
}

async function budgetList(ctx: Ctx) {
  const r = await ctx.client.request<{ budgets: Budget[] }>('marketplace', '/api/billing/budgets');
  if (ctx.json) return printJson(r);
  if (r.budgets.length === 0) return print('No budgets. Create one with: service-cli budgets create --amount 100');
  print(
    formatTable(r.budgets, [
      { header: 'ID', get: (b) => b.id },
      { header: 'AMOUNT', get: (b) => formatMoney(b.amount ?? (b.amountCents ?? 0) / 100), align: 'right' },
      { header: 'SCOPE', get: (b) => b.deploymentId ?? 'account' },
      { header: 'ON EXCEED', get: (b) => b.onExceed },
      { header: 'ALERTS', get: (b) => (b.thresholds ?? []).map((t) => `${t.percent}% ${t.basis}`).join(', ') },
    ]),
  );
}

async function budgetCreate(ctx: Ctx) {
  const o = ctx.flags as { amount?: string; deployment?: string; threshold?: string[]; onExceed?: string };
  const amount = Number(o.amount);
  if (!Number.isFinite(amount) || amount <= 0) throw usageError('--amount must be a positive number of dollars');
  const body: Record<string, unknown> = { amount };
  if (o.deployment) body.deploymentId = o.deployment;
  if (o.onExceed) body.onExceed = o.onExceed;
  if (o.threshold?.length)
    body.thresholds = o.threshold.map((t) => {
      const m = /^(\d+)(?::(actual|forecast))?$/.exec(t);
      if (!m) throw usageError(`--threshold "${t}": use PERCENT or PERCENT:actual|forecast, such as 80:forecast`);
      return { percent: Number(m[1]), basis: m[2] ?? 'actual' };
    });
  const b = await ctx.client.request<Budget>('marketplace', '/api/billing/budgets', { body });
  if (ctx.json) return printJson(b);
  print(`Created budget ${b.id}: ${formatMoney(amount)} per cycle for ${b.deploymentId ?? 'the account'}`);
}

async function budgetDelete(ctx: Ctx, id: string) {
  await confirm(`Delete budget ${id}?`, ctx.flags.yes);
  await ctx.client.request('marketplace', `/api/billing/budgets/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (ctx.json) return printJson({ deleted: id });
  print(`Deleted budget ${id}.`);
}

export function registerBillingCommands(program: Command, cli: string) {
  const billing = examples(
    program.command('billing').description("this cycle's costs (current and projected)").action(action(cli, summary)),
    [`${cli} billing`, `${cli} billing invoices --json`],
  );
  examples(billing.command('invoices').description('closed invoices and the running draft').action(action(cli, invoices)), [
    `${cli} billing invoices`,
  ]);
  const budgets = examples(program.command('budgets').description('spending budgets and alerts').action(action(cli, budgetList)), [
    `${cli} budgets`,
    `${cli} budgets create --amount 100 --threshold 80 --threshold 100:forecast`,
  ]);
  examples(budgets.command('list').alias('ls').description('list budgets').action(action(cli, budgetList)), [`${cli} budgets list --json`]);
  examples(
    budgets
      .command('create')
      .description('create a budget for the account or one deployment')
      .requiredOption('--amount <dollars>', 'budget per billing cycle')
      .option('--deployment <id>', 'only this deployment')
      .option('--threshold <percent...>', 'alert at PERCENT or PERCENT:forecast of the amount (repeatable)')
      .option('--on-exceed <action>', 'notify or suspend')
      .action(action(cli, budgetCreate)),
    [`${cli} budgets create --amount 50 --deployment deploy-abc123 --on-exceed suspend`],
  );
  examples(
    budgets.command('delete <id>').alias('rm').description('delete a budget (asks first unless --yes)').action(action(cli, budgetDelete)),
    [`${cli} budgets delete budget-abc123 --yes`],
  );
}
