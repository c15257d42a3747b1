// HTTP glue for /api/orgs: create, list mine, show, members (add/change role, remove, leave).
import { z } from 'zod';
import type { TypedApp } from '../../lib/service-app.ts';
import type { IdentityContext } from '../identity-context.ts';
import { NewUsernameSchema, UsernameSchema } from '../users.ts';
import { Paging } from './admin.ts';

// Org names are package scopes, so they follow the same rules as user names (npm's). They are stored lowercase, so
// in a path "ACME" names @acme, as GitHub's org URLs ignore case (a new org's name must still be lowercase).
const OrgName = z.string().max(214).toLowerCase().pipe(UsernameSchema);
// A new org takes the scope @name, so the names no user may register (@npm, @security, @registry…) are refused for
// an org too: either would pass for the registry or its operators. Existing orgs are still named by OrgName.
const NewOrgName = NewUsernameSchema;
const OrgParams = z.strictObject({ name: OrgName });
// Usernames are stored lowercase (UsernameSchema), so "Ben" names the same person as "ben", as on npm.
const MemberParams = z.strictObject({ name: OrgName, username: z.string().min(1).max(214).toLowerCase() });
const OrgRole = z.enum(['owner', 'admin', 'member']);
const OrgSummary = z.object({ id: z.string(), name: z.string(), plan: z.string(), role: OrgRole.nullable(), createdAt: z.string() });
const Member = z.object({ username: z.string(), role: OrgRole, joinedAt: z.string() });

export function registerOrgRoutes(app: TypedApp, ctx: IdentityContext) {
  const { guards, orgs } = ctx;

  app.post('/api/orgs', { schema: { body: z.strictObject({ name: NewOrgName }), response: { 201: OrgSummary } } }, async (req, reply) => {
    const o = orgs.create(guards.writer(req), req.body.name, ctx.origin(req));
    return reply.status(201).send({ id: o.id, name: o.name, plan: o.plan_id, role: o.role, createdAt: o.created_at });
  });

  app.get(
    '/api/orgs',
    {
      schema: {
        querystring: z.strictObject(Paging),
        response: { 200: z.object({ orgs: z.array(OrgSummary), total: z.number(), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      const { limit, offset } = req.query;
      const r = orgs.listMine(guards.required(req), limit, offset);
      return {
        orgs: r.orgs.map((o) => ({ id: o.id, name: o.name, plan: o.plan_id, role: o.role, createdAt: o.created_at })),
        total: r.total,
        limit,
        offset,
      };
    },
  );

  app.get(
    '/api/orgs/:name',
    { schema: { params: OrgParams, response: { 200: OrgSummary.extend({ memberCount: z.number() }) } } },
    async (req) => {
      const { org, role, memberCount } = orgs.get(guards.required(req), req.params.name);
      return { id: org.id, name: org.name, plan: org.plan_id, role: role ?? null, createdAt: org.created_at, memberCount };
    },
  );

  app.get(
    '/api/orgs/:name/members',
    {
      schema: {
        params: OrgParams,
        querystring: z.strictObject(Paging),
        response: { 200: z.object({ members: z.array(Member), total: z.number(), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      const { limit, offset } = req.query;
      const r = orgs.members(guards.required(req), req.params.name, limit, offset);
      return {
        members: r.members.map((m) => ({ username: m.username, role: m.role, joinedAt: m.created_at })),
        total: r.total,
        limit,
        offset,
      };
    },
  );

  app.put(
    '/api/orgs/:name/members/:username',
    {
      schema: {
        params: MemberParams,
        // The body is optional, as on GitHub's PUT membership: no body adds the user as a member.
        body: z.strictObject({ role: OrgRole.default('member') }).optional(),
        response: { 200: z.object({ username: z.string(), role: OrgRole, created: z.boolean() }) },
      },
    },
    async (req) => orgs.setMember(guards.writer(req), req.params.name, req.params.username, req.body?.role ?? 'member', ctx.origin(req)),
  );

  app.delete(
    '/api/orgs/:name/members/:username',
    { schema: { params: MemberParams, response: { 200: z.object({ success: z.literal(true) }) } } },
    async (req) => {
      orgs.removeMember(guards.writer(req), req.params.name, req.params.username, ctx.origin(req));
      return { success: true as const };
    },
  );

  app.post(
    '/api/orgs/:name/leave',
    { schema: { params: OrgParams, response: { 200: z.object({ success: z.literal(true) }) } } },
    async (req) => {
      const p = guards.writer(req);
      orgs.removeMember(p, req.params.name, p.username, ctx.origin(req));
      return { success: true as const };
    },
  );
}
