// HTTP to the suite's processes, turning every failure into one sentence a person can act on (CliError, no stack).
import { type Credential, currentCredential, type Target, type Urls } from './config.ts';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code?: string,
    readonly status?: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, 2, 'USAGE');

const NAMES: Record<Target, string> = { api: 'main API', registry: 'registry', marketplace: 'marketplace' };

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Raw bytes, for uploads that are not JSON. */
  rawBody?: Buffer | Uint8Array;
  /** Multipart upload (PyPI legacy API). */
  form?: FormData;
  headers?: Record<string, string>;
  auth?: 'required' | 'optional' | 'none';
  timeoutMs?: number;
  /** Return undefined instead of failing on 404. */
  allow404?: boolean;
  /** The answer is not JSON (PyPI, Maven, RubyGems uploads): return its text. */
  text?: boolean;
  /** Return the Response as is (streams). */
  raw?: boolean;
}

export interface Client {
  urls: Urls;
  credential: Credential | undefined;
  request<T = unknown>(target: Target, path: string, opts?: RequestOptions): Promise<T>;
  stream(target: Target, path: string, opts?: RequestOptions): Promise<Response>;
}

export function notLoggedIn(): CliError {
  return new CliError('not logged in: run publish-cli login (or set ELIDE_TOKEN)', 1, 'NOT_LOGGED_IN');
}

function unauthorised(cred: Credential | undefined): CliError {
  if (!cred) return notLoggedIn();
  if (cred.source === 'env')
    return new CliError(
      'ELIDE_TOKEN was refused (expired or revoked): set a valid token, or unset it and run publish-cli login',
      1,
      'UNAUTHORIZED',
      401,
    );
  return new CliError('your login has expired or was revoked: run publish-cli login', 1, 'UNAUTHORIZED', 401);
}

/** The stored login was made on another server than the one this request goes to: its token is not sent there. */
function loginElsewhere(target: Target, issuedAt: string, base: string): CliError {
  const flag = { api: '--api-url', registry: '--registry-url', marketplace: '--marketplace-url' }[target];
  return new CliError(
    `your login is for the ${NAMES[target]} at ${issuedAt}, not ${base}: run publish-cli login ${flag} ${base} (or set ELIDE_TOKEN)`,
    1,
    'LOGIN_ELSEWHERE',
  );
}

/** Where the stored login was made, when that is not where this request goes (undefined: the token may be sent). */
function issuedElsewhere(cred: Credential | undefined, target: Target, base: string): string | undefined {
  const at = cred?.source === 'file' ? cred.issuedFor?.[target] : undefined;
  return at !== undefined && at.replace(/\/+$/, '') !== base ? at : undefined;
}

function networkError(target: Target, base: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { name?: string })?.name;
  if (cause === 'TimeoutError' || cause === 'UND_ERR_HEADERS_TIMEOUT')
    return new CliError(`the ${NAMES[target]} at ${base} did not answer in time: is it overloaded? try again`, 1, 'TIMEOUT');
  return new CliError(`cannot reach the ${NAMES[target]} at ${base}: is the suite running? (npm start)`, 1, 'UNREACHABLE');
}

async function errorFrom(
  target: Target,
  base: string,
  res: Response,
  cred: Credential | undefined,
  sentAuth: boolean,
  authMode: string,
): Promise<CliError> {
  const text = await res.text().catch(() => '');
  let body: { error?: unknown; code?: unknown; details?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {}
  const message = typeof body.error === 'string' ? body.error : typeof body.message === 'string' ? body.message : '';
  const code = typeof body.code === 'string' ? body.code : undefined;
  // A 401 on a request that carried no credential on purpose (login) is about what was sent, not about a login.
  if (res.status === 401 && authMode !== 'none') return sentAuth ? unauthorised(cred) : notLoggedIn();
  if (res.status >= 500)
    return new CliError(
      `the ${NAMES[target]} at ${base} failed (HTTP ${res.status})${message ? `: ${message}` : ''}; try again, or check its log`,
      1,
      code,
      res.status,
    );
  return new CliError(message || `the ${NAMES[target]} refused the request (HTTP ${res.status})`, 1, code, res.status, body.details);
}

export function createClient(urls: Urls, env: NodeJS.ProcessEnv = process.env): Client {
  const credential = currentCredential(env);

  async function send(target: Target, path: string, opts: RequestOptions): Promise<{ res: Response; sentAuth: boolean }> {
    const base = urls[target];
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'elide-cli/0.1.0', ...opts.headers };
    const auth = opts.auth ?? 'required';
    if (auth === 'required' && !credential) throw notLoggedIn();
    // A session token made on one suite must not reach another (a typo in --api-url, a staging URL in the env):
    // a request that needs it stops with a sentence saying so; one that does not goes without it.
    const elsewhere = issuedElsewhere(credential, target, base);
    if (auth === 'required' && elsewhere) throw loginElsewhere(target, elsewhere, base);
    const sentAuth = auth !== 'none' && credential !== undefined && !elsewhere;
    if (sentAuth) headers.authorization = `Bearer ${credential.token}`;
    let body: RequestInit['body'];
    if (opts.form) body = opts.form;
    else if (opts.rawBody) body = opts.rawBody as RequestInit['body'];
    else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    try {
      const res = await fetch(url, {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        headers,
        body,
        signal: opts.raw ? undefined : AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      return { res, sentAuth };
    } catch (err) {
      throw networkError(target, base, err);
    }
  }

  return {
    urls,
    credential,
    async request<T>(target: Target, path: string, opts: RequestOptions = {}): Promise<T> {
      const { res, sentAuth } = await send(target, path, opts);
      if (res.status === 404 && opts.allow404) return undefined as T;
      if (!res.ok) throw await errorFrom(target, urls[target], res, credential, sentAuth, opts.auth ?? 'required');
      const text = await res.text();
      if (!text) return undefined as T;
      if (opts.text) return text as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(
          `the ${NAMES[target]} at ${urls[target]} answered something that is not JSON: is that the right URL?`,
          1,
          'BAD_REPLY',
        );
      }
    },
    async stream(target, path, opts = {}) {
      const { res, sentAuth } = await send(target, path, { ...opts, raw: true });
      if (!res.ok) throw await errorFrom(target, urls[target], res, credential, sentAuth, opts.auth ?? 'required');
      return res;
    },
  };
}
