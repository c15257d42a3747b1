// Who may read, publish to and manage a PyPI, Maven or RubyGems package: the same rules as npm (one
// implementation, registry/npm/access-rules.ts). A package may belong to an org (packages.scope holds the org's
// name, as an npm scope does): the org's members read its private packages and publish to it; maintainers and
// admins too; anyone else gets 404 (401 + Basic challenge when anonymous, so the clients retry with credentials).
//
// Visibility and owning org are set by a maintainer, an admin, or an owner or admin of the owning org (canGovern;
// the clients have no command for it):
// POST <prefix>/-/access {"name", "access"?: "public" | "restricted", "org"?: "<org>" | null}. Private packages
// need a plan that includes them (the org's plan for an org package, as for npm).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { enqueueAudit } from '../../lib/audit-outbox.ts';
import type { Principal } from '../../lib/auth.ts';
import { type AppError, badRequest, forbidden, notFound } from '../../lib/errors.ts';
import { readOnlyRefusal } from '../../lib/request-auth.ts';
import { canGovern as canGovernPackage, canRead, canWrite } from '../npm/access-rules.ts';
import type { PackageRow } from '../packages-repo.ts';
import { type FormatContext, isoNow } from './context.ts';
import { challenge } from './http.ts';

/** What the access rules read of a package. */
export type PkgRef = Pick<PackageRow, 'id' | 'name' | 'scope' | 'access'>;

const deps = (ctx: FormatContext) => ({ repo: ctx.repo, identity: ctx.identity });

/** Reads (install, resolve, index listings): public packages, or private ones for their maintainers, org members and admins. */
export const canReadPackage = (ctx: FormatContext, pkg: PkgRef, who: Principal | undefined) => canRead(deps(ctx), pkg, who);

/** Writes (new versions, yank): maintainers, members of the owning org, admins. */
export const canManage = (ctx: FormatContext, pkg: PkgRef, who: Principal) => canWrite(deps(ctx), pkg, who);

/** Visibility, owning org and owners: maintainers, admins, owners and admins of the owning org (npm/access-rules.ts). */
export const canGovern = (ctx: FormatContext, pkg: PkgRef, who: Principal) => canGovernPackage(deps(ctx), pkg, who);

/** How a protocol refuses a write by someone who may not publish to an existing package. */
export interface PublishRefusals {
  /** A package the caller can see (public): the protocol's 403, as npm's NOT_MAINTAINER. */
  notOwner: (who: Principal) => AppError;
  /** A private package the caller cannot see: 404, so a refused upload does not reveal that the name is taken. */
  hidden: () => AppError;
}

/**
 * Throws unless `who` may publish to the existing package `pkg`. A private package of others answers 404 like any
 * read of it (npm answers a publish to a restricted package it hides the same way: access-rules.ts assertWritable).
 */
export function assertPublishable(ctx: FormatContext, pkg: PkgRef, who: Principal, refuse: PublishRefusals): void {
  if (canManage(ctx, pkg, who)) return;
  throw canReadPackage(ctx, pkg, who) ? refuse.notOwner(who) : refuse.hidden();
}

/** The 404 of a hidden package, worded for an upload (the clients print it: twine and Maven the reason phrase, gem the body). */
export const noPackageToPublish = (message: string) => notFound(message, 'PACKAGE_NOT_FOUND');

/** A package the caller may read, or a refusal: 401 + challenge for anonymous callers, 404 for others (no leak). */
export function readablePackage(
  ctx: FormatContext,
  req: FastifyRequest,
  ecosystem: string,
  name: string,
  realm: string,
): { pkg: PackageRow; who: Principal | undefined } {
  const pkg = ctx.repo.find(ecosystem, name);
  const who = ctx.guards.optional(req);
  if (!pkg) throw notFound(`${name} was not found`, 'PACKAGE_NOT_FOUND');
  if (!canReadPackage(ctx, pkg, who)) {
    if (!who) throw challenge(`${name} is private: authenticate with your username and an API token`, realm);
    throw notFound(`${name} was not found`, 'PACKAGE_NOT_FOUND');
  }
  return { pkg, who };
}

/** Every package of the ecosystem the caller may read, by name (the PyPI root index, the RubyGems /versions and specs). */
export function readablePackages(ctx: FormatContext, req: FastifyRequest, ecosystem: string): Map<string, number> {
  const who = ctx.guards.optional(req);
  const rows = ctx.db
    .prepare('SELECT id, name, scope, access FROM packages WHERE ecosystem = ? ORDER BY name LIMIT 100000')
    .all(ecosystem) as PkgRef[];
  return new Map(rows.filter((r) => canReadPackage(ctx, r, who)).map((r) => [r.name, r.id]));
}

const Body = z
  .object({
    name: z.string().min(1).max(300),
    access: z.enum(['public', 'restricted']).optional(),
    org: z.string().min(1).max(214).nullable().optional(),
  })
  .refine((b) => b.access !== undefined || b.org !== undefined);

export function registerAccessRoute(
  app: FastifyInstance,
  ctx: FormatContext,
  ecosystem: string,
  canonical: (name: string) => string,
  realm: string,
) {
  const setScope = ctx.db.prepare('UPDATE packages SET scope = ? WHERE id = ?');
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
      throw badRequest(
        'send {"name": "<package>", "access"?: "public" | "restricted", "org"?: "<org>" | null} as JSON, with access or org',
        undefined,
        'VALIDATION_FAILED',
      );
    const name = canonical(parsed.data.name);
    const { pkg } = readablePackage(ctx, req, ecosystem, name, realm);
    if (who.readonly) throw readOnlyRefusal();
    if (!canGovern(ctx, pkg, who))
      throw forbidden(
        `${who.username} may not change the visibility or the org of ${name}: ask one of its maintainers or an admin of its org`,
        'NOT_MAINTAINER',
      );
    const org = parsed.data.org === undefined ? pkg.scope : parsed.data.org;
    // Giving a package to an org gives its members read and publish rights: only a member (or an admin) may, and
    // a non-member learns nothing about the org (404, as the orgs API answers).
    if (org && org !== pkg.scope) {
      const member = who.role === 'admin' ? ctx.identity.orgExists(org) : ctx.identity.orgRole(org, who.userId) !== undefined;
      if (!member) throw notFound(`org ${org} was not found among your orgs`, 'ORG_NOT_FOUND');
    }
    const access = parsed.data.access ?? pkg.access;
    if (access === 'restricted' && !ctx.identity.privatePackagesAllowed(org ?? undefined, who.userId))
      throw forbidden('your plan does not include private packages: upgrade to Team to make packages private', 'PLAN_LIMIT_EXCEEDED');
    ctx.db
      .transaction(() => {
        ctx.repo.setAccess(pkg.id, access);
        setScope.run(org ?? null, pkg.id);
        ctx.repo.touch(pkg.id, isoNow(ctx.clock));
        enqueueAudit(ctx.db, { table: 'outbox' }, ctx.clock, who, 'package.access.set', `package:${ecosystem}:${name}`, {
          ecosystem,
          name,
          access,
          org: org ?? null,
        });
      })
      .immediate();
    return { name, ecosystem, access, org: org ?? null };
  });
}
