// Starts that cannot succeed until the operator changes something (a port taken, an unusable DATA_DIR, a file that
// is not a database) stop with one sentence naming what to change and EXIT_CONFIG; the supervisor then stops the
// suite instead of restarting the process forever. And a stop during the first-start seed leaves no seed behind.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../lib/run-service.ts';
import { freePorts } from '../helpers/ports.ts';
import { alive, runEntry, STACK_FRAME } from '../helpers/run-entry.ts';
import { ROOT, waitFor } from '../helpers/suite.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-opstart-'));

/** Holds a loopback port, as another program would. */
async function occupy(port: number): Promise<net.Server> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return srv;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

async function suiteEnv(dataDir: string): Promise<Record<string, string>> {
  const [api, registry, marketplace, orchestrator, dashboard] = await freePorts(5);
  return {
    HOME: os.tmpdir(),
    DATA_DIR: dataDir,
    BCRYPT_COST: '4',
    PORT: String(api),
    REGISTRY_PORT: String(registry),
    MARKETPLACE_PORT: String(marketplace),
    ORCHESTRATOR_PORT: String(orchestrator),
    DASHBOARD_PORT: String(dashboard),
  };
}

/** The pid of the seed process the supervisor started, or 0 while there is none. */
function seedChildOf(supervisorPid: number): number {
  try {
    return Number(execFileSync('pgrep', ['-P', String(supervisorPid), '-f', 'seed-data.ts'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

const servers: net.Server[] = [];
const children: ReturnType<typeof runEntry>[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  for (const c of children) c.child.kill('SIGKILL');
});

describe('a start that cannot succeed', () => {
  it('a port in use: the process names the variable and exits with EXIT_CONFIG', async () => {
    const [port] = await freePorts(1);
    servers.push(await occupy(port));
    const p = runEntry('server.ts', { DATA_DIR: tmp(), PORT: String(port) });
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain(`api: cannot listen on 127.0.0.1:${port}: the port is already in use`);
    expect(p.output()).toContain('set PORT to a free port');
    expect(p.output()).not.toMatch(STACK_FRAME);
  });

  it('a DATA_DIR that cannot be created: one sentence naming DATA_DIR', async () => {
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, '');
    const p = runEntry('registry/registry-server.ts', { DATA_DIR: path.join(file, 'data'), REGISTRY_PORT: '0' });
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain(`registry: DATA_DIR=${JSON.stringify(path.join(file, 'data'))} cannot be used`);
    expect(p.output()).not.toMatch(STACK_FRAME);
  });

  it('a data folder where the lock folder cannot be made: one sentence naming the lock file', async () => {
    const dataDir = tmp();
    fs.writeFileSync(path.join(dataDir, 'run'), 'a file where the run/ folder goes');
    const p = runEntry('server.ts', { DATA_DIR: dataDir, PORT: '0' });
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain(`api: cannot take its lock ${path.join(dataDir, 'run', 'api.lock')}: a file is where a folder should be`);
    expect(p.output()).not.toMatch(STACK_FRAME);
  });

  it('a database file that is not SQLite: names the paths and says to restore', async () => {
    const dataDir = tmp();
    fs.writeFileSync(path.join(dataDir, 'marketplace.db'), 'this is not a database, it is a text file of some length\n'.repeat(20));
    const p = runEntry('server.ts', { DATA_DIR: dataDir, PORT: '0' });
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain('api: cannot open its database: the file is not a usable SQLite database');
    expect(p.output()).toContain(`DATABASE_PATH=${JSON.stringify(path.join(dataDir, 'marketplace.db'))}`);
    expect(p.output()).toContain('npm run restore');
    expect(p.output()).not.toMatch(STACK_FRAME);
  });

  it('npm start with a port taken stops the whole suite once, with the sentence, and frees every port', async () => {
    const env = await suiteEnv(tmp());
    servers.push(await occupy(Number(env.REGISTRY_PORT)));
    const s = runEntry('scripts/start-all.ts', env);
    children.push(s);
    expect(await s.exited).toBe(EXIT_CONFIG);
    expect(s.output()).toContain('set REGISTRY_PORT to a free port');
    expect(s.output()).toContain('registry cannot start until the operator fixes what its message above says');
    // Before: "registry exited (code 1); restarting in 500 ms", forever, each with a stack trace.
    expect(s.output()).not.toContain('restarting in');
    for (const name of ['PORT', 'MARKETPLACE_PORT', 'ORCHESTRATOR_PORT', 'DASHBOARD_PORT'])
      await waitFor(() => portFree(Number(env[name])), 10_000, `${name} to be free`);
  }, 120_000);
});

describe('starting twice on one data folder', () => {
  it('a second api on the same DATA_DIR (other port) is refused; after a kill -9 of the first, a new one starts', async () => {
    const dataDir = tmp();
    const [p1, p2, p3] = await freePorts(3);
    const first = runEntry('server.ts', { DATA_DIR: dataDir, PORT: String(p1), BCRYPT_COST: '4' });
    children.push(first);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${p1}/ready`)).ok, 60_000, 'the first api');
    const second = runEntry('server.ts', { DATA_DIR: dataDir, PORT: String(p2), BCRYPT_COST: '4' });
    expect(await second.exited).toBe(EXIT_CONFIG);
    expect(second.output()).toContain(`api: another api process is already running on DATA_DIR=${JSON.stringify(dataDir)}`);
    expect(second.output()).not.toMatch(STACK_FRAME);
    expect(await portFree(p2)).toBe(true);
    // The lock dies with its holder: no stale lock file to clean up after a crash.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = runEntry('server.ts', { DATA_DIR: dataDir, PORT: String(p3), BCRYPT_COST: '4' });
    children.push(third);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${p3}/ready`)).ok, 60_000, 'the api after the kill');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 150_000);
});

describe('a slow first start', () => {
  it('a process ready only after 60 s: the supervisor says so, keeps waiting, then seeds and reports ready', async () => {
    const dataDir = tmp();
    const s = runEntry('scripts/start-all.ts', await suiteEnv(dataDir));
    children.push(s);
    // Freeze the registry as soon as it exists: to the supervisor it is a process that takes long to get ready.
    let registryPid = 0;
    await waitFor(
      () => {
        try {
          registryPid = Number(execFileSync('pgrep', ['-P', String(s.child.pid), '-f', 'registry-server.ts'], { encoding: 'utf8' }).trim());
        } catch {
          return false;
        }
        process.kill(registryPid, 'SIGSTOP');
        return true;
      },
      30_000,
      'the registry to be spawned',
    );
    await waitFor(() => s.output().includes('not every process became ready within 60 s'), 120_000, 'the 60 s warning');
    process.kill(registryPid, 'SIGCONT');
    // Before: the supervisor gave up after the warning; the folder was never seeded in this session.
    await waitFor(() => s.output().includes('suite ready'), 120_000, `suite ready (output: ${s.output().slice(-400)})`);
    expect(fs.existsSync(path.join(dataDir, '.seeded'))).toBe(true);
    expect(s.output()).toContain('created user demo');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 300_000);
});

describe('npm start from another folder', () => {
  it('a relative DATA_DIR is one folder for the supervisor, the five processes and the seed', async () => {
    const cwd = tmp();
    const s = runEntry('scripts/start-all.ts', { ...(await suiteEnv('./rel-data')) }, [], cwd);
    children.push(s);
    await waitFor(() => s.output().includes('suite ready'), 180_000, `suite ready (output: ${s.output().slice(-400)})`);
    await waitFor(() => fs.existsSync(path.join(cwd, 'rel-data', '.seeded')), 60_000, 'the seed marker');
    // Before: the supervisor's secrets and marker went under cwd, the children's databases under the repository.
    for (const f of ['marketplace.db', 'registry.db', 'secrets/jwt-secret'])
      expect(fs.existsSync(path.join(cwd, 'rel-data', f)), f).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'rel-data'))).toBe(false);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 240_000);
});

describe('stopping npm start', () => {
  it('SIGTERM while the first-start seed runs stops the seed too', async () => {
    const dataDir = tmp();
    const holdSeed = path.join(ROOT, 'test/helpers/hold-seed.mjs');
    const s = runEntry('scripts/start-all.ts', { ...(await suiteEnv(dataDir)), NODE_OPTIONS: `--import ${holdSeed}` });
    children.push(s);
    let seedPid = 0;
    await waitFor(
      () => {
        if (!s.output().includes('fresh data folder: seeding')) return false;
        seedPid = seedChildOf(s.child.pid!);
        return seedPid > 0;
      },
      180_000,
      `the seed to start (output: ${s.output().slice(-400)})`,
    );
    expect(alive(seedPid)).toBe(true);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    // Before: the supervisor exited and the seed went on writing into the data folder on its own.
    expect(alive(seedPid)).toBe(false);
    // The seed did not finish: no marker, so the next start seeds again (the seed is idempotent).
    expect(fs.existsSync(path.join(dataDir, '.seeded'))).toBe(false);
  }, 240_000);
});
