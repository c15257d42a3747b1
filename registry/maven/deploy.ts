// What a Maven PUT does: artifacts are stored (releases immutable, SNAPSHOT builds overwritable and pruned to
// the last N), checksum files are verified against the stored artifact and not kept (the server computes
// them), and client-written maven-metadata.xml is accepted but ignored: the server regenerates it.
import { XMLParser } from 'fast-xml-parser';
import type { Principal } from '../../lib/auth.ts';
import { AppError, badRequest, forbidden } from '../../lib/errors.ts';
import type { FormatContext } from '../multiformat/context.ts';
import { storeArtifact } from '../multiformat/publish.ts';
import { type ArtifactCoords, type Coords, isSnapshot, packageName } from './coordinates.ts';
import { compareMaven } from './metadata.ts';

export const MAVEN = 'maven';

interface PomFacts {
  artifactId?: string;
  version?: string;
  groupId?: string;
  name?: string;
  description?: string;
  license?: string;
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);

/** The POM's own coordinates and description; 400 when it is not XML or names another artifact (M5). */
function checkPom(c: ArtifactCoords, bytes: Buffer): PomFacts {
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: true, processEntities: false }).parse(bytes.toString('utf8'));
  } catch {
    throw badRequest(`${c.filename} is not a well-formed POM`, undefined, 'INVALID_POM');
  }
  const project = doc.project as Record<string, unknown> | undefined;
  if (!project || typeof project !== 'object') throw badRequest(`${c.filename} has no <project> element`, undefined, 'INVALID_POM');
  const parent = (project.parent ?? {}) as Record<string, unknown>;
  const licenses = (project.licenses as { license?: unknown } | undefined)?.license;
  const first = Array.isArray(licenses) ? licenses[0] : licenses;
  const facts: PomFacts = {
    artifactId: text(project.artifactId),
    version: text(project.version) ?? text(parent.version),
    groupId: text(project.groupId) ?? text(parent.groupId),
    name: text(project.name),
    description: text(project.description),
    license: text((first as Record<string, unknown> | undefined)?.name),
  };
  if (facts.artifactId !== c.artifactId)
    throw badRequest(`${c.filename} declares artifactId ${facts.artifactId ?? '(none)'}, not ${c.artifactId}`, undefined, 'POM_MISMATCH');
  if (facts.version !== undefined && !facts.version.includes('${') && facts.version !== c.version)
    throw badRequest(`${c.filename} declares version ${facts.version}, not ${c.version}`, undefined, 'POM_MISMATCH');
  if (facts.groupId !== undefined && !facts.groupId.includes('${') && facts.groupId !== c.groupId)
    throw badRequest(`${c.filename} declares groupId ${facts.groupId}, not ${c.groupId}`, undefined, 'POM_MISMATCH');
  return facts;
}

/** Keeps the newest `keep` timestamped builds of a SNAPSHOT version; older rows go (their blobs stay as orphans). */
function pruneSnapshots(ctx: FormatContext, packageId: number, version: string) {
  const rows = ctx.files.ofVersion(packageId, version);
  const builds = [
    ...new Set(rows.map((r) => (JSON.parse(r.meta) as { buildNumber: number | null }).buildNumber).filter((b) => b !== null)),
  ].sort((a, b) => (b as number) - (a as number));
  const keep = new Set(builds.slice(0, ctx.snapshotRetention));
  for (const r of rows) {
    const b = (JSON.parse(r.meta) as { buildNumber: number | null }).buildNumber;
    if (b !== null && !keep.has(b)) ctx.files.remove(MAVEN, r.path);
  }
}

export async function deployFile(
  ctx: FormatContext,
  c: Coords,
  bytes: Buffer,
  who: Principal,
  access: 'public' | 'restricted' | undefined,
): Promise<number> {
  if (c.kind === 'metadata') return 201; // regenerated from the stored files on every GET
  const name = packageName(c);
  if (c.checksum) {
    const file = ctx.files.file(MAVEN, c.path);
    if (!file) throw badRequest(`checksum for ${c.filename}, which was not uploaded`, undefined, 'CHECKSUM_WITHOUT_ARTIFACT');
    const given = bytes.toString('utf8').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    const actual = c.checksum === 'sha512' ? file.blob_sha512 : file[c.checksum];
    if (given !== actual)
      throw badRequest(
        `${c.checksum} checksum mismatch for ${c.filename}: the artifact has ${actual}, the file says ${given.slice(0, 128)}`,
        undefined,
        'CHECKSUM_MISMATCH',
      );
    return 201;
  }
  const pom = c.extension === 'pom' ? checkPom(c, bytes) : undefined;
  const snapshot = isSnapshot(c.version);
  const outcome = await storeArtifact(
    ctx,
    {
      ecosystem: MAVEN,
      name,
      version: c.version,
      path: c.path,
      kind: c.extension,
      bytes,
      meta: { classifier: c.classifier, extension: c.extension, timestamp: c.timestamp, buildNumber: c.buildNumber },
      manifest: { groupId: c.groupId, artifactId: c.artifactId, version: c.version, license: pom?.license ?? null },
      description: pom?.description ?? pom?.name ?? '',
      keywords: [],
      access,
      mutable: snapshot,
      scan: ['jar', 'war', 'ear', 'aar'].includes(c.extension),
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
    },
  );
  if (snapshot && outcome.status !== 'identical') {
    const pkg = ctx.repo.find(MAVEN, name)!;
    ctx.db.transaction(() => pruneSnapshots(ctx, pkg.id, c.version)).immediate();
  }
  if (pom && outcome.status !== 'identical' && (pom.description || pom.name)) {
    const pkg = ctx.repo.find(MAVEN, name)!;
    if (ctx.repo.tags(pkg.id).latest === c.version)
      ctx.db.transaction(() => ctx.repo.setMeta(pkg.id, pom.description ?? pom.name ?? '', [])).immediate();
  }
  return outcome.status === 'identical' ? 200 : 201;
}
