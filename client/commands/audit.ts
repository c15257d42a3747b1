// publish-cli audit [dir]: the lockfile's packages against the registry's advisories (npm's bulk advisory endpoint).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, usageError } from '../http.ts';
import { colour, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';

const LEVELS = ['info', 'low', 'moderate', 'high', 'critical'] as const;

/** package-lock.json v1-v3 -> {name: [versions]}. */
export function lockfilePackages(lock: unknown): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  const add = (name: string, version: unknown) => {
    if (!name || typeof version !== 'string' || /^(file|link|git|https?):/.test(version)) return;
    if (!out[name]) out[name] = new Set();
    out[name].add(version);
  };
  const l = (lock ?? {}) as {
    packages?: Record<string, { version?: unknown; name?: string; link?: boolean }>;
    dependencies?: Record<string, unknown>;
  };
  if (l.packages) {
    for (const [p, v] of Object.entries(l.packages)) {
      if (p === '' || v.link) continue;
      add(v.name ?? p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length), v.version);
    }
  } else if (l.dependencies) {
    const walk = (deps: Record<string, unknown>) => {
      for (const [n, d] of Object.entries(deps)) {
        const dep = d as { version?: unknown; dependencies?: Record<string, unknown> };
        add(n, dep.version);
        if (dep.dependencies) walk(dep.dependencies);
      }
    };
    walk(l.dependencies);
  }
  return Object.fromEntries(Object.entries(out).map(([k, s]) => [k, [...s].sort()]));
}

interface Advisory {
  id: number | string;
  title: string;
  severity: string;
  url?: string;
  vulnerable_versions?: string;
}

async function audit(ctx: Ctx, dirArg: string | undefined) {
  const level = String(ctx.flags.auditLevel ?? 'low');
  if (!(LEVELS as readonly string[]).includes(level)) throw usageError(`--audit-level must be one of ${LEVELS.join(', ')}`);
  const dir = path.resolve(dirArg ?? '.');
  const file = ['package-lock.json', 'npm-shrinkwrap.json'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) throw new CliError(`no package-lock.json in ${dir}: run npm install --package-lock-only first`, 1, 'NO_LOCKFILE');
  let lock: unknown;
  try {
    lock = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new CliError(`${file} is not valid JSON`, 1, 'INVALID_LOCKFILE');
  }
  const packages = lockfilePackages(lock);
  const found = await ctx.client.request<Record<string, Advisory[]>>('registry', '/npm/-/npm/v1/security/advisories/bulk', {
    body: packages,
    auth: 'optional',
    timeoutMs: 120_000,
  });
  const findings = Object.entries(found).flatMap(([name, list]) =>
    list.map((a) => ({
      name,
      installed: packages[name] ?? [],
      id: a.id,
      severity: a.severity,
      title: a.title,
      vulnerableVersions: a.vulnerable_versions ?? null,
      url: a.url ?? null,
    })),
  );
  findings.sort((a, b) => LEVELS.indexOf(b.severity as never) - LEVELS.indexOf(a.severity as never) || a.name.localeCompare(b.name));
  const counts = Object.fromEntries(LEVELS.map((l) => [l, findings.filter((f) => f.severity === l).length]));
  const failing = findings.filter((f) => LEVELS.indexOf(f.severity as never) >= LEVELS.indexOf(level as never)).length;
  if (failing > 0) process.exitCode = 1;
  if (ctx.json) return printJson({ lockfile: file, packages: Object.keys(packages).length, findings, counts });
  const n = Object.keys(packages).length;
  if (findings.length === 0) return print(`found 0 vulnerabilities in ${n} ${n === 1 ? 'package' : 'packages'}`);
  const sev = (s: string) =>
    s === 'critical' || s === 'high' ? colour.red(ctx.colour, s) : s === 'moderate' ? colour.yellow(ctx.colour, s) : s;
  print(
    formatTable(findings, [
      { header: 'SEVERITY', get: (f) => sev(f.severity) },
      { header: 'PACKAGE', get: (f) => f.name },
      { header: 'INSTALLED', get: (f) => f.installed.join(', ') },
      { header: 'VULNERABLE', get: (f) => f.vulnerableVersions ?? '' },
      { header: 'TITLE', get: (f) => f.title, max: 50 },
      { header: 'MORE INFO', get: (f) => f.url ?? '' },
    ]),
  );
  print(
    `\n${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'} (${LEVELS.filter((l) => counts[l])
      .map((l) => `${counts[l]} ${l}`)
      .join(', ')})`,
  );
}

export function registerAuditCommand(program: Command, cli: string) {
  examples(
    program
      .command('audit [dir]')
      .description("check a project's package-lock.json against the registry's advisories (exit 1 when any is found)")
      .option('--audit-level <level>', 'lowest severity that fails: info, low, moderate, high, critical', 'low')
      .action(action(cli, audit)),
    [`${cli} audit`, `${cli} audit ./my-app --audit-level high --json`],
  );
}
