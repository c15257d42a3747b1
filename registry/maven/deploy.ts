// What a Maven PUT does: artifacts are stored (releases immutable, SNAPSHOT builds overwritable and pruned to
// the last N), checksum files are verified against the stored artifact and not kept (the server computes
// them), and client-written maven-metadata.xml (artifact, SNAPSHOT or group level) is accepted but ignored: the
// server regenerates it. A main jar's plugin descriptor and a POM's packaging and name are kept in the file's meta
// for the group-level metadata (group-metadata.ts).
//
// Checksums, as repository managers verify them (Artifactory's default "verify against client checksums" policy):
// X-Checksum-Sha1/-Md5/-Sha256/-Sha512 headers on the artifact PUT are checked before anything is stored; a
// .sha1/.md5/... PUT that disagrees with the artifact just deployed means the bytes were damaged on the way, so
// that artifact is withdrawn (400, row, burned name and blob gone: a retry of the deploy stores the right bytes)
// instead of being served as good. An artifact already confirmed by a matching checksum, or deployed longer ago
// than the deploy window, or by someone else, is never withdrawn by a stray checksum: that PUT is only refused.
import { XMLParser } from 'fast-xml-parser';
import type { Principal } from '../../lib/auth.ts';
import { perConnection } from '../../lib/db.ts';
import { AppError, badRequest, conflict, forbidden } from '../../lib/errors.ts';
import { enqueueEvent } from '../../lib/outbox.ts';
import { canManage, canReadPackage, noPackageToPublish, type PkgRef } from '../multiformat/access.ts';
import { digestsOf, type FormatContext, isoNow } from '../multiformat/context.ts';
import type { FileRow } from '../multiformat/files-repo.ts';
import { storeArtifact } from '../multiformat/publish.ts';
import { rescoreFormatPackage } from '../multiformat/score.ts';
import { assertMayPublish } from '../npm/access-rules.ts';
import { nameSkeletonSql } from '../packages-repo.ts';
import { skeleton } from '../security/name-forms.ts';
import { type ArtifactCoords, CHECKSUMS, type ChecksumAlg, type Coords, isSnapshot, packageName } from './coordinates.ts';
import { compareMaven, xmlText } from './metadata.ts';
import { readPluginDescriptor } from './plugin-descriptor.ts';
import { loadPomInheritance, type PomLoader, pomDependencies } from './pom-dependencies.ts';

export const MAVEN = 'maven';

/** How long after its upload an unconfirmed artifact is withdrawn by a mismatching checksum (mvn PUTs them at once). */
export const DEPLOY_WINDOW_MS = 10 * 60_000;

/** Checksums declared in headers of an artifact PUT, lower-case hex by algorithm. */
export type DeclaredChecksums = Partial<Record<ChecksumAlg, string>>;

export function declaredChecksums(headers: Record<string, string | string[] | undefined>): DeclaredChecksums {
  const out: DeclaredChecksums = {};
  for (const alg of CHECKSUMS) {
    const v = headers[`x-checksum-${alg}`];
    if (typeof v === 'string' && v.trim()) out[alg] = v.trim().toLowerCase();
  }
  return out;
}

const mismatch = (alg: ChecksumAlg, filename: string, actual: string, given: string, tail = '') =>
  badRequest(
    `${alg} checksum mismatch for ${filename}: the artifact has ${actual}, the file says ${given.slice(0, 128)}${tail}`,
    undefined,
    'CHECKSUM_MISMATCH',
  );

/**
 * A .sha1/.md5/.sha256/.sha512 PUT: 201 when it matches the stored artifact (which is then confirmed), else 400;
 * a mismatch withdraws the artifact when it is still unconfirmed, fresh and the caller's own deploy.
 */
