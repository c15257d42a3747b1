// Runs one entry (a process or a script) as a child with a minimal environment, collecting its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './suite.ts';

// By absolute URL: a bare `--import tsx` resolves from the working directory, and some tests run from elsewhere.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export function runEntry(entry: string, env: Record<string, string>, args: string[] = [], cwd = ROOT) {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, entry), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** A stack frame of our own code: operator-facing failures print a sentence, never one of these. */
export const STACK_FRAME = /at .*\.ts:\d+/;

/** Whether a process is still alive (signal 0 checks without sending anything). */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
