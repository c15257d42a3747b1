// Runs the machine's real npm CLI against a test registry in an isolated HOME (own userconfig and cache), with
// no retries, no audit and no update check, answering interactive prompts (login, adduser) when they appear.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

export interface NpmUser {
  home: string;
  run(args: string[], o?: { cwd?: string; answers?: [RegExp, string][]; timeoutMs?: number }): Promise<NpmResult>;
}

export function npmUser(registry: string, name: string): NpmUser {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `npm-${name}-`));
  const base = [
    `--userconfig=${path.join(home, '.npmrc')}`,
    `--cache=${path.join(home, 'cache')}`,
    `--registry=${registry}`,
    '--fetch-retries=0',
    '--no-audit',
    '--no-update-notifier',
    '--no-fund',
  ];
  return {
    home,
    run(args, o = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn('npm', [...args, ...base], {
          cwd: o.cwd ?? home,
          env: { PATH: process.env.PATH ?? '', HOME: home, npm_config_loglevel: 'warn', NO_COLOR: '1' },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        const answers = [...(o.answers ?? [])];
        let seen = '';
        const onOutput = (chunk: string) => {
          // Answer each prompt once it is shown: piped stdin read all at once would starve later prompts.
          seen += chunk;
          const next = answers[0];
          if (next?.[0].test(seen)) {
            answers.shift();
            seen = '';
            child.stdin.write(`${next[1]}\n`);
          }
          if (answers.length === 0 && o.answers) child.stdin.end();
        };
        child.stdout.on('data', (d) => {
          stdout += d;
          onOutput(String(d));
        });
        child.stderr.on('data', (d) => {
          stderr += d;
          onOutput(String(d));
        });
        if (!o.answers) child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({
            code,
            stdout,
            stderr,
            json<T>() {
              return JSON.parse(stdout) as T;
            },
          });
        });
      });
    },
  };
}

/** Write a package folder with package.json and a file or two; returns its path. */
export function writePackage(dir: string, pkg: Record<string, unknown>, files: Record<string, string> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(dir, 'index.js'), `module.exports = ${JSON.stringify(`${pkg.name}@${pkg.version}`)};\n`);
  for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), content);
  return dir;
}