async function verifyChecksum(
  ctx: FormatContext,
  c: ArtifactCoords & { checksum: ChecksumAlg; path: string },
  text: Buffer,
  who: Principal,
) {
  const file = ctx.files.file(MAVEN, c.path);
  const pkg = ctx.repo.find(MAVEN, packageName(c));
  if (!file || !pkg || !canReadPackage(ctx, pkg, who))
    throw badRequest(`checksum for ${c.filename}, which was not uploaded`, undefined, 'CHECKSUM_WITHOUT_ARTIFACT');
  if (!canManage(ctx, pkg, who))
    throw forbidden(`${who.username} may not deploy ${pkg.name}: it belongs to other maintainers`, 'NOT_MAINTAINER');
  // A checksum PUT writes (it confirms the artifact, or withdraws it): a read-only token or a user-role account,
  // which may not deploy the artifact, may not withdraw it either.
  assertMayPublish(who);
  const given = text.toString('utf8').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const actual = c.checksum === 'sha512' ? file.blob_sha512 : file[c.checksum];
  const meta = JSON.parse(file.meta) as Record<string, unknown>;
  if (given === actual) {
    if (meta.confirmed !== true) ctx.db.transaction(() => ctx.files.setMeta(MAVEN, file.path, { ...meta, confirmed: true })).immediate();
    return;
  }
  const fresh = Date.parse(file.uploaded_at) >= ctx.clock.now() - DEPLOY_WINDOW_MS;
  if (meta.confirmed === true || !fresh || file.publisher_id !== who.userId) throw mismatch(c.checksum, c.filename, actual, given);
  // Judged again inside the write transaction: a concurrent re-deploy or confirmation of this path wins.
  const blobs = ctx.db
    .transaction(() => {
      const now = ctx.files.file(MAVEN, c.path);
      if (!now || now.sha256 !== file.sha256 || (JSON.parse(now.meta) as Record<string, unknown>).confirmed === true) return undefined;
      return withdraw(ctx, now, pkg.name, who);
    })
    .immediate();
  if (!blobs) throw mismatch(c.checksum, c.filename, actual, given);
  await ctx.gc.release(blobs);
  throw mismatch(c.checksum, c.filename, actual, given, ': the artifact was damaged in transit and is not kept, deploy it again');
}

/**
 * A groupId belongs to the publishers of its artifacts, as a namespace on Maven Central belongs to whoever verified
 * it: a new artifact may go into a group (or a subgroup: com.acme.tools is under com.acme) only when the caller
 * manages one of the artifacts of the nearest group that has any, else anyone could publish
 * com.acme:acme-core-evil beside com.acme's real artifacts and be trusted as com.acme. Groups of one segment (com,
 * org) claim nothing beneath them. Judged before the artifact is stored: two first deploys into an unclaimed group
 * at the same moment may both claim it. An admin may deploy anywhere; an artifact given to an org (POST
 * /maven2/-/access) opens its group to the org's members.
 */
// Names are "<groupId>:<artifactId>", and ';' follows ':': the range [skeleton:, skeleton;) of migration 055's name
// skeletons (lower case, without "-", "." and "_") holds every artifact of the group in any letter case, and a few
// other groups of the same skeleton, dropped by the exact comparison below.
const skeletonSql = nameSkeletonSql('name');
const groupArtifactsOf = perConnection((db) =>
  db.prepare<[string, string], PkgRef>(
    `SELECT id, name, scope, access FROM packages WHERE ecosystem = 'maven' AND ${skeletonSql} >= ? AND ${skeletonSql} < ?`,
  ),
);

/**
 * The artifacts of a group, whatever the letter case of its groupId: com.Acme is com.acme. Maven's local repository
 * on macOS and Windows (case-insensitive file systems) keeps both in one folder, so a group's owners own every case
 * of it, or anyone could publish com.ACME:acme-core beside com.acme's artifacts and have it read in their place.
 */
function artifactsOfGroup(ctx: FormatContext, group: string): PkgRef[] {
  const folded = group.toLowerCase();
  return groupArtifactsOf(ctx.db)
    .all(`${skeleton(group)}:`, `${skeleton(group)};`)
    .filter((a) => a.name.slice(0, a.name.indexOf(':')).toLowerCase() === folded);
}

/**
 * A new artifact whose coordinates differ from an existing one's only in letter case is refused, whoever deploys it:
 * both would be one path in a local repository on a case-insensitive file system, and a build resolving one would
 * get the other's jar. As RubyGems refuses case variants of a gem (rubygems/push.ts); a private artifact the caller
 * cannot read is not named.
 */
