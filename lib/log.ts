// Logging: pino through Fastify. Secrets never reach a log line: headers that carry credentials and any
// field named like a secret are redacted wherever they appear (DESIGN.md section 6).
import pino, { type Bindings, type ChildLoggerOptions, type Level, type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-internal-token"]',
  'req.headers["npm-otp"]',
  'res.headers["set-cookie"]',
];
// A secret-named field is redacted at the top of a line and one level down ("*.x" does not match a top-level x).
for (const field of [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'secret',
  'credentials',
  'authorization',
  'apiKey',
  '_password',
])
  REDACT_PATHS.push(field, `*.${field}`);

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Query strings can carry tokens (?token=...), so only the path is logged, and paths can carry one too (npm
      // token revoke and npm logout put the whole token in the URL): scrubbed like free text.
      req: (req: { method: string; url: string; id: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        path: scrubSecrets(String(req.url).split('?')[0]),
        ip: req.ip,
      }),
    },
  };
}

/** Strip anything that looks like one of our secrets from free text before it is logged or shown. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/elk_[A-Za-z0-9_]+/g, 'elk_[redacted]')
    .replace(/whsec_[A-Za-z0-9+/=_-]+/g, 'whsec_[redacted]')
    .replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]');
}

/**
 * The process logger: JSON lines on stdout, written asynchronously. Synchronous writes would block the
 * event loop (sonic-boom busy-waits on a full or broken pipe), and when the supervisor reading our stdout
 * dies, a blocked write would keep this process from ever shutting down.
 */
export function createProcessLogger(service: string, level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: false });
  destination.on('error', () => {
    // stdout is gone (EPIPE): logging stops, the process goes on and can still shut down.
  });
  return pino(loggerOptions(service, level), destination);
}

/**
 * The logger of one request, made only when a line is actually written at an enabled level. Fastify makes a
 * child logger per request, and a pino child serialises its bindings and sets up its serializers at once:
 * measurable on the hot paths (issue #11) for requests that, at a level such as `warn`, never log.
 */
export class LazyChildLogger {
  #real: Logger | undefined;
  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}
  get level(): string {
    return this.#real?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.#logger().level = level;
  }
  #logger(): Logger {
    this.#real ??= this.parent.child(this.bindings, this.options);
    return this.#real;
  }
  #write(level: Level, args: unknown[]) {
    if (this.#real ? this.#real.isLevelEnabled(level) : this.parent.isLevelEnabled(level))
      (this.#logger()[level] as (...a: unknown[]) => void)(...args);
  }
  isLevelEnabled(level: string): boolean {
    return (this.#real ?? this.parent).isLevelEnabled(level);
  }
  fatal(...args: unknown[]) {
    this.#write('fatal', args);
  }
  error(...args: unknown[]) {
    this.#write('error', args);
  }
  warn(...args: unknown[]) {
    this.#write('warn', args);
  }
  info(...args: unknown[]) {
    this.#write('info', args);
  }
  debug(...args: unknown[]) {
    this.#write('debug', args);
  }
  trace(...args: unknown[]) {
    this.#write('trace', args);
  }
  silent() {}
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#logger().child(bindings, options);
  }
}
