// A marketplace built in-process for unit tests: in-memory marketplace.db with the identity tables, a manual
// clock, no ticker (tests call tick) and users with API tokens inserted directly.
import { fileURLToPath } from 'node:url';
import { createManualClock } from '../../lib/clock.ts';
import { loadMigrations, openDatabase, runMigrations } from '../../lib/db.ts';
import { generateApiToken, hashToken } from '../../lib/tokens.ts';
import { buildMarketplace, type MarketplaceDeps } from '../../marketplace/app.ts';
import { testConfig, testSecrets } from './config.ts';

const dir = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/** `deps` adds peers a test stands in for (the orchestrator's metric series). */
export async function marketplaceFixture(env: Record<string, string> = {}, deps: Pick<MarketplaceDeps, 'metricsSource'> = {}) {
  const clock = createManualClock(T0);
  const db = openDatabase(':memory:');
  runMigrations(db, 'api', loadMigrations(dir('api/migrations')));
  runMigrations(db, 'marketplace', loadMigrations(dir('marketplace/migrations')));
  const config = testConfig({ SIM_TIME_SCALE: '1', ...env });
  const m = await buildMarketplace({ config, secrets: testSecrets, db, clock, logger: 'silent', tickIntervalMs: 0, ...deps });
  let n = 0;

  /** A user with an API token; returns the Authorization header value and the id. */
  function user(plan: 'free' | 'team' | 'enterprise' = 'team', role: 'user' | 'publisher' | 'admin' = 'user') {
    n++;
    const id = `user-${n}`;
    const at = new Date(clock.now()).toISOString();
    db.prepare(
      'INSERT INTO users (id, username, email, password_hash, role, plan_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(id, `user${n}`, `user${n}@example.test`, 'x', role, plan, at, at);
    const token = generateApiToken();
    db.prepare('INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      `tok-${n}`,
      id,
      'api',
      'test',
      hashToken(token),
      token.slice(0, 8),
      at,
    );
    return { id, auth: { authorization: `Bearer ${token}` } };
  }

  /** Move time forward and apply every due step. */
  function advance(ms: number) {
    clock.advance(ms);
    return m.engine.tick();
  }

  const outboxRows = (where: string) =>
    (db.prepare(`SELECT payload FROM marketplace_outbox ${where} ORDER BY created_at, rowid`).all() as { payload: string }[]).map(
      (r) => JSON.parse(r.payload) as { type: string; ownerId: string; subject: string; data: Record<string, unknown> },
    );
  /** The events in the outbox (the audit entries that travel beside them are in auditEntries). */
  const outbox = () => outboxRows("WHERE type != 'audit.entry'");
  const auditEntries = () => outboxRows("WHERE type = 'audit.entry'").map((e) => e.data);

  return { ...m, db, clock, config, user, advance, outbox, auditEntries };
}

export type MarketplaceFixture = Awaited<ReturnType<typeof marketplaceFixture>>;