function assertNoCaseVariant(ctx: FormatContext, name: string, who: Principal): void {
  const folded = name.toLowerCase();
  const clash = ctx.repo.withSkeleton(MAVEN, skeleton(name)).find((a) => a.name !== name && a.name.toLowerCase() === folded);
  if (!clash) return;
  throw conflict(
    canReadPackage(ctx, clash, who)
      ? `${name} differs from the existing artifact ${clash.name} only in letter case, which Maven's local repository cannot tell apart on macOS and Windows: deploy to ${clash.name}`
      : `${name} differs from an existing artifact only in letter case, which Maven's local repository cannot tell apart on macOS and Windows: choose other coordinates`,
    'NAME_TAKEN',
  );
}

function assertGroupOpenTo(ctx: FormatContext, groupId: string, name: string, who: Principal): void {
  const segments = groupId.split('.');
  for (let n = segments.length; n >= Math.min(2, segments.length); n--) {
    const group = segments.slice(0, n).join('.');
    const artifacts = artifactsOfGroup(ctx, group);
    if (artifacts.length === 0) continue;
    if (artifacts.some((a) => canManage(ctx, a, who))) return;
    // A group whose artifacts are all private to others stays unknown to the caller, as a private artifact does.
    const readable = artifacts.find((a) => canReadPackage(ctx, a, who));
    if (!readable) throw noPackageToPublish(`no artifact ${name} you can deploy to`);
    // Named as its artifacts spell it, which may differ in case from the groupId asked for.
    const owned = readable.name.slice(0, readable.name.indexOf(':'));
    throw forbidden(
      `${who.username} may not deploy ${name}: the groupId ${owned} belongs to the maintainers of its artifacts (one of them can give an artifact to an org of yours)`,
      'GROUP_NOT_OWNED',
    );
  }
}

/** Artifact kinds the publish-time scanner reads (the others, POMs and checksums, are not archives). */
const SCANNED_KINDS = ['jar', 'war', 'ear', 'aar'];

/**
 * Removes a refused artifact and what only it made exist (its version row, the package it created, their scan and
 * score rows); returns blobs to release. A version that goes had been announced (package.published), so its
 * withdrawal is announced too.
 */
function withdraw(ctx: FormatContext, file: FileRow, name: string, who: Principal): string[] {
  ctx.files.remove(MAVEN, file.path);
  ctx.files.unburn(MAVEN, file.path);
  const id = file.package_id;
  const left = ctx.files.ofVersion(id, file.version);
  const row = ctx.repo.version(id, file.version);
  // A scan of the damaged archive (or of a version that no longer exists) must not be shown or diffed against.
  if (left.length === 0 || SCANNED_KINDS.includes(file.kind)) ctx.files.forgetScan(MAVEN, name, file.version);
  if (row && left.length === 0) {
    ctx.repo.removeVersion(id, file.version);
    enqueueEvent(ctx.db, { table: 'outbox' }, ctx.clock, {
      type: 'package.unpublished',
      ownerId: who.userId,
      subject: `package:${MAVEN}:${name}`,
      data: {
        ecosystem: MAVEN,
        name,
        versions: [file.version],
        wholePackage: ctx.repo.versions(id).length === 0,
        reason: 'checksum mismatch',
      },
    });
  } else if (row && row.blob_sha512 === file.blob_sha512) ctx.files.repointVersion(left[left.length - 1]);
  const versions = ctx.repo.versions(id).map((v) => v.version);
  if (versions.length === 0) {
    ctx.repo.remove(id);
    ctx.files.forgetAnalysis(MAVEN, name);
    return [file.blob_sha512];
  }
  if (!versions.includes(ctx.repo.tags(id).latest ?? '')) {
    const releases = versions.filter((v) => !isSnapshot(v));
    ctx.repo.setTag(id, 'latest', (releases.length ? releases : versions).sort(compareMaven).at(-1)!);
  }
  ctx.repo.touch(id, isoNow(ctx.clock));
  // The score was computed with the withdrawn version (latest, scan, publish history): computed again without it.
  rescoreFormatPackage(ctx, MAVEN, name);
  return [file.blob_sha512];
}

interface PomFacts {
  artifactId?: string;
  version?: string;
  groupId?: string;
  name?: string;
  /** <packaging>, "jar" when absent (Maven's default). */
  packaging: string;
  description?: string;
  license?: string;
  /** The parsed <project>, for its dependencies (pom-dependencies.ts). */
  project: Record<string, unknown>;
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);

