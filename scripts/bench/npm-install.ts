// `npm install` of the 50-package tree from a cold cache: each run gets a fresh project folder, cache and
// userconfig (nothing shared with the user's own npm), and the median of the runs is reported.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { median } from './load.ts';
import { round } from './publish.ts';

const run = promisify(execFile);

export interface InstallResult {
  runs: number[];
  medianSeconds: number;
  packagesInstalled: number;
  error?: string;
}

/** Counts installed packages (node_modules/<name> and node_modules/@scope/<name>). */
function countInstalled(dir: string): number {
  const nm = path.join(dir, 'node_modules');
  let n = 0;
  for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    n += e.name.startsWith('@') ? fs.readdirSync(path.join(nm, e.name)).length : 1;
  }
  return n;
}

/** One `npm install` of the tree into a fresh folder with its own cache and userconfig: seconds and packages installed. */
async function installOnce(registry: string, tree: string[]): Promise<{ seconds: number; installed: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-bench-install-'));
  try {
    const deps = Object.fromEntries(tree.map((n) => [n, '^1.0.0']));
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: deps }),
    );
    fs.writeFileSync(path.join(dir, '.npmrc'), `registry=${registry}\n`);
    const started = performance.now();
    await run(
      'npm',
      [
        'install',
        '--userconfig',
        path.join(dir, '.npmrc'),
        '--cache',
        path.join(dir, 'cache'),
        '--registry',
        registry,
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-update-notifier',
        '--fetch-retries=0',
        '--loglevel=error',
      ],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 300_000 },
    );
    return { seconds: round((performance.now() - started) / 1000, 2), installed: countInstalled(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Times `runs` installs from each registry, alternating between them, after one untimed install from each.
 * The untimed install loads npm itself from disk (the first npm of a run is slower whichever registry it asks)
 * and lets each registry answer these packages once, as the loads' warm-up does; npm's cache stays cold in every
 * timed run. Alternating spreads the machine's drift over both registries instead of giving it to one.
 */
export async function timeInstalls(
  registries: Record<string, string>,
  tree: string[],
  runs: number,
): Promise<Record<string, InstallResult>> {
  const out: Record<string, InstallResult> = {};
  // A registry whose install fails is not asked again; its error and the runs before it are reported.
  const attempt = async (name: string, registry: string, timed: boolean) => {
    const r = out[name];
    if (r.error) return;
    try {
      const { seconds, installed } = await installOnce(registry, tree);
      if (!timed) return;
      r.runs.push(seconds);
      r.packagesInstalled = installed;
    } catch (e) {
      r.error = (e as Error).message.slice(0, 500);
    }
  };
  for (const [name, registry] of Object.entries(registries)) {
    out[name] = { runs: [], medianSeconds: Number.NaN, packagesInstalled: 0 };
    await attempt(name, registry, false);
  }
  for (let i = 0; i < runs; i++) for (const [name, registry] of Object.entries(registries)) await attempt(name, registry, true);
  for (const r of Object.values(out)) r.medianSeconds = round(median(r.runs), 2);
  return out;
}
