// Runs publish-cli and service-cli as a user would (the executable files, a temp HOME, another cwd), on a pipe or
// in a pseudo-terminal (util-linux `script`), against a suite started one process at a time (2-core CI).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, type Suite, startSuite } from './suite.ts';

export const PUBLISH_CLI = path.join(ROOT, 'client/publish-cli.ts');
export const SERVICE_CLI = path.join(ROOT, 'client/service-cli.ts');

type Name = 'api' | 'registry' | 'marketplace' | 'orchestrator';

/** Starting the processes one after another keeps each under the suite's start deadline on a busy machine. */
export async function startCliSuite(names: Name[], env: Record<string, string> = {}): Promise<Suite> {
  const suite = await startSuite({ only: ['api'], env });
  try {
    for (const n of names) if (n !== 'api') await suite.start(n);
  } catch (e) {
    await suite.stopAll();
    throw e;
  }
  return suite;
}

export async function ensureUser(suite: Suite, username: string, password: string, o: { role?: string; plan?: string } = {}) {
  const token = fs.readFileSync(path.join(suite.dataDir, 'secrets', 'internal-token'), 'utf8').trim();
  const res = await fetch(`${suite.urls.api}/internal/users/ensure`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-internal-token': token },
    body: JSON.stringify({ username, email: `${username}@example.test`, password, role: o.role ?? 'publisher', plan: o.plan ?? 'team' }),
  });
  if (res.status !== 200) throw new Error(`ensure ${username}: ${res.status} ${await res.text()}`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export interface CliUser {
  home: string;
  env: Record<string, string>;
  run(
    cli: string,
    args: string[],
    o?: { input?: string; cwd?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<CliResult>;
  /** In a pseudo-terminal, answering each prompt (regex) when it is shown. Output is stdout and stderr merged. */
  pty(cli: string, args: string[], answers: [RegExp, string][], o?: { timeoutMs?: number }): Promise<CliResult>;
}

export function cliUser(suite: Suite | undefined, name: string): CliUser {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `cli-${name}-`));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, LANG: 'C.UTF-8' };
  if (suite) {
    env.ELIDE_API_URL = suite.urls.api;
    env.ELIDE_REGISTRY_URL = suite.urls.registry;
    env.ELIDE_MARKETPLACE_URL = suite.urls.marketplace;
  }
  const finish = (code: number | null, stdout: string, stderr: string): CliResult => ({
    code,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  });
  return {
    home,
    env,
    run(cli, args, o = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(cli, args, { cwd: o.cwd ?? home, env: { ...env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(t);
          resolve(finish(code, stdout, stderr));
        });
        child.stdin.end(o.input ?? '');
      });
    },
    pty(cli, args, answers, o = {}) {
      const command = [cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      return new Promise((resolve, reject) => {
        // -e: the command's exit code; -E never: script itself echoes nothing we type.
        const child = spawn('script', ['-q', '-e', '-E', 'never', '-c', command, '/dev/null'], {
          cwd: home,
          env: { ...env, TERM: 'xterm' },
        });
        let out = '';
        let seen = '';
        const queue = [...answers];
        const onData = (d: Buffer) => {
          out += d;
          seen += d;
          const next = queue[0];
          if (next?.[0].test(seen)) {
            queue.shift();
            seen = '';
            child.stdin.write(next[1]);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(t);
          resolve(finish(code, out, ''));
        });
      });
    },
  };
}
