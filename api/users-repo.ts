// All SQL on users, as prepared statements.

import type { Role } from '../lib/auth.ts';
import type { Db } from '../lib/db.ts';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  role: Role;
  plan_id: string;
  disabled_at: string | null;
  token_version: number;
  created_at: string;
  updated_at: string;
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;

export function createUsersRepo(db: Db) {
  const insert = db.prepare(
    `INSERT INTO users (id, username, email, password_hash, role, plan_id, created_at, updated_at)
     VALUES (@id, @username, @email, @password_hash, @role, @plan_id, @created_at, @created_at)`,
  );
  const byUsername = db.prepare('SELECT * FROM users WHERE username = ?');
  const byEmail = db.prepare('SELECT * FROM users WHERE email = ?');
  const byId = db.prepare('SELECT * FROM users WHERE id = ?');
  // Changing the password voids every JWT issued before (token_version is a claim of each).
  const setPassword = db.prepare('UPDATE users SET password_hash = ?, token_version = token_version + 1, updated_at = ? WHERE id = ?');
  const setAdminFields = db.prepare(
    `UPDATE users SET role = @role, plan_id = @plan_id, disabled_at = @disabled_at,
       token_version = token_version + @bump, updated_at = @updated_at WHERE id = @id`,
  );
  // LIKE with an escape character, so "_" and "%" in a search are literal.
  const searchWhere = "WHERE (@q IS NULL OR username LIKE @q ESCAPE '\\' OR email LIKE @q ESCAPE '\\')";
  const search = db.prepare(`SELECT * FROM users ${searchWhere} ORDER BY username LIMIT @limit OFFSET @offset`);
  const searchCount = db.prepare(`SELECT count(*) AS n FROM users ${searchWhere}`);
  return {
    insert: (u: Pick<UserRow, 'id' | 'username' | 'email' | 'password_hash' | 'role' | 'plan_id' | 'created_at'>) => insert.run(u),
    findByUsername: (username: string) => byUsername.get(username) as UserRow | undefined,
    findByEmail: (email: string) => byEmail.get(email) as UserRow | undefined,
    findById: (id: string) => byId.get(id) as UserRow | undefined,
    setPassword: (id: string, passwordHash: string, at: string) => setPassword.run(passwordHash, at, id),
    setAdminFields: (u: Pick<UserRow, 'id' | 'role' | 'plan_id' | 'disabled_at'> & { bump: 0 | 1; updated_at: string }) =>
      setAdminFields.run(u),
    search(q: string | undefined, limit: number, offset: number) {
      const like = q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      return {
        users: search.all({ q: like, limit, offset }) as UserRow[],
        total: (searchCount.get({ q: like }) as { n: number }).n,
      };
    },
  };
}
