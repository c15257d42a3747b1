// Publishing an npm version: validate (publish-validate.ts), check rights and immutability, write the blob
// durably, then one IMMEDIATE transaction (shared with concurrent publishes) for version + burned identifier +
// dist-tag + outbox event.

import { enqueueAudit } from '../../lib/audit-outbox.ts';
import type { Principal } from '../../lib/auth.ts';
import { forbidden } from '../../lib/errors.ts';
import { enqueueEvent } from '../../lib/outbox.ts';
import { groupCommitOf } from '../group-commit.ts';
import { assertCanCreate, assertMayPublish, assertWritable } from './access-rules.ts';
import { isoAt, NPM, type NpmContext } from './context.ts';
import { tarballFilename } from './names.ts';
import { type PreparedPublish, preparePublish } from './publish-validate.ts';

export interface PublishResult {
  replay: boolean;
  name: string;
  version: string;
}

/**
 * npm's rule after a whole package is unpublished: nobody, its former owners included, publishes that name again
 * for 24 hours. Without it a stranger could claim the name the moment it is freed and be installed by every
 * package whose range still names it (a dependency takeover).
 */
export const REUSE_AFTER_UNPUBLISH_MS = 24 * 3600 * 1000;

/** Refuses a new package whose name was freed by an unpublish less than REUSE_AFTER_UNPUBLISH_MS ago. */
function assertNameReusable(ctx: NpmContext, name: string): void {
  const freedAt = Math.max(0, ...ctx.repo.burnedAll(NPM, name).map((b) => (b.unpublished_at ? Date.parse(b.unpublished_at) : 0)));
  const reusableAt = freedAt + REUSE_AFTER_UNPUBLISH_MS;
  if (ctx.clock.now() < reusableAt)
    throw forbidden(
      `${name} was unpublished less than 24 hours ago: the name can be published again from ${new Date(reusableAt).toISOString()}`,
      'NAME_RECENTLY_UNPUBLISHED',
    );
}

/**
 * npm's sentence first (scripts and people know it). A version that was unpublished is not in `npm view`'s list, so
 * the refusal also says so and when: otherwise the user is told it exists while every listing says it does not.
 */
const overwriteError = (version: string, unpublishedAt: string | null) =>
  forbidden(
    `You cannot publish over the previously published versions: ${version}.` +
      (unpublishedAt
        ? ` ${version} was unpublished on ${unpublishedAt}, and an unpublished version number can never be used again: publish a new version.`
        : ''),
    'VERSION_EXISTS',
  );

/** The checks that must pass before any byte is stored; run again inside the transaction. */
function checkRights(ctx: NpmContext, p: PreparedPublish, who: Principal): 'replay' | 'ok' {
  const burned = ctx.repo.burned(NPM, p.pkg.name, p.version);
  const pkg = ctx.repo.find(NPM, p.pkg.name);
  if (burned) {
    // npm retries a PUT that got a 5xx (fact 7): an identical replay of a live version is a success.
    const live = pkg && ctx.repo.version(pkg.id, p.version);
    if (live && live.integrity === p.integrity && burned.unpublished_at === null) return 'replay';
    throw overwriteError(p.version, burned.unpublished_at);
  }
  if (pkg) assertWritable(ctx, pkg, who);
  else {
    assertCanCreate(ctx, p.pkg, who);
    assertNameReusable(ctx, p.pkg.name);
    if (p.access === 'restricted' && !ctx.identity.privatePackagesAllowed(p.pkg.scope, who.userId))
      throw forbidden(
        'your plan does not include private packages: upgrade to Team to publish restricted packages',
        'PLAN_LIMIT_EXCEEDED',
        {
          limit: 'privatePackages',
          upgradeTo: 'team',
        },
      );
  }
  return 'ok';
}

