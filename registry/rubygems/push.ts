// gem push and gem yank (rubygems.org's Pusher and yank rules): a version, once pushed, can never be pushed
// again, not even after a yank (409 "Repushing of gem versions is not allowed.", reliability-security.md R1-R2);
// every push and yank appends its line to the compact index /versions log in the same write.
import type { Principal } from '../../lib/auth.ts';
import { AppError, conflict, forbidden, notFound } from '../../lib/errors.ts';
import { readOnlyRefusal } from '../../lib/request-auth.ts';
import { assertPublishable, canManage, canReadPackage, noPackageToPublish } from '../multiformat/access.ts';
import { type FormatContext, isoNow } from '../multiformat/context.ts';
import { retagLatest, storeArtifact } from '../multiformat/publish.ts';
import { skeleton } from '../security/name-forms.ts';
import { createVersionsLog, infoBody, md5 } from './compact-index.ts';
import { fullName, isPrerelease, parseGem, specOf } from './gem-spec.ts';

export const RUBYGEMS = 'rubygems';

const repush = () => conflict('Repushing of gem versions is not allowed.', 'VERSION_EXISTS');

/** Compares Gem::Version strings segment by segment (prerelease letters sort before numbers). */
export function compareGemVersions(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? '0';
    const q = y[i] ?? '0';
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? 1 : -1;
    if (!pn && p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export async function pushGem(ctx: FormatContext, bytes: Buffer, who: Principal): Promise<string> {
  const { spec } = parseGem(bytes);
  const file = `${fullName(spec)}.gem`;
  const refusals = {
    notOwner: () => forbidden('You do not have permission to push to this gem.', 'NOT_MAINTAINER'),
    hidden: () => noPackageToPublish(`There is no gem ${spec.name} you can push to.`),
  };
  const pkg = ctx.repo.find(RUBYGEMS, spec.name);
  // Rights before the repush check: a 409 would tell an outsider that a private gem has this version.
  if (pkg) assertPublishable(ctx, pkg, who, refusals);
  if (ctx.files.burned(RUBYGEMS, file) !== undefined) throw repush();
  // rubygems.org's Version#unique_canonical_number: 1.0.0 and 1.0.0.0 are one Gem::Version, so a second spelling of a
  // version (yanked ones included) is refused; Bundler would otherwise see two equal versions and pick either.
  const twin =
    pkg &&
    ctx.files
      .ofPackage(pkg.id)
      .map(specOf)
      .find((s) => s.platform === spec.platform && s.version !== spec.version && compareGemVersions(s.version, spec.version) === 0);
  if (twin) throw conflict(`Canonical number has already been taken. Existing version: ${twin.version}`, 'VERSION_EXISTS');
  if (!pkg) {
    // Names differing only in case, "-" or "_" would let one gem pass for another.
    // Equal folds have equal skeletons (which also drop "."): the index finds those, not a read of every gem.
    const fold = (n: string) => n.toLowerCase().replace(/[-_]/g, '');
    const clash = ctx.repo.withSkeleton(RUBYGEMS, skeleton(spec.name)).find((r) => fold(r.name) === fold(spec.name));
    // A private gem the pusher cannot see is not named (its name is not theirs to learn).
    if (clash)
      throw conflict(
        canReadPackage(ctx, clash, who)
          ? `There's already a gem called ${clash.name}: choose a name that is not only a case or -/_ variant of it.`
          : `The name ${spec.name} is too close to an existing gem's name: choose another name.`,
        'NAME_TAKEN',
      );
  }
  const log = createVersionsLog(ctx.db);
  await storeArtifact(
    ctx,
    {
      ecosystem: RUBYGEMS,
      name: spec.name,
      version: spec.version,
      path: file,
      kind: 'gem',
      bytes,
      meta: { spec },
      manifest: {
        name: spec.name,
        version: spec.version,
        platform: spec.platform,
        summary: spec.summary,
        license: spec.licenses[0] ?? null,
        homepage: spec.homepage,
        dependencies: spec.dependencies,
      },
      description: spec.summary,
      keywords: [],
      readme: spec.description ?? '',
      scan: true,
      isNewer: (current) => isNewerGem(spec.version, current),
      afterWrite: (packageId) => {
        const v = spec.platform === 'ruby' ? spec.version : `${spec.version}-${spec.platform}`;
        log.append(`${spec.name} ${v} ${md5(infoBody(ctx.files.served(packageId)))}`, isoNow(ctx.clock));
      },
    },
    who,
    { exists: repush, ...refusals },
  );
  return `Successfully registered gem: ${spec.name} (${spec.version}${spec.platform === 'ruby' ? '' : `-${spec.platform}`})`;
}

/** Whether a gem version becomes `latest` over the current one: a release beats any prerelease, then gem order. */
export const isNewerGem = (version: string, current: string | undefined) =>
  !current || (!isPrerelease(version) && (isPrerelease(current) || compareGemVersions(version, current) > 0));

export function yankGem(ctx: FormatContext, who: Principal, name: string, version: string, platform: string): string {
  const pkg = ctx.repo.find(RUBYGEMS, name);
  if (!pkg || !canReadPackage(ctx, pkg, who)) throw notFound('This gem could not be found', 'PACKAGE_NOT_FOUND');
  if (!canManage(ctx, pkg, who)) throw forbidden('You do not have permission to yank this gem.', 'NOT_MAINTAINER');
  if (who.readonly) throw readOnlyRefusal('yank');
  // The exact tuple, never a parsed slug (CVE-2022-29176).
  const file = ctx.files.file(RUBYGEMS, `${fullName({ name, version, platform })}.gem`);
  if (!file || file.package_id !== pkg.id)
    throw notFound(`The version ${version}${platform === 'ruby' ? '' : ` (${platform})`} does not exist.`, 'VERSION_NOT_FOUND');
  if (file.yanked !== null) throw new AppError(422, 'ALREADY_YANKED', `The version ${version} has already been yanked.`);
  const log = createVersionsLog(ctx.db);
  ctx.db
    .transaction(() => {
      const now = isoNow(ctx.clock);
      ctx.files.yankPath(RUBYGEMS, file.path, '');
      const v = platform === 'ruby' ? version : `${version}-${platform}`;
      log.append(`${name} -${v} ${md5(infoBody(ctx.files.served(pkg.id)))}`, now);
      retagLatest(ctx, pkg.id, isNewerGem);
      ctx.repo.touch(pkg.id, now);
    })
    .immediate();
  return `Successfully deleted gem: ${name} (${version}${platform === 'ruby' ? '' : `-${platform}`})`;
}
