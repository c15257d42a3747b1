// The legacy upload API (Warehouse forklift/legacy.py file_upload) as twine 4 uses it: checks in Warehouse's order
// (filename, digests, name and version against the filename and the archive's own metadata), then the shared
// store. Messages are Warehouse's, because twine prints the reason phrase and --skip-existing matches on it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { gt } from '@renovatebot/pep440';
import type { Principal } from '../../lib/auth.ts';
import { AppError, badRequest, forbidden } from '../../lib/errors.ts';
import { assertPublishable, noPackageToPublish } from '../multiformat/access.ts';
import type { FormatContext } from '../multiformat/context.ts';
import { storeArtifact, type UploadOutcome } from '../multiformat/publish.ts';
import { assertValidRequirements, field, fieldAll, readDistMetadata, releaseDetails } from './metadata.ts';
import { checkFilename, isLocalVersion, isValidName, isValidVersion, normalizeName, parseFilename, sameVersion } from './names.ts';

/** Whether a release becomes `latest` over the current one (PEP 440 order, as uploads have always set it). */
export const isNewerRelease = (version: string, current: string | undefined) => !current || gt(version, current);

export const PYPI = 'pypi';

export interface UploadForm {
  fields: Map<string, string[]>;
  file?: { filename: string; bytes: Buffer };
}

const one = (form: UploadForm, key: string) => form.fields.get(key)?.[0]?.trim() ?? '';

function digestMatches(given: string, actual: Buffer): boolean {
  const g = Buffer.from(given.toLowerCase(), 'hex');
  return g.length === actual.length && timingSafeEqual(g, actual);
}

/**
 * 400 unless every digest sent matches the bytes (legacy.py). blake2_256_digest is not checked: Node's OpenSSL has
 * no BLAKE2b-256, so sha256 (which twine always sends) or md5 must be present and is what is verified.
 */
function checkDigests(form: UploadForm, bytes: Buffer): void {
  let any = false;
  for (const [key, alg] of [
    ['md5_digest', 'md5'],
    ['sha256_digest', 'sha256'],
  ]) {
    const given = one(form, key);
    if (!given) continue;
    any = true;
    if (!digestMatches(given, createHash(alg).update(bytes).digest())) throw digestMismatch();
  }
  if (!any) throw badRequest('Include at least one message digest: sha256_digest or md5_digest.', undefined, 'DIGEST_MISSING');
}

const digestMismatch = () =>
  badRequest('The digest supplied does not match a digest calculated from the uploaded file.', undefined, 'DIGEST_MISMATCH');

