// service-cli plan (cost preview then confirmation), backups create/list, restore and credentials (show, rotate).
import type { Command } from 'commander';
import { usageError } from '../http.ts';
import { formatFields, formatInt, formatMoney, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { confirm } from '../prompt.ts';
import { getDeployment, waitFor } from './deploy.ts';

const dep = (id: string) => `/api/deployments/${encodeURIComponent(id)}`;

function waitSeconds(ctx: Ctx): number {
  const timeout = Number(ctx.flags.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw usageError('--timeout must be a number of seconds');
  return timeout;
}

interface PlanPreview {
  fromPlan: string;
  toPlan: string;
  currentCycle: { before: number; after: number; deltaMinor: number; deltaCost: number };
}

async function plan(ctx: Ctx, id: string, tier: string) {
  const preview = await ctx.client.request<PlanPreview>('marketplace', `${dep(id)}/plan`, { body: { tier }, query: { preview: 'true' } });
  const c = preview.currentCycle;
  const lines = `Change ${id} from ${preview.fromPlan} to ${preview.toPlan}\nProjected cost this cycle: ${formatMoney(c.before / 100)} -> ${formatMoney(c.after / 100)} (${c.deltaMinor >= 0 ? '+' : '-'}${formatMoney(Math.abs(c.deltaMinor) / 100)})`;
  if (ctx.flags.dryRun) return ctx.json ? printJson({ ...preview, applied: false }) : print(lines);
  if (preview.fromPlan === preview.toPlan)
    return ctx.json ? printJson({ ...preview, applied: false }) : print(`${id} is already on the ${preview.toPlan} plan: nothing changed`);
  if (!ctx.json) print(lines);
  await confirm(`Apply the ${preview.toPlan} plan?`, ctx.flags.yes);
  const r = await ctx.client.request<Record<string, unknown>>('marketplace', `${dep(id)}/plan`, { body: { tier } });
  // A plan change keeps the deployment as it was (a stopped one stays stopped): wait for that state to settle.
  const settled = (r.deployment as { desiredStatus?: string } | undefined)?.desiredStatus;
  const final = ctx.flags.wait ? await waitFor(ctx, id, settled === 'stopped' ? 'stopped' : 'running', waitSeconds(ctx)) : undefined;
  if (ctx.json) return printJson({ ...preview, applied: true, deployment: final ?? r.deployment });
  print(final ? `${id}: on the ${preview.toPlan} plan, ${final.status}` : `${id}: moving to ${preview.toPlan}`);
}

interface Backup {
  id: string;
  kind: string;
  status: string;
  sizeBytes: number;
  createdAt: string;
  expiresAt: string;
}

async function backupCreate(ctx: Ctx, id: string) {
  const b = await ctx.client.request<Backup>('marketplace', `${dep(id)}/backups`, { method: 'POST', body: {} });
  if (ctx.json) return printJson(b);
  print(`Backup ${b.id} of ${id}: ${b.status}`);
}

async function backupList(ctx: Ctx, id: string) {
  const r = await ctx.client.request<{ backups: Backup[]; total: number }>('marketplace', `${dep(id)}/backups`);
  if (ctx.json) return printJson(r);
  if (r.backups.length === 0) return print(`No backups of ${id} yet: service-cli backups create ${id}`);
  print(
    formatTable(r.backups, [
      { header: 'ID', get: (b) => b.id },
      { header: 'KIND', get: (b) => b.kind },
      { header: 'STATUS', get: (b) => b.status },
      { header: 'SIZE', get: (b) => `${formatInt(b.sizeBytes / 1024 / 1024)} MB`, align: 'right' },
      { header: 'CREATED', get: (b) => b.createdAt },
      { header: 'EXPIRES', get: (b) => b.expiresAt },
    ]),
  );
}

async function restore(ctx: Ctx, id: string) {
  const o = ctx.flags as { backup?: string; at?: string; inPlace?: boolean; name?: string; wait?: boolean; timeout: string };
  if (!o.backup === !o.at) throw usageError('give exactly one of --backup <id> or --at <ISO time>');
  if (o.inPlace && o.name) throw usageError('--name names a new deployment: it cannot go with --in-place');
  const timeout = waitSeconds(ctx);
  const body: Record<string, unknown> = { mode: o.inPlace ? 'in_place' : 'new' };
  if (o.backup) body.backupId = o.backup;
  if (o.at) {
    if (Number.isNaN(Date.parse(o.at))) throw usageError('--at must be an ISO time such as 2026-01-01T12:00:00Z');
    body.pointInTime = new Date(o.at).toISOString();
  }
  if (o.name) body.name = o.name;
  if (o.inPlace) {
    const d = await getDeployment(ctx, id);
    await confirm(`Restore ${d.name} (${id}) in place, losing the changes made since?`, ctx.flags.yes);
  }
  const r = await ctx.client.request<{ deploymentId?: string; deployment?: { id: string } } & Record<string, unknown>>(
    'marketplace',
    `${dep(id)}/restore`,
    { body },
  );
  // In place, the deployment itself goes restoring -> running; otherwise a new one is provisioned from the backup.
  const target = o.inPlace ? id : (r.deploymentId ?? r.deployment?.id);
  const final = o.wait && target ? await waitFor(ctx, target, 'running', timeout) : undefined;
  if (ctx.json) return printJson(final ? { ...r, status: final.status } : r);
  if (o.inPlace) return print(final ? `${final.name} (${id}): restored, ${final.status}` : `Restoring ${id} in place`);
  print(final ? `Restored into ${final.name} (${target}): ${final.status}` : `Restoring into a new deployment: ${String(target ?? '')}`);
}

async function credentials(ctx: Ctx, id: string) {
  const o = ctx.flags as { rotate?: boolean; graceHours?: string };
  if (o.rotate) {
    const grace = Number(o.graceHours ?? 24);
    if (!Number.isInteger(grace) || grace < 0 || grace > 720) throw usageError('--grace-hours must be a whole number from 0 to 720');
    const d = await getDeployment(ctx, id);
    await confirm(`Rotate the credentials of ${d.name}? The old ones stop working after ${grace} hours`, ctx.flags.yes);
    const r = await ctx.client.request<Record<string, unknown>>('marketplace', `${dep(id)}/credentials/rotate`, {
      body: { graceHours: grace },
    });
    if (ctx.json) return printJson(r);
    const creds = (r.credentials ?? r) as Record<string, unknown>;
    print(`Rotated the credentials of ${d.name}:`);
    return print(
      formatFields(Object.entries(creds).filter(([, v]) => typeof v === 'string' || typeof v === 'number') as [string, string][]),
    );
  }
  const r = await ctx.client.request<Record<string, unknown>>('marketplace', `${dep(id)}/credentials`);
  if (ctx.json) return printJson(r);
  const creds = (r.credentials ?? r) as Record<string, unknown>;
  print(formatFields(Object.entries(creds).filter(([, v]) => typeof v === 'string' || typeof v === 'number') as [string, string][]));
}

export function registerOperationCommands(program: Command, cli: string) {
  examples(
    program
      .command('plan <id> <tier>')
      .description('change the pricing tier: shows the cost change, then asks')
      .option('--dry-run', 'only show the cost preview')
      .option('--wait', 'wait until the deployment runs on the new plan')
      .option('--timeout <seconds>', 'how long to wait', '600')
      .action(action(cli, plan)),
    [`${cli} plan deploy-abc123 pro`, `${cli} plan deploy-abc123 starter --dry-run --json`, `${cli} plan deploy-abc123 pro --yes --wait`],
  );
  const backups = program.command('backups').description('create and list backups');
  examples(backups.command('create <id>').description('take a backup now').action(action(cli, backupCreate)), [
    `${cli} backups create deploy-abc123`,
  ]);
  examples(backups.command('list <id>').alias('ls').description('scheduled and manual backups').action(action(cli, backupList)), [
    `${cli} backups list deploy-abc123`,
  ]);
  examples(
    program
      .command('restore <id>')
      .description('restore a backup (or a point in time) into a new deployment, or in place')
      .option('--backup <backupId>', 'the backup to restore')
      .option('--at <time>', 'point in time (ISO 8601)')
      .option('--in-place', 'overwrite this deployment (asks first unless --yes)')
      .option('--name <name>', 'name of the new deployment')
      .option('--wait', 'wait until the restored deployment is running')
      .option('--timeout <seconds>', 'how long to wait', '600')
      .action(action(cli, restore)),
    [`${cli} restore deploy-abc123 --backup bkp-abc123-s1`, `${cli} restore deploy-abc123 --at 2026-01-01T12:00:00Z --in-place --yes`],
  );
  examples(
    program
      .command('credentials <id>')
      .description('show the connection credentials, or rotate them')
      .option('--rotate', 'issue new credentials (asks first unless --yes)')
      .option('--grace-hours <hours>', 'how long the old credentials keep working', '24')
      .action(action(cli, credentials)),
    [`${cli} credentials deploy-abc123`, `${cli} credentials deploy-abc123 --rotate --grace-hours 1 --yes`],
  );
}
