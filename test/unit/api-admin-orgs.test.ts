// Admin user management, organizations (members, roles, IDOR), the audit log, and plan limits.
import { afterEach, describe, expect, it } from 'vitest';
import { createIdentityReader, planLimitError } from '../../lib/identity.ts';
import { testSecrets } from '../helpers/config.ts';
import { type AuthFixture, buildAuthApp } from './api-auth-fixture.ts';

let f: AuthFixture;
afterEach(async () => f?.app.close());

describe('admin: /api/admin/users', () => {
  it('401 anonymous, 403 for a non-admin, 200 with search and paging for an admin', async () => {
    f = await buildAuthApp();
    const admin = await f.ensureUser('root', 'admin', 'enterprise');
    const u = await f.register('alice');
    await f.register('alicia');
    await f.register('bob');
    expect((await f.get('/api/admin/users')).statusCode).toBe(401);
    const denied = await f.get('/api/admin/users', u.token);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({ error: 'this action needs the admin role', code: 'ROLE_REQUIRED' });
    const res = await f.get('/api/admin/users?q=ali&limit=1&offset=1', admin.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      total: 2,
      limit: 1,
      offset: 1,
      users: [{ username: 'alicia', role: 'user', plan: 'free', disabled: false }],
    });
    // LIKE wildcards in the search are literal.
    expect((await f.get('/api/admin/users?q=%25', admin.token)).json().total).toBe(0);
    expect((await f.get('/api/admin/users?limit=1000', admin.token)).statusCode).toBe(400);
    expect((await f.get('/api/admin/users?offset=-1', admin.token)).statusCode).toBe(400);
  });

  it("PATCH changes role and plan (audited); disabling refuses the user's tokens at once and ends the login sessions", async () => {
    f = await buildAuthApp();
    const admin = await f.ensureUser('root', 'admin', 'enterprise');
    const u = await f.register('carl');
    const res = await f.send('PATCH', `/api/admin/users/${u.userId}`, admin.token, { role: 'publisher', plan: 'team' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: u.userId, username: 'carl', role: 'publisher', plan: 'team', disabled: false });
    expect((await f.get('/api/auth/me', u.token)).json()).toMatchObject({
      role: 'publisher',
      plan: { id: 'team', maxActiveDeployments: 10 },
    });

    const ci = (await f.send('POST', '/api/auth/tokens', u.token, { name: 'ci' })).json().token as string;
    const off = await f.send('PATCH', `/api/admin/users/${u.userId}`, admin.token, { disabled: true });
    expect(off.json()).toMatchObject({ disabled: true, disabledAt: '2026-01-01T00:00:00.000Z' });
    expect((await f.get('/api/auth/me', u.token)).statusCode).toBe(401);
    const login = await f.send('POST', '/api/auth/login', undefined, { username: 'carl', password: 'carl-password' });
    expect(login.statusCode).toBe(403);
    expect(login.json()).toEqual({ error: 'this account is disabled: contact an administrator', code: 'ACCOUNT_DISABLED' });

    expect((await f.get('/api/auth/me', ci)).statusCode).toBe(401);

    await f.send('PATCH', `/api/admin/users/${u.userId}`, admin.token, { disabled: false });
    // Enabling again does not sign back in whoever held the old login session; the owner logs in afresh.
    expect((await f.get('/api/auth/me', u.token)).statusCode).toBe(401);
    const again = await f.send('POST', '/api/auth/login', undefined, { username: 'carl', password: 'carl-password' });
    expect((await f.get('/api/auth/me', again.json().token)).statusCode).toBe(200);
    // API tokens stay, as on a password change: they are revoked one by one, so CI does not break.
    expect((await f.get('/api/auth/me', ci)).statusCode).toBe(200);
    const audit = f.db.prepare("SELECT target, details FROM audit_log WHERE action = 'admin.user.update' ORDER BY id").all();
    expect(audit).toEqual([
      { target: 'carl', details: JSON.stringify({ role: { from: 'user', to: 'publisher' }, plan: { from: 'free', to: 'team' } }) },
      { target: 'carl', details: JSON.stringify({ disabled: { from: false, to: true }, revokedSessions: 1 }) },
      { target: 'carl', details: JSON.stringify({ disabled: { from: true, to: false } }) },
    ]);
  });

  it('a demoted admin loses admin access on the next request', async () => {
    f = await buildAuthApp();
    const a1 = await f.ensureUser('root', 'admin');
    const a2 = await f.ensureUser('root2', 'admin');
    expect((await f.get('/api/admin/users', a2.token)).statusCode).toBe(200);
    await f.send('PATCH', `/api/admin/users/${a2.userId}`, a1.token, { role: 'user' });
    expect((await f.get('/api/admin/users', a2.token)).statusCode).toBe(403);
  });

  it('404 unknown user, 409 self-lockout, 400 empty or invalid patch, 403 for a non-admin', async () => {
    f = await buildAuthApp();
    const admin = await f.ensureUser('root', 'admin');
    const u = await f.register('dina');
    const missing = await f.send('PATCH', '/api/admin/users/user-nope', admin.token, { role: 'admin' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'no user with id "user-nope"', code: 'USER_NOT_FOUND' });
    const self = await f.send('PATCH', `/api/admin/users/${admin.userId}`, admin.token, { disabled: true });
    expect(self.statusCode).toBe(409);
    expect(self.json().code).toBe('SELF_LOCKOUT');
    expect((await f.send('PATCH', `/api/admin/users/${u.userId}`, admin.token, {})).statusCode).toBe(400);
    expect((await f.send('PATCH', `/api/admin/users/${u.userId}`, admin.token, { role: 'superuser' })).statusCode).toBe(400);
    expect((await f.send('PATCH', `/api/admin/users/${u.userId}`, u.token, { role: 'admin' })).statusCode).toBe(403);
    const ro = (await f.send('POST', '/api/auth/tokens', admin.token, { name: 'ro', readonly: true })).json().token;
    expect((await f.get('/api/admin/users', ro)).statusCode).toBe(200);
    expect((await f.send('PATCH', `/api/admin/users/${u.userId}`, ro, { role: 'admin' })).json().code).toBe('TOKEN_READONLY');
    expect((await f.get('/api/auth/me', u.token)).json().role).toBe('user');
  });
});

