// SQL over service reviews: one per user per service, and the rating aggregates the catalog shows.
import type { Db } from '../lib/db.ts';
import { bumpCatalogInputs } from './catalog-inputs.ts';

export interface ReviewRow {
  service_id: string;
  user_id: string;
  username: string;
  rating: number;
  title: string;
  body: string;
  verified: number;
  created_at: string;
  updated_at: string;
}

export interface RatingStats {
  average: number | null;
  count: number;
  distribution: [number, number, number, number, number];
}

export type ReviewsRepo = ReturnType<typeof createReviewsRepo>;

// "verified" means the reviewer has run the service, whenever that happened: read from the deployments at each
// read, not frozen when the review was written (a review posted while the first deployment was still
// provisioning would stay unverified forever). The stored column keeps what was true at writing.
const READ_COLUMNS = `r.service_id, r.user_id, r.username, r.rating, r.title, r.body, r.created_at, r.updated_at,
  (r.verified = 1 OR EXISTS (SELECT 1 FROM mkt_deployments d WHERE d.owner_id = r.user_id AND d.service_id = r.service_id
    AND d.ever_running = 1)) AS verified`;

export function createReviewsRepo(db: Db) {
  const s = {
    upsert: db.prepare(`INSERT INTO mkt_reviews (service_id, user_id, username, rating, title, body, verified, created_at, updated_at)
      VALUES (@service_id, @user_id, @username, @rating, @title, @body, @verified, @at, @at)
      ON CONFLICT(service_id, user_id) DO UPDATE SET rating = excluded.rating, title = excluded.title, body = excluded.body,
      verified = excluded.verified, updated_at = excluded.updated_at`),
    get: db.prepare(`SELECT ${READ_COLUMNS} FROM mkt_reviews r WHERE service_id = ? AND user_id = ?`),
    list: db.prepare(`SELECT ${READ_COLUMNS} FROM mkt_reviews r WHERE service_id = ? ORDER BY updated_at DESC, user_id LIMIT ? OFFSET ?`),
    count: db.prepare('SELECT count(*) AS n FROM mkt_reviews WHERE service_id = ?'),
    remove: db.prepare('DELETE FROM mkt_reviews WHERE service_id = ? AND user_id = ?'),
    dist: db.prepare('SELECT service_id, rating, count(*) AS n FROM mkt_reviews GROUP BY service_id, rating'),
    hasDeployed: db.prepare('SELECT 1 FROM mkt_deployments WHERE owner_id = ? AND service_id = ? AND ever_running = 1 LIMIT 1'),
  };
  return {
    upsert: (r: Omit<ReviewRow, 'created_at' | 'updated_at'> & { at: string }) => {
      bumpCatalogInputs(db);
      return s.upsert.run(r);
    },
    get: (serviceId: string, userId: string) => s.get.get(serviceId, userId) as ReviewRow | undefined,
    list: (serviceId: string, limit: number, offset: number) => s.list.all(serviceId, limit, offset) as ReviewRow[],
    count: (serviceId: string) => (s.count.get(serviceId) as { n: number }).n,
    remove: (serviceId: string, userId: string) => {
      bumpCatalogInputs(db);
      return s.remove.run(serviceId, userId).changes > 0;
    },
    hasDeployed: (userId: string, serviceId: string) => s.hasDeployed.get(userId, serviceId) !== undefined,
    /** Rating stats of every service: average from the distribution, two decimals, null when unrated. */
    stats(): Map<string, RatingStats> {
      const out = new Map<string, RatingStats>();
      for (const r of s.dist.all() as { service_id: string; rating: number; n: number }[]) {
        const st = out.get(r.service_id) ?? { average: null, count: 0, distribution: [0, 0, 0, 0, 0] };
        st.distribution[r.rating - 1] += r.n;
        st.count += r.n;
        out.set(r.service_id, st);
      }
      for (const st of out.values()) {
        const sum = st.distribution.reduce((a, n, i) => a + n * (i + 1), 0);
        st.average = Math.round((sum / st.count) * 100) / 100;
      }
      return out;
    },
  };
}
