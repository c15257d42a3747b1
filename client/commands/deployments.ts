// service-cli status, list-deployments, logs, metrics, stop/start/restart/delete and scale.
import type { Command } from 'commander';
import { CliError, usageError } from '../http.ts';
import { colour, formatFields, formatInt, formatMoney, formatStatusBlock, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { confirm } from '../prompt.ts';
import { type Deployment, getDeployment, noDeployment, waitFor } from './deploy.ts';

async function status(ctx: Ctx, id: string) {
  let d = await getDeployment(ctx, id);
  // --wait follows a deploy --no-wait (or any running operation) to where it is heading: the deployment's own
  // desired state, so a stop in progress is waited to stopped, not to running. waitFor fails (exit 1) when it
  // settles elsewhere, so `status --wait && next-step` works in scripts.
  if (ctx.flags.wait) {
    const timeout = Number(ctx.flags.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw usageError('--timeout must be a number of seconds');
    if (d.currentOperation) d = await waitFor(ctx, id, d.desiredStatus ?? 'running', timeout);
  }
  if (ctx.json) return printJson(d);
  print(formatStatusBlock(d));
}

async function listDeployments(ctx: Ctx) {
  const all = ctx.flags.all === true;
  const rows: Deployment[] = [];
  let total = 0;
  do {
    const page = await ctx.client.request<{ deployments: Deployment[]; total: number }>('marketplace', '/api/deployments', {
      query: { limit: 100, offset: rows.length, includeDeleted: all },
    });
    rows.push(...page.deployments);
    total = page.total;
    if (page.deployments.length === 0) break;
  } while (rows.length < total);
  if (ctx.json) return printJson({ deployments: rows, total });
  if (rows.length === 0) return print('No deployments. Create one with: service-cli deploy <slug>');
  const st = (s: string) =>
    s === 'running' ? colour.green(ctx.colour, s) : s === 'failed' || s === 'degraded' ? colour.red(ctx.colour, s) : s;
  print(
    formatTable(rows, [
      { header: 'ID', get: (d) => d.id },
      { header: 'NAME', get: (d) => d.name },
      { header: 'SERVICE', get: (d) => d.serviceSlug },
      { header: 'TIER', get: (d) => d.tier },
      { header: 'REGION', get: (d) => d.region },
      { header: 'STATUS', get: (d) => st(d.status) },
      { header: 'COST', get: (d) => formatMoney(d.billing.currentCost), align: 'right' },
      { header: 'ENDPOINT', get: (d) => d.endpoint ?? '-' },
    ]),
  );
}

interface LogLine {
  at: string;
  level: string;
  message: string;
}

const logText = (l: LogLine) => `${l.at} ${l.level.toUpperCase().padEnd(5)} ${l.message}`;

const DURATION_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * --since / --until: an ISO time ("2026-11-27T20:00:00Z") or a duration back from now ("90s", "10m", "2h", "1d"),
 * as docker logs --since takes them; sent to the marketplace as a UTC ISO instant, which is all it accepts.
 */
export function parseLogInstant(flag: string, value: string, nowMs = Date.now()): string {
  const rel = /^(\d+)([smhd])$/.exec(value.trim());
  const ms = rel ? nowMs - Number(rel[1]) * DURATION_MS[rel[2] as keyof typeof DURATION_MS] : Date.parse(value);
  if (!Number.isFinite(ms))
    throw usageError(`${flag} must be an ISO time such as 2026-01-01T12:00:00Z or a duration such as 10m, 2h or 1d`);
  return new Date(ms).toISOString();
}

async function logs(ctx: Ctx, id: string) {
  const o = ctx.flags as { tail: string; follow?: boolean; since?: string; until?: string };
  const tail = Number(o.tail);
  if (!Number.isInteger(tail) || tail < 1 || tail > 1000) throw usageError('--tail must be a whole number from 1 to 1000');
  const now = Date.now();
  const from = o.since === undefined ? undefined : parseLogInstant('--since', o.since, now);
  const to = o.until === undefined ? undefined : parseLogInstant('--until', o.until, now);
  // A follow prints lines as they come, so it has no end: the marketplace refuses the pair, say it here first.
  if (o.follow && to) throw usageError('--follow prints new lines as they come: it takes --since, not --until');
  if (from && to && from >= to) throw usageError(`--since (${from}) must be before --until (${to})`);
  const path = `/api/deployments/${encodeURIComponent(id)}/logs`;
  if (!o.follow) {
    const r = await ctx.client.request<{ lines: LogLine[] } | undefined>('marketplace', path, {
      query: { tail, since: from, until: to },
      allow404: true,
    });
    if (!r) throw noDeployment(id);
    if (ctx.json) return printJson({ lines: r.lines });
    for (const l of r.lines) print(logText(l));
    return;
  }
  // --follow: Server-Sent Events, one "log" event per line; --json prints one JSON object per line. Ctrl-C is
  // how a user ends it (like heroku logs --tail), so SIGINT/SIGTERM end it quietly with exit 0.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(0));
  let since = from;
  let resumed = false;
  // The marketplace ends a follow after 10 minutes (and on shutdown) and expects clients to resume with ?since=.
  for (;;) {
    // The first request honours --tail (the last lines after --since); a resumed one wants every line it missed.
    const query = since ? { tail: resumed ? 1000 : tail, since, follow: 'true' } : { tail, follow: 'true' };
    const res = await ctx.client.stream('marketplace', path, { query, headers: { accept: 'text/event-stream' } });
    try {
      // ?since= answers only lines after it, so nothing is printed twice across reconnects.
      for await (const l of logEvents(res)) {
        since = l.at;
        resumed = true;
        print(ctx.json ? JSON.stringify(l) : logText(l));
      }
    } catch {
      throw new CliError(
        `lost the log stream from the marketplace at ${ctx.client.urls.marketplace}: run the command again`,
        1,
        'STREAM_LOST',
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The "log" events of a Server-Sent Events response, as they arrive. */
async function* logEvents(res: Response): AsyncGenerator<LogLine> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data && /^event: log$/m.test(event)) yield JSON.parse(data) as LogLine;
      i = buf.indexOf('\n\n');
    }
  }
}

async function metrics(ctx: Ctx, id: string) {
  const m = await ctx.client.request<{ current?: Record<string, number> } & Record<string, unknown>>(
    'marketplace',
    `/api/deployments/${encodeURIComponent(id)}/metrics`,
    { allow404: true },
  );
  if (!m) throw noDeployment(id);
  if (ctx.json) return printJson(m);
  const cur = (m.current ?? m.metrics ?? m) as Record<string, unknown>;
  const fmt = (k: string, v: unknown) =>
    typeof v !== 'number'
      ? String(v)
      : k === 'uptime' || k === 'cpu' || k === 'memory'
        ? `${v}%`
        : /ResponseTime$/.test(k)
          ? `${v}ms`
          : formatInt(v);
  print(
    formatFields(
      Object.entries(cur)
        .filter(([, v]) => typeof v === 'number')
        .map(([k, v]) => [k, fmt(k, v)]),
    ),
  );
}

const VERBS = {
  stop: { target: 'stopped', ask: true },
  start: { target: 'running', ask: false },
  restart: { target: 'running', ask: true },
  delete: { target: 'deleted', ask: true },
} as const;

function lifecycle(verb: keyof typeof VERBS) {
  return async (ctx: Ctx, id: string) => {
    const o = ctx.flags as { wait: boolean; timeout: string };
    const d = await getDeployment(ctx, id);
    if (VERBS[verb].ask)
      await confirm(
        `${verb[0].toUpperCase()}${verb.slice(1)} ${d.name} (${id})?${verb === 'delete' ? ' Its data will be gone' : ''}`,
        ctx.flags.yes,
      );
    const r = await ctx.client.request<{ status: string; currentStatus: string }>(
      'marketplace',
      `/api/deployments/${encodeURIComponent(id)}${verb === 'delete' ? '' : `/${verb}`}`,
      { method: verb === 'delete' ? 'DELETE' : 'POST', body: verb === 'delete' ? undefined : {} },
    );
    const final = o.wait ? await waitFor(ctx, id, VERBS[verb].target, Number(o.timeout) || 300) : undefined;
    const out = { id, name: d.name, action: verb, status: final?.status ?? r.currentStatus };
    if (ctx.json) return printJson(out);
    print(`${d.name} (${id}): ${out.status}`);
  };
}

/** A whole number within the marketplace's bounds, or a usage error naming the flag. */
function wholeNumber(value: string, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw usageError(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}

async function scale(ctx: Ctx, id: string, instancesArg: string | undefined) {
  const o = ctx.flags as { min?: string; max?: string; targetCpu?: string; autoscale?: boolean };
  let body: { instances?: number; autoscaling?: { enabled: boolean; min: number; max: number; targetCpu?: number } };
  if (o.autoscale !== undefined || o.min || o.max || o.targetCpu) {
    if (instancesArg !== undefined) throw usageError('give either an instance count or autoscaling flags, not both');
    const min = wholeNumber(o.min ?? '1', '--min', 1, 100);
    const max = wholeNumber(o.max ?? String(min), '--max', 1, 100);
    if (max < min) throw usageError('--max must be at least --min');
    const targetCpu = o.targetCpu === undefined ? undefined : wholeNumber(o.targetCpu, '--target-cpu', 10, 95);
    body = { autoscaling: { enabled: o.autoscale !== false, min, max, ...(targetCpu ? { targetCpu } : {}) } };
  } else {
    if (instancesArg === undefined)
      throw usageError('give the number of instances (scale <id> <instances>) or --autoscale --min N --max M');
    body = { instances: wholeNumber(instancesArg, 'the number of instances', 1, 100) };
  }
  const r = await ctx.client.request<{ deployment?: Deployment & { autoscaling?: { targetCpu: number } } }>(
    'marketplace',
    `/api/deployments/${encodeURIComponent(id)}/scale`,
    { body },
  );
  if (ctx.json) return printJson(r);
  const a = body.autoscaling;
  if (!a) return print(`${id}: scaling to ${body.instances} instances`);
  if (!a.enabled) return print(`${id}: autoscaling off`);
  print(`${id}: autoscaling from ${a.min} to ${a.max} instances at ${r.deployment?.autoscaling?.targetCpu ?? a.targetCpu ?? 70}% CPU`);
}

export function registerDeploymentCommands(program: Command, cli: string) {
  examples(
    program
      .command('status <id>')
      .description('status, metrics and cost of a deployment')
      .option('--wait', 'first wait for the running operation to finish (exit 1 if the deployment ends elsewhere)')
      .option('--timeout <seconds>', 'how long to wait', '600')
      .action(action(cli, status)),
    [`${cli} status deploy-abc123`, `${cli} status deploy-abc123 --json`, `${cli} status deploy-abc123 --wait`],
  );
  examples(
    program
      .command('list-deployments')
      .alias('deployments')
      .description('your deployments')
      .option('-a, --all', 'include deleted ones')
      .action(action(cli, listDeployments)),
    [`${cli} list-deployments`, `${cli} list-deployments --json`],
  );
  examples(
    program
      .command('logs <id>')
      .description('recent log lines of a deployment')
      .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)')
      .option('-n, --tail <lines>', 'how many recent lines', '100')
      .option('--since <time>', 'only lines after this time (ISO 8601, or a duration back from now: 90s, 10m, 2h, 1d)')
      .option('--until <time>', 'only lines before this time (same forms; not with --follow)')
      .action(action(cli, logs)),
    [
      `${cli} logs deploy-abc123 --tail 20`,
      `${cli} logs deploy-abc123 --follow`,
      `${cli} logs deploy-abc123 --since 1h`,
      `${cli} logs deploy-abc123 --since 2026-01-01T12:00:00Z --until 2026-01-01T13:00:00Z`,
    ],
  );
  examples(program.command('metrics <id>').description('current metrics (and time series with --json)').action(action(cli, metrics)), [
    `${cli} metrics deploy-abc123`,
  ]);
  for (const verb of Object.keys(VERBS) as (keyof typeof VERBS)[]) {
    examples(
      program
        .command(`${verb} <id>`)
        .description(`${verb} a deployment${VERBS[verb].ask ? ' (asks first unless --yes)' : ''}`)
        .option('--wait', `wait until it is ${VERBS[verb].target}`)
        .option('--timeout <seconds>', 'how long to wait', '300')
        .action(action(cli, lifecycle(verb))),
      [
        `${cli} ${verb} deploy-abc123${VERBS[verb].ask ? ' --yes' : ''}`,
        `${cli} ${verb} deploy-abc123 --wait --json${VERBS[verb].ask ? ' --yes' : ''}`,
      ],
    );
  }
  examples(
    program
      .command('scale <id> [instances]')
      .description('set the instance count, or autoscaling bounds')
      .option('--autoscale', 'enable autoscaling between --min and --max')
      .option('--no-autoscale', 'disable autoscaling')
      .option('--min <n>', 'autoscaling minimum')
      .option('--max <n>', 'autoscaling maximum')
      .option('--target-cpu <percent>', 'autoscaling CPU target')
      .action(action(cli, scale)),
    [`${cli} scale deploy-abc123 3`, `${cli} scale deploy-abc123 --autoscale --min 2 --max 6`],
  );
}
