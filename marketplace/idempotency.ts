// Idempotency-Key on mutating POSTs (reference §0): the first response is saved for 24 h per (caller, key,
// route) and replayed to retries; the same key with another request (body or query string) is refused. Runs
// inside the caller's IMMEDIATE transaction, so concurrent retries serialize and exactly one of them does the work.
// A saved response can hold secrets (a create answers the new deployment's password), so it is sealed with the
// credentials cipher, bound to its row: the database never holds it in clear, and a replay is the same answer.
import { createHash } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { AppError, badRequest } from '../lib/errors.ts';
import type { CredentialCipher } from './credentials.ts';

const TTL_MS = 24 * 3600_000;
const KEY = /^[A-Za-z0-9._:-]{1,255}$/;

export interface SavedResponse {
  status: number;
  body: unknown;
  replayed?: boolean;
}

/** What a saved response is sealed to: its own row, so a response copied onto another row does not open. */
const sealContext = (principalId: string, key: string, route: string) => `idempotency:${principalId}:${route}:${key}`;

export function createIdempotency(db: Db, clock: Clock, cipher: CredentialCipher) {
  const get = db.prepare('SELECT * FROM mkt_idempotency WHERE principal_id = ? AND key = ? AND route = ?');
  // Bounded, so a save never pays for a backlog at once; saves outnumber the rows that expire between them.
  const prune = db.prepare(
    'DELETE FROM mkt_idempotency WHERE rowid IN (SELECT rowid FROM mkt_idempotency WHERE created_at < ? ORDER BY created_at LIMIT 100)',
  );
  const put = db.prepare(
    `INSERT OR REPLACE INTO mkt_idempotency (principal_id, key, route, body_hash, status_code, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  function opened(context: string, response: string): { body: unknown } | undefined {
    try {
      return cipher.open<{ body: unknown }>(context, response);
    } catch {
      return undefined;
    }
  }
  return {
    /** Validate the header early (outside the transaction). */
    check(key: string | string[] | undefined): string | undefined {
      if (key === undefined) return undefined;
      if (typeof key !== 'string' || !KEY.test(key))
        throw badRequest('Idempotency-Key must be 1-255 characters of letters, digits and . _ : -', undefined, 'BAD_IDEMPOTENCY_KEY');
      return key;
    },
    /**
     * Replay a saved response, or run fn and save what it returns. Call inside db.transaction(...).immediate().
     * `query` is the raw query string (after "?"), part of the request the key is bound to like the body.
     */
    run(principalId: string, key: string | undefined, route: string, body: unknown, fn: () => SavedResponse, query = ''): SavedResponse {
      if (!key) return fn();
      // Without a query string the hash is the body's alone, as before the query counted: saved keys still match.
      const hash = createHash('sha256')
        .update(JSON.stringify(query ? { query, body: body ?? null } : (body ?? null)))
        .digest('hex');
      const row = get.get(principalId, key, route) as
        | { body_hash: string; status_code: number; response: string; created_at: string }
        | undefined;
      const context = sealContext(principalId, key, route);
      if (row && Date.parse(row.created_at) + TTL_MS > clock.now()) {
        if (row.body_hash !== hash)
          throw new AppError(
            422,
            'IDEMPOTENCY_KEY_MISMATCH',
            'this Idempotency-Key was already used with a different request (body or query string): use a new key',
          );
        const saved = opened(context, row.response);
        // A row that does not open (plain JSON written before responses were sealed; migration 005 deletes those)
        // counts as expired: the request runs and its sealed answer replaces the row.
        if (saved !== undefined) return { status: row.status_code, body: saved.body, replayed: true };
      }
      const res = fn();
      put.run(principalId, key, route, hash, res.status, cipher.seal(context, { body: res.body }), new Date(clock.now()).toISOString());
      prune.run(new Date(clock.now() - TTL_MS).toISOString());
      return res;
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
