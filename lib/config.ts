// Configuration: every variable of the seed README (and DESIGN.md) parsed once, with defaults.
// Only the *-server.ts entries and scripts call loadConfig(process.env); everything else receives a Config.
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();
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
  .transform((v) => parseDurationSeconds(v));

export function parseDurationSeconds(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  const n = Number(m[1]);
  const unit = m[2] || 's';
  return n * { s: 1, m: 60, h: 3600, d: 86400 }[unit as 's' | 'm' | 'h' | 'd'];
}

const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  REGISTRY_PORT: port.default(4873),
  MARKETPLACE_PORT: port.default(3001),
  DASHBOARD_PORT: port.default(8080),
  ORCHESTRATOR_PORT: port.default(3002),
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
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
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
  BODY_LIMIT_MB: z.coerce.number().positive().max(2048).default(100),
  PEER_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  SIM_TIME_SCALE: z.coerce.number().positive().default(1),
  SIMULATION: bool.prefault('false'),
  SIM_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  SIM_SEED: z.coerce.number().int().default(42),
  UPLINK_URL: url.optional(),
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: bool.prefault('false'),
  // Multiplies every webhook retry delay, Retry-After and the auto-disable window (tests: 0.001).
  WEBHOOK_RETRY_TIME_SCALE: z.coerce.number().positive().max(1).default(1),
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
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
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

function stripSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
