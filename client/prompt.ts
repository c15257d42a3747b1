// Questions on the terminal: a line, a hidden password, a yes/no confirmation. Prompts go to stderr so stdout stays the result.
import process from 'node:process';
import { CliError, usageError } from './http.ts';
import { printable } from './output.ts';

export const isInteractive = () => process.stdin.isTTY === true;

// Plain line reading (no readline): readline keeps echoing after close on some terminals, which would show the password.
let pending = '';

function readLine(): Promise<string> {
  const stdin = process.stdin;
  return new Promise<string>((resolve, reject) => {
    const finish = (fn: () => void) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause();
      fn();
    };
    const take = () => {
      const i = pending.search(/\r?\n|\r/);
      if (i < 0) return false;
      const line = pending.slice(0, i);
      pending = pending.slice(i).replace(/^(\r\n|\n|\r)/, '');
      finish(() => resolve(line));
      return true;
    };
    const onData = (chunk: string | Buffer) => {
      pending += String(chunk);
      take();
    };
    const onEnd = () => finish(() => (pending ? resolve(pending) : reject(new CliError('cancelled', 1, 'CANCELLED'))));
    if (take()) return;
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
}

export async function ask(question: string): Promise<string> {
  // Questions name things from the server (a deployment, a package): shown, never obeyed by the terminal.
  process.stderr.write(printable(question));
  return (await readLine()).trim();
}

/** Reads a password without echoing it (raw mode), so it never lands in the scrollback. */
export async function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw usageError('no terminal to ask for a password: pass --username and pipe the password on stdin');
  // Raw mode before the prompt: anything typed after the prompt appears must never be echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new CliError('cancelled', 1, 'CANCELLED'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** All of stdin, for `--username x` with the password piped in by a script. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Destructive actions ask first; --yes skips; without a terminal and without --yes they refuse (exit 2). */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!isInteractive()) throw usageError(`${question.replace(/\?$/, '')}: refusing without a terminal; pass --yes to confirm`);
  const a = await ask(`${question} [y/N] `);
  if (!/^y(es)?$/i.test(a)) throw new CliError('cancelled: nothing was changed', 1, 'CANCELLED');
}
