// Soak: boots all five processes in a temp data folder and drives mixed traffic (npm publishes, packument and
// tarball reads, searches, deployments, webhook writes, logins, dashboard pages) for N minutes, then reports
// errors, latency percentiles per operation, RSS per process over time, and SQLITE_BUSY / lock lines in the logs.
// Usage: npm run soak -- [--minutes 1] [--concurrency 4] [--out report.json]
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { docPath, publishBody } from '../test/helpers/npm-fixtures.ts';
import { createUser, percentile, type SuiteUser, startSuiteSequential } from '../test/helpers/reliability.ts';
import type { Suite } from '../test/helpers/suite.ts';

const NAMES = ['api', 'registry', 'marketplace', 'orchestrator', 'dashboard'] as const;

export interface SoakReport {
  durationMs: number;
  concurrency: number;
  ops: Record<string, { count: number; errors: number; statuses: Record<string, number>; p50: number; p99: number; max: number }>;
  totalOps: number;
  errors: number;
  errorSamples: string[];
  rss: { atMs: number; mb: Record<string, number> }[];
  lockLinesInLogs: number;
  webhookDeliveries: number;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Drive mixed traffic against a running suite for durationMs; the caller owns the suite. */
export async function runSoak(suite: Suite, o: { durationMs: number; concurrency: number; receiverUrl: string }): Promise<SoakReport> {
  const users: SuiteUser[] = [];
  for (let i = 0; i < 4; i++) users.push(await createUser(suite, `soak-${i}`, { role: 'publisher', plan: 'enterprise' }));
  const published: { name: string; tarball: string }[] = [];
  const samples = new Map<string, { lat: number[]; errors: number; statuses: Record<string, number> }>();
  const errorSamples: string[] = [];
  let seq = 0;
  const rec = (op: string, ms: number, status: number | string) => {
    const s = samples.get(op) ?? { lat: [], errors: 0, statuses: {} };
    samples.set(op, s);
    s.lat.push(ms);
    s.statuses[status] = (s.statuses[status] ?? 0) + 1;
    // A 5xx (503 from a busy database included) or a dropped connection is an error; 4xx are refusals.
    if (typeof status === 'string' || status >= 500) {
      s.errors++;
      if (errorSamples.length < 20) errorSamples.push(`${op}: ${status}`);
    }
  };
  const call = async (op: string, url: string, init: RequestInit = {}) => {
    const t = performance.now();
    try {
      const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
      const body = await res.arrayBuffer();
      rec(op, performance.now() - t, res.status);
      return { status: res.status, body: Buffer.from(body) };
    } catch (err) {
      rec(op, performance.now() - t, (err as Error).name);
      return { status: 0, body: Buffer.alloc(0) };
    }
  };
  for (const u of users)
    await call('webhook.create', `${suite.urls.api}/api/webhooks`, {
      method: 'POST',
      headers: { ...u.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: o.receiverUrl, events: ['*'] }),
    });

