// All SQL on api_tokens (API tokens and login sessions), as prepared statements.
import type { Db } from '../lib/db.ts';

export interface TokenRow {
  id: string;
  user_id: string;
  kind: 'session' | 'api';
  name: string;
  token_hash: string;
  display_prefix: string;
  readonly: number;
  cidr_allow: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  created_ip: string | null;
  revoked_at: string | null;
}

/** The newest live login sessions a token list shows; API tokens are all listed. */
export const MAX_LISTED_SESSIONS = 400;

export type TokensRepo = ReturnType<typeof createTokensRepo>;

export function createTokensRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO api_tokens (id, user_id, kind, name, token_hash, display_prefix, readonly, cidr_allow, created_at, expires_at, created_ip)
     VALUES (@id, @user_id, @kind, @name, @token_hash, @display_prefix, @readonly, @cidr_allow, @created_at, @expires_at, @created_ip)`,
  );
  const live = `user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`;
  // Every live API token (at most MAX_API_TOKENS_PER_USER) and the newest login sessions: a user who logs in
  // often (a script per CI run) must not push their API tokens out of the list, where they could not be revoked.
  const listLive = db.prepare(
    `SELECT * FROM api_tokens WHERE ${live} AND (kind = 'api' OR id IN (
       SELECT id FROM api_tokens WHERE ${live} AND kind = 'session' ORDER BY created_at DESC, id LIMIT ${MAX_LISTED_SESSIONS}))
     ORDER BY created_at DESC, id`,
  );
  const countLive = db.prepare(`SELECT count(*) AS n FROM api_tokens WHERE ${live} AND kind = ?`);
  const byIdForUser = db.prepare('SELECT * FROM api_tokens WHERE id = ? AND user_id = ?');
  const revoke = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  // Sessions only: API tokens (CI, package managers) live until revoked or expired, like GitHub's personal
  // access tokens on a password change.
  const revokeOtherSessions = db.prepare(`UPDATE api_tokens SET revoked_at = ? WHERE ${live} AND kind = 'session' AND id != ?`);
  // Any login session, live or not: the address is what is asked about, not the session.
  const sessionFrom = db.prepare(
    "SELECT 1 FROM api_tokens WHERE user_id = ? AND kind = 'session' AND created_ip = ? AND created_at >= ? LIMIT 1",
  );
  const touch = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
  return {
    insert: (row: Omit<TokenRow, 'last_used_at' | 'revoked_at'>) => insert.run(row),
    listLive: (userId: string, nowIso: string) => listLive.all(userId, nowIso, userId, nowIso) as TokenRow[],
    countLive: (userId: string, nowIso: string, kind: 'api' | 'session') => (countLive.get(userId, nowIso, kind) as { n: number }).n,
    findForUser: (id: string, userId: string) => byIdForUser.get(id, userId) as TokenRow | undefined,
    revoke: (id: string, at: string) => revoke.run(at, id).changes,
    /** Revoke the user's live login sessions except `keepId`; the number revoked. */
    revokeOtherSessions: (userId: string, keepId: string, at: string) => revokeOtherSessions.run(at, userId, at, keepId).changes,
    /** Whether the user opened a login session from this address since `sinceIso` (registration counts). */
    sessionFrom: (userId: string, ip: string, sinceIso: string) => sessionFrom.get(userId, ip, sinceIso) !== undefined,
    /** Set last_used_at unless it is already at or after `at` (reports may arrive out of order). */
    touch: (id: string, at: string) => touch.run(at, id, at).changes,
  };
}
