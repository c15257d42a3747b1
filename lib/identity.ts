// Identity reads every process needs on its hot path (users, orgs, memberships, plans) and the plan-limit
// refusal they all answer with. Reads only: the main API is the one writer of these tables (DESIGN.md §3).
import type { Role } from './auth.ts';
import { type Db, perConnection } from './db.ts';
import { type AppError, forbidden } from './errors.ts';

export type OrgRole = 'owner' | 'admin' | 'member';
export const ORG_ROLE_RANK: Record<OrgRole, number> = { member: 0, admin: 1, owner: 2 };

export interface IdentityUser {
  id: string;
  username: string;
  email: string;
  role: Role;
  planId: string;
  disabled: boolean;
  /** When the account was created and last changed (npm profile get shows both). */
  createdAt: string;
  updatedAt: string;
}

export interface IdentityOrg {
  id: string;
  name: string;
  planId: string;
  createdBy: string;
  createdAt: string;
}

export interface PlanInfo {
  id: 'free' | 'team' | 'enterprise' | string;
  name: string;
  /** Monthly price in cents; null = custom pricing (Enterprise). */
  priceCents: number | null;
  /** null = unlimited. */
  maxActiveDeployments: number | null;
  privatePackages: boolean;
  webhooks: boolean;
}

/** The limits a plan sets, by the names used in errors, docs and GET /api/auth/me. */
export type LimitName = 'activeDeployments' | 'webhooks' | 'privatePackages';

interface UserRow {
  id: string;
  username: string;
  email: string;
  role: Role;
  plan_id: string;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}
interface OrgRow {
  id: string;
  name: string;
  plan_id: string;
  created_by: string;
  created_at: string;
}
interface PlanRow {
  id: string;
  name: string;
  price_cents: number | null;
  max_active_deployments: number | null;
  private_packages: number;
  webhooks: number;
}