/** The <project> of a POM document; undefined when it is not XML or has none. */
function parsePom(bytes: Buffer): Record<string, unknown> | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false }).parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const project = doc?.project as Record<string, unknown> | undefined;
  return project && typeof project === 'object' ? project : undefined;
}

/** The POM's own coordinates and description; 400 when it is not XML or names another artifact (M5). */
function checkPom(c: ArtifactCoords, bytes: Buffer): PomFacts {
  const project = parsePom(bytes);
  if (!project) throw badRequest(`${c.filename} is not a well-formed POM with a <project> element`, undefined, 'INVALID_POM');
  const parent = (project.parent ?? {}) as Record<string, unknown>;
  const licenses = (project.licenses as { license?: unknown } | undefined)?.license;
  const first = Array.isArray(licenses) ? licenses[0] : licenses;
  const facts: PomFacts = {
    artifactId: text(project.artifactId),
    version: text(project.version) ?? text(parent.version),
    groupId: text(project.groupId) ?? text(parent.groupId),
    name: text(project.name),
    packaging: text(project.packaging) || 'jar',
    description: text(project.description),
    license: text((first as Record<string, unknown> | undefined)?.name),
    project,
  };
  if (facts.artifactId !== c.artifactId)
    throw badRequest(`${c.filename} declares artifactId ${facts.artifactId ?? '(none)'}, not ${c.artifactId}`, undefined, 'POM_MISMATCH');
  if (facts.version !== undefined && !facts.version.includes('${') && facts.version !== c.version)
    throw badRequest(`${c.filename} declares version ${facts.version}, not ${c.version}`, undefined, 'POM_MISMATCH');
  if (facts.groupId !== undefined && !facts.groupId.includes('${') && facts.groupId !== c.groupId)
    throw badRequest(`${c.filename} declares groupId ${facts.groupId}, not ${c.groupId}`, undefined, 'POM_MISMATCH');
  return facts;
}

/**
 * Parent and BOM POMs deployed to this registry, as the deployer may read them (a private parent of others
 * lends nothing, not even its versions). A SNAPSHOT parent is its newest stored build.
 */
function storedPoms(ctx: FormatContext, who: Principal): PomLoader {
  return async (groupId, artifactId, version) => {
    const pkg = ctx.repo.find(MAVEN, packageName({ groupId, artifactId }));
    if (!pkg || !canReadPackage(ctx, pkg, who)) return undefined;
    const file =
      ctx.files.file(MAVEN, `${groupId.replace(/\./g, '/')}/${artifactId}/${version}/${artifactId}-${version}.pom`) ??
      ctx.files
        .ofVersion(pkg.id, version)
        .filter((f) => f.kind === 'pom')
        .at(-1);
    const bytes = file && (await ctx.blobs.get(file.blob_sha512));
    return bytes ? parsePom(bytes) : undefined;
  };
}

/**
 * Keeps the newest `keep` timestamped builds of a SNAPSHOT version (call inside a write transaction). Returns the
 * blobs of the pruned files, for ctx.gc.release() once the transaction has committed.
 */
function pruneSnapshots(ctx: FormatContext, packageId: number, version: string): string[] {
  const rows = ctx.files.ofVersion(packageId, version);
  const buildOf = (r: FileRow) => (JSON.parse(r.meta) as { buildNumber: number | null }).buildNumber;
  const builds = [...new Set(rows.map(buildOf).filter((b) => b !== null))].sort((a, b) => b - a);
  const keep = new Set(builds.slice(0, ctx.snapshotRetention));
  const pruned = rows.filter((r) => {
    const b = buildOf(r);
    return b !== null && !keep.has(b);
  });
  for (const r of pruned) ctx.files.remove(MAVEN, r.path);
  const row = ctx.repo.version(packageId, version);
  const live = rows.filter((r) => !pruned.includes(r));
  if (row && pruned.some((r) => r.blob_sha512 === row.blob_sha512) && live.length > 0)
    ctx.files.repointVersion(live.find((r) => buildOf(r) === builds[0] && r.kind === 'jar') ?? live[live.length - 1]);
  return pruned.map((r) => r.blob_sha512);
}

