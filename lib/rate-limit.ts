// Rate limits shared by all five processes: fixed-window counters in the rate_limits table of
// marketplace.db, counted in one BEGIN IMMEDIATE transaction, so five processes cannot give an attacker
// five times the budget (an in-process store would). Windows end by themselves: no permanent lockout.
import { type Db, openDatabase, perConnection } from './db.ts';
import { AppError, serviceUnavailable, tooManyRequests } from './errors.ts';

export interface RateLimitRule {
  /** Namespace of the counter, e.g. "login-ip". */
  name: string;
  max: number;
  windowSeconds: number;
}

/**
 * The suite's budgets. Login follows OWASP/reliability-security.md §4: per user name (credential
 * stuffing spreads across IPs) and per IP. Keys are the client IP as the socket saw it (trustProxy off,
 * so X-Forwarded-For cannot reset a counter) and the lowercased user name.
 */
export const RATE_LIMITS = {
  loginPerUser: { name: 'login-user', max: 10, windowSeconds: 60 },
  /** Instead of loginPerUser from an address the user signed in from lately: strangers cannot spend its budget. */
  loginPerUserIp: { name: 'login-user-ip', max: 10, windowSeconds: 60 },
  loginPerIp: { name: 'login-ip', max: 100, windowSeconds: 60 },
  registerPerIp: { name: 'register-ip', max: 20, windowSeconds: 3600 },
  tokenCreatePerUser: { name: 'token-create-user', max: 30, windowSeconds: 3600 },
  tokenCreatePerIp: { name: 'token-create-ip', max: 60, windowSeconds: 3600 },
  /** Failed token/credential checks from one IP (registry clients, Basic auth guessing). */
  authFailurePerIp: { name: 'auth-fail-ip', max: 50, windowSeconds: 60 },
  passwordChangePerUser: { name: 'password-user', max: 10, windowSeconds: 3600 },
  /**
   * Webhook sends a user asks for (test ping, redeliver, recover): each makes the server POST to a URL of the user's
   * choosing (up to 1000 with recover) and stores an attempt, so without a budget an account could aim the server at
   * any host as fast as it can call.
   */
  webhookManualSendPerUser: { name: 'webhook-send-user', max: 30, windowSeconds: 60 },
} satisfies Record<string, RateLimitRule>;

export type RateLimitName = keyof typeof RATE_LIMITS;

export interface RateLimitResult {
  allowed: boolean;
  /** Requests left in this window after this one (0 when refused). */
  remaining: number;
  /** Seconds until the window ends (>= 1). */
  retryAfterSeconds: number;
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * A limiter over a read-write connection to marketplace.db. Other processes that only hold a read-only
 * identity connection pass openRateLimitDb(config.DATABASE_PATH).
 */
export function createRateLimiter(getDb: () => Db, now: () => number = Date.now) {
  let hitsSinceSweep = 0;
  const prepare = (db: Db) => ({
    get: db.prepare('SELECT window_start, count FROM rate_limits WHERE key = ?'),
    upsert: db.prepare(
      `INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET window_start = excluded.window_start, count = excluded.count`,
    ),
    // Counters whose window ended a day ago are dead: the longest window we use is an hour.
    sweep: db.prepare('DELETE FROM rate_limits WHERE window_start < ?'),
    del: db.prepare('DELETE FROM rate_limits WHERE key = ?'),
    db,
  });
  // Prepared again when getDb gives another connection (a restore reopens the database).
  const statementsOf = perConnection(prepare);
  const stmts = () => statementsOf(getDb());

  function count(rule: RateLimitRule, key: string, amount: number): RateLimitResult {
    try {
      return countIn(stmts(), rule, key, amount);
    } catch (err) {
      // Another process may start before the main API has created rate_limits: refuse honestly (503),
      // rather than fail open or answer 500.
      if (err instanceof Error && /no such table: rate_limits/.test(err.message))
        throw serviceUnavailable('rate limits are not available yet: the main API has not created its tables', 'RATE_LIMIT_UNAVAILABLE');
      throw err;
    }
  }

  function countIn(s: ReturnType<typeof prepare>, rule: RateLimitRule, key: string, amount: number): RateLimitResult {
    const t = now();
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = Math.floor(t / windowMs) * windowMs;
    const k = `${rule.name}:${key}`;
    const current = s.db
      .transaction(() => {
        const row = s.get.get(k) as { window_start: number; count: number } | undefined;
        const before = row && row.window_start === windowStart ? row.count : 0;
        const after = before + amount;
        // Once over the limit the counter stops growing: the refusal is the same, the row stays small.
        if (amount > 0 && before <= rule.max) s.upsert.run(k, windowStart, after);
        if (++hitsSinceSweep >= 500) {
          hitsSinceSweep = 0;
          s.sweep.run(t - 86_400_000);
        }
        return amount > 0 ? after : before;
      })
      .immediate();
    const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000));
    const allowed = amount > 0 ? current <= rule.max : current < rule.max;
    return { allowed, remaining: Math.max(0, rule.max - current), retryAfterSeconds };
  }

  return {
    /** Count one request against the rule and say whether it is within budget. */
    hit: (rule: RateLimitRule, key: string) => count(rule, key, 1),
    /** Whether one more request would be allowed, without counting it. */
    peek: (rule: RateLimitRule, key: string) => count(rule, key, 0),
    /**
     * Count one request against every (rule, key) pair; throw 429 with Retry-After (the longest wait) if
     * any is over. Every pair is counted even when an earlier one refuses, so no budget can be probed free.
     */
    enforce(pairs: [RateLimitRule, string][]): void {
      let wait = 0;
      for (const [rule, key] of pairs) {
        const r = count(rule, key, 1);
        if (!r.allowed) wait = Math.max(wait, r.retryAfterSeconds);
      }
      if (wait > 0) throw tooManyRequests(wait);
    },
    /** Throw 429 if the rule is already exhausted for key (counts nothing: use with hit on failure). */
    assertNotExhausted(rule: RateLimitRule, key: string): void {
      const r = count(rule, key, 0);
      if (!r.allowed) throw tooManyRequests(r.retryAfterSeconds);
    },
    reset(rule: RateLimitRule, key: string): void {
      stmts().del.run(`${rule.name}:${key}`);
    },
  };
}

/** Apply per-rule overrides (tests lower budgets; operators may raise them). */
export function withOverrides(overrides: Partial<Record<RateLimitName, Partial<RateLimitRule>>> = {}): typeof RATE_LIMITS {
  const out = { ...RATE_LIMITS };
  for (const [k, v] of Object.entries(overrides)) {
    const key = k as RateLimitName;
    out[key] = { ...RATE_LIMITS[key], ...v };
  }
  return out;
}

/**
 * A lazily opened read-write connection to marketplace.db for processes whose identity connection is
 * read-only. It only ever writes rate_limits (created by the main API's migration 001).
 */
export function openRateLimitDb(file: string): () => Db {
  let db: Db | undefined;
  return () => {
    if (!db?.open) db = openDatabase(file);
    return db;
  };
}

/** True for the 429 this module throws (for callers that want to add headers or audit it). */
export const isRateLimited = (err: unknown): err is AppError => err instanceof AppError && err.statusCode === 429;
