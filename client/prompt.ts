// Questions on the terminal: a line, a hidden password, a yes/no confirmation. Prompts go to stderr so stdout stays the result.
import process from 'node:process';
import readline from 'node:readline';
import { CliError, usageError } from './http.ts';

export const isInteractive = () => process.stdin.isTTY === true;

export async function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: isInteractive() });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('close', () => reject(new CliError('cancelled', 1, 'CANCELLED')));
      rl.question(question, (a) => resolve(a.trim()));
    });
  } finally {
    rl.removeAllListeners('close');
    rl.close();
  }
}

/** Reads a password without echoing it (raw mode), so it never lands in the scrollback. */
export async function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw usageError('no terminal to ask for a password: pass --username and pipe the password on stdin');
  process.stderr.write(question);
  stdin.setRawMode(true);
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
