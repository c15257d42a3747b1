// The PyPI JSON API as pypi.org serves it (Warehouse legacy/api/json.py, docs.pypi.org/api/json/), for the tools that
// take a base of ".../pypi" and read "<base>/<project>/json" (Renovate, release checkers): the project form (info of
// the latest release, every release's files) and the version form (one release, no "releases", as pypi.org now
// answers). Everything comes from what an upload stored: the version row (manifest fields and `details` from the
// METADATA / PKG-INFO, upload.ts; its body as readme) and the files the simple index serves (quarantined versions
// left out, yanks kept and marked: PEP 592) and the advisories of the registry's database. A value never stored is null, as pypi.org has for a field the metadata
// lacks; nothing is made up (no blake2b_256: Node has no BLAKE2b-256, so uploads never kept one).
import { compare, explain } from '@renovatebot/pep440';
import { notFound } from '../../lib/errors.ts';
import type { FormatContext } from '../multiformat/context.ts';
import type { FileRow } from '../multiformat/files-repo.ts';
import type { PackageRow, VersionRow } from '../packages-repo.ts';
import { advisoriesFor } from '../security/advisories.ts';
import type { ReleaseDetails } from './metadata.ts';
import { parseFilename, sameVersion } from './names.ts';
import { indexFiles } from './simple.ts';

/** What upload.ts keeps in package_versions.manifest (`details` only since the JSON API: older rows lack it). */
interface StoredManifest {
  name?: string;
  summary?: string;
  license?: string | null;
  requiresPython?: string | null;
  requiresDist?: string[];
  homepage?: string | null;
  details?: ReleaseDetails;
}

export interface JsonFile {
  comment_text: string;
  digests: { md5?: string; sha256: string };
  downloads: -1;
  filename: string;
  has_sig: false;
  md5_digest: string | null;
  packagetype: string;
  python_version: string | null;
  requires_python: string | null;
  size: number;
  upload_time: string;
  upload_time_iso_8601: string;
  url: string;
  yanked: boolean;
  yanked_reason: string | null;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? (v as string[]) : null);

/**
 * The served files by version, in pypi.org's shape. URLs are the simple page's links resolved against that page's
 * public URL (`base` is the public /pypi root), as pip resolves them: one place builds file links.
 */
function filesByVersion(project: string, base: string, rows: FileRow[]): Map<string, JsonFile[]> {
  const page = `${base}/simple/${project}/`;
  const out = new Map<string, JsonFile[]>();
  const listed = indexFiles(project, rows);
  for (const [i, f] of listed.entries()) {
    const row = rows[i];
    const file: JsonFile = {
      comment_text: '',
      digests: row.md5 ? { md5: row.md5, sha256: f.sha256 } : { sha256: f.sha256 },
      downloads: -1,
      filename: f.filename,
      has_sig: false,
      md5_digest: row.md5 || null,
      packagetype: row.kind,
      // What twine sends as pyversion: "source" for an sdist, the wheel filename's Python tag.
      python_version: row.kind === 'sdist' ? 'source' : (parseFilename(f.filename, project)?.pythonTag ?? null),
      requires_python: f.requiresPython || null,
      size: f.size,
      upload_time: f.uploadTime.slice(0, 19),
      upload_time_iso_8601: f.uploadTime,
      url: new URL(f.url, page).href,
      yanked: f.yanked !== null,
      yanked_reason: f.yanked || null,
    };
    const files = out.get(row.version) ?? [];
    files.push(file);
    out.set(row.version, files);
  }
  for (const files of out.values()) files.sort((a, b) => (a.filename < b.filename ? -1 : Number(a.filename > b.filename)));
  return out;
}

/**
 * The release the project form describes, as pypi.org picks it: the newest final release with a file not yanked,
 * else the newest pre-release with one, else (every release yanked) the newest release. (`latest` of the details
 * also takes pre-releases: multiformat/publish.ts retagLatest.)
 */
function latestRelease(rows: FileRow[]): string | undefined {
  const live = [...new Set(rows.filter((f) => f.yanked === null).map((f) => f.version))];
  const final = live.filter((v) => explain(v)?.is_prerelease === false);
  const pool = final.length > 0 ? final : live.length > 0 ? live : [...new Set(rows.map((f) => f.version))];
  return pool.sort(compare).at(-1);
}

