// Internal routes of the main API (x-internal-token): used by the seed and by peer processes.
import { z } from 'zod';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { ApiDeps } from '../app.ts';
import { AuditRecordSchema } from '../audit.ts';
import type { IdentityContext } from '../identity-context.ts';
import { createUser, EmailSchema, PasswordSchema, UsernameSchema } from '../users.ts';
import { createUsersRepo } from '../users-repo.ts';

const EnsureUserBody = z.object({
  username: UsernameSchema,
  email: EmailSchema,
  // The seed README's demo account uses "demo123" (7 characters), below the public registration policy;
  // only this internal route, used by the seed, accepts it.
  password: PasswordSchema.or(z.string().min(6).max(72)),
  role: z.enum(['user', 'publisher', 'admin']),
  plan: z.enum(['free', 'team', 'enterprise']),
});

const TokensUsedBody = z.strictObject({
  tokenIds: z.array(z.string().min(1).max(64)).min(1).max(1000),
  /** When they were used (default now); a report never moves last_used_at backwards. */
  at: z.iso.datetime({ offset: true }).optional(),
});

const EnsureOrgBody = z.strictObject({
  name: UsernameSchema,
  owner: UsernameSchema,
  members: z
    .array(z.strictObject({ username: UsernameSchema, role: z.enum(['owner', 'admin', 'member']) }))
    .max(100)
    .default([]),
});

export function registerInternalRoutes(app: TypedApp, deps: ApiDeps, ctx: IdentityContext) {
  const users = createUsersRepo(deps.db);
  const internal = requireInternalToken(deps.secrets.internalToken);

  // One entry, recorded at once: no retry if the main API is down, and a resend is a second entry. The registry
  // and the marketplace use their outboxes instead (lib/audit-outbox.ts); this stays for other callers.
  app.post('/internal/audit', { preHandler: internal, schema: { body: AuditRecordSchema } }, async (req, reply) => {
    const id = ctx.audit.record(req.body);
    return reply.status(201).send({ id });
  });

  // Used by the seed: the @elide org owned by admin, with demo as a member.
  app.post('/internal/orgs/ensure', { preHandler: internal, schema: { body: EnsureOrgBody } }, async (req) =>
    ctx.orgs.ensure(req.body.name, req.body.owner, req.body.members),
  );

  app.post('/internal/tokens/used', { preHandler: internal, schema: { body: TokensUsedBody } }, async (req) => {
    const at = req.body.at ? new Date(req.body.at).toISOString() : undefined;
    return { updated: ctx.tokens.touch([...new Set(req.body.tokenIds)], at) };
  });

  app.post('/internal/users/ensure', { preHandler: internal, schema: { body: EnsureUserBody } }, async (req) => {
    const existing = users.findByUsername(req.body.username);
    if (existing) return { created: false, userId: existing.id, username: existing.username };
    const u = createUser(deps.db, deps.clock, deps.config.BCRYPT_COST, { ...req.body, planId: req.body.plan });
    return { created: true, userId: u.id, username: u.username };
  });
}
