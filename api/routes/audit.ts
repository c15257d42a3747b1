// HTTP glue for GET /api/audit: admins read every entry (filterable); everyone else only their own.
import { z } from 'zod';
import { hasRole } from '../../lib/auth.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { IdentityContext } from '../identity-context.ts';
import { Paging } from './admin.ts';

const AuditQuery = z.strictObject({
  action: z.string().min(1).max(100).optional(),
  // User names are stored lowercase (as on npm), so "Ann" filters the entries of "ann".
  actor: z.string().min(1).max(214).toLowerCase().optional(),
  // An instant, or a day (from its start, UTC) as GitHub's audit log filter takes it.
  since: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  ...Paging,
});
export const AuditEntrySchema = z.object({
  id: z.number(),
  actorId: z.string().nullable(),
  actorUsername: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
});

export function registerAuditRoutes(app: TypedApp, ctx: IdentityContext) {
  app.get(
    '/api/audit',
    {
      schema: {
        querystring: AuditQuery,
        response: { 200: z.object({ entries: z.array(AuditEntrySchema), total: z.number(), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      const p = ctx.guards.required(req);
      const { action, actor, since, limit, offset } = req.query;
      const sinceIso = since ? new Date(since).toISOString() : undefined;
      // A non-admin's filter is always their own id: "actor" cannot widen it to someone else's entries.
      const filter = hasRole(p, 'admin')
        ? { actorUsername: actor, action, since: sinceIso, limit, offset }
        : { actorId: p.userId, action, since: sinceIso, limit, offset };
      return { ...ctx.audit.list(filter), limit, offset };
    },
  );
}