export async function deployFile(
  ctx: FormatContext,
  c: Coords,
  bytes: Buffer,
  who: Principal,
  access: 'public' | 'restricted' | undefined,
  declared: DeclaredChecksums = {},
): Promise<number> {
  // Regenerated from the stored files on every GET, so the client's copy is dropped; still a deploy, refused to
  // those who may not deploy (a read-only token is refused every PUT, as its artifacts are).
  if (c.kind === 'metadata' || c.kind === 'group-metadata') {
    assertMayPublish(who);
    return 201;
  }
  const name = packageName(c);
  if (c.checksum) {
    await verifyChecksum(ctx, { ...c, checksum: c.checksum }, bytes, who);
    return 201;
  }
  const digests = digestsOf(bytes);
  for (const alg of CHECKSUMS) {
    const given = declared[alg];
    if (given !== undefined && given !== digests[alg])
      throw mismatch(alg, c.filename, digests[alg], given, ' (X-Checksum header): nothing was stored');
  }
  const pom = c.extension === 'pom' ? checkPom(c, bytes) : undefined;
  // Read once here, for the group-level metadata's plugin prefixes; a descriptor Maven could not use is refused.
  const plugin = c.extension === 'jar' && c.classifier === null ? readPluginDescriptor(c.filename, bytes) : undefined;
  // What a consumer gets on its class path, with the parent chain and imported BOMs stored here. A parent deployed
  // after its child is applied when the child is deployed again (mvn deploys a reactor's parent first).
  const dependencies = pom && pomDependencies(pom.project, await loadPomInheritance(pom.project, storedPoms(ctx, who)));
  const snapshot = isSnapshot(c.version);
  if (!ctx.repo.find(MAVEN, name)) {
    assertGroupOpenTo(ctx, c.groupId, name, who);
    assertNoCaseVariant(ctx, name, who);
  }
  const outcome = await storeArtifact(
    ctx,
    {
      ecosystem: MAVEN,
      name,
      version: c.version,
      path: c.path,
      kind: c.extension,
      bytes,
      meta: {
        classifier: c.classifier,
        extension: c.extension,
        timestamp: c.timestamp,
        buildNumber: c.buildNumber,
        ...(plugin && { plugin }),
        ...(pom && { packaging: pom.packaging, name: pom.name ? xmlText(pom.name) : null }),
      },
      manifest: {
        groupId: c.groupId,
        artifactId: c.artifactId,
        version: c.version,
        license: pom?.license ?? null,
        ...(dependencies && { dependencies }),
      },
      // The POM is the version's description: when the jar came first, its facts replace the jar's guesses.
      refinesManifest: Boolean(pom),
      description: pom?.description ?? pom?.name ?? '',
      keywords: [],
      access,
      mutable: snapshot,
      scan: SCANNED_KINDS.includes(c.extension),
      isNewer: (current) =>
        !current ||
        (snapshot
          ? isSnapshot(current) && compareMaven(c.version, current) > 0
          : isSnapshot(current) || compareMaven(c.version, current) > 0),
    },
    who,
    {
      exists: () => new AppError(409, 'RELEASE_IMMUTABLE', `release artifacts are immutable: ${c.filename} exists with other bytes`),
      notOwner: (p) => forbidden(`${p.username} may not deploy ${name}: it belongs to other maintainers`, 'NOT_MAINTAINER'),
      hidden: () => noPackageToPublish(`no artifact ${name} you can deploy to`),
    },
  );
  if (snapshot && outcome.status !== 'identical') {
    const pkg = ctx.repo.find(MAVEN, name)!;
    const dropped = ctx.db.transaction(() => pruneSnapshots(ctx, pkg.id, c.version)).immediate();
    // After the commit, and only blobs no other row shares (a rebuild with identical bytes keeps its blob).
    await ctx.gc.release(dropped);
  }
  if (pom && outcome.status !== 'identical' && (pom.description || pom.name)) {
    const pkg = ctx.repo.find(MAVEN, name)!;
    if (ctx.repo.tags(pkg.id).latest === c.version)
      ctx.db.transaction(() => ctx.repo.setMeta(pkg.id, pom.description ?? pom.name ?? '', [])).immediate();
  }
  return outcome.status === 'identical' ? 200 : 201;
}
