// The only place a process reads its environment, opens files and listens. Each *-server.ts entry calls
// runService with a function that builds its app from the config. SIGTERM/SIGINT: stop accepting, let
// in-flight requests finish, close databases (onClose hooks), exit 0.

import path from 'node:path';
import type pino from 'pino';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { holdInstanceLock } from './db.ts';
import { createProcessLogger } from './log.ts';
import { loadSecrets, type Secrets } from './secrets.ts';

/** Exit code for a configuration error: the supervisor does not restart a child that exits with it. */
export const EXIT_CONFIG = 78;

/** What runService needs of an app: Fastify's listen and close. */
export interface ListeningApp {
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<unknown>;
}

export interface ServiceContext {
  config: Config;
  secrets: Secrets;
  logger: pino.Logger;
}

export async function runService(
  name: string,
  portOf: (c: Config) => number,
  build: (ctx: ServiceContext) => Promise<ListeningApp> | ListeningApp,
): Promise<void> {
  let config: Config;
  let secrets: Secrets;
  try {
    config = loadConfig(process.env);
    secrets = loadSecrets(config);
  } catch (err) {
    if (err instanceof ConfigError) refuseToStart(name, err.message);
    throw err;
  }
  // Before the databases are opened: a second instance must not run migrations or background jobs at all.
  const lockFile = path.join(config.DATA_DIR, 'run', `${name}.lock`);
  let locked: boolean;
  try {
    locked = holdInstanceLock(lockFile);
  } catch (err) {
    const reason = databaseFailure(config, err);
    if (reason) refuseToStart(name, `cannot take its lock ${lockFile}: ${reason.replace(/^cannot open its database: /, '')}`);
    throw err;
  }
  if (!locked)
    refuseToStart(
      name,
      `another ${name} process is already running on DATA_DIR=${JSON.stringify(config.DATA_DIR)} (a second npm start on the same data folder?). Stop it first, or give this one its own DATA_DIR.`,
    );
  const logger = createProcessLogger(name, config.LOG_LEVEL);
  let app: ListeningApp;
  try {
    app = await build({ config, secrets, logger });
  } catch (err) {
    const reason = databaseFailure(config, err);
    if (reason) refuseToStart(name, reason);
    throw err;
  }

  let closing = false;
  // Logging may fail while stopping (the supervisor that read our stdout may be gone: EPIPE), and a failed
  // log line must never keep the process alive.
  const safeLog = (write: () => void) => {
    try {
      write();
    } catch {
      // nothing left to tell
    }
  };
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    // A hung request must not keep the process alive forever.
    setTimeout(() => process.exit(1), 20_000).unref();
    safeLog(() => logger.info({ signal }, 'shutting down: finishing in-flight requests'));
    app.close().then(
      () => {
        safeLog(() => logger.info('stopped'));
        process.exit(0);
      },
      (err) => {
        safeLog(() => logger.error({ err }, 'error while stopping'));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Started by the supervisor with an IPC channel: if the supervisor dies (even by SIGKILL), the channel
  // closes and this process stops too, so no child is ever left behind. Its stdout went with it, and a
  // log write to a dead pipe blocks process exit, so logging is switched off first.
  if (process.send) {
    process.on('disconnect', () => {
      logger.level = 'silent';
      shutdown('supervisor gone');
    });
  }

  try {
    const address = await app.listen({ port: portOf(config), host: config.HOST });
    logger.info({ address }, `${name} listening`);
    // A machine-readable line for the supervisor and test helpers (they run on port 0).
    if (process.send) process.send({ type: 'listening', service: name, address });
  } catch (err) {
    const reason = listenFailure(name, config, portOf(config), err);
    if (reason) refuseToStart(name, reason);
    logger.fatal({ err }, `${name} could not listen on ${config.HOST}:${portOf(config)}`);
    process.exit(1);
  }
}

/**
 * A start that cannot succeed until the operator changes something: one sentence on stderr (no stack trace) and
 * EXIT_CONFIG, so the supervisor stops the suite and says so instead of restarting the process forever.
 */
function refuseToStart(name: string, reason: string): never {
  process.stderr.write(`${name}: ${reason}\n`);
  process.exit(EXIT_CONFIG);
}

const PORT_VARIABLE: Record<string, string> = {
  api: 'PORT',
  registry: 'REGISTRY_PORT',
  marketplace: 'MARKETPLACE_PORT',
  orchestrator: 'ORCHESTRATOR_PORT',
  dashboard: 'DASHBOARD_PORT',
};

/** Why listen failed, in words that name the variable to change; undefined for errors a restart may cure. */
export function listenFailure(name: string, config: Pick<Config, 'HOST'>, port: number, err: unknown): string | undefined {
  const variable = PORT_VARIABLE[name] ?? 'its port variable';
  const where = `${config.HOST}:${port}`;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is already in use (another program, or this suite already running). Stop that program or set ${variable} to a free port.`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need root). Set ${variable} to a port from 1024 to 65535.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: HOST=${JSON.stringify(config.HOST)} is not an address of this machine. Set HOST to one of its addresses, 127.0.0.1 or 0.0.0.0.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: HOST=${JSON.stringify(config.HOST)} does not resolve. Set HOST to an address of this machine, 127.0.0.1 or 0.0.0.0.`;
    default:
      return undefined;
  }
}

/** A database that cannot be opened: no restart cures it, so it is reported with the paths to check. */
export function databaseFailure(
  config: Pick<Config, 'DATA_DIR' | 'DATABASE_PATH' | 'REGISTRY_DATABASE_PATH'>,
  err: unknown,
): string | undefined {
  const e = err as NodeJS.ErrnoException;
  const paths = `DATABASE_PATH=${JSON.stringify(config.DATABASE_PATH)}, REGISTRY_DATABASE_PATH=${JSON.stringify(config.REGISTRY_DATABASE_PATH)}`;
  const fsProblem: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a part of the path is a file, not a folder',
    // mkdir -p reports a file standing where a folder must go as EEXIST.
    EEXIST: 'a file is where a folder should be',
    EROFS: 'the file system is read-only',
    SQLITE_CANTOPEN: 'the file cannot be opened (a folder in its place, or no permission)',
    SQLITE_READONLY: 'the file or its folder is read-only',
    SQLITE_PERM: 'permission denied',
  };
  if (e?.code && fsProblem[e.code])
    return `cannot open its database: ${fsProblem[e.code]} (${e.code}${e.path ? ` on ${e.path}` : ''}; ${paths}). Fix the permissions or point these variables (or DATA_DIR) at a writable folder.`;
  if (e?.code === 'SQLITE_NOTADB' || e?.code === 'SQLITE_CORRUPT')
    return `cannot open its database: the file is not a usable SQLite database (${e.code}; ${paths}). Restore it from a backup (npm run restore) or move it away to start empty.`;
  return undefined;
}
