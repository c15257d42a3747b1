// service-cli deploy <slug>: create a deployment, follow it until running (unless --no-wait), print endpoint and credentials.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, usageError } from '../http.ts';
import { colour, formatFields, print, printJson, spinner } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { fetchService } from './catalog.ts';

export interface Deployment {
  id: string;
  name: string;
  status: string;
  /** Where the deployment is heading (running, stopped, deleted): what status --wait waits for. */
  desiredStatus?: string;
  endpoint: string | null;
  metrics: { requests: number; errors: number; avgResponseTime: number; uptime: number } & Record<string, number>;
  billing: { currentCost: number; projectedCost: number; currency: string };
  serviceSlug: string;
  tier: string;
  region: string;
  instances: number;
  allowedActions: string[];
  currentOperation: { type: string; step: string | null } | null;
  lastOperation: { type: string; status: string; error: { code: string; message: string } | null } | null;
  statusReason: string | null;
  createdAt: string;
}

interface Created {
  deploymentId: string;
  name: string;
  status: string;
  endpoint: string;
  credentials: Record<string, string>;
  tier: string;
  region: string;
  estimatedTime?: string;
}

/** --config takes a JSON object or the path of a file holding one. */
export function parseConfigArg(arg: string | undefined): Record<string, unknown> {
  if (arg === undefined) return {};
  let text = arg;
  let from = '--config';
  // Text that starts like JSON is JSON (an array gets "must be an object", not "no such file").
  if (!/^\s*[{[]/.test(arg)) {
    if (!fs.existsSync(arg)) throw usageError(`--config: "${arg}" is neither a JSON object nor an existing file`);
    if (!fs.statSync(arg).isFile()) throw usageError(`--config: "${arg}" is a folder, not a JSON file`);
    text = fs.readFileSync(arg, 'utf8');
    from = `--config file ${arg}`;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw usageError(`${from} is not valid JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw usageError(`${from} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** The marketplace's rule for deployment names, checked before anything is created. */
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const noDeployment = (id: string) =>
  new CliError(`no deployment "${id}" in your account: service-cli list-deployments shows yours`, 1, 'DEPLOYMENT_NOT_FOUND', 404);

export async function getDeployment(ctx: Ctx, id: string): Promise<Deployment> {
  const d = await ctx.client.request<Deployment | undefined>('marketplace', `/api/deployments/${encodeURIComponent(id)}`, {
    allow404: true,
  });
  if (!d) throw noDeployment(id);
  return d;
}

const SETTLED = new Set(['running', 'stopped', 'failed', 'deleted', 'suspended', 'degraded']);

/** Polls until the deployment reaches `target` (or settles elsewhere, which is a failure). */
export async function waitFor(ctx: Ctx, id: string, target: string, timeoutS: number): Promise<Deployment> {
  const spin = spinner(`waiting for ${id} to be ${target}`, { json: ctx.json });
  const deadline = Date.now() + timeoutS * 1000;
  // Ctrl-C stops the waiting, not the operation: say so, and exit as an interrupted program does (128 + SIGINT).
  const interrupted = () => {
    spin.stop();
    process.stderr.write(`${id} carries on on the server (Ctrl-C only stopped the waiting): follow it with service-cli status ${id}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    for (;;) {
      const d = await getDeployment(ctx, id);
      spin.update(`${d.name}: ${d.status}${d.currentOperation?.step ? ` (${d.currentOperation.step})` : ''}`);
      if ((d.status === target || (target === 'running' && d.status === 'degraded')) && !d.currentOperation) return d;
      if (SETTLED.has(d.status) && !d.currentOperation && d.status !== target) {
        const why = d.lastOperation?.error?.message ?? d.statusReason ?? '';
        throw new CliError(`${d.name} ended ${d.status}, not ${target}${why ? `: ${why}` : ''}`, 1, 'DEPLOYMENT_FAILED');
      }
      if (Date.now() > deadline)
        throw new CliError(`${d.name} is still ${d.status} after ${timeoutS}s: check later with service-cli status ${id}`, 1, 'TIMEOUT');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    process.removeListener('SIGINT', interrupted);
    spin.stop();
  }
}

async function deploy(ctx: Ctx, slug: string) {
  const o = ctx.flags as { tier?: string; region?: string; name?: string; config?: string; wait: boolean; timeout: string };
  const extra = parseConfigArg(o.config);
  if (o.name !== undefined && !DEPLOYMENT_NAME.test(o.name))
    throw usageError(`--name "${o.name}" must be 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit`);
  const timeout = Number(o.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw usageError('--timeout must be a number of seconds');
  const service = await fetchService(ctx, slug);
  const tier = o.tier ?? (extra.tier as string | undefined) ?? service.pricing.tiers[0]?.id;
  const tierInfo = service.pricing.tiers.find((t) => t.id === tier);
  if (!tierInfo) throw usageError(`${slug} has no tier "${tier}": choose one of ${service.pricing.tiers.map((t) => t.id).join(', ')}`);
  const region = o.region ?? (extra.region as string | undefined) ?? tierInfo.regions[0];
  if (!tierInfo.regions.includes(region))
    throw usageError(`the ${tier} tier of ${slug} is not offered in ${region}: choose one of ${tierInfo.regions.join(', ')}`);
  const name = o.name ?? `${service.slug}-${randomUUID().slice(0, 6)}`;
  const created = await ctx.client.request<Created>('marketplace', '/api/deployments', {
    body: { serviceId: service.id, name, config: { ...extra, tier, region } },
    // A retried create must not become two deployments.
    headers: { 'idempotency-key': randomUUID() },
  });
  if (!ctx.json)
    print(`Deploying ${service.name} (${tier}, ${region}) as ${colour.bold(ctx.colour, created.name)}: ${created.deploymentId}`);
  const final = o.wait ? await waitFor(ctx, created.deploymentId, 'running', timeout) : undefined;
  const status = final?.status ?? created.status;
  if (ctx.json) return printJson({ ...created, status });
  print(
    formatFields([
      ['Deployment', created.deploymentId],
      ['Name', created.name],
      ['Status', status],
      ['Endpoint', created.endpoint],
    ]),
  );
  print('Credentials:');
  const w = Math.max(...Object.keys(created.credentials).map((k) => k.length));
  for (const [k, v] of Object.entries(created.credentials)) print(`  ${`${k}:`.padEnd(w + 1)} ${v}`);
  if (!final) print(colour.dim(ctx.colour, `Follow it with: service-cli status ${created.deploymentId}`));
}

export function registerDeployCommand(program: Command, cli: string) {
  examples(
    program
      .command('deploy <slug>')
      .description('deploy a service and wait until it is running; prints the endpoint and credentials')
      .option('-t, --tier <tier>', "pricing tier (default: the service's first tier)")
      .option('-r, --region <region>', "region (default: the tier's first region)")
      .option('-n, --name <name>', 'deployment name (default: <slug>-<random>)')
      .option('--config <json|file>', 'extra service configuration, as JSON or a JSON file')
      .option('--no-wait', 'return as soon as the deployment is accepted')
      .option('--timeout <seconds>', 'how long to wait for running', '600')
      .action(action(cli, deploy)),
    [
      `${cli} deploy postgres-managed`,
      `${cli} deploy postgres-managed --tier pro --region us-east-1 --name production-db`,
      `${cli} deploy ml-inference --config model.json --no-wait --json`,
    ],
  );
}
