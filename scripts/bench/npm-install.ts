// `npm install` of the 50-package tree from a cold cache: each run gets a fresh project folder, cache and
// userconfig (nothing shared with the user's own npm), and the median of the runs is reported.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { round } from './publish.ts';

const run = promisify(execFile);

export interface InstallResult {
  runs: number[];
  medianSeconds: number;
  packagesInstalled: number;
  error?: string;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

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

export async function timeInstall(registry: string, tree: string[], runs: number): Promise<InstallResult> {
  const times: number[] = [];
  let installed = 0;
  for (let i = 0; i < runs; i++) {
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
      times.push(round((performance.now() - started) / 1000, 2));
      installed = countInstalled(dir);
    } catch (e) {
      return {
        runs: times,
        medianSeconds: round(median(times), 2),
        packagesInstalled: installed,
        error: (e as Error).message.slice(0, 500),
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { runs: times, medianSeconds: round(median(times), 2), packagesInstalled: installed };
}
