// Seed step for the marketplace (appended to scripts/seed-data.ts): the demo user's "production-db" from the
// seed README and a few reviews, through the same rules as a user's request. Idempotent.
import { systemClock } from '../lib/clock.ts';
import type { Config } from '../lib/config.ts';
import type { Secrets } from '../lib/secrets.ts';
import { buildMarketplace } from './app.ts';
import { openMarketplaceDatabase } from './db.ts';
import { createReviewsRepo } from './reviews-repo.ts';

interface UserRow {
  id: string;
  username: string;
  email: string;
  role: 'user' | 'publisher' | 'admin';
  plan_id: string;
}

const REVIEWS: [string, string, number, string][] = [
  ['demo', 'svc-postgres', 5, 'Backups and point-in-time restore just work'],
  ['admin', 'svc-postgres', 5, 'Solid managed Postgres'],
  ['admin', 'svc-redis', 4, 'Fast, wish eviction metrics were richer'],
  ['demo', 'svc-functions', 4, 'Quick cold starts'],
];

export async function seedMarketplace(ctx: { config: Config; secrets: Secrets; report: { changes: string[] } }) {
  const db = openMarketplaceDatabase(ctx.config.DATABASE_PATH);
  const m = await buildMarketplace({
    config: ctx.config,
    secrets: ctx.secrets,
    db,
    clock: systemClock,
    logger: 'silent',
    tickIntervalMs: 0,
  });
  try {
    const user = (name: string) =>
      db.prepare('SELECT id, username, email, role, plan_id FROM users WHERE username = ?').get(name) as UserRow | undefined;
    const demo = user('demo');
    if (demo && !m.repo.byOwnerName(demo.id, 'production-db')) {
      const principal = {
        userId: demo.id,
        username: demo.username,
        email: demo.email,
        role: demo.role,
        planId: demo.plan_id,
        tokenId: 'seed',
        tokenKind: 'api' as const,
        readonly: false,
      };
      m.deployments.create(principal, { serviceId: 'svc-postgres', name: 'production-db', config: { tier: 'pro', region: 'us-east-1' } });
      ctx.report.changes.push('deployed PostgreSQL Managed "production-db" (pro, us-east-1) for demo');
    }
    const reviews = createReviewsRepo(db);
    for (const [name, serviceId, rating, title] of REVIEWS) {
      const u = user(name);
      if (!u || reviews.get(serviceId, u.id)) continue;
      reviews.upsert({
        service_id: serviceId,
        user_id: u.id,
        username: u.username,
        rating,
        title,
        body: '',
        verified: reviews.hasDeployed(u.id, serviceId) ? 1 : 0,
        at: new Date().toISOString(),
      });
      ctx.report.changes.push(`reviewed ${serviceId} as ${name} (${rating} stars)`);
    }
  } finally {
    await m.app.close();
  }
}
