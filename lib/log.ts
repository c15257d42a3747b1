// Logging: pino through Fastify. Secrets never reach a log line: headers that carry credentials and any
// field named like a secret are redacted wherever they appear (DESIGN.md section 6).
import pino, { type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-internal-token"]',
  'req.headers["npm-otp"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.secret',
  '*.credentials',
  '*.authorization',
  '*.apiKey',
  '*._password',
];

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Query strings can carry tokens (?token=...), so only the path is logged.
      req: (req: { method: string; url: string; id: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        path: String(req.url).split('?')[0],
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