function projectUrls(lines: string[] | undefined): Record<string, string> | null {
  if (!lines?.length) return null;
  const out: Record<string, string> = {};
  for (const line of lines) {
    // "Label, URL" (core metadata 1.2); Warehouse splits at the first comma the same way.
    const comma = line.indexOf(',');
    if (comma > 0) out[line.slice(0, comma).trim()] = line.slice(comma + 1).trim();
  }
  return Object.keys(out).length > 0 ? out : null;
}

function info(project: string, base: string, version: string, row: VersionRow | undefined, files: JsonFile[]) {
  const m = (row ? JSON.parse(row.manifest) : {}) as StoredManifest;
  const d = m.details ?? {};
  const projectPage = `${base}/simple/${project}/`;
  const yankedFile = files.find((f) => f.yanked);
  return {
    author: text(d.author),
    author_email: text(d.authorEmail),
    bugtrack_url: null,
    classifiers: d.classifiers ?? [],
    description: row ? row.readme : null,
    description_content_type: text(d.descriptionContentType),
    docs_url: null,
    download_url: text(d.downloadUrl),
    downloads: { last_day: -1, last_month: -1, last_week: -1 },
    dynamic: list(d.dynamic),
    home_page: text(m.homepage),
    keywords: text(d.keywords),
    license: text(m.license),
    license_expression: text(d.licenseExpression),
    license_files: list(d.licenseFiles),
    maintainer: text(d.maintainer),
    maintainer_email: text(d.maintainerEmail),
    name: text(m.name) ?? project,
    // pypi.org links its project and release pages; here the project's page is its simple index page and the
    // release's the version form of this API.
    package_url: projectPage,
    platform: text(d.platform),
    project_url: projectPage,
    project_urls: projectUrls(d.projectUrls),
    provides_extra: list(d.providesExtra),
    release_url: `${base}/${project}/${encodeURIComponent(version)}/json`,
    requires_dist: list(m.requiresDist),
    requires_python: text(m.requiresPython),
    summary: text(m.summary),
    version,
    // PyPI yanks whole releases; here a release is yanked when every file of it is.
    yanked: files.length > 0 && files.every((f) => f.yanked),
    yanked_reason: yankedFile?.yanked_reason ?? null,
  };
}

/**
 * The JSON document of `pkg` (already checked readable by the caller) for the public /pypi root `base`: the project
 * form without `requested`, the version form with it. 404 when the project has no release served, or not that one.
 */
export function pypiJson(ctx: FormatContext, pkg: PackageRow, base: string, requested?: string) {
  const rows = ctx.files.served(pkg.id);
  const releases = filesByVersion(pkg.name, base, rows);
  let version: string | undefined;
  if (requested === undefined) {
    version = latestRelease(rows);
    if (version === undefined) throw notFound(`${pkg.name} has no release that can be installed`, 'VERSION_NOT_FOUND');
  } else {
    // "1.0" finds release "1.0.0" (PEP 440 equality, as uploads and yanks key releases).
    version = releases.has(requested) ? requested : [...releases.keys()].find((v) => sameVersion(v, requested));
    if (version === undefined) throw notFound(`${pkg.name} has no release ${requested}`, 'VERSION_NOT_FOUND');
  }
  const urls = releases.get(version) ?? [];
  const ordered = [...releases.keys()].sort(compare);
  return {
    info: info(pkg.name, base, version, ctx.repo.version(pkg.id, version), urls),
    // pypi.org's serial moves with every change of the project; the package revision here does the same.
    last_serial: pkg.rev,
    ...(requested === undefined ? { releases: Object.fromEntries(ordered.map((v) => [v, releases.get(v) ?? []])) } : {}),
    urls,
    vulnerabilities: vulnerabilities(ctx, pkg.name, version),
  };
}

/**
 * The advisories in the registry's database (OSV imports, docs/SECURITY-SCANNING.md) that affect this release, in
 * pypi.org's shape (its "vulnerabilities" come from OSV too), so pip-audit-like tools see what the scanner sees.
 */
function vulnerabilities(ctx: FormatContext, name: string, version: string) {
  return advisoriesFor(ctx.db, 'PyPI', name, version).map(({ advisory: a }) => ({
    aliases: a.aliases,
    details: a.title,
    fixed_in: [...new Set((a.affected.ranges ?? []).flatMap((r) => r.events.flatMap((e) => ('fixed' in e && e.fixed ? [e.fixed] : []))))],
    id: a.id,
    link: a.url,
    source: 'osv',
    summary: a.title,
    withdrawn: null,
  }));
}
