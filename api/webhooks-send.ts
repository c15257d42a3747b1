// One webhook attempt on the wire: re-check the target (SSRF), POST through a connection pinned to the checked
// addresses, read at most 64 KiB of the answer and classify the outcome. Never throws.
import { request } from 'undici';
import { checkTarget, pinnedAgent, type Resolver, type SsrfError } from '../lib/ssrf.ts';

const MAX_READ_BYTES = 64 * 1024;
const MAX_STORED_BODY = 4096;

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  allowPrivateNetworks: boolean;
  resolve?: Resolver;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number; totalMs: number };
  /** For Retry-After given as a date. */
  nowMs: number;
}

export interface SendResult {
  outcome: 'succeeded' | 'http_error' | 'timeout' | 'dns_error' | 'connect_error' | 'tls_error' | 'ssrf_blocked' | 'redirect_rejected';
  status: number | null;
  body: string | null;
  retryAfterMs?: number;
  abort: boolean;
  resolvedIp: string | null;
  error: string | null;
}

function parseRetryAfter(v: string | string[] | undefined, nowMs: number): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

function classifyError(err: unknown): SendResult['outcome'] {
  const code = String((err as { code?: string }).code ?? (err as { name?: string }).name ?? '');
  const cause = String((err as { cause?: { code?: string } }).cause?.code ?? '');
  if (/TIMEOUT|AbortError|TimeoutError/i.test(code) || /TIMEOUT/i.test(cause)) return 'timeout';
  if (/ENOTFOUND|EAI_AGAIN/.test(code + cause)) return 'dns_error';
  if (/CERT|TLS|SSL|ERR_SSL/i.test(code + cause)) return 'tls_error';
  return 'connect_error';
}

/** One POST of the stored bytes to the checked address; never throws. */
export async function sendWebhook(o: SendOptions): Promise<SendResult> {
  const { url, body, headers, timeouts: t } = o;
  const base = { status: null, body: null, abort: false, resolvedIp: null };
  let target: Awaited<ReturnType<typeof checkTarget>>;
  try {
    target = await checkTarget(url, { allowPrivateNetworks: o.allowPrivateNetworks, resolve: o.resolve });
  } catch (err) {
    const e = err as SsrfError;
    return { ...base, outcome: e.reason === 'dns_error' ? 'dns_error' : 'ssrf_blocked', error: e.message ?? 'blocked' };
  }
  const agent = pinnedAgent(target, t);
  const resolvedIp = target.addresses[0].address;
  try {
    // undici's request() never follows redirects unless a redirect interceptor is added: 3xx is a failure.
    const res = await request(target.url, { method: 'POST', headers, body, dispatcher: agent, signal: AbortSignal.timeout(t.totalMs) });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= MAX_READ_BYTES) break; // a flood is cut off; the rest is discarded with the socket
    }
    const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_STORED_BODY);
    const status = res.statusCode;
    const ok = status >= 200 && status < 300;
    return {
      outcome: ok ? 'succeeded' : status >= 300 && status < 400 ? 'redirect_rejected' : 'http_error',
      status,
      body: text,
      retryAfterMs: parseRetryAfter(res.headers['retry-after'], o.nowMs),
      abort: res.headers['webhook-delivery'] === 'abort-message',
      resolvedIp,
      error: null,
    };
  } catch (err) {
    return { ...base, resolvedIp, outcome: classifyError(err), error: (err as Error).message?.slice(0, 500) ?? 'request failed' };
  } finally {
    agent.destroy().catch(() => {});
  }
}
