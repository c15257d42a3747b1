// The commander setup both CLIs share: global flags, exit codes (0 ok, 1 failure, 2 usage), errors without stack traces.
import process from 'node:process';
import { type Command, CommanderError, Option } from 'commander';
import { type GlobalFlags, resolveUrls } from './config.ts';
import { CliError, type Client, createClient } from './http.ts';
import { colour, printable, printJson, useColour } from './output.ts';

export const VERSION = '0.1.0';

export interface Ctx {
  flags: GlobalFlags & Record<string, unknown>;
  json: boolean;
  colour: boolean;
  client: Client;
  cliName: string;
}

/** Global flags, accepted before or after the command name. */
export function setupProgram(program: Command, name: string, description: string): Command {
  program
    .name(name)
    .description(description)
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--json', 'print machine-readable JSON on stdout (no colours, no spinners)'))
    .addOption(new Option('-y, --yes', 'do not ask before destructive actions'))
    .addOption(new Option('--api-url <url>', 'main API (env ELIDE_API_URL, default http://localhost:3000)'))
    .addOption(new Option('--registry-url <url>', 'package registry (env ELIDE_REGISTRY_URL, default http://localhost:4873)'))
    .addOption(new Option('--marketplace-url <url>', 'service marketplace (env ELIDE_MARKETPLACE_URL, default http://localhost:3001)'))
    // A command's own --help lists these too: `publish-cli info --help` is where a user looks for --json.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError(`(run ${name} --help for usage)`)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  return program;
}

export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

function contextOf(cmd: Command, cliName: string): Ctx {
  const flags = cmd.optsWithGlobals() as Ctx['flags'];
  const json = flags.json === true;
  for (const [k, v] of [
    ['--api-url', flags.apiUrl],
    ['--registry-url', flags.registryUrl],
    ['--marketplace-url', flags.marketplaceUrl],
  ] as const) {
    if (v !== undefined && !/^https?:\/\/[^\s/]+/.test(v)) throw new CliError(`${k} must be an http(s) URL, not "${v}"`, 2, 'USAGE');
  }
  return { flags, json, colour: useColour(json), client: createClient(resolveUrls(flags)), cliName };
}

export function reportError(err: unknown, json: boolean): number {
  const e =
    err instanceof CliError
      ? err
      : new CliError(`unexpected error: ${err instanceof Error ? err.message : String(err)} (please report this)`, 1, 'INTERNAL');
  if (json) printJson({ error: e.message, code: e.code ?? null, ...(e.status ? { status: e.status } : {}) });
  // The message may quote the server's words (and through them another user's): no raw escapes to the terminal.
  process.stderr.write(`${colour.red(useColour(false, process.stderr), 'error:')} ${printable(e.message)}\n`);
  return e.exitCode;
}

/** Wraps a command body: builds the context, runs it, and maps any failure to a message and an exit code. */
export function action<A extends unknown[]>(cliName: string, fn: (ctx: Ctx, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const positional = args.slice(0, -2) as A;
    let json = false;
    try {
      const ctx = contextOf(cmd, cliName);
      json = ctx.json;
      await fn(ctx, ...positional);
    } catch (err) {
      process.exitCode = reportError(err, json || (cmd.optsWithGlobals() as GlobalFlags).json === true);
    }
  };
}

export async function runProgram(program: Command, argv: string[] = process.argv): Promise<void> {
  // `cli … | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
  for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  process.on('uncaughtException', (e) => {
    process.exitCode = reportError(e, argv.includes('--json'));
  });
  // Commands run with their own options object as the second-to-last argument; positional args come first.
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      process.exitCode = ok ? 0 : 2;
      // Commander already wrote the message and usage hint to stderr; a script asking for --json still gets JSON.
      if (!ok && argv.includes('--json')) printJson({ error: err.message.replace(/^error: /, ''), code: 'USAGE' });
      return;
    }
    process.exitCode = reportError(err, argv.includes('--json'));
  }
}
