// Starts and stops the bare Fastify ceiling server (ceiling-server.ts) as a child process on a free port; given an
// upstream origin, the one-hop ceiling that passes that server's answer on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '../../test/helpers/ports.ts';
import { ROOT, waitFor } from '../../test/helpers/suite.ts';

export interface CeilingServer {
  origin: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface CeilingOptions {
  /** The one-hop ceiling: pass this server's answer on. */
  upstream?: string;
  /** Serve through lib/service-app.ts's frame instead of a bare Fastify. */
  frame?: boolean;
  /** Node's arguments (default: tsx only; scripts/processes.ts NODE_ARGS launches it like the suite). */
  nodeArgs?: string[];
  /** Answer every path with these headers and bytes (ceiling-server.ts CEILING_BYTES); `raw`: from node:http. */
  bytesFile?: string;
  raw?: boolean;
}

export async function startCeiling(o: CeilingOptions = {}): Promise<CeilingServer> {
  const port = await freePort();
  const entry = fileURLToPath(new URL('./ceiling-server.ts', import.meta.url));
  const child = spawn(process.execPath, [...(o.nodeArgs ?? ['--import', 'tsx']), entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      CEILING_PORT: String(port),
      ...(o.upstream ? { CEILING_UPSTREAM: `${o.upstream}/` } : {}),
      ...(o.frame ? { CEILING_FRAME: '1' } : {}),
      ...(o.bytesFile ? { CEILING_BYTES: o.bytesFile } : {}),
      ...(o.raw ? { CEILING_RAW: '1' } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.removeListener('exit', kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(kill, 5000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the ceiling server exited with ${child.exitCode}`);
        return (await request(origin)).statusCode === 200;
      },
      30_000,
      'the ceiling server',
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { origin, pid: child.pid, stop };
}
