// Metadata changes on an existing npm package: deprecate, star, owners, dist-tags, access and unpublish.
// PUT /<pkg> and PUT /<pkg>/-rev/<rev> carry several of these; the route tells them apart by body shape
// (traps 20, 21) and only the relevant field is merged, never the client's versions or dist.
import semver from 'semver';
import { enqueueAudit, type RelayedAuditAction } from '../../lib/audit-outbox.ts';
import type { Principal } from '../../lib/auth.ts';
import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.ts';
import { enqueueEvent } from '../../lib/outbox.ts';
import { readOnlyRefusal } from '../../lib/request-auth.ts';
import type { PackageRow } from '../packages-repo.ts';
import { assertReadable, assertWritable, canGovern } from './access-rules.ts';
import { isoAt, NPM, type NpmContext } from './context.ts';
import { assertTag, assertVersion } from './names.ts';
import { revString } from './packument.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const UNPUBLISH_WINDOW_MS = 72 * 3600 * 1000;
/** Past the window, npm lets a package with fewer weekly downloads than this be unpublished (and no dependents, one owner). */
const UNPUBLISH_MAX_WEEKLY_DOWNLOADS = 300;

export function findPackage(ctx: NpmContext, name: string, who: Principal | undefined): PackageRow {
  const pkg = ctx.repo.find(NPM, name);
  if (!pkg) throw notFound(`package ${name} was not found`, 'PACKAGE_NOT_FOUND');
  assertReadable(ctx, pkg, who);
  return pkg;
}

/** A read-only token reads and installs; every change it asks for is refused (npmjs answers 403 the same way). */
function assertReadWrite(who: Principal): void {
  if (who.readonly) throw readOnlyRefusal();
}

function writable(ctx: NpmContext, name: string, who: Principal): PackageRow {
  assertReadWrite(who);
  const pkg = findPackage(ctx, name, who);
  assertWritable(ctx, pkg, who);
  return pkg;
}

function checkRev(pkg: PackageRow, rev: string | undefined) {
  if (rev !== undefined && rev !== 'undefined' && rev !== revString(pkg.id, pkg.rev))
    throw conflict(`${pkg.name} changed since you read it (revision ${rev} is stale): run the command again`, 'REVISION_CONFLICT');
}

/** Run a change in one IMMEDIATE transaction, bumping the revision so cached packuments are rebuilt. */
function change<T>(ctx: NpmContext, pkg: PackageRow, fn: (now: string) => T): T {
  return ctx.db
    .transaction(() => {
      const now = isoAt(ctx.clock);
      const r = fn(now);
      ctx.repo.touch(pkg.id, now);
      return r;
    })
    .immediate();
}

/** The audit entry of a maintainer's change, written in the change's transaction (lib/audit-outbox.ts). */
function audit(ctx: NpmContext, who: Principal, action: RelayedAuditAction, pkg: PackageRow, details: Record<string, unknown> = {}) {
  enqueueAudit(ctx.db, { table: 'outbox' }, ctx.clock, who, action, `package:${pkg.name}`, { ecosystem: NPM, name: pkg.name, ...details });
}

/** `npm deprecate` / `undeprecate`: only versions[v].deprecated is read from the body ("" = undeprecate). */
export function deprecate(ctx: NpmContext, name: string, body: Obj, who: Principal): number {
  const pkg = writable(ctx, name, who);
  checkRev(pkg, typeof body._rev === 'string' ? body._rev : undefined);
  if (!isObj(body.versions)) throw badRequest('the body must carry versions', undefined, 'INVALID_CHANGE');
  const sent = body.versions;
  const updates: [string, string | null][] = [];
  for (const row of ctx.repo.versions(pkg.id)) {
    const v = sent[row.version];
    if (!isObj(v) || typeof v.deprecated !== 'string') continue;
    const next = v.deprecated === '' ? null : v.deprecated.slice(0, 1024);
    if (next !== row.deprecated) updates.push([row.version, next]);
  }
  if (updates.length === 0) return 0;
  change(ctx, pkg, () => {
    for (const [version, message] of updates) ctx.repo.deprecate(pkg.id, version, message);
    enqueueEvent(ctx.db, { table: 'outbox' }, ctx.clock, {
      type: 'package.deprecated',
      ownerId: who.userId,
      subject: `package:${pkg.name}`,
      data: { ecosystem: NPM, name: pkg.name, versions: updates.map(([version, message]) => ({ version, message })) },
    });
    // The messages are the maintainer's free text: the versions and whether each was deprecated are enough.
    audit(ctx, who, 'package.deprecate', pkg, {
      versions: updates.map(([version, message]) => ({ version, deprecated: message !== null })),
    });
  });
  return updates.length;
}

