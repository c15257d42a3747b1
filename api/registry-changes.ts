// Follows the registry's change feed (registry/change-feed.ts) so the package reads (details, search) can reuse
// the registry's last answer until something changes there, instead of asking over HTTP on every request.
// An answer is reused only while the feed is connected and still at the generation the answer was read at, and no
// write of this process to the registry started since (wrote()). Disconnected, every read asks the registry again.
import { request } from 'undici';
import type { CallOptions, PeerClient } from '../lib/http.ts';

/** Three missed heartbeats (the registry repeats its generation every 10 s): the stream is taken as dead. */
const SILENCE_MS = 30_000;
const RECONNECT_MS = 1000;

export interface RegistryChanges {
  /** The stamp an answer read now would be kept under; undefined when answers must not be kept. */
  current(): string | undefined;
  /** The stamp for an answer with the registry's generation header, read after `before` = current-write count. */
  stampOf(header: unknown, writesBefore: number): string | undefined;
  /** Writes of this process to the registry so far (take before a read; see stampOf). */
  writes(): number;
  /** Call around this process's own writes to the registry (before and after). */
  wrote(): void;
  close(): void;
}

/** Answers are never kept (tests of the read path alone, and the fallback when the feed is off). */
export const noRegistryChanges: RegistryChanges = {
  current: () => undefined,
  stampOf: () => undefined,
  writes: () => 0,
  wrote: () => {},
  close: () => {},
};

export function followRegistryChanges(o: { baseUrl: string; internalToken: string; onError?: (err: unknown) => void }): RegistryChanges {
  let latest: string | undefined;
  let localWrites = 0;
  let closed = false;
  let abort: AbortController | undefined;
  let retry: NodeJS.Timeout | undefined;

  async function connect() {
    abort = new AbortController();
    try {
      const res = await request(`${o.baseUrl.replace(/\/+$/, '')}/internal/changes`, {
        headers: { 'x-internal-token': o.internalToken },
        signal: abort.signal,
        bodyTimeout: SILENCE_MS,
        headersTimeout: SILENCE_MS,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`the registry's change feed answered ${res.statusCode}`);
      }
      let partial = '';
      for await (const chunk of res.body) {
        partial += chunk.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        const last = lines.filter(Boolean).at(-1);
        if (last !== undefined) latest = last;
      }
    } catch (err) {
      if (!closed) o.onError?.(err);
    } finally {
      latest = undefined;
    }
    if (!closed) {
      retry = setTimeout(connect, RECONNECT_MS);
      retry.unref();
    }
  }
  void connect();

  return {
    current: () => (latest === undefined ? undefined : `${latest}/${localWrites}`),
    stampOf: (header, writesBefore) => (typeof header === 'string' && header ? `${header}/${writesBefore}` : undefined),
    writes: () => localWrites,
    wrote: () => {
      localWrites++;
    },
    close() {
      closed = true;
      clearTimeout(retry);
      abort?.abort();
    },
  };
}

/** The registry client with this process's writes counted (wrote() before and after each), see RegistryChanges. */
export function countingWrites(client: PeerClient, changes: RegistryChanges): PeerClient {
  const call: PeerClient['call'] = async (path: string, o: CallOptions = {}) => {
    if ((o.method ?? 'GET') === 'GET') return client.call(path, o);
    changes.wrote();
    try {
      return await client.call(path, o);
    } finally {
      changes.wrote();
    }
  };
  return {
    ...client,
    call,
    post: (path, body, o = {}) => call(path, { ...o, method: 'POST', body }).then((r) => r?.body),
  } as PeerClient;
}