const toUser = (r: UserRow | undefined): IdentityUser | undefined =>
  r && {
    id: r.id,
    username: r.username,
    email: r.email,
    role: r.role,
    planId: r.plan_id,
    disabled: r.disabled_at !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
const toOrg = (r: OrgRow | undefined): IdentityOrg | undefined =>
  r && { id: r.id, name: r.name, planId: r.plan_id, createdBy: r.created_by, createdAt: r.created_at };
export const toPlan = (r: PlanRow): PlanInfo => ({
  id: r.id,
  name: r.name,
  priceCents: r.price_cents,
  maxActiveDeployments: r.max_active_deployments,
  privatePackages: r.private_packages === 1,
  webhooks: r.webhooks === 1,
});

export type IdentityReader = ReturnType<typeof createIdentityReader>;

/**
 * Reads over the identity tables. getDb may be a lazily opened read-only connection (other processes) or
 * the main API's own; statements are re-prepared when the connection changes. Throws if the tables do not
 * exist yet (the main API has not started): callers answer 503 or treat it as "not found" as suits them.
 */
export function createIdentityReader(getDb: () => Db) {
  const prepare = (db: Db) => ({
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    orgByName: db.prepare('SELECT * FROM orgs WHERE name = ?'),
    orgRole: db.prepare(
      'SELECT m.role FROM org_members m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id WHERE o.name = ? AND m.user_id = ? AND u.disabled_at IS NULL',
    ),
    orgsOf: db.prepare(
      'SELECT o.name, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name LIMIT 1000',
    ),
    plan: db.prepare('SELECT * FROM plans WHERE id = ?'),
    plans: db.prepare('SELECT * FROM plans ORDER BY COALESCE(price_cents, 1e12)'),
    planOfUser: db.prepare('SELECT p.* FROM plans p JOIN users u ON u.plan_id = p.id WHERE u.id = ?'),
    planOfOrg: db.prepare('SELECT p.* FROM plans p JOIN orgs o ON o.plan_id = p.id WHERE o.name = ?'),
  });
  // Prepared again when getDb gives another connection (a restore reopens the database).
  const statementsOf = perConnection(prepare);
  const st = () => statementsOf(getDb());
  return {
    userByName: (username: string) => toUser(st().userByName.get(username) as UserRow | undefined),
    userById: (id: string) => toUser(st().userById.get(id) as UserRow | undefined),
    orgByName: (name: string) => toOrg(st().orgByName.get(name) as OrgRow | undefined),
    /** The user's role in the org, or undefined when not a member (or disabled). */
    orgRole: (orgName: string, userId: string) => (st().orgRole.get(orgName, userId) as { role: OrgRole } | undefined)?.role,
    orgsOf: (userId: string) => st().orgsOf.all(userId) as { name: string; role: OrgRole }[],
    plan: (planId: string) => {
      const r = st().plan.get(planId) as PlanRow | undefined;
      return r && toPlan(r);
    },
    plans: () => (st().plans.all() as PlanRow[]).map(toPlan),
    /** The user's plan; undefined when the user does not exist. */
    planOf: (userId: string) => {
      const r = st().planOfUser.get(userId) as PlanRow | undefined;
      return r && toPlan(r);
    },
    /** An org's plan (private packages in an org scope follow the org's plan). */
    planOfOrg: (orgName: string) => {
      const r = st().planOfOrg.get(orgName) as PlanRow | undefined;
      return r && toPlan(r);
    },
    /**
     * Who owns a package scope ("@acme" or "acme"): every user owns @username, every org its @name.
     * undefined = nobody yet.
     */
    scopeOwner(scope: string): { kind: 'user'; user: IdentityUser } | { kind: 'org'; org: IdentityOrg } | undefined {
      const name = scope.replace(/^@/, '');
      const org = toOrg(st().orgByName.get(name) as OrgRow | undefined);
      if (org) return { kind: 'org', org };
      const user = toUser(st().userByName.get(name) as UserRow | undefined);
      return user ? { kind: 'user', user } : undefined;
    },
    /**
     * May this user publish into the scope? Their own @username, or an org where they are a member
     * (any role: npm lets every org member publish; owners/admins manage membership).
     */
    canPublishToScope(scope: string, userId: string): boolean {
      const name = scope.replace(/^@/, '');
      const org = st().orgByName.get(name) as OrgRow | undefined;
      if (org) return (st().orgRole.get(name, userId) as { role: OrgRole } | undefined) !== undefined;
      const user = st().userByName.get(name) as UserRow | undefined;
      return !!user && user.id === userId;
    },
  };
}

// The cheapest plan that lifts each limit, for the error sentence.
const LIFTED_BY: Record<LimitName, { plan: string; what: string }> = {
  activeDeployments: { plan: 'Team', what: 'up to 10 active deployments (Enterprise: unlimited)' },
  webhooks: { plan: 'Team', what: 'webhooks' },
  privatePackages: { plan: 'Team', what: 'private packages' },
};

/**
 * The 403 every process answers when an action would go over the caller's plan. It names the limit and
 * the plan that lifts it. For activeDeployments on Team, the lifting plan is Enterprise.
 */
export function planLimitError(limit: LimitName, plan: PlanInfo, current?: number): AppError {
  const upgradeTo = limit === 'activeDeployments' && plan.id === 'team' ? 'Enterprise' : LIFTED_BY[limit].plan;
  let sentence: string;
  if (limit === 'activeDeployments') {
    const max = plan.maxActiveDeployments;
    // A stopped deployment keeps its slot (marketplace countActive counts all but failed and deleted ones).
    sentence = `your ${plan.name} plan allows ${max} active deployment${max === 1 ? '' : 's'} (stopped ones count until deleted): delete one or upgrade to ${upgradeTo} for ${
      upgradeTo === 'Enterprise' ? 'unlimited deployments' : LIFTED_BY.activeDeployments.what
    }`;
  } else {
    sentence = `your ${plan.name} plan does not include ${LIFTED_BY[limit].what}: upgrade to ${upgradeTo} to use them`;
  }
  return forbidden(sentence, 'PLAN_LIMIT_EXCEEDED', {
    limit,
    plan: plan.id,
    max: limit === 'activeDeployments' ? plan.maxActiveDeployments : limit === 'webhooks' ? plan.webhooks : plan.privatePackages,
    current,
    upgradeTo: upgradeTo.toLowerCase(),
  });
}

/** True when the plan allows one more of `limit` given `current` in use (boolean limits ignore current). */
export function planAllows(plan: PlanInfo, limit: LimitName, current = 0): boolean {
  if (limit === 'webhooks') return plan.webhooks;
  if (limit === 'privatePackages') return plan.privatePackages;
  return plan.maxActiveDeployments === null || current < plan.maxActiveDeployments;
}

/** Throw planLimitError unless the plan allows one more. Call it inside the creating transaction. */
export function assertPlanAllows(plan: PlanInfo, limit: LimitName, current = 0): void {
  if (!planAllows(plan, limit, current)) throw planLimitError(limit, plan, current);
}
