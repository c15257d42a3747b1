// Who may read, publish to and manage an npm package: maintainers, members of the package's org scope, the
// owner of a personal scope (@username), and admins. Restricted packages are invisible (404) to others.
import { hasRole, type Principal } from '../../lib/auth.ts';
import { forbidden, notFound } from '../../lib/errors.ts';
import { readOnlyRefusal } from '../../lib/request-auth.ts';
import type { IdentityLookups } from '../identity-repo.ts';
import type { PackagesRepo } from '../packages-repo.ts';
import type { NpmName } from './names.ts';

export interface AccessDeps {
  repo: PackagesRepo;
  identity: IdentityLookups;
}

interface PkgRef {
  id: number;
  name: string;
  scope: string | null;
  access: 'public' | 'restricted';
}

/** A member of the org named by the scope (any role: npm lets every org member publish). */
export function inScope(d: AccessDeps, scope: string | null | undefined, p: Principal): boolean {
  if (!scope) return false;
  if (scope === p.username) return true;
  return d.identity.orgRole(scope, p.userId) !== undefined;
}

export function canWrite(d: AccessDeps, pkg: PkgRef, p: Principal): boolean {
  return p.role === 'admin' || d.repo.isMaintainer(pkg.id, p.userId) || inScope(d, pkg.scope, p);
}

/**
 * Who may change a package's visibility (and, for PyPI, Maven and RubyGems, its owning org and owners): its
 * maintainers, admins, the owner of a personal scope, and the owners and admins of the org that owns it; not every
 * member of that org, who publishes to it but may not expose a private package or give it away (npmjs.com: "You
 * must be the owner of the user account or organization that owns the package in order to change package
 * visibility").
 */
export function canGovern(d: AccessDeps, pkg: PkgRef, p: Principal): boolean {
  if (p.role === 'admin' || d.repo.isMaintainer(pkg.id, p.userId)) return true;
  if (!pkg.scope) return false;
  if (pkg.scope === p.username) return true;
  const orgRole = d.identity.orgRole(pkg.scope, p.userId);
  return orgRole === 'owner' || orgRole === 'admin';
}

export function canRead(d: AccessDeps, pkg: PkgRef, p: Principal | undefined): boolean {
  if (pkg.access === 'public') return true;
  return !!p && canWrite(d, pkg, p);
}

/** Throws 404 (not 403: a private name must not leak, reliability-security.md incident 17) when unreadable. */
export function assertReadable(d: AccessDeps, pkg: PkgRef, p: Principal | undefined): void {
  if (!canRead(d, pkg, p)) throw notFound(`package ${pkg.name} was not found`, 'PACKAGE_NOT_FOUND');
}

export function assertWritable(d: AccessDeps, pkg: PkgRef, p: Principal): void {
  assertReadable(d, pkg, p);
  if (!canWrite(d, pkg, p))
    throw forbidden(
      `you are not a maintainer of ${pkg.name}: ask one of its maintainers to run \`npm owner add ${p.username} ${pkg.name}\``,
      'NOT_MAINTAINER',
    );
}

/**
 * Whether this caller may publish at all, before any package rule: publishing (a new package or a new version, in
 * every ecosystem) is for publishers and admins (docs/API-AUTH.md "Roles"); a user account installs and deploys.
 */
export function assertMayPublish(p: Principal): void {
  if (p.readonly) throw readOnlyRefusal('publish');
  if (!hasRole(p, 'publisher'))
    throw forbidden(
      `${p.username} has the role user, which installs packages but does not publish them: an admin can make the account a publisher`,
      'ROLE_REQUIRED',
    );
}

/** A new package: unscoped names are first come, first served; a scope must be yours or an org you are in. */
export function assertCanCreate(d: AccessDeps, name: NpmName, p: Principal): void {
  if (!name.scope || p.role === 'admin' || inScope(d, name.scope, p)) return;
  // The seed README publishes @myorg/... on a fresh suite: say what makes the scope yours.
  if (!d.identity.orgExists(name.scope) && !d.identity.userByName(name.scope))
    throw forbidden(
      `there is no org @${name.scope} yet: create it (dashboard, Account page, or POST /api/orgs {"name":"${name.scope}"}) and publish again`,
      'SCOPE_FORBIDDEN',
    );
  throw forbidden(
    `you cannot publish into the @${name.scope} scope: it is neither your username nor an org you are a member of`,
    'SCOPE_FORBIDDEN',
  );
}
