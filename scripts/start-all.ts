#!/usr/bin/env -S node --import tsx
// `npm start`: runs the five processes under one supervisor. Prefixed logs, restart with backoff on a crash,
// a clean stop on Ctrl-C / SIGTERM leaving no process behind, and the seed on a fresh data folder.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Config, ConfigError, loadConfig } from '../lib/config.ts';
import { EXIT_CONFIG } from '../lib/run-service.ts';
import { loadSecrets } from '../lib/secrets.ts';
import { formatLogLine } from './log-lines.ts';
import { NODE_ARGS, PROCESSES, type ProcessSpec } from './processes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEEDED_MARKER = '.seeded';
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const STABLE_AFTER_MS = 30_000;
const STOP_GRACE_MS = 15_000;

let config: Config;
try {
  config = loadConfig(process.env);
  // Generate the shared secrets before any child starts, so all five read the same files. It is also the
  // first write into DATA_DIR: an unusable folder stops here with one sentence rather than in five children.
  loadSecrets(config);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`start-all: ${err.message}`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
}

const pretty = process.stdout.isTTY;
const width = Math.max(...PROCESSES.map((p) => p.name.length));

function print(name: string, line: string) {
  process.stdout.write(`${formatLogLine(name, line, { pretty, width })}\n`);
}

interface Running {
  spec: ProcessSpec;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * The children run in the repository folder, so relative paths are handed to them resolved from where the supervisor
 * was started: otherwise `DATA_DIR=./data ./scripts/start-all.ts` from another folder would put the secrets and the
 * .seeded marker in one folder and the databases in another.
 */
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  DATA_DIR: config.DATA_DIR,
  ...(process.env.DATABASE_PATH ? { DATABASE_PATH: config.DATABASE_PATH } : {}),
  ...(process.env.REGISTRY_DATABASE_PATH ? { REGISTRY_DATABASE_PATH: config.REGISTRY_DATABASE_PATH } : {}),
};

let stopping = false;
/** The seed while it runs: Ctrl-C must stop it too, or it would go on writing after the suite has stopped. */
let seeding: ChildProcess | undefined;
const running: Running[] = PROCESSES.map((spec) => ({ spec, restarts: 0, startedAt: 0 }));

function start(r: Running) {
  r.startedAt = Date.now();
  // An IPC channel ties each child to this supervisor: children stop when it goes away (lib/run-service.ts).
  const child = spawn(process.execPath, [...NODE_ARGS, path.join(ROOT, r.spec.entry)], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  r.child = child;
  createInterface({ input: child.stdout! }).on('line', (l) => print(r.spec.name, l));
  createInterface({ input: child.stderr! }).on('line', (l) => print(r.spec.name, l));
  child.on('exit', (code, signal) => {
    r.child = undefined;
    if (stopping) return;
    if (code === EXIT_CONFIG) {
      print('supervisor', `${r.spec.name} cannot start until the operator fixes what its message above says: stopping the suite`);
      void stopAll(EXIT_CONFIG);
      return;
    }
    if (Date.now() - r.startedAt > STABLE_AFTER_MS) r.restarts = 0;
    const delay = BACKOFF_MS[Math.min(r.restarts, BACKOFF_MS.length - 1)];
    r.restarts++;
    print('supervisor', `${r.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    r.timer = setTimeout(() => start(r), delay);
  });
}

async function stopAll(exitCode: number) {
  if (stopping) return;
  stopping = true;
  print('supervisor', 'stopping all processes');
  for (const r of running) {
    if (r.timer) clearTimeout(r.timer);
    r.child?.kill('SIGTERM');
  }
  // The seed writes in transactions, so a stop between two leaves a consistent folder; the missing .seeded
  // marker makes the next start run the (idempotent) seed again.
  seeding?.kill('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while ((running.some((r) => r.child) || seeding) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  for (const r of running) r.child?.kill('SIGKILL');
  seeding?.kill('SIGKILL');
  print('supervisor', 'all processes stopped');
  process.exit(exitCode);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function waitReady(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    const states = await Promise.all(
      PROCESSES.map((p) =>
        fetch(`${p.url(config)}/ready`, { signal: AbortSignal.timeout(1000) })
          .then((r) => r.ok)
          .catch(() => false),
      ),
    );
    if (states.every(Boolean)) return true;
    await new Promise((res) => setTimeout(res, 250));
  }
  return false;
}

async function seedIfFresh() {
  const marker = path.join(config.DATA_DIR, SEEDED_MARKER);
  if (fs.existsSync(marker)) return;
  print('supervisor', 'fresh data folder: seeding');
  const code = await new Promise<number>((resolve) => {
    const seed = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/seed-data.ts')], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    seeding = seed;
    createInterface({ input: seed.stdout! }).on('line', (l) => print('seed', l));
    createInterface({ input: seed.stderr! }).on('line', (l) => print('seed', l));
    seed.on('exit', (c) => {
      seeding = undefined;
      resolve(c ?? 1);
    });
  });
  if (stopping) return;
  if (code === 0) fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  else print('supervisor', `seed failed (exit ${code}); it will run again on the next start`);
}

for (const r of running) start(r);
// A slow first start (a loaded machine, a cold tsx cache) may take longer than 60 s: say so, and keep waiting, so
// that the seed still runs once every process answers instead of never in this session.
let warned = false;
while (!stopping) {
  if (await waitReady(60_000)) {
    await seedIfFresh();
    if (!stopping)
      print(
        'supervisor',
        `suite ready: dashboard at ${config.urls.dashboard}, API at ${config.urls.api}, registry at ${config.urls.registry}/npm/`,
      );
    break;
  }
  if (!stopping && !warned) {
    warned = true;
    print(
      'supervisor',
      'not every process became ready within 60 s: see the logs above (still waiting; a fresh folder is seeded once they are)',
    );
  }
}
