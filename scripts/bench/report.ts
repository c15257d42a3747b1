// Renders benchmark results: the terminal table, and the generated block of docs/PERFORMANCE.md (between its
// bench:begin/bench:end markers), both from the same JSON the run writes.
import fs from 'node:fs';
import type { LoadResult } from './load.ts';
import type { InstallResult } from './npm-install.ts';
import type { PublishResult } from './publish.ts';
import type { DeploymentSeed } from './suite-target.ts';

export interface LoadRow {
  name: string;
  /** p95 target in ms from issue #11. */
  targetP95: number;
  /** Answered by a process that asks another one over HTTP per request (the main API's package routes). */
  viaPeer?: boolean;
  ours?: LoadResult;
  oursNote?: string;
  verdaccio?: LoadResult;
  verdaccioNote?: string;
  /** Seconds every process took to be idle again after this row's loads (the next load waits for it). */
  settleSeconds?: number;
  /** CPU each of our processes used during our measured load, in % of one core: who else was busy meanwhile. */
  cpuPercent?: Record<string, number>;
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  command: string;
  machine: { cpus: number; model: string; memoryGb: number; node: string; os: string; loadAverageAtStart: number[] };
  params: Record<string, unknown>;
  publish: { ours?: PublishResult; verdaccio?: PublishResult };
  deployments?: Omit<DeploymentSeed, 'ids'>;
  ceiling?: LoadResult;
  /** The one-hop ceiling: bare Fastify passing on another bare Fastify's answer through undici. */
  hopCeiling?: LoadResult;
  loads: LoadRow[];
  install: { ours?: InstallResult; verdaccio?: InstallResult };
  rss: Record<string, { rssMb: number; peakMb: number } | undefined>;
  durationSeconds?: number;
  /** Seconds waited after seeding until every process was idle (capped). */
  settleSeconds?: number;
}

const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
const num = (n?: number | null) => (n === undefined || n === null || Number.isNaN(n) ? '-' : String(n));
/** req/s, flagging bad answers, and saying so when not one request completed within the window. */
const rate = (l: LoadResult, seconds: unknown) =>
  l.requests === 0
    ? `0 (none done in ${seconds} s)`
    : `${l.rps}${l.non2xx + l.errors + l.timeouts > 0 ? ` (${l.non2xx + l.errors + l.timeouts} bad)` : ''}`;

export function loadRows(r: BenchResults): string[][] {
  const header = [
    'endpoint',
    'ours req/s',
    'p50',
    'p95',
    'p99',
    'p95 target',
    'Verdaccio req/s',
    'V p95',
    'ours/Verdaccio',
    'ours/ceiling',
    'ours/one-hop ceiling',
  ];
  const rows = r.loads.map((l) => [
    l.name,
    l.ours ? rate(l.ours, r.params.seconds) : (l.oursNote ?? '-'),
    num(l.ours?.p50),
    num(l.ours?.p95),
    num(l.ours?.p99),
    `< ${l.targetP95}`,
    l.verdaccio ? rate(l.verdaccio, r.params.seconds) : (l.verdaccioNote ?? '-'),
    num(l.verdaccio?.p95),
    ratio(l.ours?.rps, l.verdaccio?.rps),
    ratio(l.ours?.rps, r.ceiling?.rps),
    l.viaPeer ? ratio(l.ours?.rps, r.hopCeiling?.rps) : '-',
  ]);
  // The reference servers: no target, no Verdaccio, their own ratios.
  const reference = (name: string, l: LoadResult, toCeiling: string, toHop: string) =>
    rows.push([name, num(l.rps), num(l.p50), num(l.p95), num(l.p99), '-', '-', '-', '-', toCeiling, toHop]);
  if (r.ceiling) reference('bare Fastify 5 KB JSON (ceiling)', r.ceiling, '1.00x', '-');
  if (r.hopCeiling)
    reference('bare Fastify → undici → bare Fastify (one-hop ceiling)', r.hopCeiling, ratio(r.hopCeiling.rps, r.ceiling?.rps), '1.00x');
  return [header, ...rows];
}