export async function uploadDistribution(ctx: FormatContext, form: UploadForm, who: Principal): Promise<UploadOutcome> {
  const action = one(form, ':action');
  if (action !== 'file_upload') throw badRequest(`Unknown :action ${JSON.stringify(action.slice(0, 40))}: use file_upload.`);
  if (!form.file) throw badRequest('Upload payload does not have a file.', undefined, 'FILE_MISSING');
  const { filename, bytes } = form.file;
  checkFilename(filename);
  const name = one(form, 'name');
  const version = one(form, 'version');
  if (!isValidName(name)) throw badRequest(`Invalid value for name: ${JSON.stringify(name.slice(0, 100))} is not a valid project name.`);
  if (!isValidVersion(version))
    throw badRequest(`Invalid value for version: ${JSON.stringify(version.slice(0, 100))} is not a valid PEP 440 version.`);
  // Warehouse's rule and message: a local version ("1.0+ubuntu1") is for downstream rebuilds, never an index; pip
  // would also take it for "==1.0" (PEP 440 "Local version identifiers").
  if (isLocalVersion(version)) throw badRequest("Can't use PEP 440 local versions.", undefined, 'LOCAL_VERSION');
  const project = normalizeName(name);
  const parsed = parseFilename(filename, name);
  if (!parsed) throw badRequest(`Invalid distribution filename: ${filename}.`, undefined, 'INVALID_FILENAME');
  const filetype = one(form, 'filetype');
  if (filetype && filetype !== parsed.kind)
    throw badRequest(`Invalid filetype ${filetype} for ${filename}.`, undefined, 'INVALID_FILENAME');
  if (normalizeName(parsed.name) !== project)
    throw badRequest(`Start filename for '${project}' with '${name}'.`, undefined, 'FILENAME_MISMATCH');
  if (!sameVersion(parsed.version, version))
    throw badRequest(`Version in filename should be '${version}' not '${parsed.version}'.`, undefined, 'FILENAME_MISMATCH');
  checkDigests(form, bytes);
  const dist = readDistMetadata(bytes, parsed.kind, parsed.name, parsed.version);
  const metaName = field(dist.meta, 'Name') ?? '';
  const metaVersion = field(dist.meta, 'Version') ?? '';
  if (normalizeName(metaName) !== project)
    throw badRequest(`Name in metadata '${metaName}' does not match the upload name '${name}'.`, undefined, 'METADATA_MISMATCH');
  if (!sameVersion(metaVersion, version))
    throw badRequest(
      `Version in metadata '${metaVersion}' does not match the upload version '${version}'.`,
      undefined,
      'METADATA_MISMATCH',
    );

  const refusals = {
    notOwner: (p: Principal) => forbidden(`The user '${p.username}' isn't allowed to upload to project '${project}'.`, 'NOT_MAINTAINER'),
    hidden: () => noPackageToPublish(`No project '${project}' that you can upload to.`),
  };
  const pkg = ctx.repo.find(PYPI, project);
  // The release is keyed by the version of its first file, so "1.0" and "1.0.0" share one release: a later file
  // under an equal PEP 440 version joins it (Warehouse looks the release up by its canonical version), instead of
  // making a second release that pip would see as the same version twice.
  let release: string | undefined;
  if (pkg) {
    // Rights first: the release checks below would tell an outsider about a private project's files.
    assertPublishable(ctx, pkg, who, refusals);
    release = ctx.repo.versions(pkg.id).find((v) => sameVersion(v.version, version))?.version;
    if (release && parsed.kind === 'sdist' && ctx.files.file(PYPI, `${project}/${filename}`) === undefined) {
      if (ctx.files.ofVersion(pkg.id, release).some((f) => f.kind === 'sdist'))
        throw badRequest('Only one sdist may be uploaded per release.', undefined, 'SDIST_EXISTS');
    }
  }
  const releaseVersion = release ?? metaVersion;
  const requiresPython = field(dist.meta, 'Requires-Python') ?? one(form, 'requires_python');
  const requiresDist = fieldAll(dist.meta, 'Requires-Dist');
  assertValidRequirements(requiresDist);
  const summary = field(dist.meta, 'Summary') ?? one(form, 'summary');
  const keywords = (field(dist.meta, 'Keywords') ?? one(form, 'keywords'))
    .split(/[,\s]+/)
    .filter(Boolean)
    .slice(0, 20);
  const metadataSha = createHash('sha256').update(dist.raw).digest('hex');
  const path = `${project}/${filename}`;
  return storeArtifact(
    ctx,
    {
      ecosystem: PYPI,
      name: project,
      version: releaseVersion,
      path,
      kind: parsed.kind,
      bytes,
      meta: {
        filename,
        requiresPython: requiresPython || null,
        coreMetadataSha256: parsed.kind === 'bdist_wheel' ? metadataSha : null,
      },
      manifest: {
        name: metaName,
        version: metaVersion,
        summary,
        license: field(dist.meta, 'License') ?? null,
        requiresPython: requiresPython || null,
        requiresDist,
        homepage: field(dist.meta, 'Home-page') ?? null,
        details: releaseDetails(dist.meta),
      },
      description: summary.slice(0, 500),
      keywords,
      readme: dist.meta.description.slice(0, 256 * 1024),
      scan: true,
      extras: parsed.kind === 'bdist_wheel' ? [{ path: `${path}.metadata`, bytes: dist.raw }] : [],
      isNewer: (current) => isNewerRelease(releaseVersion, current),
    },
    who,
    {
      exists: () => new AppError(409, 'FILE_EXISTS', `File already exists: ${filename} was uploaded before with other bytes.`),
      ...refusals,
    },
  );
}
