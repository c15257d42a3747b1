// One bounded load at fixed concurrency: a short warm-up, then the measured run, from one of two load generators.
// - wrk (Debian's `wrk`, C with LuaJIT, one thread): the default when installed. It spends a few µs of CPU per
//   response, so on a 2-core machine the server under test gets a core to itself and the figure is the server's.
// - autocannon (npm): in this Node process. It spends 20-33 µs per response, as much as a fast route costs the
//   server, so above about 30,000 req/s its figure is the machine's (client and server sharing 2 cores), not the
//   server's (docs/PERFORMANCE.md, "What the abbreviated packument could reach").
// Both rotate the paths, send the same headers and report p50/p95/p99 of every response in the window.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

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
  /** With several rounds (medianOfRounds): each round's req/s, in the order they ran. */
  rounds?: number[];
}

export type LoadGenerator = 'wrk' | 'autocannon';

/** wrk when it is on the PATH (scripts/install-system-deps.sh installs it), else autocannon. */
export function defaultGenerator(): LoadGenerator {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  return dirs.some((d) => d && fs.existsSync(path.join(d, 'wrk'))) ? 'wrk' : 'autocannon';
}

export interface LoadOptions {
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Default: defaultGenerator(). */
  generator?: LoadGenerator;
}

interface AutocannonInstance extends PromiseLike<{ non2xx: number; errors: number; timeouts: number; duration: number }> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => AutocannonInstance;
// autocannon is CommonJS without bundled types; a narrow local type keeps the rest of the file typed.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Rounds of one load as one result: the median of req/s and of each percentile, the sums of the counts. The bench
 * alternates the rounds of the targets it compares, so a slow spell of the shared machine falls on both.
 */
export function medianOfRounds(rs: LoadResult[]): LoadResult {
  const med = (f: (r: LoadResult) => number) => median(rs.map(f));
  const sum = (f: (r: LoadResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  return {
    requests: sum((r) => r.requests),
    rps: Math.round(med((r) => r.rps)),
    p50: r2(med((r) => r.p50)),
    p95: r2(med((r) => r.p95)),
    p99: r2(med((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    bytesPerRequest: Math.round(med((r) => r.bytesPerRequest)),
    rounds: rs.map((r) => r.rps),
  };
}

/** Nearest-rank percentile of an ascending array, in the array's unit. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

async function autocannonOnce(spec: LoadSpec, connections: number, seconds: number, record: boolean) {
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

export async function runLoad(spec: LoadSpec, o: LoadOptions): Promise<LoadResult> {
  const once = (o.generator ?? defaultGenerator()) === 'wrk' ? wrkOnce : autocannonLoad;
  if (o.warmupSeconds > 0) await once(spec, o.connections, o.warmupSeconds);
  return once(spec, o.connections, o.seconds);
}

const r2 = (n: number) => Math.round(n * 100) / 100;

async function autocannonLoad(spec: LoadSpec, connections: number, seconds: number): Promise<LoadResult> {
  const { result, latencies, bytes } = await autocannonOnce(spec, connections, seconds, true);
  const sorted = Float64Array.from(latencies).sort();
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

/** A Lua string literal; the paths and headers are ASCII (URL-encoded paths, tokens, cookies). */
export function luaString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`not printable ASCII, cannot be sent by wrk: ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The wrk script of a load: the requests are formatted once (wrk.format adds Host), then handed out in turn; done()
 * prints one line of JSON (latencies in µs) for wrkOnce to read. errors.status counts answers of 400 and above.
 */
export function wrkScript(spec: LoadSpec): string {
  const headers = Object.entries(spec.headers ?? {})
    .map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`)
    .join('\n');
  return `${headers}
local paths = { ${spec.paths.map(luaString).join(', ')} }
local requests = {}
local n = 0
function init(args)
  for i, p in ipairs(paths) do requests[i] = wrk.format("GET", p) end
end
function request()
  n = n % #requests + 1
  return requests[n]
end
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"p50":%d,"p95":%d,"p99":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`;
}

async function wrkOnce(spec: LoadSpec, connections: number, seconds: number): Promise<LoadResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-wrk-'));
  try {
    const script = path.join(dir, 'load.lua');
    fs.writeFileSync(script, wrkScript(spec));
    // One thread: the server under test keeps the other core.
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '-s', script, spec.origin];
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { maxBuffer: 1 << 20 }, (err, out, errOut) =>
        err ? reject(new Error(`wrk ${args.join(' ')} failed: ${err.message} ${errOut}`)) : resolve(out),
      ),
    );
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result: ${stdout.slice(-500)}`);
    const w = JSON.parse(line.slice('WRK_RESULT '.length)) as Record<string, number>;
    return {
      requests: w.requests,
      rps: Math.round(w.requests / (w.durationUs / 1e6)),
      p50: r2(w.p50 / 1000),
      p95: r2(w.p95 / 1000),
      p99: r2(w.p99 / 1000),
      non2xx: w.status,
      errors: w.connect + w.read + w.write,
      timeouts: w.timeout,
      bytesPerRequest: w.requests ? Math.round(w.bytes / w.requests) : 0,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
