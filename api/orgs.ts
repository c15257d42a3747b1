// Rules for organizations (package scopes): who may create, see and manage them. Non-members get 404,
// never a hint that the org exists (DESIGN.md §6: no IDOR). Org admins manage members but not owners.
import { hasRole, type Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { conflict, forbidden, notFound } from '../lib/errors.ts';
import { ORG_ROLE_RANK, type OrgRole } from '../lib/identity.ts';
import { newId } from '../lib/ids.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import { createOrgsRepo, type OrgRow } from './orgs-repo.ts';
import { createUsersRepo } from './users-repo.ts';

export function createOrgService(db: Db, clock: Clock, audit: AuditLog) {
  const orgs = createOrgsRepo(db);
  const users = createUsersRepo(db);
  const nowIso = () => new Date(clock.now()).toISOString();
  const actorOf = (p: Principal, o: RequestOrigin) => ({ actorId: p.userId, actorUsername: p.username, ip: o.ip, userAgent: o.userAgent });
  const orgNotFound = (name: string) => notFound(`no organization "@${name}" that you belong to`, 'ORG_NOT_FOUND');

  /** The org and the caller's role in it; 404 for non-members (site admins see every org, as "admin"). */
  function visibleOrg(p: Principal, name: string): { org: OrgRow; role: OrgRole | undefined } {
    const org = orgs.findByName(name);
    if (!org) throw orgNotFound(name);
    const role = orgs.roleOf(org.id, p.userId);
    if (!role && !hasRole(p, 'admin')) throw orgNotFound(name);
    return { org, role };
  }

  /** The caller may manage members: an org owner or admin, or a site admin. */
  function manageable(p: Principal, name: string) {
    const v = visibleOrg(p, name);
    const rank = v.role ? ORG_ROLE_RANK[v.role] : -1;
    if (rank < ORG_ROLE_RANK.admin && !hasRole(p, 'admin'))
      throw forbidden(`only owners and admins of @${name} can manage its members`, 'ORG_ROLE_REQUIRED');
    // Site admins act with owner powers.
    const actingRank = hasRole(p, 'admin') ? ORG_ROLE_RANK.owner : rank;
    return { ...v, actingRank };
  }

  return {
    /** Create an org; the creator becomes its owner. A name already used by a user or org is refused. */
    create(p: Principal, name: string, origin: RequestOrigin) {
      return db
        .transaction(() => {
          if (orgs.findByName(name) || users.findByUsername(name))
            throw conflict(`the scope @${name} is already taken by a user or organization`, 'SCOPE_TAKEN');
          const creator = users.findById(p.userId)!;
          // An org starts on its creator's plan: private packages in @org follow the org's plan.
          const org: OrgRow = { id: newId('org'), name, plan_id: creator.plan_id, created_by: p.userId, created_at: nowIso() };
          orgs.insert(org);
          orgs.setMember(org.id, p.userId, 'owner', org.created_at);
          audit.record({ ...actorOf(p, origin), action: 'org.create', target: `@${name}` });
          return { ...org, role: 'owner' as OrgRole };
        })
        .immediate();
    },
    /**
     * Seed/internal: make sure the org exists with this owner and these members. Idempotent: existing
     * members keep their role. Returns what changed.
     */
    ensure(name: string, ownerUsername: string, members: { username: string; role: OrgRole }[]) {
      return db
        .transaction(() => {
          const changes: string[] = [];
          const owner = users.findByUsername(ownerUsername);
          if (!owner) throw notFound(`no user "${ownerUsername}"`, 'USER_NOT_FOUND');
          let org = orgs.findByName(name);
          if (!org) {
            if (users.findByUsername(name)) throw conflict(`the scope @${name} is already taken by a user`, 'SCOPE_TAKEN');
            org = { id: newId('org'), name, plan_id: owner.plan_id, created_by: owner.id, created_at: nowIso() };
            orgs.insert(org);
            orgs.setMember(org.id, owner.id, 'owner', org.created_at);
            audit.record({
              actorId: owner.id,
              actorUsername: owner.username,
              action: 'org.create',
              target: `@${name}`,
              details: { via: 'seed' },
            });
            changes.push(`created org @${name} owned by ${owner.username}`);
          }
          for (const m of members) {
            const u = users.findByUsername(m.username);
            if (!u) throw notFound(`no user "${m.username}"`, 'USER_NOT_FOUND');
            if (orgs.roleOf(org.id, u.id)) continue;
            orgs.setMember(org.id, u.id, m.role, nowIso());
            changes.push(`added ${u.username} to @${name} as ${m.role}`);
          }
          return { orgId: org.id, changes };
        })
        .immediate();
    },
    listMine: (p: Principal, limit: number, offset: number) => orgs.listForUser(p.userId, limit, offset),
    get(p: Principal, name: string) {
      const { org, role } = visibleOrg(p, name);
      return { org, role, memberCount: orgs.members(org.id, 1, 0).total };
    },
    members(p: Principal, name: string, limit: number, offset: number) {
      const { org } = visibleOrg(p, name);
      return orgs.members(org.id, limit, offset);
    },
    /** Add a member or change their role. Only owners (or site admins) grant or change the owner role. */
    setMember(p: Principal, name: string, username: string, role: OrgRole, origin: RequestOrigin) {
      return db
        .transaction(() => {
          const { org, actingRank } = manageable(p, name);
          const target = users.findByUsername(username);
          if (!target || target.disabled_at) throw notFound(`no user "${username}"`, 'USER_NOT_FOUND');
          const current = orgs.roleOf(org.id, target.id);
          if ((role === 'owner' || current === 'owner') && actingRank < ORG_ROLE_RANK.owner)
            throw forbidden(`only owners of @${name} can grant or change the owner role`, 'ORG_ROLE_REQUIRED');
          if (current === 'owner' && role !== 'owner' && orgs.ownerCount(org.id) === 1)
            throw conflict(`@${name} must keep at least one owner: make someone else owner first`, 'LAST_OWNER');
          orgs.setMember(org.id, target.id, role, nowIso());
          audit.record({
            ...actorOf(p, origin),
            action: 'org.member.set',
            target: `@${name}`,
            details: { username, role, previous: current ?? null },
          });
          return { username: target.username, role, created: current === undefined };
        })
        .immediate();
    },
    /** Remove a member; anyone may remove themselves (leave). The last owner cannot leave. */
    removeMember(p: Principal, name: string, username: string, origin: RequestOrigin) {
      return db
        .transaction(() => {
          const self = username === p.username;
          const { org, actingRank } = self ? { ...visibleOrg(p, name), actingRank: ORG_ROLE_RANK.owner } : manageable(p, name);
          const target = users.findByUsername(username);
          const current = target && orgs.roleOf(org.id, target.id);
          if (!target || !current) throw notFound(`"${username}" is not a member of @${name}`, 'MEMBER_NOT_FOUND');
          if (current === 'owner' && actingRank < ORG_ROLE_RANK.owner)
            throw forbidden(`only owners of @${name} can remove an owner`, 'ORG_ROLE_REQUIRED');
          if (current === 'owner' && orgs.ownerCount(org.id) === 1)
            throw conflict(`@${name} must keep at least one owner: make someone else owner first`, 'LAST_OWNER');
          orgs.removeMember(org.id, target.id);
          audit.record({
            ...actorOf(p, origin),
            action: self ? 'org.member.leave' : 'org.member.remove',
            target: `@${name}`,
            details: { username },
          });
        })
        .immediate();
    },
  };
}

export type OrgService = ReturnType<typeof createOrgService>;
