// Configuration: every variable of the seed README (and DESIGN.md) parsed once, with defaults.
// Only the *-server.ts entries and scripts call loadConfig(process.env); everything else receives a Config.
import path from 'node:path';
import { z } from 'zod';

// Digits only: Number() would also take " 3000", "0x10" or "1e3", and a port of 16 is not what anyone meant.
const port = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a port number from 1 to 65535 (0 picks a free one)')
  .transform(Number)
  .pipe(z.number().max(65535, 'must be a port number from 1 to 65535 (0 picks a free one)'));
/**
 * The Fetch standard's "bad ports" (fetch.spec.whatwg.org, port blocking): browsers and Node's fetch refuse to connect
 * to them, so a process listening on one could not be reached from the dashboard's users or the supervisor's checks.
 */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117,
  119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
  989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);
/** A port a process listens on: also not one that browsers and fetch() refuse. */
const listenPort = port.refine(
  (p) => !FETCH_BAD_PORTS.has(p),
  'is a port browsers and fetch() refuse to connect to (the Fetch standard blocks it): choose another',
);

/**
 * An http(s) base URL. `new URL('localhost:3000')` parses (scheme "localhost:"), so the scheme is checked: without it
 * every peer call would fail at run time instead of at start. A query or fragment would be glued before the paths
 * the processes append (lib/http.ts concatenates), so only a path prefix is allowed.
 */
const url = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a full URL such as http://registry.example.com:4873' });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: 'must start with http:// or https:// (for example http://registry.example.com:4873)' });
  else if (u.search || u.hash || v.includes('?') || v.includes('#'))
    ctx.addIssue({ code: 'custom', message: 'must not carry a ?query or #fragment: give the base URL only' });
  else if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password' });
});
/** A positive number of the given kind with an upper bound the code can honour. */
const positiveNumber = (max: number, what: string) =>
  z.coerce
    .number({ message: `must be ${what}` })
    .positive(`must be ${what}`)
    .max(max, `must be ${what}`);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** "MIT, Apache-2.0": comma-separated SPDX ids (or LicenseRef-*), each checked for its characters. */
const spdxList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.+*-]{0,99}$/, 'must be SPDX license ids separated by commas')));
// "7d", "12h", "30m", "45s" or plain seconds: the forms people write for TOKEN_EXPIRY.
const duration = z
  .string()
  .regex(/^\d+[smhd]?$/, 'must be a duration such as 7d, 12h, 30m or 3600')
  .transform((v) => parseDurationSeconds(v))
  // 0 would issue sessions that are expired when they are made: every login would "succeed" and then fail.
  .pipe(z.number().positive('must be longer than 0 (for example 7d, 12h, 30m or 3600)'));

export function parseDurationSeconds(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  const n = Number(m[1]);
  const unit = m[2] || 's';
  return n * { s: 1, m: 60, h: 3600, d: 86400 }[unit as 's' | 'm' | 'h' | 'd'];
}

const EnvSchema = z.object({
  // A name or an address to bind: a typo here would otherwise surface as a getaddrinfo error at listen time.
  HOST: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$|^[0-9A-Fa-f:.]+$/,
      'must be a host name or an IP address to bind, such as 127.0.0.1 or 0.0.0.0',
    )
    .default('127.0.0.1'),
  PORT: listenPort.default(3000),
  REGISTRY_PORT: listenPort.default(4873),
  MARKETPLACE_PORT: listenPort.default(3001),
  DASHBOARD_PORT: listenPort.default(8080),
  ORCHESTRATOR_PORT: listenPort.default(3002),
  ELIDE_API_URL: url.optional(),
  ELIDE_REGISTRY_URL: url.optional(),
  ELIDE_MARKETPLACE_URL: url.optional(),
  ELIDE_ORCHESTRATOR_URL: url.optional(),
  ELIDE_DASHBOARD_URL: url.optional(),
  REGISTRY_PUBLIC_URL: url.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_PATH: z.string().min(1).optional(),
  REGISTRY_DATABASE_PATH: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  INTERNAL_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TOKEN_EXPIRY: duration.prefault('7d'),
  BCRYPT_COST: z.coerce
    .number({ message: 'must be a whole number from 4 to 15' })
    .int('must be a whole number from 4 to 15')
    .min(4, 'must be a whole number from 4 to 15')
    .max(15, 'must be a whole number from 4 to 15')
    .default(10),
  CDN_URL: url.optional(),
  STORAGE_BUCKET: z.string().default('elide-marketplace-storage'),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: port.default(587),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  STRIPE_API_KEY: z.string().optional(),
  BILLING_EMAIL: z.string().email().default('billing@elide.dev'),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_MB: positiveNumber(2048, 'a number of megabytes above 0 and at most 2048').default(100),
  // Node's timers take at most 2^31-1 ms and turn anything larger into 1 ms (TimeoutOverflowWarning): every peer
  // call would then time out at once. Ten minutes is far beyond any useful deadline between processes.
  PEER_TIMEOUT_MS: positiveNumber(600_000, 'a number of milliseconds above 0 and at most 600000')
    .int('must be a whole number of milliseconds')
    .default(3000),
  SIM_TIME_SCALE: positiveNumber(1000, 'a number above 0 (0.1 runs provisioning ten times faster)').default(1),
  SIMULATION: bool.prefault('false'),
  SIM_FAILURE_RATE: z.coerce
    .number({ message: 'must be a fraction from 0 to 1 (0.2 fails one provisioning in five)' })
    .min(0, 'must be a fraction from 0 to 1 (0.2 fails one provisioning in five)')
    .max(1, 'must be a fraction from 0 to 1 (0.2 fails one provisioning in five)')
    .default(0),
  SIM_SEED: z.coerce.number({ message: 'must be a whole number' }).int('must be a whole number').default(42),
  UPLINK_URL: url.optional(),
  // The Authorization header for a private upstream (Nexus, Artifactory, a private npmjs org), as .npmrc's _authToken
  // ("Bearer <token>") or _auth ("Basic <base64 of user:password>") give it. Visible ASCII only: a line break would
  // let the value add headers of its own to every upstream request.
  UPLINK_AUTH: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]* +[\x21-\x7e]+$/,
      'must be a scheme and credentials, e.g. "Bearer <token>" or "Basic <base64 of user:password>"',
    )
    .optional(),
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: bool.prefault('false'),
  // Multiplies every webhook retry delay, Retry-After and the auto-disable window (tests: 0.001).
  WEBHOOK_RETRY_TIME_SCALE: positiveNumber(1, 'a number above 0 and at most 1 (0.001 for tests)').default(1),
  NPM_ADDUSER_ENABLED: bool.prefault('true'),
  // Licence policy of the scanner (docs/SECURITY-SCANNING.md "Licenses"): a profile, plus SPDX ids to allow or deny.
  LICENSE_POLICY: z.enum(['default', 'strict', 'saas']).default('default'),
  LICENSE_ALLOW: spdxList,
  LICENSE_DENY: spdxList,
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config extends Omit<Env, 'DATABASE_PATH' | 'REGISTRY_DATABASE_PATH'> {
  DATABASE_PATH: string;
  REGISTRY_DATABASE_PATH: string;
  BLOB_DIR: string;
  /** Base URLs of the five processes, derived from HOST and the ports unless set explicitly. */
  urls: { api: string; registry: string; marketplace: string; orchestrator: string; dashboard: string };
}