  const ops: [number, (u: SuiteUser) => Promise<unknown>][] = [
    [
      3,
      async (u) => {
        const n = seq++;
        const name = n % 2 ? `soak-pkg-${n}` : `@${u.username}/pkg-${n}`;
        const r = await call('npm.publish', `${suite.urls.registry}${docPath(name)}`, {
          method: 'PUT',
          headers: { ...u.auth, 'content-type': 'application/json' },
          body: JSON.stringify(publishBody(name, '1.0.0')),
        });
        if (r.status === 201) published.push({ name, tarball: `${docPath(name)}/-/${name.split('/').pop()}-1.0.0.tgz` });
      },
    ],
    [
      6,
      async () => {
        const p = published[Math.floor(Math.random() * published.length)];
        if (!p) return;
        await call('npm.packument', `${suite.urls.registry}${docPath(p.name)}`, {
          headers: { accept: 'application/vnd.npm.install-v1+json' },
        });
        await call('npm.tarball', `${suite.urls.registry}${p.tarball}`);
      },
    ],
    [3, async () => call('api.search', `${suite.urls.api}/api/packages/search?q=soak&limit=20`)],
    [
      1,
      async (u) =>
        call('deployment.create', `${suite.urls.marketplace}/api/deployments`, {
          method: 'POST',
          headers: { ...u.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ serviceId: 'svc-redis', name: `soak-${seq++}`, config: { tier: 'starter', region: 'eu-west-1' } }),
        }),
    ],
    [2, async (u) => call('deployment.list', `${suite.urls.marketplace}/api/deployments?limit=20`, { headers: u.auth })],
    [1, async (u) => call('billing.summary', `${suite.urls.marketplace}/api/billing`, { headers: u.auth })],
    [
      1,
      async (u) =>
        call('auth.login', `${suite.urls.api}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: u.username, password: u.password }),
        }),
    ],
    [1, async () => call('dashboard.page', `${suite.urls.dashboard}/`)],
  ];
  const total = ops.reduce((n, [w]) => n + w, 0);
  const pick = () => {
    let r = Math.random() * total;
    for (const [w, f] of ops) {
      r -= w;
      if (r < 0) return f;
    }
    return ops[0][1];
  };

  const started = Date.now();
  const rss: SoakReport['rss'] = [];
  const sample = () => rss.push({ atMs: Date.now() - started, mb: Object.fromEntries(NAMES.map((n) => [n, rssMb(suite.pid(n))])) });
  sample();
  const sampler = setInterval(sample, Math.max(1000, Math.min(10_000, o.durationMs / 12)));
  await Promise.all(
    Array.from({ length: o.concurrency }, async (_, w) => {
      while (Date.now() - started < o.durationMs) await pick()(users[w % users.length]);
    }),
  );
  clearInterval(sampler);
  sample();

  let lockLines = 0;
  for (const n of NAMES) {
    if (!fs.existsSync(suite.logFile(n))) continue;
    lockLines += (fs.readFileSync(suite.logFile(n), 'utf8').match(/SQLITE_BUSY|database is locked/g) ?? []).length;
  }
  const report: SoakReport = {
    durationMs: Date.now() - started,
    concurrency: o.concurrency,
    ops: {},
    totalOps: 0,
    errors: 0,
    errorSamples,
    rss,
    lockLinesInLogs: lockLines,
    webhookDeliveries: 0,
  };
  for (const [op, s] of samples) {
    const sorted = [...s.lat].sort((a, b) => a - b);
    const r = (v: number) => Math.round(v * 10) / 10;
    report.ops[op] = {
      count: s.lat.length,
      errors: s.errors,
      statuses: s.statuses,
      p50: r(percentile(sorted, 50)),
      p99: r(percentile(sorted, 99)),
      max: r(sorted.at(-1) ?? 0),
    };
    report.totalOps += s.lat.length;
    report.errors += s.errors;
  }
  return report;
}

/** A loopback webhook receiver counting deliveries. */
export async function startReceiver(): Promise<{ url: string; count: () => number; close: () => void }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    count: () => n,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

export function formatReport(r: SoakReport): string {
  const lines = [
    `soak: ${(r.durationMs / 60_000).toFixed(1)} min, concurrency ${r.concurrency}, ${r.totalOps} requests, ${r.errors} errors (5xx or dropped), ` +
      `${r.lockLinesInLogs} SQLITE_BUSY/lock lines in logs, ${r.webhookDeliveries} webhook deliveries`,
    'operation            count  errors   p50 ms   p99 ms   max ms  statuses',
  ];
  for (const [op, s] of Object.entries(r.ops).sort())
    lines.push(
      `${op.padEnd(20)} ${String(s.count).padStart(5)} ${String(s.errors).padStart(7)} ${String(s.p50).padStart(8)} ${String(s.p99).padStart(8)} ${String(s.max).padStart(8)}  ${JSON.stringify(s.statuses)}`,
    );
  const first = r.rss[0]?.mb ?? {};
  const last = r.rss.at(-1)?.mb ?? {};
  const peak = (n: string) => Math.max(...r.rss.map((s) => s.mb[n] ?? 0));
  lines.push(`RSS MB (start -> end, peak): ${NAMES.map((n) => `${n} ${first[n]} -> ${last[n]} (${peak(n)})`).join(', ')}`);
  if (r.errorSamples.length) lines.push(`error samples: ${r.errorSamples.join('; ')}`);
  return lines.join('\n');
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const minutes = Number(arg('--minutes', '1'));
  const concurrency = Number(arg('--concurrency', '4'));
  const out = arg('--out', '');
  const receiver = await startReceiver();
  const suite = await startSuiteSequential([...NAMES], {
    env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', SIM_TIME_SCALE: '0.05', LOG_LEVEL: 'warn' },
  });
  let code = 0;
  try {
    const report = await runSoak(suite, { durationMs: minutes * 60_000, concurrency, receiverUrl: receiver.url });
    report.webhookDeliveries = receiver.count();
    process.stdout.write(`${formatReport(report)}\n`);
    if (out) fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    code = report.errors === 0 && report.lockLinesInLogs === 0 ? 0 : 1;
  } finally {
    receiver.close();
    await suite.stopAll();
    fs.rmSync(suite.dataDir, { recursive: true, force: true });
  }
  process.exit(code);
}
