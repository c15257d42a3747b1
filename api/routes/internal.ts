// Internal routes of the main API (x-internal-token): used by the seed and by peer processes.
import { z } from 'zod';
import { requireInternalToken } from '../../lib/internal.ts';
import type { TypedApp } from '../../lib/service-app.ts';
import type { ApiDeps } from '../app.ts';
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

export function registerInternalRoutes(app: TypedApp, deps: ApiDeps) {
  const users = createUsersRepo(deps.db);
  app.post(
    '/internal/users/ensure',
    { preHandler: requireInternalToken(deps.secrets.internalToken), schema: { body: EnsureUserBody } },
    async (req) => {
      const existing = users.findByUsername(req.body.username);
      if (existing) return { created: false, userId: existing.id, username: existing.username };
      const u = createUser(deps.db, deps.clock, deps.config.BCRYPT_COST, { ...req.body, planId: req.body.plan });
      return { created: true, userId: u.id, username: u.username };
    },
  );
}
