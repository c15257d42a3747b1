// Our side of the benchmark: boots the five processes in a temp DATA_DIR on free ports, creates the bench
// publisher (Enterprise plan, so plan limits never stop the deployment seeding) and seeds deployments.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { freePorts } from '../../test/helpers/ports.ts';
import { type Suite, startSuite, waitFor } from '../../test/helpers/suite.ts';
import { round } from './publish.ts';

export const BENCH_USER = 'benchuser';

type Name = Parameters<Suite['pid']>[0];

export interface OurSuite {
  dataDir: string;
  urls: Suite['urls'];
  pid(name: Name): number | undefined;
  stopAll(): Promise<void>;
  authorization: string;
  registryUrl: string;
}

async function json(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function startOurSuite(opts: {
  logLevel: string;
  simTimeScale: number;
  env?: Record<string, string>;
  /** A subset of the processes (the main API is always started: it signs the bench user in). */
  only?: Name[];
  /** An existing data folder (e.g. a copy of a pre-filled registry) instead of a fresh temp one. */
  dataDir?: string;
}): Promise<OurSuite> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'elide-bench-suite-'));
  const [api, registry, marketplace, orchestrator, dashboard] = await freePorts(5);
  const env = {
    LOG_LEVEL: opts.logLevel,
    SIM_TIME_SCALE: String(opts.simTimeScale),
    PORT: String(api),
    REGISTRY_PORT: String(registry),
    MARKETPLACE_PORT: String(marketplace),
    ORCHESTRATOR_PORT: String(orchestrator),
    DASHBOARD_PORT: String(dashboard),
    ...opts.env,
  };
  // Started in three waves on fixed ports rather than all at once: five tsx boots at the same time on a busy
  // 2-core machine can pass startSuite's 30 s readiness deadline.
  const parts: Suite[] = [];
  const suite = {
    dataDir,
    urls: undefined as unknown as Suite['urls'],
    pid: (name: Name) => parts.map((p) => p.pid(name)).find((x) => x !== undefined),
    stopAll: async () => {
      await Promise.all(parts.map((p) => p.stopAll()));
    },
  };
  try {
    for (const wave of [['api'], ['registry', 'marketplace', 'orchestrator'], ['dashboard']] as Name[][]) {
      const only = wave.filter((name) => name === 'api' || !opts.only || opts.only.includes(name));
      if (only.length > 0) parts.push(await startSuite({ only, dataDir, env }));
    }
    suite.urls = parts[0].urls;
    const internalToken = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
    const password = 'bench-password-123';
    await json(`${suite.urls.api}/internal/users/ensure`, {
      method: 'POST',
      headers: { 'x-internal-token': internalToken },
      body: { username: BENCH_USER, email: `${BENCH_USER}@example.test`, password, role: 'publisher', plan: 'enterprise' },
    });
    const login = await json(`${suite.urls.api}/api/auth/login`, { method: 'POST', body: { username: BENCH_USER, password } });
    return { ...suite, authorization: `Bearer ${login.token}`, registryUrl: `${suite.urls.registry}/npm` };
  } catch (e) {
    await suite.stopAll();
    throw e;
  }
}

export interface DeploymentSeed {
  requested: number;
  created: number;
  seconds: number;
  perSecond: number;
  errors: number;
  firstError?: string;
  running: number;
  secondsToAllRunning: number | null;
  ids: string[];
  serviceSlug: string;
}

/** Creates `count` deployments through POST /api/deployments, then waits until they are all running. */
export async function seedDeployments(s: OurSuite, count: number, concurrency = 4): Promise<DeploymentSeed> {
  const mk = s.urls.marketplace;
  const services = (await json(`${mk}/api/services?limit=100`)) as { services: { slug: string }[] };
  const slug = services.services[0].slug;
  const detail = (await json(`${mk}/api/services/${slug}`)) as {
    id: string;
    pricing: { tiers: { id: string }[] };
    specifications: { regions: string[] };
  };
  const tier = detail.pricing.tiers[0].id;
  const region = detail.specifications.regions[0];
  const dispatcher = new Agent({ connections: concurrency });
  const ids: string[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  async function worker() {
    while (next < count) {
      const i = next++;
      const res = await request(`${mk}/api/deployments`, {
        method: 'POST',
        dispatcher,
        headers: { authorization: s.authorization, 'content-type': 'application/json', 'idempotency-key': `bench-${i}` },
        body: JSON.stringify({ serviceId: detail.id, name: `bench-${i}`, config: { tier, region } }),
      }).catch((e: Error) => e);
      if (res instanceof Error || res.statusCode >= 300) {
        errors++;
        firstError ??= res instanceof Error ? res.message : `${res.statusCode} ${(await res.body.text()).slice(0, 300)}`;
        continue;
      }
      ids.push(((await res.body.json()) as { deploymentId: string }).deploymentId);
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
  const seconds = (performance.now() - started) / 1000;
  // "Simultaneous": all were created within `seconds`; now wait for the state machine to bring them all up.
  let running = 0;
  const countRunning = async () => {
    let n = 0;
    for (let offset = 0; ; offset += 100) {
      const page = (await json(`${mk}/api/deployments?limit=100&offset=${offset}`, { headers: { authorization: s.authorization } })) as {
        deployments: { status: string }[];
        total: number;
      };
      n += page.deployments.filter((d) => d.status === 'running').length;
      if (offset + 100 >= page.total) break;
    }
    return n;
  };
  let secondsToAllRunning: number | null = null;
  if (ids.length === 0)
    return {
      requested: count,
      created: 0,
      seconds: round(seconds, 1),
      perSecond: 0,
      errors,
      firstError,
      running: 0,
      secondsToAllRunning,
      ids,
      serviceSlug: slug,
    };
  try {
    await waitFor(
      async () => {
        running = await countRunning();
        return running >= ids.length;
      },
      30_000 + count * 30,
      'deployments to be running',
    );
    secondsToAllRunning = round((performance.now() - started) / 1000, 1);
  } catch {
    // Reported as fewer running than created; the loads still run.
  }
  return {
    requested: count,
    created: ids.length,
    seconds: round(seconds, 1),
    perSecond: round(ids.length / seconds, 1),
    errors,
    firstError,
    running,
    secondsToAllRunning,
    ids,
    serviceSlug: slug,
  };
}

/** VmRSS and VmHWM (peak) in MB of a process, from /proc. */
export function rssOf(pid: number | undefined): { rssMb: number; peakMb: number } | undefined {
  if (!pid) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: round(kb('VmRSS') / 1024, 1), peakMb: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process in clock ticks, from /proc/<pid>/stat. */
export function cpuTicks(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
    const rest = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

/**
 * Waits until the suite has digested the seeding (event relays, analytics rollups, post-publish work): every
 * process below 10 % of a core for 2 s in a row, or maxSeconds. Returns the seconds waited.
 */
export async function waitUntilIdle(pids: (number | undefined)[], maxSeconds: number): Promise<number> {
  const started = performance.now();
  let quiet = 0;
  let last = pids.map(cpuTicks);
  while ((performance.now() - started) / 1000 < maxSeconds && quiet < 2) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = pids.map(cpuTicks);
    // Clock ticks are 1/100 s: more than 10 ticks in a second is more than 10 % of a core.
    quiet = now.every((t, i) => t - last[i] <= 10) ? quiet + 1 : 0;
    last = now;
  }
  return round((performance.now() - started) / 1000, 1);
}
