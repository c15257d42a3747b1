// gem owner (rubygems.org's API v1 owners: GET /api/v1/gems/<name>/owners[.json|.yaml], POST and DELETE with
// email=<e-mail or handle>): a gem's owners are its package maintainers, the rows npm owner edits, under the rules of
// the package's visibility and org (multiformat/access.ts canGovern). gem prints the body text of every answer.
import { enqueueAudit } from '../../lib/audit-outbox.ts';
import type { Principal } from '../../lib/auth.ts';
import { forbidden, notFound } from '../../lib/errors.ts';
import { readOnlyRefusal } from '../../lib/request-auth.ts';
import { canGovern, canReadPackage } from '../multiformat/access.ts';
import { type FormatContext, isoNow } from '../multiformat/context.ts';
import type { PackageRow } from '../packages-repo.ts';
import { RUBYGEMS } from './push.ts';

export interface GemOwner {
  handle: string;
  /** Only to those who manage the gem: rubygems.org shows an owner's address only when its owner made it public. */
  email?: string;
}

/** The owners of a gem the caller may read, oldest first. */
export function listOwners(ctx: FormatContext, pkg: PackageRow, who: Principal | undefined): GemOwner[] {
  const manager = who !== undefined && canGovern(ctx, pkg, who);
  return ctx.repo.maintainers(pkg.id).map((m) => (manager ? { handle: m.username, email: m.email } : { handle: m.username }));
}

/** gem owner prints the list as YAML (Gem::SafeYAML.load): JSON strings are YAML strings, so values need no escaping rule of their own. */
export function ownersYaml(owners: GemOwner[]): string {
  const entry = (o: GemOwner) =>
    Object.entries(o)
      .map(([k, v], i) => `${i === 0 ? '- ' : '  '}${k}: ${JSON.stringify(v)}`)
      .join('\n');
  return `---\n${owners.map((o) => `${entry(o)}\n`).join('')}`;
}

/** Adds (`add`) or removes an owner named by e-mail address or handle; returns the sentence gem prints. */
export function changeOwner(ctx: FormatContext, who: Principal, name: string, owner: string, add: boolean): string {
  const pkg = ctx.repo.find(RUBYGEMS, name);
  // A private gem the caller cannot read does not exist for them (as gem push and yank answer).
  if (!pkg || !canReadPackage(ctx, pkg, who)) throw notFound('This rubygem could not be found.', 'PACKAGE_NOT_FOUND');
  if (!canGovern(ctx, pkg, who)) throw forbidden('You do not have permission to manage the owners of this gem.', 'NOT_MAINTAINER');
  if (who.readonly) throw readOnlyRefusal('change owners');
  const user = ctx.identity.userByEmail(owner) ?? ctx.identity.userByName(owner);
  const current = ctx.repo.maintainers(pkg.id);
  if (!user || (!add && !current.some((m) => m.user_id === user.id))) throw notFound('Owner could not be found.', 'USER_NOT_FOUND');
  // As npm owner add (npm/changes.ts setOwners): an owner must be able to push, else the gem could end up with
  // owners none of whom may publish it.
  if (add && user.role !== 'publisher' && user.role !== 'admin')
    throw forbidden(
      `${user.username} has the role user and could not push ${name}: an admin can make the account a publisher first`,
      'ROLE_REQUIRED',
    );
  if (!add && current.length === 1) throw forbidden('Unable to remove owner: a gem keeps at least one owner.', 'LAST_OWNER');
  ctx.db
    .transaction(() => {
      const now = isoNow(ctx.clock);
      if (add) ctx.repo.addMaintainer(pkg.id, { user_id: user.id, username: user.username, email: user.email }, now);
      else ctx.repo.removeMaintainer(pkg.id, user.id);
      ctx.repo.touch(pkg.id, now);
      enqueueAudit(ctx.db, { table: 'outbox' }, ctx.clock, who, 'package.owner.set', `package:${RUBYGEMS}:${name}`, {
        ecosystem: RUBYGEMS,
        name,
        owners: ctx.repo.maintainers(pkg.id).map((m) => m.username),
      });
    })
    .immediate();
  return add ? 'Owner added successfully.' : 'Owner removed successfully.';
}
