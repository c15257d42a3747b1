// Rules for administrators managing accounts: search, role, plan, disable/enable. Disabling bumps the
// user's token_version, and every process checks disabled_at on each request, so it takes effect at once.
// Disabling also revokes the account's login sessions, so enabling it again does not sign back in whoever held
// them (API tokens stay, as on a password change: they are revoked one by one).
import type { Principal } from '../lib/auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../lib/db.ts';
import { conflict, notFound } from '../lib/errors.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import { createTokensRepo } from './tokens-repo.ts';
import { createUsersRepo, type UserRow } from './users-repo.ts';

export interface AdminUserPatch {
  role?: UserRow['role'];
  plan?: string;
  disabled?: boolean;
}

export function toAdminUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    role: u.role,
    plan: u.plan_id,
    disabled: u.disabled_at !== null,
    disabledAt: u.disabled_at,
    createdAt: u.created_at,
    updatedAt: u.updated_at,
  };
}

export function createAdminUserService(db: Db, clock: Clock, audit: AuditLog) {
  const users = createUsersRepo(db);
  const tokens = createTokensRepo(db);
  return {
    search(q: string | undefined, limit: number, offset: number) {
      const r = users.search(q, limit, offset);
      return { users: r.users.map(toAdminUser), total: r.total };
    },
    update(admin: Principal, userId: string, patch: AdminUserPatch, origin: RequestOrigin) {
      return db
        .transaction(() => {
          const u = users.findById(userId);
          if (!u) throw notFound(`no user with id "${userId}"`, 'USER_NOT_FOUND');
          // An admin cannot lock themselves out (and so the last admin cannot vanish by accident).
          if (u.id === admin.userId && ((patch.role && patch.role !== 'admin') || patch.disabled === true))
            throw conflict('you cannot remove your own admin access or disable yourself: ask another admin', 'SELF_LOCKOUT');
          const now = new Date(clock.now()).toISOString();
          const disabledAt = patch.disabled === undefined ? u.disabled_at : patch.disabled ? (u.disabled_at ?? now) : null;
          const next = { id: u.id, role: patch.role ?? u.role, plan_id: patch.plan ?? u.plan_id, disabled_at: disabledAt };
          const becameDisabled = u.disabled_at === null && disabledAt !== null;
          users.setAdminFields({ ...next, bump: becameDisabled ? 1 : 0, updated_at: now });
          const revokedSessions = becameDisabled ? tokens.revokeOtherSessions(u.id, '', now) : 0;
          const changes: Record<string, unknown> = {};
          if (next.role !== u.role) changes.role = { from: u.role, to: next.role };
          if (next.plan_id !== u.plan_id) changes.plan = { from: u.plan_id, to: next.plan_id };
          if ((u.disabled_at === null) !== (disabledAt === null))
            changes.disabled = { from: u.disabled_at !== null, to: disabledAt !== null };
          if (revokedSessions > 0) changes.revokedSessions = revokedSessions;
          if (Object.keys(changes).length > 0)
            audit.record({
              actorId: admin.userId,
              actorUsername: admin.username,
              action: 'admin.user.update',
              target: u.username,
              ...origin,
              details: changes,
            });
          return toAdminUser(users.findById(u.id)!);
        })
        .immediate();
    },
  };
}