/** `npm star` / `unstar`: only the caller's own entry in `users` counts. */
export function star(ctx: NpmContext, name: string, body: Obj, who: Principal): void {
  assertReadWrite(who);
  const pkg = findPackage(ctx, name, who);
  const users = isObj(body.users) ? body.users : {};
  change(ctx, pkg, (now) => {
    if (users[who.username]) ctx.repo.star(pkg.id, who.userId, who.username, now);
    else ctx.repo.unstar(pkg.id, who.userId);
  });
}

/** `npm owner add|rm`: the body's maintainers list is the new set (trap 21); every name must be a user. */
export function setOwners(ctx: NpmContext, name: string, body: Obj, rev: string, who: Principal): void {
  const pkg = writable(ctx, name, who);
  checkRev(pkg, rev);
  if (!Array.isArray(body.maintainers)) throw badRequest('maintainers must be a list', undefined, 'INVALID_CHANGE');
  const names = [...new Set(body.maintainers.map((m) => (isObj(m) ? m.name : undefined)))];
  if (names.length === 0) throw badRequest('a package needs at least one maintainer', undefined, 'INVALID_CHANGE');
  const users = names.map((n) => {
    const u = typeof n === 'string' ? ctx.identity.userByName(n) : undefined;
    if (!u) throw notFound(`there is no user named ${String(n)}`, 'USER_NOT_FOUND');
    return u;
  });
  // A new owner must be able to publish the package: a user-role account could not, and once the other owners
  // left, only an admin could. (Owners already listed stay, whatever their role now.)
  const current = new Set(ctx.repo.maintainers(pkg.id).map((m) => m.user_id));
  const cannot = users.find((u) => !current.has(u.id) && u.role !== 'publisher' && u.role !== 'admin');
  if (cannot)
    throw forbidden(
      `${cannot.username} has the role user and could not publish ${name}: an admin can make the account a publisher first`,
      'ROLE_REQUIRED',
    );
  change(ctx, pkg, (now) => {
    const keep = new Set(users.map((u) => u.id));
    for (const m of ctx.repo.maintainers(pkg.id)) if (!keep.has(m.user_id)) ctx.repo.removeMaintainer(pkg.id, m.user_id);
    for (const u of users) ctx.repo.addMaintainer(pkg.id, { user_id: u.id, username: u.username, email: u.email }, now);
    audit(ctx, who, 'package.owner.set', pkg, { owners: users.map((u) => u.username) });
  });
}

/**
 * The 404 for a version that was unpublished, saying so and when, or undefined when the version never existed. An
 * unpublished version keeps its burned row (publish.ts) and its time entry, so a lockfile, script or tag that still
 * names it learns what happened, where a bare "not found" reads like a fault of the registry. Callers reach it only
 * for a package the caller may read: it reveals nothing the packument's time map does not.
 */
export function unpublishedVersionError(ctx: NpmContext, name: string, version: string | undefined, consequence: string) {
  const burned = version ? ctx.repo.burned(NPM, name, version) : undefined;
  if (!burned?.unpublished_at) return undefined;
  return notFound(`${name}@${version} was unpublished on ${burned.unpublished_at} and ${consequence}`, 'VERSION_UNPUBLISHED');
}

