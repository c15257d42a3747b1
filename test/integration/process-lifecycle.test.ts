// Each process: config errors stop it with a message naming the variable; SIGTERM lets in-flight requests
// finish and exits 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../lib/run-service.ts';
import { freePort } from '../helpers/ports.ts';
import { runEntry } from '../helpers/run-entry.ts';
import { waitFor } from '../helpers/suite.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'elide-life-'));

describe('process lifecycle', () => {
  it.each([
    ['server.ts', 'PORT', { PORT: 'not-a-port' }],
    ['registry/registry-server.ts', 'REGISTRY_PORT', { REGISTRY_PORT: '99999' }],
    ['marketplace/marketplace-server.ts', 'TOKEN_EXPIRY', { TOKEN_EXPIRY: 'forever' }],
    ['services/service-orchestrator.ts', 'ELIDE_API_URL', { ELIDE_API_URL: 'not a url' }],
    ['dashboard/dashboard-server.ts', 'JWT_SECRET', { JWT_SECRET: 'short' }],
  ])('%s refuses a wrong %s and names it', async (entry, variable, env) => {
    const p = runEntry(entry, { DATA_DIR: tmp(), ...env });
    expect(await p.exited).toBe(EXIT_CONFIG);
    expect(p.output()).toContain(variable);
    expect(p.output()).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  it('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const port = await freePort();
    const p = runEntry('test/fixtures/services/slow-service.ts', { DATA_DIR: tmp(), PORT: String(port), LOG_LEVEL: 'info' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 20_000, 'slow service');
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGTERM');
    expect(await inFlight).toEqual({ status: 200, body: { finished: true } });
    expect(await p.exited).toBe(0);
    // After shutdown the port is free: nothing is left listening.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('a real process closes its database on SIGTERM (no -wal left behind after a clean stop)', async () => {
    const port = await freePort();
    const dataDir = tmp();
    const p = runEntry('server.ts', { DATA_DIR: dataDir, PORT: String(port) });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 20_000, 'api');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    // SQLite removes the WAL and shared-memory files when the last connection closes cleanly.
    expect(fs.existsSync(path.join(dataDir, 'marketplace.db'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'marketplace.db-wal'))).toBe(false);
  });
});
