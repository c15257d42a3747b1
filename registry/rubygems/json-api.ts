// The RubyGems JSON API as rubygems.org serves it, for tools and scripts around `gem` (gem and bundler never read
// it): /api/v1/gems/NAME.json (the gem at its most recent version), /api/v1/versions/NAME.json (every live version,
// newest first) and /api/v1/versions/NAME/latest.json. Built only from what a push stored: the gemspec parsed at
// push (artifact_files.meta), the file's sha256 and upload time, and the download totals of the package and of
// each version (version_downloads, downloads_count: migration 058). A version's total covers all its platforms, as
// downloads are counted per version, not per file. What is not kept is null, never made up: the gemspec's date and
// requirements list and the quick gemspec's sha256 (built_at, requirements, spec_sha) are not stored. Yanked
// versions are left out, as rubygems.org leaves them out.
import type { PackageRow } from '../packages-repo.ts';
import { fullName, type GemSpec, isPrerelease, type LiveGem } from './gem-spec.ts';
import { compareGemVersions } from './push.ts';

/** rubygems.org's text for a gem it does not serve (unknown, hidden from the caller, or with every version yanked). */
export const GEM_NOT_FOUND = 'This rubygem could not be found.';

const highest = (gems: LiveGem[]) =>
  gems.reduce<LiveGem | undefined>((best, g) => (!best || compareGemVersions(g.spec.version, best.spec.version) > 0 ? g : best), undefined);

/**
 * The version rubygems.org shows for a gem (Version.most_recent): the highest release of the ruby platform, else the
 * highest release of any platform, else (prereleases only) the last one pushed.
 */
export function mostRecent(gems: LiveGem[]): LiveGem | undefined {
  const releases = gems.filter((g) => !isPrerelease(g.spec.version));
  return highest(releases.filter((g) => g.spec.platform === 'ruby')) ?? highest(releases) ?? gems.at(-1);
}

/** Gem::Requirement#to_s: "< 1.0, >= 0.1". */
const requirementText = (pairs: [string, string][]) => pairs.map(([op, v]) => `${op} ${v}`).join(', ');

/** Links as rubygems.org maps them: the gemspec metadata key, else (homepage only) the gemspec's homepage. */
function linkOf(spec: GemSpec, key: string): string | null {
  const value = spec.metadata[key]?.trim() || (key === 'homepage_uri' ? spec.homepage?.trim() : '');
  return value || null;
}

const LINKS = [
  'homepage_uri',
  'wiki_uri',
  'documentation_uri',
  'mailing_list_uri',
  'source_code_uri',
  'bug_tracker_uri',
  'changelog_uri',
  'funding_uri',
] as const;

/** Download totals by version (packages-repo.ts versionDownloads): a version missing was never downloaded. */
export type VersionDownloads = ReadonlyMap<string, number>;

/**
 * GET /api/v1/gems/NAME.json. `base` is the absolute URL of the RubyGems source ("http://host:4873/rubygems");
 * `downloads` the gem's totals by version.
 */
export function gemJson(pkg: Pick<PackageRow, 'name' | 'downloads'>, latest: LiveGem, base: string, downloads: VersionDownloads) {
  const { spec, row } = latest;
  const depsOf = (type: 'runtime' | 'development') =>
    spec.dependencies
      .filter((d) => d.type === type)
      .map((d) => ({ name: d.name, requirements: requirementText(d.requirements) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    name: pkg.name,
    downloads: pkg.downloads,
    version: spec.version,
    version_created_at: row.uploaded_at,
    version_downloads: downloads.get(spec.version) ?? 0,
    platform: spec.platform,
    authors: spec.authors.join(', '),
    info: spec.description?.trim() || spec.summary.trim() || 'This rubygem does not have a description or summary.',
    licenses: spec.licenses,
    metadata: spec.metadata,
    yanked: false,
    sha: row.sha256,
    spec_sha: null,
    project_uri: `${base}/api/v1/gems/${pkg.name}.json`,
    gem_uri: `${base}/gems/${fullName(spec)}.gem`,
    ...Object.fromEntries(LINKS.map((k) => [k, linkOf(spec, k)])),
    dependencies: { development: depsOf('development'), runtime: depsOf('runtime') },
  };
}

/** One entry of GET /api/v1/versions/NAME.json. */
export function versionJson({ row, spec }: LiveGem, downloads: VersionDownloads) {
  return {
    authors: spec.authors.join(', '),
    built_at: null,
    created_at: row.uploaded_at,
    description: spec.description,
    downloads_count: downloads.get(spec.version) ?? 0,
    metadata: spec.metadata,
    number: spec.version,
    summary: spec.summary,
    platform: spec.platform,
    rubygems_version: requirementText(spec.requiredRubygemsVersion),
    ruby_version: requirementText(spec.requiredRubyVersion),
    prerelease: isPrerelease(spec.version),
    licenses: spec.licenses,
    requirements: null,
    sha: row.sha256,
    spec_sha: null,
  };
}

/** GET /api/v1/versions/NAME.json: newest version first; platforms of one version newest push first. */
export const versionsJson = (gems: LiveGem[], downloads: VersionDownloads) =>
  [...gems]
    .reverse()
    .sort((a, b) => compareGemVersions(b.spec.version, a.spec.version))
    .map((g) => versionJson(g, downloads));

/** GET /api/v1/versions/NAME/latest.json ("unknown" when the gem has no version to show, as rubygems.org). */
export const latestJson = (gems: LiveGem[]) => ({ version: mostRecent(gems)?.spec.version ?? 'unknown' });
