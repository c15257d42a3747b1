// The only place a process reads its environment, opens files and listens. Each *-server.ts entry calls
// runService with a function that builds its app from the config. SIGTERM/SIGINT: stop accepting, let
// in-flight requests finish, close databases (onClose hooks), exit 0.
import type pino from 'pino';
import { type Config, ConfigError, loadConfig } from './config.ts';
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
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  const logger = createProcessLogger(name, config.LOG_LEVEL);
  const secrets = loadSecrets(config);
  const app = await build({ config, secrets, logger });

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
    logger.fatal({ err }, `${name} could not listen on ${config.HOST}:${portOf(config)}`);
    process.exit(1);
  }
}