describe('organizations: /api/orgs', () => {
  it('create: 201 with the creator as owner; 409 for a taken scope (org or user name); 400 for a bad name', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    await f.register('ben');
    const res = await f.send('POST', '/api/orgs', a.token, { name: 'acme' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.stringMatching(/^org-/),
      name: 'acme',
      plan: 'free',
      role: 'owner',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    for (const name of ['acme', 'ben', 'ann']) {
      const dup = await f.send('POST', '/api/orgs', a.token, { name });
      expect(dup.statusCode).toBe(409);
      expect(dup.json()).toEqual({ error: `the scope @${name} is already taken by a user or organization`, code: 'SCOPE_TAKEN' });
    }
    expect((await f.send('POST', '/api/orgs', a.token, { name: 'Bad Name' })).statusCode).toBe(400);
    expect((await f.send('POST', '/api/orgs', undefined, { name: 'other' })).statusCode).toBe(401);
    const mine = await f.get('/api/orgs', a.token);
    expect(mine.json()).toEqual({ orgs: [expect.objectContaining({ name: 'acme', role: 'owner' })], total: 1, limit: 20, offset: 0 });
  });

  it('IDOR: a non-member gets 404 for the org, its members, and every change; nothing changes', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    const b = await f.register('ben');
    await f.send('POST', '/api/orgs', a.token, { name: 'acme' });
    const notFound = { error: 'no organization "@acme" that you belong to', code: 'ORG_NOT_FOUND' };
    for (const res of [
      await f.get('/api/orgs/acme', b.token),
      await f.get('/api/orgs/acme/members', b.token),
      await f.send('PUT', '/api/orgs/acme/members/ben', b.token, { role: 'owner' }),
      await f.send('DELETE', '/api/orgs/acme/members/ann', b.token),
      await f.get('/api/orgs/nothere', b.token),
    ]) {
      expect(res.statusCode).toBe(404);
      if (!res.body.includes('nothere')) expect(res.json()).toEqual(notFound);
    }
    expect((await f.get('/api/orgs', b.token)).json().total).toBe(0);
    expect((await f.get('/api/orgs/acme/members', a.token)).json().members).toEqual([
      { username: 'ann', role: 'owner', joinedAt: expect.any(String) },
    ]);
  });

  it('an org name in a path ignores case, as on GitHub; a new org name must be lowercase', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    const b = await f.register('ben');
    await f.send('POST', '/api/orgs', a.token, { name: 'acme' });
    expect((await f.get('/api/orgs/ACME', a.token)).json()).toMatchObject({ name: 'acme', role: 'owner' });
    expect((await f.send('PUT', '/api/orgs/Acme/members/BEN', a.token)).statusCode).toBe(200);
    expect(
      (await f.get('/api/orgs/ACME/members', b.token))
        .json()
        .members.map((m: { username: string }) => m.username)
        .sort(),
    ).toEqual(['ann', 'ben']);
    const upper = await f.send('POST', '/api/orgs', a.token, { name: 'Umbrella' });
    expect(upper.statusCode).toBe(400);
    expect(upper.json().code).toBe('VALIDATION_FAILED');
  });

  it('PUT a member with no body at all adds them as a member (the body is optional, as on GitHub)', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    await f.register('ben');
    await f.send('POST', '/api/orgs', a.token, { name: 'acme' });
    const bare = await f.send('PUT', '/api/orgs/acme/members/ben', a.token);
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toEqual({ username: 'ben', role: 'member', created: true });
    expect((await f.send('PUT', '/api/orgs/acme/members/ben', a.token, { role: 'boss' })).statusCode).toBe(400);
  });

  it('members: owners add and change roles; org admins manage members but not owners; the last owner stays', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    const b = await f.register('ben');
    const c = await f.register('cat');
    await f.send('POST', '/api/orgs', a.token, { name: 'acme' });
    // A username in another case names the same account (usernames are lowercase).
    const added = await f.send('PUT', '/api/orgs/acme/members/Ben', a.token, {});
    expect(added.statusCode).toBe(200);
    expect(added.json()).toEqual({ username: 'ben', role: 'member', created: true });
    // A member sees the org but cannot manage it.
    expect((await f.get('/api/orgs/acme', b.token)).json()).toMatchObject({ name: 'acme', role: 'member', memberCount: 2 });
    const refused = await f.send('PUT', '/api/orgs/acme/members/cat', b.token, { role: 'member' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: 'only owners and admins of @acme can manage its members', code: 'ORG_ROLE_REQUIRED' });
    // An org admin adds members but cannot create owners or remove one.
    expect((await f.send('PUT', '/api/orgs/acme/members/ben', a.token, { role: 'admin' })).json()).toEqual({
      username: 'ben',
      role: 'admin',
      created: false,
    });
    expect((await f.send('PUT', '/api/orgs/acme/members/cat', b.token, { role: 'member' })).statusCode).toBe(200);
    expect((await f.send('PUT', '/api/orgs/acme/members/cat', b.token, { role: 'owner' })).statusCode).toBe(403);
    expect((await f.send('DELETE', '/api/orgs/acme/members/ann', b.token)).statusCode).toBe(403);
    // Unknown user: 404.
    const ghost = await f.send('PUT', '/api/orgs/acme/members/ghost', a.token, { role: 'member' });
    expect(ghost.json()).toEqual({ error: 'no user "ghost"', code: 'USER_NOT_FOUND' });
    // The last owner can neither leave nor be demoted.
    const leave = await f.send('POST', '/api/orgs/acme/leave', a.token);
    expect(leave.statusCode).toBe(409);
    expect(leave.json()).toEqual({ error: '@acme must keep at least one owner: make someone else owner first', code: 'LAST_OWNER' });
    expect((await f.send('PUT', '/api/orgs/acme/members/ann', a.token, { role: 'member' })).statusCode).toBe(409);
    // Removing and leaving.
    expect((await f.send('DELETE', '/api/orgs/acme/members/cat', b.token)).json()).toEqual({ success: true });
    expect((await f.get('/api/orgs/acme', c.token)).statusCode).toBe(404);
    expect((await f.send('DELETE', '/api/orgs/acme/members/ben', b.token)).statusCode).toBe(200);
    expect((await f.get('/api/orgs/acme', b.token)).statusCode).toBe(404);
    const notMember = await f.send('DELETE', '/api/orgs/acme/members/cat', a.token);
    expect(notMember.json()).toEqual({ error: '"cat" is not a member of @acme', code: 'MEMBER_NOT_FOUND' });
    const actions = f.db.prepare("SELECT action FROM audit_log WHERE action LIKE 'org.%' ORDER BY id").all();
    expect(actions.map((r) => (r as { action: string }).action)).toEqual([
      'org.create',
      'org.member.set',
      'org.member.set',
      'org.member.set',
      'org.member.remove',
      'org.member.leave',
    ]);
  });

  it("POST /internal/orgs/ensure (the seed's @elide) is idempotent and keeps existing roles", async () => {
    f = await buildAuthApp();
    const admin = await f.ensureUser('admin', 'admin', 'enterprise');
    const demo = await f.ensureUser('demo', 'publisher', 'team');
    const headers = { 'x-internal-token': testSecrets.internalToken };
    const body = { name: 'elide', owner: 'admin', members: [{ username: 'demo', role: 'member' }] };
    const first = await f.send('POST', '/internal/orgs/ensure', undefined, body, { headers });
    expect(first.json()).toEqual({
      orgId: expect.any(String),
      changes: ['created org @elide owned by admin', 'added demo to @elide as member'],
    });
    await f.send('PUT', '/api/orgs/elide/members/demo', admin.token, { role: 'admin' });
    const second = await f.send('POST', '/internal/orgs/ensure', undefined, body, { headers });
    expect(second.json()).toEqual({ orgId: first.json().orgId, changes: [] });
    expect((await f.get('/api/orgs/elide', demo.token)).json()).toMatchObject({ name: 'elide', plan: 'enterprise', role: 'admin' });
    expect((await f.send('POST', '/internal/orgs/ensure', demo.token, body)).statusCode).toBe(403);
  });

  it('the identity reader answers org roles, scope owners and who may publish into a scope', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    const b = await f.register('ben');
    await f.send('POST', '/api/orgs', a.token, { name: 'acme' });
    const id = createIdentityReader(() => f.db);
    expect(id.orgRole('acme', a.userId)).toBe('owner');
    expect(id.orgRole('acme', b.userId)).toBeUndefined();
    expect(id.scopeOwner('@acme')).toMatchObject({ kind: 'org', org: { name: 'acme' } });
    expect(id.scopeOwner('@ben')).toMatchObject({ kind: 'user', user: { id: b.userId } });
    expect(id.scopeOwner('@nobody')).toBeUndefined();
    expect([id.canPublishToScope('@acme', a.userId), id.canPublishToScope('@acme', b.userId)]).toEqual([true, false]);
    expect([id.canPublishToScope('@ben', b.userId), id.canPublishToScope('@ben', a.userId)]).toEqual([true, false]);
    expect(id.planOf(a.userId)).toEqual({
      id: 'free',
      name: 'Free',
      priceCents: 0,
      maxActiveDeployments: 1,
      privatePackages: false,
      webhooks: false,
    });
  });
});

