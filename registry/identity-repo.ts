// Read-only identity lookups the registry needs on its hot path (users, org membership, plans), over the
// main API's tables in marketplace.db (DESIGN.md section 3: every process may read identity directly).
// The tables may not exist yet when the main API has not started: lookups then answer "unknown".
import { type Db, perConnection } from '../lib/db.ts';

export interface IdentityLookups {
  userByName(username: string): { id: string; username: string; email: string; role: string } | undefined;
  /** An enabled user by e-mail address (case-insensitive, as the column is): `gem owner -a` names owners so. */
  userByEmail(email: string): { id: string; username: string; email: string; role: string } | undefined;
  /** The user's role in an org, undefined when not a member or no such org. */
  orgRole(org: string, userId: string): string | undefined;
  orgExists(org: string): boolean;
  /** Whether private packages are allowed for an owner: the org's plan for an org scope, else the user's. */
  privatePackagesAllowed(scope: string | undefined, userId: string): boolean;
  orgsOf(userId: string): { name: string; role: string }[];
  orgMembers(org: string): { username: string; role: string }[];
}

export function createIdentityLookups(getDb: () => Db): IdentityLookups {
  const prepare = (db: Db) => ({
    user: db.prepare('SELECT id, username, email, role FROM users WHERE username = ? AND disabled_at IS NULL'),
    userByEmail: db.prepare('SELECT id, username, email, role FROM users WHERE email = ? AND disabled_at IS NULL'),
    orgRole: db.prepare('SELECT m.role FROM org_members m JOIN orgs o ON o.id = m.org_id WHERE o.name = ? AND m.user_id = ?'),
    org: db.prepare('SELECT 1 FROM orgs WHERE name = ?'),
    orgPlan: db.prepare('SELECT p.private_packages FROM orgs o JOIN plans p ON p.id = o.plan_id WHERE o.name = ?'),
    userPlan: db.prepare('SELECT p.private_packages FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = ?'),
    orgMembers: db.prepare(
      'SELECT u.username, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id WHERE o.name = ? ORDER BY u.username LIMIT 1000',
    ),
    orgsOf: db.prepare(
      'SELECT o.name, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name LIMIT 1000',
    ),
  });
  // Prepared again when getDb gives another connection (a restore reopens the database).
  const statementsOf = perConnection(prepare);
  const st = () => statementsOf(getDb());
  const safe = <T>(f: () => T, fallback: T): T => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  return {
    userByName: (username) =>
      safe(() => st().user.get(username) as { id: string; username: string; email: string; role: string } | undefined, undefined),
    userByEmail: (email) =>
      safe(() => st().userByEmail.get(email) as { id: string; username: string; email: string; role: string } | undefined, undefined),
    orgRole: (org, userId) => safe(() => (st().orgRole.get(org, userId) as { role: string } | undefined)?.role, undefined),
    orgExists: (org) => safe(() => st().org.get(org) !== undefined, false),
    privatePackagesAllowed: (scope, userId) =>
      safe(() => {
        const row = (scope && st().orgPlan.get(scope)) || st().userPlan.get(userId);
        return (row as { private_packages: number } | undefined)?.private_packages === 1;
      }, false),
    orgMembers: (org) => safe(() => st().orgMembers.all(org) as { username: string; role: string }[], []),
    orgsOf: (userId) => safe(() => st().orgsOf.all(userId) as { name: string; role: string }[], []),
  };
}
