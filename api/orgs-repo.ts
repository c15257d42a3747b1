// All SQL on orgs and org_members, as prepared statements.
import type { Db } from '../lib/db.ts';
import type { OrgRole } from '../lib/identity.ts';

export interface OrgRow {
  id: string;
  name: string;
  plan_id: string;
  created_by: string;
  created_at: string;
}

export interface MemberRow {
  user_id: string;
  username: string;
  role: OrgRole;
  created_at: string;
}

export type OrgsRepo = ReturnType<typeof createOrgsRepo>;

export function createOrgsRepo(db: Db) {
  const insert = db.prepare(
    'INSERT INTO orgs (id, name, plan_id, created_by, created_at) VALUES (@id, @name, @plan_id, @created_by, @created_at)',
  );
  const byName = db.prepare('SELECT * FROM orgs WHERE name = ?');
  const mine = db.prepare(
    `SELECT o.*, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name LIMIT ? OFFSET ?`,
  );
  const mineCount = db.prepare('SELECT count(*) AS n FROM org_members WHERE user_id = ?');
  const members = db.prepare(
    `SELECT m.user_id, u.username, m.role, m.created_at FROM org_members m JOIN users u ON u.id = m.user_id
     WHERE m.org_id = ? ORDER BY u.username LIMIT ? OFFSET ?`,
  );
  const memberCount = db.prepare('SELECT count(*) AS n FROM org_members WHERE org_id = ?');
  const member = db.prepare('SELECT role FROM org_members WHERE org_id = ? AND user_id = ?');
  const ownerCount = db.prepare("SELECT count(*) AS n FROM org_members WHERE org_id = ? AND role = 'owner'");
  const upsertMember = db.prepare(
    `INSERT INTO org_members (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(org_id, user_id) DO UPDATE SET role = excluded.role`,
  );
  const removeMember = db.prepare('DELETE FROM org_members WHERE org_id = ? AND user_id = ?');
  return {
    insert: (o: OrgRow) => insert.run(o),
    findByName: (name: string) => byName.get(name) as OrgRow | undefined,
    listForUser: (userId: string, limit: number, offset: number) => ({
      orgs: mine.all(userId, limit, offset) as (OrgRow & { role: OrgRole })[],
      total: (mineCount.get(userId) as { n: number }).n,
    }),
    members: (orgId: string, limit: number, offset: number) => ({
      members: members.all(orgId, limit, offset) as MemberRow[],
      total: (memberCount.get(orgId) as { n: number }).n,
    }),
    roleOf: (orgId: string, userId: string) => (member.get(orgId, userId) as { role: OrgRole } | undefined)?.role,
    ownerCount: (orgId: string) => (ownerCount.get(orgId) as { n: number }).n,
    setMember: (orgId: string, userId: string, role: OrgRole, at: string) => upsertMember.run(orgId, userId, role, at),
    removeMember: (orgId: string, userId: string) => removeMember.run(orgId, userId).changes,
  };
}
