// Calls between our processes: one helper, a deadline on every call, x-request-id forwarded, 404 -> undefined,
// and peer failures mapped to our own 502/503/504 so a caller never leaks a peer's internals.
import { Agent, request } from 'undici';
import { AppError, badGateway, badRequest, gatewayTimeout, serviceUnavailable } from './errors.ts';

export interface PeerOptions {
  name: string;
  baseUrl: string;
  timeoutMs?: number;
  internalToken?: string;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  requestId?: string;
  timeoutMs?: number;
  /** Return non-2xx responses (other than 404) to the caller instead of throwing. */
  passErrors?: boolean;
}

export interface PeerResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

export type PeerClient = ReturnType<typeof createPeerClient>;

/**
 * A "." or ".." segment, raw or percent-encoded (%2e, any case), before the query. Paths are concatenated onto the
 * peer's base URL and undici (as the URL standard) resolves such segments, so `/internal/packages/${name}` with a
 * name of "../x" would call another route, token attached. Name validation prevents it today; this closes the
 * class for every caller. A backslash counts as a slash: http(s) URLs treat it as one.
 */
const DOT_SEGMENT = /(?:^|[/\\])(?:\.|%2e){1,2}(?=[/\\]|$)/i;
export const hasDotSegment = (path: string) => DOT_SEGMENT.test(path.split(/[?#]/, 1)[0] ?? '');

export function createPeerClient(opts: PeerOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '');

  async function call<T = unknown>(path: string, o: CallOptions = {}): Promise<PeerResponse<T> | undefined> {
    if (hasDotSegment(path))
      throw badRequest(`refused to call the ${opts.name}: the path has a "." or ".." segment`, undefined, 'INVALID_PEER_PATH');
    const timeout = o.timeoutMs ?? opts.timeoutMs ?? 3000;
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (o.requestId) headers['x-request-id'] = o.requestId;
    if (opts.internalToken && path.startsWith('/internal/')) headers['x-internal-token'] = opts.internalToken;
    let payload: string | undefined;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${base}${path}`, {
        method: o.method ?? 'GET',
        headers,
        body: payload,
        dispatcher: agent,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
    } catch (err) {
      const code = (err as { code?: string; name?: string }).code ?? (err as { name?: string }).name;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'TimeoutError' || code === 'AbortError') {
        throw gatewayTimeout(`the ${opts.name} did not answer within ${timeout} ms`);
      }
      throw serviceUnavailable(`cannot reach the ${opts.name} at ${base}: is it running?`, 'PEER_UNAVAILABLE');
    }
    const text = await res.body.text();
    if (res.statusCode === 404 && !o.passErrors) return undefined;
    let body: unknown = text;
    if (text && String(res.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw badGateway(`the ${opts.name} sent an unreadable answer`);
      }
    }
    if (res.statusCode >= 400 && !o.passErrors) {
      if (res.statusCode < 500 && body && typeof body === 'object' && 'error' in body) {
        const b = body as { error: string; code?: string; details?: unknown };
        throw new AppError(res.statusCode, b.code ?? 'PEER_REJECTED', b.error, b.details);
      }
      throw badGateway(`the ${opts.name} failed (status ${res.statusCode})`);
    }
    return { status: res.statusCode, body: body as T, headers: res.headers };
  }

  return {
    name: opts.name,
    baseUrl: base,
    call,
    get: <T>(path: string, o: Omit<CallOptions, 'method' | 'body'> = {}) => call<T>(path, { ...o, method: 'GET' }).then((r) => r?.body),
    post: <T>(path: string, body: unknown, o: Omit<CallOptions, 'method' | 'body'> = {}) =>
      call<T>(path, { ...o, method: 'POST', body }).then((r) => r?.body),
  };
}
