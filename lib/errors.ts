// One error body everywhere: { error: "<sentence a person can act on>", code: "SCREAMING_SNAKE", details? }.
// npm prints only body.error, so the sentence goes there. 5xx bodies never carry internals.
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(statusCode: number, code: string, message: string, details?: unknown, headers?: Record<string, string>) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export interface ErrorBody {
  error: string;
  code: string;
  details?: unknown;
}

export const badRequest = (message: string, details?: unknown, code = 'BAD_REQUEST') => new AppError(400, code, message, details);
export const unauthorized = (message = 'authentication required: send Authorization: Bearer <token>', code = 'UNAUTHORIZED') =>
  new AppError(401, code, message);
export const forbidden = (message: string, code = 'FORBIDDEN', details?: unknown) => new AppError(403, code, message, details);
export const notFound = (message: string, code = 'NOT_FOUND') => new AppError(404, code, message);
export const conflict = (message: string, code = 'CONFLICT', details?: unknown) => new AppError(409, code, message, details);
/** 422: the request is well formed but asks for what the object's rules do not allow (a count outside a tier's range). */
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError(429, 'RATE_LIMITED', `too many requests: try again in ${retryAfterSeconds} seconds`, undefined, {
    'retry-after': String(retryAfterSeconds),
  });
/** A size as people read it (1 MB is 1,048,576 bytes here, as in Fastify's and npm's limits). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
/** 413 naming the limit, so the sender knows how much to cut. */
export const bodyTooLarge = (limitBytes: number) =>
  new AppError(413, 'BODY_TOO_LARGE', `request body is larger than this server accepts: the limit is ${formatBytes(limitBytes)}`);
export const badGateway = (message: string, code = 'PEER_FAILED') => new AppError(502, code, message);
export const serviceUnavailable = (message: string, code = 'UNAVAILABLE') => new AppError(503, code, message);
export const gatewayTimeout = (message: string, code = 'PEER_TIMEOUT') => new AppError(504, code, message);

/** Fastify's own error codes mapped to our codes, so framework errors read like ours. */
const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'unsupported content type: send application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE', message: 'request body is larger than this server accepts' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'request body is empty but content-type is application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_CONTENT_LENGTH', message: 'content-length does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'BAD_CONTENT_TYPE', message: 'content-type header is invalid' },
  // The router's own refusals (service-app.ts frameworkErrors), before any route runs.
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'URL_TOO_LONG', message: 'a path segment is longer than 500 characters' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL', message: 'the URL is not valid: it has a malformed percent-encoding' },
};

/** Turn any thrown value into a status and the one error body. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: err.message, code: err.code };
    if (err.details !== undefined) body.details = err.details;
    return { status: err.statusCode, body, headers: err.headers };
  }
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown[]; name?: string };
  if (e?.code && FASTIFY_CODES[e.code]) {
    const m = FASTIFY_CODES[e.code];
    return { status: m.status, body: { error: m.message ?? e.message ?? 'bad request', code: m.code } };
  }
  if (e?.validation) {
    const context = (e as { validationContext?: string }).validationContext ?? 'body';
    const issues = (e.validation as { instancePath?: string; message?: string }[]).map((v) => ({
      // A problem with the whole object (an unknown key) has the path "/" or none: named after the object.
      field: v.instancePath?.slice(1).replace(/\//g, '.') || context,
      message: v.message ?? 'is invalid',
    }));
    const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    return { status: 400, body: { error: `invalid ${context}: ${summary}`, code: 'VALIDATION_FAILED', details: issues } };
  }
  const storage = storageFault(e?.code);
  if (storage) return storage;
  // A SyntaxError from a body parser is the client's fault.
  if (e?.name === 'SyntaxError' && typeof e.statusCode === 'number' && e.statusCode < 500) {
    return { status: 400, body: { error: 'request body is not valid JSON', code: 'INVALID_JSON' } };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: e.message ?? 'bad request', code: e.code ?? 'BAD_REQUEST' } };
  }
  return { status: 500, body: { error: 'internal error: the failure was logged; try again or contact the operator', code: 'INTERNAL' } };
}

/**
 * Faults of the machine rather than of the request, answered so a client knows to retry instead of a bare 500:
 * a write lock held too long by another process (SQLITE_BUSY after busy_timeout, e.g. a frozen lock holder) is
 * 503 with Retry-After; a full disk (ENOSPC from the blob store, SQLITE_FULL from the database) is 507. SQLite
 * rolls the transaction back in both cases and the blob store removes its temp file, so nothing is half-stored.
 */
function storageFault(code: string | undefined): ReturnType<typeof toErrorResponse> | undefined {
  if (!code) return undefined;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return {
      status: 503,
      body: { error: 'the database is busy with another writer: retry in a few seconds', code: 'DATABASE_BUSY' },
      headers: { 'retry-after': '2' },
    };
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return {
      status: 507,
      body: {
        error: 'the server is out of disk space: nothing was stored; retry once the operator has freed space',
        code: 'INSUFFICIENT_STORAGE',
      },
      headers: { 'retry-after': '60' },
    };
  }
  return undefined;
}
