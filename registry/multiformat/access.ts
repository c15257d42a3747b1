// Visibility of a PyPI, Maven or RubyGems package, set by a maintainer (the clients have no command for it):
// POST <prefix>/-/access {"name", "access": "public" | "restricted"}. Private packages need a plan that includes
// them, as for npm; readers of a restricted package are its maintainers and admins.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest, forbidden } from '../../lib/errors.ts';
import { canManage, type FormatContext, isoNow } from './context.ts';
import { challenge, readablePackage } from './http.ts';

const Body = z.object({ name: z.string().min(1).max(300), access: z.enum(['public', 'restricted']) });

export function registerAccessRoute(
  app: FastifyInstance,
  ctx: FormatContext,
  ecosystem: string,
  canonical: (name: string) => string,
  realm: string,
) {
  app.post('/-/access', async (req) => {
    const who = ctx.guards.optional(req);
    if (!who) throw challenge('authentication required: use your username and an API token', realm);
    let raw: unknown = req.body;
    if (Buffer.isBuffer(raw)) {
      try {
        raw = JSON.parse(raw.toString('utf8'));
      } catch {
        raw = undefined;
      }
    }
    const parsed = Body.safeParse(raw);
    if (!parsed.success)
      throw badRequest('send {"name": "<package>", "access": "public" | "restricted"} as JSON', undefined, 'VALIDATION_FAILED');
    const name = canonical(parsed.data.name);
    const { pkg } = readablePackage(ctx, req, ecosystem, name, realm);
    if (!canManage(ctx, pkg.id, who) || who.readonly)
      throw forbidden(`${who.username} may not change the visibility of ${name}`, 'NOT_MAINTAINER');
    if (parsed.data.access === 'restricted' && !ctx.identity.privatePackagesAllowed(undefined, who.userId))
      throw forbidden('your plan does not include private packages: upgrade to Team to make packages private', 'PLAN_LIMIT_EXCEEDED');
    ctx.db
      .transaction(() => {
        ctx.repo.setAccess(pkg.id, parsed.data.access);
        ctx.repo.touch(pkg.id, isoNow(ctx.clock));
      })
      .immediate();
    return { name, ecosystem, access: parsed.data.access };
  });
}