export function asciiTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${rows[0].map(esc).join(' | ')} |`,
    `| ${rows[0].map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function summaryLines(r: BenchResults): string[] {
  const p = r.publish;
  const lines = [
    `publish (npm protocol, ${r.params.publishConcurrency} connections): ours ${p.ours ? `${p.ours.versionsPerSecond} versions/s (${p.ours.versions} versions of ${p.ours.packages} packages in ${p.ours.seconds} s, ${p.ours.errors} errors)` : '-'}` +
      (p.verdaccio
        ? `; Verdaccio ${p.verdaccio.versionsPerSecond} versions/s (${p.verdaccio.versions} in ${p.verdaccio.seconds} s, ${p.verdaccio.errors} errors)`
        : ''),
  ];
  const d = r.deployments;
  if (d)
    lines.push(
      `deployments: ${d.created}/${d.requested} created in ${d.seconds} s (${d.perSecond}/s, ${d.errors} errors), ${d.running} running` +
        (d.secondsToAllRunning !== null
          ? `, all running ${d.secondsToAllRunning} s after the first request`
          : ' (not all running within the wait)'),
    );
  const i = r.install;
  const inst = (x?: InstallResult) =>
    x
      ? `${x.medianSeconds} s median of [${x.runs.join(', ')}] (${x.packagesInstalled} packages)${x.error ? ` ERROR ${x.error}` : ''}`
      : '-';
  lines.push(`npm install of the ${r.params.installTree}-package tree, cold cache: ours ${inst(i.ours)}; Verdaccio ${inst(i.verdaccio)}`);
  lines.push(
    `RSS after the loads (peak): ${Object.entries(r.rss)
      .map(([k, v]) => `${k} ${v ? `${v.rssMb} MB (${v.peakMb})` : '-'}`)
      .join(', ')}`,
  );
  // The spread behind each median: a ratio is only as steady as the rounds it comes from.
  const each = (l?: LoadResult) => (l?.rounds && l.rounds.length > 1 ? l.rounds.join(', ') : undefined);
  const spreads = [
    ...(each(r.ceiling) ? [`ceiling ${each(r.ceiling)}`] : []),
    ...r.loads
      .filter((l) => each(l.ours) || each(l.verdaccio))
      .map(
        (l) =>
          `${l.name.split(' /')[0]} ${each(l.ours) ?? '-'}${l.verdaccio ? ` / Verdaccio ${each(l.verdaccio) ?? l.verdaccio.rps}` : ''}`,
      ),
  ];
  if (spreads.length) lines.push(`req/s of each round (the tables give the median): ${spreads.join('; ')}`);
  // Who else used the CPU while one process served a load (a neighbour's work slows the measured route).
  const busy = r.loads
    .filter((l) => l.cpuPercent)
    .map((l) => {
      const shares = Object.entries(l.cpuPercent ?? {})
        .filter(([, pct]) => pct >= 2)
        .map(([k, pct]) => `${k} ${pct}`);
      return `${l.name.split(' /')[0]}: ${shares.join(', ') || 'none'}`;
    });
  if (busy.length) lines.push(`CPU of our processes during each of our loads, % of one core (2 % or more): ${busy.join('; ')}`);
  return lines;
}

export function terminalReport(r: BenchResults): string {
  const how = `load generator ${r.params.generator ?? 'autocannon'}, ${r.params.connections} connections`;
  return [how, asciiTable(loadRows(r)), '', ...summaryLines(r)].join('\n');
}

export function docBlock(r: BenchResults): string {
  const m = r.machine;
  return [
    `Run ${r.startedAt} (${r.durationSeconds ?? '?'} s) on ${m.cpus} × ${m.model}, ${m.memoryGb} GB, Node ${m.node}, ${m.os}; load average at start ${m.loadAverageAtStart.join(' / ')} (the machine is shared: compare ratios, not absolutes).`,
    '',
    `Command: \`${r.command}\`. ${r.params.packages} packages (${r.params.totalVersions} versions), ${r.params.deployments} deployments, ${r.params.connections} connections (${r.params.generator ?? 'autocannon'}), ${r.params.warmupSeconds} s warm-up then ${r.params.seconds} s per endpoint${Number(r.params.rounds ?? 1) > 1 ? `, ${r.params.rounds} rounds alternating ours and Verdaccio (medians)` : ''}, latencies in ms of the responses completed within the window ("bad": non-2xx, errors, timeouts).`,
    '',
    markdownTable(loadRows(r)),
    '',
    ...summaryLines(r).map((l) => `- ${l}`),
  ].join('\n');
}

/** Replaces the generated block of the performance page, keeping the hand-written text around it. */
export function writeDoc(file: string, block: string): void {
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Performance\n\n${begin}\n${end}\n`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no ${begin} … ${end} block`);
  fs.writeFileSync(file, `${text.slice(0, a + begin.length)}\n${block}\n${text.slice(b)}`);
}
