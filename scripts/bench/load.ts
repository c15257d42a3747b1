// One bounded load with autocannon at fixed concurrency: a short warm-up, then the measured run. Latencies are
// collected per response so p95 (which autocannon's own summary does not report) is exact.
import { createRequire } from 'node:module';

export interface LoadSpec {
  /** Target base, e.g. "http://127.0.0.1:4873". */
  origin: string;
  /** Request paths, rotated so one hot key does not stand for a whole registry. */
  paths: string[];
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytesPerRequest: number;
}

interface AutocannonInstance extends PromiseLike<{ non2xx: number; errors: number; timeouts: number; duration: number }> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => AutocannonInstance;
// autocannon is CommonJS without bundled types; a narrow local type keeps the rest of the file typed.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Nearest-rank percentile of an ascending array, in the array's unit. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

async function once(spec: LoadSpec, connections: number, seconds: number, record: boolean) {
  let i = 0;
  const latencies: number[] = [];
  let bytes = 0;
  const inst = autocannon({
    url: spec.origin,
    connections,
    duration: seconds,
    timeout: 30,
    headers: spec.headers ?? {},
    requests: [
      {
        method: 'GET',
        setupRequest: (req: Record<string, unknown>) => ({ ...req, path: spec.paths[i++ % spec.paths.length] }),
      },
    ],
  });
  if (record)
    inst.on('response', (_c, _s, b, ms) => {
      latencies.push(ms);
      bytes += b;
    });
  const result = await inst;
  return { result, latencies, bytes };
}

export async function runLoad(spec: LoadSpec, o: { connections: number; warmupSeconds: number; seconds: number }): Promise<LoadResult> {
  if (o.warmupSeconds > 0) await once(spec, o.connections, o.warmupSeconds, false);
  const { result, latencies, bytes } = await once(spec, o.connections, o.seconds, true);
  const sorted = Float64Array.from(latencies).sort();
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length,
    rps: Math.round(latencies.length / result.duration),
    p50: r2(percentile(sorted, 50)),
    p95: r2(percentile(sorted, 95)),
    p99: r2(percentile(sorted, 99)),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerRequest: latencies.length ? Math.round(bytes / latencies.length) : 0,
  };
}
