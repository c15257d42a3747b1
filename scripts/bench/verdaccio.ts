// Verdaccio 6.8.0 for the side-by-side: installed once into a temp folder (never into this project), run with
// no uplinks on a free loopback port with a fresh storage folder, and a bench account to publish with.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { freePort } from '../../test/helpers/ports.ts';
import { waitFor } from '../../test/helpers/suite.ts';

export const VERDACCIO_VERSION = '6.8.0';

export interface VerdaccioTarget {
  origin: string;
  authorization: string;
  pid: number | undefined;
  dir: string;
  stop(): Promise<void>;
}

/** Installs Verdaccio into a reusable folder under the temp dir; a second run reuses it. */
export function installVerdaccio(log: (s: string) => void): string {
  const dir = path.join(os.tmpdir(), `elide-bench-verdaccio-${VERDACCIO_VERSION}`);
  const installed = path.join(dir, 'node_modules', 'verdaccio', 'package.json');
  if (fs.existsSync(installed) && JSON.parse(fs.readFileSync(installed, 'utf8')).version === VERDACCIO_VERSION) return dir;
  log(`installing verdaccio@${VERDACCIO_VERSION} into ${dir} (once)`);
  fs.mkdirSync(dir, { recursive: true });
  // Issue #11: Verdaccio 6.8.0 needs node-fetch pinned to 2.7.0 through overrides to run on this machine.
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'elide-bench-verdaccio',
      private: true,
      dependencies: { verdaccio: VERDACCIO_VERSION },
      overrides: { 'node-fetch': '2.7.0' },
    }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

export async function startVerdaccio(installDir: string): Promise<VerdaccioTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-bench-verdaccio-data-'));
  const port = await freePort();
  const config = [
    `storage: ${path.join(dir, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${path.join(dir, 'htpasswd')}`,
    '    max_users: 100',
    'uplinks: {}',
    'packages:',
    "  '@*/*':",
    '    access: $all',
    '    publish: $authenticated',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    'max_body_size: 10mb',
    // Verdaccio's recommended JWT tokens: without them every authenticated request re-checks the password
    // with bcrypt, which made seeding crawl at about 2 publishes/s (reads are anonymous either way).
    'security:',
    '  api:',
    '    jwt:',
    '      sign:',
    '        expiresIn: 7d',
    'log: { type: stdout, format: pretty, level: warn }',
    `listen: 127.0.0.1:${port}`,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yaml'), config);
  const out = fs.openSync(path.join(dir, 'verdaccio.log'), 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(installDir, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', path.join(dir, 'config.yaml')],
    { cwd: dir, stdio: ['ignore', out, out], env: { PATH: process.env.PATH ?? '', HOME: dir, NODE_ENV: 'production' } },
  );
  fs.closeSync(out);
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener('exit', kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(kill, 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`verdaccio exited: ${fs.readFileSync(path.join(dir, 'verdaccio.log'), 'utf8').slice(-1500)}`);
        return (await request(`${origin}/-/ping`)).statusCode === 200;
      },
      60_000,
      'verdaccio to answer /-/ping',
    );
    // npm adduser's request: Verdaccio's htpasswd plugin creates the account and answers a token.
    const res = await request(`${origin}/-/user/org.couchdb.user:benchuser`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        _id: 'org.couchdb.user:benchuser',
        name: 'benchuser',
        password: 'bench-password-123',
        type: 'user',
        roles: [],
      }),
    });
    const body = (await res.body.json()) as { token?: string };
    if (!body.token) throw new Error(`verdaccio adduser answered ${res.statusCode} ${JSON.stringify(body)}`);
    return { origin, authorization: `Bearer ${body.token}`, pid: child.pid, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