export async function publishVersion(ctx: NpmContext, urlName: string, body: unknown, who: Principal): Promise<PublishResult> {
  assertMayPublish(who);
  const p = preparePublish(urlName, body, ctx.maxTarballBytes);
  if (checkRights(ctx, p, who) === 'replay') return { replay: true, name: p.pkg.name, version: p.version };
  // Issue #6: scanned in memory before any byte is stored; a block verdict throws the npm-style refusal.
  const scan = ctx.security?.checkPublish({
    name: p.pkg.name,
    version: p.version,
    manifest: p.manifest,
    tarball: p.tarball,
    publisher: who,
  });
  const sha512 = await ctx.blobs.put(p.tarball);
  const signature = ctx.signer.sign(p.pkg.name, p.version, p.integrity);
  (p.manifest.dist as Record<string, unknown>).signatures = [signature];
  const now = isoAt(ctx.clock);
  // Committed together with the publishes of the same event-loop turn (group-commit.ts): one fsync for all.
  const replay = await groupCommitOf(ctx.db)(() => {
    if (checkRights(ctx, p, who) === 'replay') return true;
    let pkg = ctx.repo.find(NPM, p.pkg.name);
    let id: number;
    if (!pkg) {
      id = ctx.repo.insert({
        ecosystem: NPM,
        name: p.pkg.name,
        scope: p.pkg.scope ?? null,
        description: p.description,
        keywords: p.keywords,
        access: p.access ?? 'public',
        now,
      });
      ctx.repo.addMaintainer(id, { user_id: who.userId, username: who.username, email: who.email }, now);
    } else id = pkg.id;
    ctx.repo.ensureBlob(sha512, p.tarball.length, now);
    ctx.repo.insertVersion({
      package_id: id,
      version: p.version,
      manifest: JSON.stringify(p.manifest),
      readme: p.readme,
      filename: tarballFilename(p.pkg, p.version),
      blob_sha512: sha512,
      integrity: p.integrity,
      shasum: p.shasum,
      size: p.tarball.length,
      publisher_id: who.userId,
      publisher_name: who.username,
      published_at: now,
    });
    ctx.repo.burn(NPM, p.pkg.name, p.version, p.integrity, now);
    ctx.repo.setTag(id, p.tag, p.version);
    // A package always has a latest tag, as on npmjs: a first publish with --tag beta gets latest too. Without it
    // npm view prints nothing and npm install <name> fails with ETARGET (npm-pick-manifest ignores prereleases
    // for *); once latest exists, later --tag publishes leave it alone.
    if (p.tag !== 'latest' && !ctx.repo.tags(id).latest) ctx.repo.setTag(id, 'latest', p.version);
    pkg = ctx.repo.find(NPM, p.pkg.name)!;
    const tags = ctx.repo.tags(id);
    if (tags.latest === p.version || !tags.latest) ctx.repo.setMeta(id, p.description, p.keywords);
    ctx.repo.touch(id, now);
    if (scan) ctx.security?.recordPublish(scan);
    enqueueEvent(ctx.db, { table: 'outbox' }, ctx.clock, {
      type: 'package.published',
      ownerId: who.userId,
      subject: `package:${p.pkg.name}`,
      // packageId, as every ecosystem's publish and the download counts send it: the main API's analytics answer
      // ?id=pkg-<n> from the first event that names it.
      data: {
        ecosystem: NPM,
        name: p.pkg.name,
        packageId: `pkg-${id}`,
        version: p.version,
        tag: p.tag,
        integrity: p.integrity,
        publisher: who.username,
        // The main API's analytics hide a restricted package's download counts from the start (the other
        // ecosystems' publishes say it too).
        access: pkg.access,
      },
    });
    enqueueAudit(ctx.db, { table: 'outbox' }, ctx.clock, who, 'package.publish', `package:${p.pkg.name}`, {
      ecosystem: NPM,
      name: p.pkg.name,
      version: p.version,
      tag: p.tag,
    });
    return false;
  });
  return { replay, name: p.pkg.name, version: p.version };
}