export class ConfigError extends Error {}

/** Parse the environment. A wrong value throws a ConfigError whose message names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" (a common shell habit: FOO= command).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  const lines: string[] = [];
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const name = String(i.path[0] ?? '');
      lines.push(`  ${describeValue(name, cleaned[name])}: ${i.message}`);
    }
  } else {
    lines.push(...duplicatePorts(parsed.data));
    // Credentials without an upstream would be silently unused: most likely UPLINK_URL was forgotten.
    if (parsed.data.UPLINK_AUTH && !parsed.data.UPLINK_URL)
      lines.push('  UPLINK_AUTH (value hidden): is set but UPLINK_URL is not: set UPLINK_URL to the upstream it authenticates to');
  }
  if (lines.length > 0 || !parsed.success)
    throw new ConfigError(
      `invalid configuration:\n${lines.join('\n')}\nCorrect these environment variables (or unset them to use the defaults) and start again.`,
    );
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  const local = (p: number) => `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
  return {
    ...e,
    DATA_DIR: dataDir,
    DATABASE_PATH: path.resolve(e.DATABASE_PATH ?? path.join(dataDir, 'marketplace.db')),
    REGISTRY_DATABASE_PATH: path.resolve(e.REGISTRY_DATABASE_PATH ?? path.join(dataDir, 'registry.db')),
    BLOB_DIR: path.join(dataDir, 'blobs'),
    urls: {
      api: stripSlash(e.ELIDE_API_URL ?? local(e.PORT)),
      registry: stripSlash(e.ELIDE_REGISTRY_URL ?? local(e.REGISTRY_PORT)),
      marketplace: stripSlash(e.ELIDE_MARKETPLACE_URL ?? local(e.MARKETPLACE_PORT)),
      orchestrator: stripSlash(e.ELIDE_ORCHESTRATOR_URL ?? local(e.ORCHESTRATOR_PORT)),
      dashboard: stripSlash(e.ELIDE_DASHBOARD_URL ?? local(e.DASHBOARD_PORT)),
    },
  };
}

/**
 * The registry's origin as clients reach it (the ecosystem prefixes /npm, /pypi, ... go after it):
 * REGISTRY_PUBLIC_URL, which may name /npm or not, else the registry's own URL.
 */
export function registryPublicOrigin(c: Pick<Config, 'REGISTRY_PUBLIC_URL' | 'urls'>): string {
  return c.REGISTRY_PUBLIC_URL ? stripSlash(c.REGISTRY_PUBLIC_URL).replace(/\/npm$/, '') : c.urls.registry;
}

/** Variables whose value must not be echoed back: the message goes to logs and terminals. */
const SECRET_VARIABLES = new Set(['JWT_SECRET', 'INTERNAL_TOKEN', 'ADMIN_PASSWORD', 'SMTP_PASS', 'STRIPE_API_KEY', 'UPLINK_AUTH']);

function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return name;
  // A URL with user:password@ is refused, and its refusal must not print the password either.
  if (SECRET_VARIABLES.has(name) || /\/\/[^/@]*:[^/@]*@/.test(value)) return `${name} (value hidden)`;
  return `${name}=${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`;
}

const PORT_VARIABLES = ['PORT', 'REGISTRY_PORT', 'MARKETPLACE_PORT', 'ORCHESTRATOR_PORT', 'DASHBOARD_PORT'] as const;

/**
 * Two processes given one port: the second would fail to listen and the supervisor would restart it forever.
 * Port 0 (a free port picked at listen time, as the tests do) may repeat.
 */
function duplicatePorts(e: Env): string[] {
  const byPort = new Map<number, string[]>();
  for (const name of PORT_VARIABLES) if (e[name] !== 0) byPort.set(e[name], [...(byPort.get(e[name]) ?? []), name]);
  return [...byPort]
    .filter(([, names]) => names.length > 1)
    .map(([p, names]) => `  ${names.join(' and ')} share port ${p}: give each process its own port`);
}

function stripSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
