// Storing one uploaded file of PyPI, Maven or RubyGems: rights and immutability checks, the publish-time scan,
// the blob written durably, then one IMMEDIATE transaction for package, version, file, burned identity, scan and
// the package.published outbox event (DESIGN.md sections 3-4); the new score follows the acknowledgement. The
// protocols decide names and messages.

import { enqueueAudit } from '../../lib/audit-outbox.ts';
import type { Principal } from '../../lib/auth.ts';
import { type AppError, conflict, forbidden } from '../../lib/errors.ts';
import { enqueueEvent } from '../../lib/outbox.ts';
import { assertMayPublish } from '../npm/access-rules.ts';
import { type ScanRow, securityRepoOf } from '../security/security-repo.ts';
import type { Ecosystem } from '../security/versions.ts';
import { analyzeArtifact, SCANNER_VERSION } from '../security-scanner.ts';
import { assertPublishable, type PublishRefusals } from './access.ts';
import { type Digests, digestsOf, type FormatContext, isoNow } from './context.ts';

export interface ArtifactUpload {
  ecosystem: 'pypi' | 'maven' | 'rubygems';
  /** Canonical package name (PEP 503 normalised, "groupId:artifactId", gem name). */
  name: string;
  version: string;
  /** The file's identity (artifact_files.path), built from validated coordinates. */
  path: string;
  kind: string;
  bytes: Buffer;
  meta: Record<string, unknown>;
  /** package_versions.manifest when this file creates the version row. */
  manifest: Record<string, unknown>;
  /** This file is the authority on the version (a Maven POM): its manifest fields replace those already stored. */
  refinesManifest?: boolean;
  description: string;
  keywords: string[];
  readme?: string;
  access?: 'public' | 'restricted';
  /** Overwritable (Maven SNAPSHOT files): no burned identity, the row is replaced. */
  mutable?: boolean;
  /** Run the security scanner on this file (archives only). */
  scan?: boolean;
  /** Bytes derived from the file and served beside it (PEP 658 METADATA), keyed by path. */
  extras?: { path: string; bytes: Buffer }[];
  /** Runs inside the write transaction after the file row (RubyGems appends its /versions line). */
  afterWrite?: (packageId: number) => void;
  /** True when this version should become `latest` (the ecosystem compares versions). */
  isNewer: (current: string | undefined) => boolean;
}

export interface UploadErrors extends PublishRefusals {
  /** The same identity with other bytes (or burned after yank/deletion). */
  exists: () => AppError;
}

export type UploadOutcome = { status: 'created' | 'replaced' | 'identical'; digests: Digests };

/** The OSV / scanner name of each ecosystem. */
export const SCAN_ECOSYSTEM: Record<ArtifactUpload['ecosystem'], Ecosystem> = { pypi: 'PyPI', maven: 'Maven', rubygems: 'RubyGems' };

function check(ctx: FormatContext, u: ArtifactUpload, d: Digests, who: Principal, errors: UploadErrors): 'identical' | 'ok' {
  const pkg = ctx.repo.find(u.ecosystem, u.name);
  if (pkg) assertPublishable(ctx, pkg, who, errors);
  if (u.mutable) return ctx.files.file(u.ecosystem, u.path)?.sha256 === d.sha256 ? 'identical' : 'ok';
  const burned = ctx.files.burned(u.ecosystem, u.path);
  if (burned === undefined) return 'ok';
  // An identical re-upload of a live file succeeds (PyPI 200, Maven re-PUT of a POM); anything else is refused.
  if (burned === d.sha256 && ctx.files.file(u.ecosystem, u.path)) return 'identical';
  throw errors.exists();
}

