// HTTP glue for /api/admin/users: search accounts, change role, plan, disabled (admins only; the role is
// re-read from the database on every request, so a demoted admin loses access at once).
import { z } from 'zod';
import type { TypedApp } from '../../lib/service-app.ts';
import type { IdentityContext } from '../identity-context.ts';

export const Paging = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};
const ListQuery = z.strictObject({ q: z.string().max(254).optional(), ...Paging });
const AdminUser = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  role: z.enum(['user', 'publisher', 'admin']),
  plan: z.string(),
  disabled: z.boolean(),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const PatchBody = z
  .strictObject({
    role: z.enum(['user', 'publisher', 'admin']).optional(),
    plan: z.enum(['free', 'team', 'enterprise']).optional(),
    disabled: z.boolean().optional(),
  })
  .refine((b) => b.role !== undefined || b.plan !== undefined || b.disabled !== undefined, 'name at least one of role, plan, disabled');

export function registerAdminRoutes(app: TypedApp, ctx: IdentityContext) {
  app.get(
    '/api/admin/users',
    {
      schema: {
        querystring: ListQuery,
        response: { 200: z.object({ users: z.array(AdminUser), total: z.number(), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      ctx.guards.role(req, 'admin');
      const { q, limit, offset } = req.query;
      return { ...ctx.admin.search(q, limit, offset), limit, offset };
    },
  );

  app.patch(
    '/api/admin/users/:id',
    { schema: { params: z.strictObject({ id: z.string().min(1).max(64) }), body: PatchBody, response: { 200: AdminUser } } },
    async (req) => {
      // A read-only admin token reads; it does not change accounts.
      const admin = ctx.guards.writer(req);
      ctx.guards.role(req, 'admin');
      return ctx.admin.update(admin, req.params.id, req.body, ctx.origin(req));
    },
  );
}
