// `npm start` (scripts/start-all.ts): starts all five, seeds a fresh data folder, restarts a child killed with
// SIGKILL, stops everything on SIGTERM with no process left behind, and runs beside a second suite.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROCESSES } from '../../scripts/processes.ts';
import { freePorts } from '../helpers/ports.ts';
import { alive } from '../helpers/run-entry.ts';
import { ROOT, waitFor } from '../helpers/suite.ts';

interface Supervised {
  child: ChildProcess;
  urls: Record<string, string>;
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startSupervisor(): Promise<Supervised> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-sup-'));
  const ports = await freePorts(5);
  const names = ['PORT', 'REGISTRY_PORT', 'MARKETPLACE_PORT', 'ORCHESTRATOR_PORT', 'DASHBOARD_PORT'];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), DATA_DIR: dataDir, BCRYPT_COST: '4' };
  names.forEach((n, i) => {
    env[n] = String(ports[i]);
  });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start-all.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const urls = Object.fromEntries(PROCESSES.map((p, i) => [p.name, `http://127.0.0.1:${ports[i]}`]));
  return { child, urls, dataDir, output: () => output, exited };
}

/** The supervisor's five service children (tsx's esbuild helper is also a child: it is not counted). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', '\\.ts$'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

const started: Supervised[] = [];
afterAll(() => {
  for (const s of started) s.child.kill('SIGKILL');
});

describe('supervisor', () => {
  it('runs two suites side by side, seeds, restarts a killed child, and stops cleanly', async () => {
    const a = await startSupervisor();
    const b = await startSupervisor();
    started.push(a, b);
    for (const s of [a, b]) {
      await waitFor(() => s.output().includes('suite ready'), 240_000, `suite ready (output so far: ${s.output().slice(-500)})`);
      for (const url of Object.values(s.urls)) expect((await fetch(`${url}/ready`)).status).toBe(200);
      // Seeded on first start: the marker exists and the output says what was created.
      expect(fs.existsSync(path.join(s.dataDir, '.seeded'))).toBe(true);
      expect(s.output()).toContain('created user demo');
    }
    // Log lines carry the process name.
    expect(a.output()).toMatch(/\[registry\s*\]/);

    // Kill the registry of suite A with SIGKILL: the supervisor brings it back within seconds.
    const healthBefore = (await (await fetch(`${a.urls.registry}/health`)).json()) as { uptime: number };
    const pidsBefore = childPids(a.child.pid!);
    expect(pidsBefore).toHaveLength(5);
    const registryPid = Number(execFileSync('pgrep', ['-P', String(a.child.pid), '-f', 'registry-server.ts'], { encoding: 'utf8' }).trim());
    process.kill(registryPid, 'SIGKILL');
    await waitFor(() => a.output().includes('registry exited (SIGKILL)'), 10_000, 'supervisor to notice the kill');
    await waitFor(async () => (await fetch(`${a.urls.registry}/ready`)).ok, 60_000, 'registry to come back');
    const healthAfter = (await (await fetch(`${a.urls.registry}/health`)).json()) as { uptime: number };
    expect(healthAfter.uptime).toBeLessThanOrEqual(healthBefore.uptime + 15);
    expect(childPids(a.child.pid!)).not.toContain(registryPid);
    // Suite B never noticed.
    expect(b.output()).not.toContain('exited (SIGKILL)');

    // SIGTERM the supervisor: every child stops, the supervisor exits 0, nothing is left.
    const pidsA = childPids(a.child.pid!);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    for (const pid of pidsA) expect(alive(pid)).toBe(false);
    for (const url of Object.values(a.urls)) await expect(fetch(`${url}/health`)).rejects.toThrow();
    // Suite B still serves.
    expect((await fetch(`${b.urls.api}/ready`)).status).toBe(200);

    // A second start on the same data folder does not seed again.
    const pidsB = childPids(b.child.pid!);
    b.child.kill('SIGINT');
    expect(await b.exited).toBe(0);
    for (const pid of pidsB) expect(alive(pid)).toBe(false);
  }, 420_000);

  it('stops every child when the supervisor itself is killed with SIGKILL', async () => {
    const s = await startSupervisor();
    started.push(s);
    await waitFor(() => s.output().includes('suite ready'), 240_000, 'suite ready');
    const pids = childPids(s.child.pid!);
    expect(pids).toHaveLength(5);
    s.child.kill('SIGKILL');
    // Children watch their IPC channel and shut down when it closes.
    await waitFor(() => pids.every((p) => !alive(p)), 20_000, 'children to stop after the supervisor died');
  }, 300_000);
});