describe('audit log', () => {
  it('a user sees only their own entries, whatever the filter; an admin sees all and filters', async () => {
    f = await buildAuthApp();
    const admin = await f.ensureUser('root', 'admin');
    const a = await f.register('ann');
    const b = await f.register('ben');
    await f.send('POST', '/api/auth/tokens', a.token, { name: 'a1' });
    const mine = await f.get('/api/audit', b.token);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().entries.map((e: { action: string }) => e.action)).toEqual(['auth.register']);
    const widened = await f.get('/api/audit?actor=ann', b.token);
    expect(widened.json().entries.every((e: { actorUsername: string }) => e.actorUsername === 'ben')).toBe(true);
    const all = await f.get('/api/audit?action=token.create', admin.token);
    expect(all.json()).toMatchObject({ total: 1, entries: [{ actorUsername: 'ann', action: 'token.create', ip: '127.0.0.1' }] });
    expect((await f.get('/api/audit?actor=ann', admin.token)).json().total).toBe(2);
    expect((await f.get('/api/audit?actor=ANN', admin.token)).json().total).toBe(2);
    expect((await f.get('/api/audit?since=2026-01-02T00:00:00Z', admin.token)).json().total).toBe(0);
    expect((await f.get('/api/audit?since=2026-01-02', admin.token)).json().total).toBe(0);
    expect((await f.get('/api/audit?since=2020-01-01&action=token.create', admin.token)).json().total).toBe(1);
    expect((await f.get('/api/audit?since=yesterday', admin.token)).statusCode).toBe(400);
    expect((await f.get('/api/audit')).statusCode).toBe(401);
  });

  it('POST /internal/audit records actions of other processes; 403 with a user token; 400 for a bad action', async () => {
    f = await buildAuthApp();
    const a = await f.register('ann');
    const headers = { 'x-internal-token': testSecrets.internalToken };
    const body = {
      actorId: a.userId,
      actorUsername: 'ann',
      action: 'package.publish',
      target: '@ann/pkg@1.0.0',
      ip: '127.0.0.1',
      userAgent: 'npm/10',
      details: { size: 12 },
    };
    const res = await f.send('POST', '/internal/audit', undefined, body, { headers });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: expect.any(Number) });
    const entries = (await f.get('/api/audit?action=package.publish', a.token)).json().entries;
    expect(entries).toEqual([{ id: res.json().id, ...body, createdAt: '2026-01-01T00:00:00.000Z' }]);
    expect((await f.send('POST', '/internal/audit', a.token, body)).statusCode).toBe(403);
    expect((await f.send('POST', '/internal/audit', undefined, { ...body, action: 'DROP TABLE' }, { headers })).statusCode).toBe(400);
  });
});