export function setDistTag(ctx: NpmContext, name: string, tag: string, version: unknown, who: Principal): void {
  const pkg = writable(ctx, name, who);
  assertTag(tag);
  const v = assertVersion(version);
  if (!ctx.repo.version(pkg.id, v))
    throw (
      unpublishedVersionError(ctx, name, v, `cannot be tagged: tag one of the versions npm view ${name} versions lists`) ??
      notFound(`${name}@${v} does not exist`, 'VERSION_NOT_FOUND')
    );
  change(ctx, pkg, () => {
    ctx.repo.setTag(pkg.id, tag, v);
    audit(ctx, who, 'package.dist_tag.set', pkg, { tag, version: v });
  });
}

export function removeDistTag(ctx: NpmContext, name: string, tag: string, who: Principal): void {
  const pkg = writable(ctx, name, who);
  if (tag === 'latest') throw badRequest('the latest tag cannot be removed: point it at another version instead', undefined, 'INVALID_TAG');
  if (ctx.repo.tags(pkg.id)[tag] === undefined) throw notFound(`${name} has no dist-tag ${tag}`, 'TAG_NOT_FOUND');
  change(ctx, pkg, () => {
    ctx.repo.deleteTag(pkg.id, tag);
    audit(ctx, who, 'package.dist_tag.remove', pkg, { tag });
  });
}

/** A package whose settings (visibility, publishing rules) the caller may change. */
function governed(ctx: NpmContext, name: string, who: Principal, what: string): PackageRow {
  const pkg = writable(ctx, name, who);
  if (!canGovern(ctx, pkg, who))
    throw forbidden(
      `${who.username} may not change the ${what} of ${name}: ask one of its maintainers or an owner or admin of @${pkg.scope}`,
      'NOT_MAINTAINER',
    );
  return pkg;
}

export function setAccess(ctx: NpmContext, name: string, access: unknown, who: Principal): void {
  const pkg = governed(ctx, name, who, 'visibility');
  if (access !== 'public' && access !== 'restricted')
    throw badRequest('access must be "public" or "restricted"', undefined, 'INVALID_CHANGE');
  if (access === 'restricted' && !pkg.scope) throw badRequest('unscoped packages are always public', undefined, 'INVALID_CHANGE');
  if (access === 'restricted' && !ctx.identity.privatePackagesAllowed(pkg.scope ?? undefined, who.userId))
    throw forbidden('your plan does not include private packages: upgrade to Team to restrict packages', 'PLAN_LIMIT_EXCEEDED');
  change(ctx, pkg, () => {
    ctx.repo.setAccess(pkg.id, access);
    audit(ctx, who, 'package.access.set', pkg, { access });
  });
}

/**
 * `npm access set mfa=none|publish|automation` (libnpmaccess setMfa: {publish_requires_tfa, automation_token_overrides_tfa}).
 * There is no two-factor authentication here, so "none" is the state every package is in: accepted, after the same
 * rights check as a visibility change, and nothing changes. Requiring 2FA to publish cannot be honoured and is
 * refused rather than silently ignored.
 */
export function setPublishMfa(ctx: NpmContext, name: string, requiresTfa: unknown, who: Principal): void {
  governed(ctx, name, who, 'publishing rules');
  if (requiresTfa !== false)
    throw badRequest(
      `two-factor authentication is not available on this registry, so publishing ${name} cannot require it: only npm access set mfa=none is accepted`,
      undefined,
      'TFA_UNSUPPORTED',
    );
}

/**
 * npm's unpublish policy (docs.npmjs.com/policies/unpublish): nothing that other packages depend on is unpublished,
 * however new (their installs would break, and the freed name could be taken by someone else: see publish.ts
 * REUSE_AFTER_UNPUBLISH_MS). Past 72 hours, also only with fewer than 300 downloads in the last week and a single
 * owner: a package people use, or share, is deprecated instead. Admins may (a takedown).
 */
