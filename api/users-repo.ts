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
  return {
    insert: (u: Pick<UserRow, 'id' | 'username' | 'email' | 'password_hash' | 'role' | 'plan_id' | 'created_at'>) => insert.run(u),
    findByUsername: (username: string) => byUsername.get(username) as UserRow | undefined,
    findByEmail: (email: string) => byEmail.get(email) as UserRow | undefined,
    findById: (id: string) => byId.get(id) as UserRow | undefined,
  };
}