export async function storeArtifact(ctx: FormatContext, u: ArtifactUpload, who: Principal, errors: UploadErrors): Promise<UploadOutcome> {
  assertMayPublish(who);
  const d = digestsOf(u.bytes);
  if (check(ctx, u, d, who, errors) === 'identical') return { status: 'identical', digests: d };
  if (!ctx.repo.find(u.ecosystem, u.name) && u.access === 'restricted' && !ctx.identity.privatePackagesAllowed(undefined, who.userId))
    throw forbidden('your plan does not include private packages: upgrade to Team to publish restricted packages', 'PLAN_LIMIT_EXCEEDED');
  const sec = securityRepoOf(ctx.db);
  let scan: ScanRow | undefined;
  if (u.scan && ctx.scan) {
    const existing = ctx.repo.find(u.ecosystem, u.name);
    const result = analyzeArtifact({
      ecosystem: SCAN_ECOSYSTEM[u.ecosystem],
      name: u.name,
      version: u.version,
      manifest: { name: u.name, version: u.version, ...u.manifest } as never,
      archive: u.bytes,
      knownNames: sec.knownNames(u.ecosystem),
      publisher: { owner: [who.username], packageCreatedAt: existing?.created_at },
      previous: sec.lastScan(u.ecosystem, u.name)?.summary,
      licensePolicy: ctx.licensePolicy,
    });
    if (result.refusal) throw result.refusal;
    scan = {
      ecosystem: u.ecosystem,
      name: u.name,
      version: u.version,
      verdict: result.verdict,
      reviewState: result.verdict === 'warn' ? 'flagged' : 'none',
      findings: result.findings,
      files: result.files,
      summary: result.summary,
      license: result.license,
      scannerVersion: SCANNER_VERSION,
      scannedAt: isoNow(ctx.clock),
    };
  }
  // Durable before the row commits: a crash leaves an orphan blob, never a row without bytes.
  const blob = await ctx.blobs.put(u.bytes);
  const extras: { path: string; blob: string; bytes: Buffer }[] = [];
  for (const x of u.extras ?? []) extras.push({ path: x.path, blob: await ctx.blobs.put(x.bytes), bytes: x.bytes });
  const now = isoNow(ctx.clock);
  const outcome = ctx.db
    .transaction((): UploadOutcome => {
      if (check(ctx, u, d, who, errors) === 'identical') return { status: 'identical', digests: d };
      let pkg = ctx.repo.find(u.ecosystem, u.name);
      const id =
        pkg?.id ??
        ctx.repo.insert({
          ecosystem: u.ecosystem,
          name: u.name,
          scope: null,
          description: u.description,
          keywords: u.keywords,
          access: u.access ?? 'public',
          now,
        });
      if (!pkg) ctx.repo.addMaintainer(id, { user_id: who.userId, username: who.username, email: who.email }, now);
      pkg = ctx.repo.find(u.ecosystem, u.name)!;
      ctx.repo.ensureBlob(blob, u.bytes.length, now);
      const row = {
        ecosystem: u.ecosystem,
        path: u.path,
        blob_sha512: blob,
        size: u.bytes.length,
        sha256: d.sha256,
        sha1: d.sha1,
        md5: d.md5,
        meta: JSON.stringify(u.meta),
        publisher_id: who.userId,
        uploaded_at: now,
      };
      const replaced = ctx.files.file(u.ecosystem, u.path) !== undefined;
      if (replaced) ctx.files.replace(row);
      else ctx.files.insert({ ...row, package_id: id, version: u.version, kind: u.kind });
      if (!u.mutable) ctx.files.burn(u.ecosystem, u.path, d.sha256, now);
      for (const x of extras) {
        ctx.repo.ensureBlob(x.blob, x.bytes.length, now);
        ctx.files.putExtra(u.ecosystem, x.path, x.blob, digestsOf(x.bytes).sha256);
      }
      const newVersion = !ctx.repo.version(id, u.version);
      if (newVersion) {
        ctx.repo.insertVersion({
          package_id: id,
          version: u.version,
          manifest: JSON.stringify(u.manifest),
          readme: u.readme ?? '',
          filename: u.path.slice(u.path.lastIndexOf('/') + 1),
          blob_sha512: blob,
          integrity: d.integrity,
          shasum: d.sha1,
          size: u.bytes.length,
          publisher_id: who.userId,
          publisher_name: who.username,
          published_at: now,
        });
        if (u.isNewer(ctx.repo.tags(id).latest)) {
          ctx.repo.setTag(id, 'latest', u.version);
          ctx.repo.setMeta(id, u.description, u.keywords);
        }
      } else if (u.refinesManifest) {
        const stored = JSON.parse(ctx.repo.version(id, u.version)!.manifest) as Record<string, unknown>;
        ctx.repo.setManifest(id, u.version, JSON.stringify({ ...stored, ...u.manifest }));
      }
      ctx.repo.touch(id, now);
      u.afterWrite?.(id);
      if (scan) sec.saveScan(scan);
      if (newVersion) {
        enqueueEvent(ctx.db, { table: 'outbox' }, ctx.clock, {
          type: 'package.published',
          ownerId: who.userId,
          subject: `package:${u.ecosystem}:${u.name}`,
          data: {
            ecosystem: u.ecosystem,
            name: u.name,
            version: u.version,
            packageId: `pkg-${id}`,
            access: pkg.access,
            integrity: d.integrity,
            publisher: who.username,
          },
        });
        enqueueAudit(ctx.db, { table: 'outbox' }, ctx.clock, who, 'package.publish', `package:${u.ecosystem}:${u.name}`, {
          ecosystem: u.ecosystem,
          name: u.name,
          version: u.version,
        });
      }
      return { status: replaced ? 'replaced' : 'created', digests: d };
    })
    .immediate();
  // The score reads the download population: it follows the acknowledgement, as npm's does (issue #11).
  if (outcome.status !== 'identical') ctx.queueRescore(u.ecosystem, u.name);
  return outcome;
}

/** A refusal for someone else's package, shaped like npm's (403 NOT_MAINTAINER). */
export const notMaintainer = (message: string) => forbidden(message, 'NOT_MAINTAINER');
export const fileExists = (message: string, code = 'FILE_EXISTS') => conflict(message, code);

/**
 * After a yank or an unyank: `latest` is the newest version, by the ecosystem's own rule (`isNewer`, the one its
 * uploads use), that still has a file clients install. PyPI's JSON `info.version` and rubygems.org skip yanked
 * releases the same way; the details, search and score read this tag. When every version is yanked, latest stays
 * where it is. Call inside the write transaction of the yank.
 */
export function retagLatest(ctx: FormatContext, packageId: number, isNewer: (version: string, current: string | undefined) => boolean) {
  let best: string | undefined;
  for (const f of ctx.files.served(packageId)) if (f.yanked === null && f.version !== best && isNewer(f.version, best)) best = f.version;
  if (best !== undefined && best !== ctx.repo.tags(packageId).latest) ctx.repo.setTag(packageId, 'latest', best);
}
