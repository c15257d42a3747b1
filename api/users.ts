// Rules for user accounts: name rules (npm's), password hashing, creation.
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import type { Role } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { conflict } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { createUsersRepo, type UserRow } from './users-repo.ts';

// npm user names: lowercase, URL-safe, no leading dot or dash, at most 214 characters (npm-user-validate).
export const UsernameSchema = z
  .string()
  .min(1)
  .max(214)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');
// Spaces around an address (a paste, a form's autofill) are no part of it: dropped, not refused as invalid.
export const EmailSchema = z.string().trim().max(254).email();
// bcrypt silently ignores bytes past 72, so longer passwords are refused rather than truncated.
export const PasswordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .refine((p) => Buffer.byteLength(p) <= 72, 'must be at most 72 bytes')
  .refine((p) => /\S/.test(p), 'must contain something besides spaces');

/**
 * Names nobody registers (npm adduser lands here too): the user's name is also a package scope (@name), and these
 * would pass for the registry, its operators or the npm project (npm reserves the same kind of names).
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'root',
  'system',
  'support',
  'security',
  'abuse',
  'postmaster',
  'webmaster',
  'npm',
  'npmjs',
  'node',
  'nodejs',
  'registry',
  'elide',
  'api',
  'internal',
  'anonymous',
  'null',
  'undefined',
]);
/** A name someone may register: the username rules, and not reserved. */
export const NewUsernameSchema = UsernameSchema.refine((u) => !RESERVED_USERNAMES.has(u), 'is reserved: choose another name');

export interface NewUser {
  username: string;
  email: string;
  password: string;
  role?: Role;
  planId?: string;
}

const orgNameTaken = (db: Db, name: string) => db.prepare('SELECT 1 FROM orgs WHERE name = ?').get(name) !== undefined;

export function hashPassword(password: string, cost: number): string {
  return bcrypt.hashSync(password, cost);
}

/** Create a user; 409 when the name or email is taken. Runs in one IMMEDIATE transaction. */
export function createUser(db: Db, clock: Clock, bcryptCost: number, input: NewUser): UserRow {
  const repo = createUsersRepo(db);
  const passwordHash = hashPassword(input.password, bcryptCost);
  return db
    .transaction(() => {
      if (repo.findByUsername(input.username)) throw conflict(`username "${input.username}" is already taken`, 'USERNAME_TAKEN');
      if (repo.findByEmail(input.email)) throw conflict('an account with this email already exists', 'EMAIL_TAKEN');
      // Every user owns the scope @username, so a name an org already holds is taken too.
      if (orgNameTaken(db, input.username)) throw conflict(`username "${input.username}" is already taken`, 'USERNAME_TAKEN');
      const row = {
        id: newId('user'),
        username: input.username,
        email: input.email,
        password_hash: passwordHash,
        role: input.role ?? 'user',
        plan_id: input.planId ?? 'free',
        created_at: new Date(clock.now()).toISOString(),
      };
      repo.insert(row);
      return repo.findById(row.id)!;
    })
    .immediate();
}
