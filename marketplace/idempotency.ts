// Idempotency-Key on mutating POSTs (reference §0): the first response is saved for 24 h per (caller, key,
// route) and replayed to retries; the same key with another body is refused. Runs inside the caller's
// IMMEDIATE transaction, so concurrent retries serialize and exactly one of them does the work.
import { createHash } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { AppError, badRequest } from '../lib/errors.ts';

const TTL_MS = 24 * 3600_000;
const KEY = /^[A-Za-z0-9._:-]{1,255}$/;

export interface SavedResponse {
  status: number;
  body: unknown;
  replayed?: boolean;
}

export function createIdempotency(db: Db, clock: Clock) {
  const get = db.prepare('SELECT * FROM mkt_idempotency WHERE principal_id = ? AND key = ? AND route = ?');
  const put = db.prepare(
    `INSERT OR REPLACE INTO mkt_idempotency (principal_id, key, route, body_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    /** Validate the header early (outside the transaction). */
    check(key: string | string[] | undefined): string | undefined {
      if (key === undefined) return undefined;
      if (typeof key !== 'string' || !KEY.test(key))
        throw badRequest('Idempotency-Key must be 1-255 characters of letters, digits and . _ : -', undefined, 'BAD_IDEMPOTENCY_KEY');
      return key;
    },
    /** Replay a saved response, or run fn and save what it returns. Call inside db.transaction(...).immediate(). */
    run(principalId: string, key: string | undefined, route: string, body: unknown, fn: () => SavedResponse): SavedResponse {
      if (!key) return fn();
      const hash = createHash('sha256')
        .update(JSON.stringify(body ?? null))
        .digest('hex');
      const row = get.get(principalId, key, route) as
        | { body_hash: string; status_code: number; response: string; created_at: string }
        | undefined;
      if (row && Date.parse(row.created_at) + TTL_MS > clock.now()) {
        if (row.body_hash !== hash)
          throw new AppError(
            422,
            'IDEMPOTENCY_KEY_MISMATCH',
            'this Idempotency-Key was already used with a different request body: use a new key',
          );
        return { status: row.status_code, body: JSON.parse(row.response), replayed: true };
      }
      const res = fn();
      put.run(principalId, key, route, hash, res.status, JSON.stringify(res.body), new Date(clock.now()).toISOString());
      return res;
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