describe('plans', () => {
  it("GET /api/auth/me shows each plan's limits, and usage from the sources wired in", async () => {
    f = await buildAuthApp({ usageSources: { activeDeployments: () => 3, privatePackages: async () => 2 } });
    const team = await f.ensureUser('teamer', 'publisher', 'team');
    const ent = await f.ensureUser('bigco', 'user', 'enterprise');
    // Webhooks are counted from this process's own table.
    f.db
      .prepare(
        "INSERT INTO webhooks (id, owner_id, url, events, created_at, updated_at) VALUES ('webhook-1', ?, 'https://example.com/h', '[\"*\"]', 'now', 'now')",
      )
      .run(team.userId);
    expect((await f.get('/api/auth/me', team.token)).json()).toMatchObject({
      plan: { id: 'team', name: 'Team', priceCents: 4900, limits: { activeDeployments: 10, webhooks: true, privatePackages: true } },
      usage: { activeDeployments: 3, privatePackages: 2, webhooks: 1, storageBytes: null },
    });
    expect((await f.get('/api/auth/me', ent.token)).json().plan).toMatchObject({
      id: 'enterprise',
      priceCents: null,
      limits: { activeDeployments: null },
    });
  });

  it('planLimitError names the limit and the plan that lifts it', () => {
    const free = { id: 'free', name: 'Free', priceCents: 0, maxActiveDeployments: 1, privatePackages: false, webhooks: false };
    const team = { id: 'team', name: 'Team', priceCents: 4900, maxActiveDeployments: 10, privatePackages: true, webhooks: true };
    const e1 = planLimitError('activeDeployments', free, 1);
    expect([e1.statusCode, e1.code, e1.message]).toEqual([
      403,
      'PLAN_LIMIT_EXCEEDED',
      'your Free plan allows 1 active deployment (stopped ones count until deleted): delete one or upgrade to Team for up to 10 active deployments (Enterprise: unlimited)',
    ]);
    expect(e1.details).toEqual({ limit: 'activeDeployments', plan: 'free', max: 1, current: 1, upgradeTo: 'team' });
    expect(planLimitError('activeDeployments', team, 10).message).toBe(
      'your Team plan allows 10 active deployments (stopped ones count until deleted): delete one or upgrade to Enterprise for unlimited deployments',
    );
    expect(planLimitError('webhooks', free).message).toBe('your Free plan does not include webhooks: upgrade to Team to use them');
    expect(planLimitError('privatePackages', free).message).toBe(
      'your Free plan does not include private packages: upgrade to Team to use them',
    );
  });
});
