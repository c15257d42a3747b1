// Boots the whole suite, or a subset, as real processes on free loopback ports in a temp data folder,
// and always stops them. Used by integration, e2e and browser tests.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '../../lib/config.ts';
import { NODE_ARGS, PROCESSES, type ProcessSpec } from '../../scripts/processes.ts';
import { freePorts } from './ports.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
type Name = ProcessSpec['name'];

export interface SuiteOptions {
  only?: Name[];
  env?: Record<string, string>;
  /** Run the seed after the processes are ready (default false: tests create what they need). */
  seed?: boolean;
  dataDir?: string;
}

export interface Suite {
  dataDir: string;
  env: Record<string, string>;
  config: Config;
  urls: Config['urls'];
  /** Path of a process's combined stdout/stderr log. */
  logFile(name: Name): string;
  start(name: Name): Promise<void>;
  stop(name: Name, signal?: NodeJS.Signals): Promise<number | null>;
  pid(name: Name): number | undefined;
  stopAll(): Promise<void>;
}

const children = new Set<ChildProcess>();
// If a test file crashes, never leave its processes behind.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function startSuite(opts: SuiteOptions = {}): Promise<Suite> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'elide-suite-'));
  const [api, registry, marketplace, orchestrator, dashboard] = await freePorts(5);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PORT: String(api),
    REGISTRY_PORT: String(registry),
    MARKETPLACE_PORT: String(marketplace),
    ORCHESTRATOR_PORT: String(orchestrator),
    DASHBOARD_PORT: String(dashboard),
    LOG_LEVEL: 'info',
    BCRYPT_COST: '4',
    ADMIN_PASSWORD: 'admin-password-for-tests',
    ...opts.env,
  };
  const config = loadConfig(env);
  const names = opts.only ?? PROCESSES.map((p) => p.name);
  const running = new Map<Name, ChildProcess>();

  const logFile = (name: Name) => path.join(dataDir, 'logs', `${name}.log`);
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });

  async function start(name: Name) {
    const spec = PROCESSES.find((p) => p.name === name)!;
    const out = fs.openSync(logFile(name), 'a');
    const child = spawn(process.execPath, [...NODE_ARGS, path.join(ROOT, spec.entry)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', out, out, 'ipc'],
    });
    fs.closeSync(out);
    children.add(child);
    running.set(name, child);
    child.on('exit', () => children.delete(child));
    const url = spec.url(config);
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited with ${child.exitCode}: ${fs.readFileSync(logFile(name), 'utf8').slice(-2000)}`);
        const r = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) });
        return r.ok;
      },
      // Generous: on a loaded 2-core machine a cold tsx start of a process can take tens of seconds.
      90_000,
      `${name} to become ready at ${url}`,
    );
  }

  async function stop(name: Name, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = running.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    running.delete(name);
    return new Promise((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
      child.kill(signal);
    });
  }

  await Promise.all(names.map(start));
  if (opts.seed) {
    // The seed runs as its own process, exactly as `npm run seed` and the supervisor run it. Asynchronously:
    // a synchronous child would block this event loop past the servers' keep-alive timeout, and the next
    // fetch on a pooled socket would then fail with "other side closed".
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const seed = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/seed-data.ts')], { cwd: ROOT, env });
      seed.stdout.on('data', (d) => (output += d));
      seed.stderr.on('data', (d) => (output += d));
      seed.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed failed (${code}): ${output}`))));
    });
  }

  return {
    dataDir,
    env,
    config,
    urls: config.urls,
    logFile,
    start,
    stop,
    pid: (name) => running.get(name)?.pid,
    async stopAll() {
      await Promise.all([...running.keys()].map((n) => stop(n)));
    },
  };
}