function assertUnpublishable(ctx: NpmContext, pkg: PackageRow, versions: { version: string; published_at: string }[], who: Principal) {
  if (who.role === 'admin') return;
  const now = ctx.clock.now();
  const old = versions.find((v) => now - Date.parse(v.published_at) > UNPUBLISH_WINDOW_MS);
  const refuse = (why: string) => {
    throw forbidden(why, 'UNPUBLISH_FORBIDDEN');
  };
  if (ctx.repo.hasDependents(NPM, pkg.name))
    refuse(
      old
        ? `${pkg.name}@${old.version} was published over 72 hours ago and other packages depend on it: it can no longer be unpublished (deprecate it instead)`
        : `other packages depend on ${pkg.name}: unpublishing would break their installs, so it is refused even within 72 hours (deprecate it instead)`,
    );
  if (!old) return;
  const weekAgo = new Date(now - 7 * 86_400_000).toISOString().slice(0, 10);
  const weekly = ctx.repo.downloadsSince(pkg.id, weekAgo);
  if (weekly >= UNPUBLISH_MAX_WEEKLY_DOWNLOADS)
    refuse(
      `${pkg.name}@${old.version} was published over 72 hours ago and ${pkg.name} was downloaded ${weekly} times in the last week: past 72 hours only packages with fewer than ${UNPUBLISH_MAX_WEEKLY_DOWNLOADS} can be unpublished (deprecate it instead)`,
    );
  const owners = ctx.repo.maintainers(pkg.id).length;
  if (owners > 1)
    refuse(
      `${pkg.name}@${old.version} was published over 72 hours ago and ${pkg.name} has ${owners} owners: past 72 hours only a package with a single owner can be unpublished (npm owner rm the others first, or deprecate it)`,
    );
}

/** Remove versions (or the whole package when none remain). Their identifiers stay burned forever. */
export function unpublish(ctx: NpmContext, name: string, remove: string[] | 'all', rev: string | undefined, who: Principal): string[] {
  const pkg = writable(ctx, name, who);
  checkRev(pkg, rev);
  const rows = ctx.repo.versions(pkg.id);
  const gone = remove === 'all' ? rows : rows.filter((r) => remove.includes(r.version));
  if (gone.length === 0) return [];
  assertUnpublishable(ctx, pkg, gone, who);
  const removed = gone.map((r) => r.version);
  ctx.db
    .transaction(() => {
      const now = isoAt(ctx.clock);
      for (const v of removed) ctx.repo.markUnpublished(NPM, pkg.name, v, now);
      // Reverse-dependency rows (migration 022) follow the package and its latest version by triggers and cascade;
      // the scan and score rows are keyed by name and are dropped here, so no admin reviews a version that is gone.
      if (removed.length === rows.length) {
        ctx.repo.remove(pkg.id);
        ctx.analysis.forgetAnalysis(NPM, pkg.name);
      } else {
        for (const v of removed) {
          ctx.repo.removeVersion(pkg.id, v);
          ctx.analysis.forgetScan(NPM, pkg.name, v);
        }
        const tags = ctx.repo.tags(pkg.id);
        for (const [t, v] of Object.entries(tags)) if (removed.includes(v)) ctx.repo.deleteTag(pkg.id, t);
        if (removed.includes(tags.latest)) {
          // Recomputed here, not taken from the client: npm may pick a prerelease (trap 21).
          const left = rows.map((r) => r.version).filter((v) => !removed.includes(v));
          const stable = left.filter((v) => !semver.prerelease(v));
          const latest = semver.rsort(stable.length > 0 ? stable : left)[0];
          ctx.repo.setTag(pkg.id, 'latest', latest);
        }
        ctx.repo.touch(pkg.id, now);
        // The score counted the removed versions (publish history, perhaps the latest and its scan): computed again.
        ctx.security?.rescore(pkg.name);
      }
      enqueueEvent(ctx.db, { table: 'outbox' }, ctx.clock, {
        type: 'package.unpublished',
        ownerId: who.userId,
        subject: `package:${pkg.name}`,
        data: { ecosystem: NPM, name: pkg.name, versions: removed, wholePackage: removed.length === rows.length },
      });
      audit(ctx, who, 'package.unpublish', pkg, { versions: removed, wholePackage: removed.length === rows.length });
    })
    .immediate();
  return removed;
}
