// Reads a pushed .gem in memory: a plain tar of metadata.gz (the gzip'd YAML gemspec), data.tar.gz and
// checksums.yaml.gz (multiformat-protocols.md 3.3). The Ruby-tagged YAML is parsed into plain data only (never
// instantiated), with an alias cap against billion-laughs documents, and name, version and platform are
// validated one by one: the identity is the (name, version, platform) tuple, never a parsed filename.
import { parse } from 'yaml';
import { badRequest } from '../../lib/errors.ts';
import type { FileRow } from '../multiformat/files-repo.ts';
import { type ArchiveEntry, boundedGunzip, DEFAULT_ARCHIVE_LIMITS, mb, readTar } from '../security/archive-reader.ts';

export interface GemDependency {
  name: string;
  type: 'runtime' | 'development';
  requirements: [string, string][];
}

export interface GemSpec {
  name: string;
  version: string;
  platform: string;
  summary: string;
  description: string | null;
  authors: string[];
  email: string | string[] | null;
  homepage: string | null;
  licenses: string[];
  metadata: Record<string, string>;
  dependencies: GemDependency[];
  requiredRubyVersion: [string, string][];
  requiredRubygemsVersion: [string, string][];
  rubygemsVersion: string;
  specificationVersion: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// Gem::Version without "-" (RubyGems would rewrite it to ".pre."), so name-version-platform never collides.
const VERSION = /^[0-9]+(\.[0-9A-Za-z]+)*$/;
const PLATFORM = /^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*$/;
export const isPrerelease = (version: string) => /[A-Za-z]/.test(version);
export const isValidGemName = (n: string) => n.length <= 100 && NAME.test(n) && /[A-Za-z]/.test(n);

const invalid = (why: string) => badRequest(`the file is not a valid gem: ${why}`, undefined, 'INVALID_GEM');

// Every Ruby class tag a gemspec uses, read as a plain map.
const TAGS = ['Specification', 'Version', 'Requirement', 'Dependency', 'Platform'].map((c) => ({
  tag: `!ruby/object:Gem::${c}`,
  collection: 'map' as const,
  resolve: (m: { toJSON(): unknown }) => m.toJSON(),
}));

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const versionOf = (v: unknown) => str((v as { version?: unknown } | null)?.version) ?? str(v) ?? '';

function requirementsOf(r: unknown): [string, string][] {
  const list = (r as { requirements?: unknown } | null)?.requirements;
  if (!Array.isArray(list)) return [['>=', '0']];
  return list.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalid('a requirement is not [operator, version]');
    const op = String(pair[0]);
    const ver = versionOf(pair[1]);
    if (!['=', '!=', '>', '<', '>=', '<=', '~>'].includes(op) || !/^[0-9A-Za-z.-]{1,50}$/.test(ver))
      throw invalid(`bad requirement ${op} ${ver}`);
    return [op, ver];
  });
}

function platformOf(p: unknown): string {
  if (p === null || p === undefined) return 'ruby';
  if (typeof p === 'string') return p;
  const o = p as { cpu?: string; os?: string; version?: string };
  return [o.cpu, o.os, o.version].filter(Boolean).join('-') || 'ruby';
}

export interface ParsedGem {
  spec: GemSpec;
  /** The YAML text of metadata.gz. */
  yaml: string;
}

export function parseGem(bytes: Buffer): ParsedGem {
  let entries: ArchiveEntry[];
  try {
    // Only metadata.gz is held: data.tar.gz (a native extension may make it tens of MB) is checked, not copied.
    entries = readTar(bytes, DEFAULT_ARCHIVE_LIMITS, (path) => path === 'metadata.gz');
  } catch (err) {
    throw invalid((err as Error).message.replace(/^archive refused: /, ''));
  }
  const meta = entries.find((e) => e.path === 'metadata.gz');
  if (!meta || !entries.some((e) => e.path === 'data.tar.gz')) throw invalid('it needs metadata.gz and data.tar.gz');
  if (!meta.held) throw invalid(`metadata.gz is ${mb(meta.size)}, larger than a gemspec can be`);
  let yaml: string;
  try {
    yaml = boundedGunzip(meta.data, { ...DEFAULT_ARCHIVE_LIMITS, maxTotalBytes: 1024 * 1024 }).toString('utf8');
  } catch (err) {
    throw invalid(`metadata.gz: ${(err as Error).message.replace(/^archive refused: /, '')}`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(yaml, { customTags: TAGS, maxAliasCount: 100, strict: false, logLevel: 'silent' }) as Record<string, unknown>;
  } catch (err) {
    throw invalid(`metadata.gz is not a gemspec (${(err as Error).message.split('\n')[0].slice(0, 120)})`);
  }
  if (!doc || typeof doc !== 'object') throw invalid('metadata.gz is not a gemspec');
  const name = str(doc.name) ?? '';
  const version = versionOf(doc.version);
  const platform = platformOf(doc.platform);
  if (!isValidGemName(name)) throw invalid(`"${name.slice(0, 100)}" is not a valid gem name`);
  if (!VERSION.test(version) || version.length > 60) throw invalid(`"${version.slice(0, 60)}" is not a valid gem version`);
  if (!PLATFORM.test(platform) || platform.length > 60) throw invalid(`"${platform.slice(0, 60)}" is not a valid platform`);
  const deps = Array.isArray(doc.dependencies) ? doc.dependencies : [];
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(str).filter((s): s is string => s !== null) : []);
  const spec: GemSpec = {
    name,
    version,
    platform,
    summary: str(doc.summary) ?? '',
    description: str(doc.description),
    authors: strings(doc.authors),
    email: Array.isArray(doc.email) ? strings(doc.email) : str(doc.email),
    homepage: str(doc.homepage),
    licenses: strings(doc.licenses),
    metadata: Object.fromEntries(
      Object.entries((doc.metadata as Record<string, unknown>) ?? {}).flatMap(([k, v]) => (str(v) === null ? [] : [[k, str(v) as string]])),
    ),
    dependencies: deps.map((d) => {
      const dep = d as { name?: unknown; type?: unknown; requirement?: unknown };
      const depName = str(dep.name) ?? '';
      if (!isValidGemName(depName)) throw invalid(`dependency "${depName.slice(0, 100)}" is not a valid gem name`);
      return {
        name: depName,
        type: String(dep.type).replace(/^:/, '') === 'development' ? 'development' : 'runtime',
        requirements: requirementsOf(dep.requirement),
      };
    }),
    requiredRubyVersion: requirementsOf(doc.required_ruby_version),
    requiredRubygemsVersion: requirementsOf(doc.required_rubygems_version),
    rubygemsVersion: str(doc.rubygems_version) ?? '3.3.15',
    specificationVersion: Number(doc.specification_version ?? 4) || 4,
  };
  return { spec, yaml };
}

/** "name-version[-platform]" as RubyGems names the .gem and the quick gemspec. */
export const fullName = (s: { name: string; version: string; platform: string }) =>
  s.platform === 'ruby' ? `${s.name}-${s.version}` : `${s.name}-${s.version}-${s.platform}`;

/** A stored gem file with its gemspec (artifact_files.meta holds the spec parsed at push). */
export interface LiveGem {
  row: FileRow;
  spec: GemSpec;
}

export const specOf = (row: FileRow) => (JSON.parse(row.meta) as { spec: GemSpec }).spec;

/** The files clients may install, in push order: pass ctx.files.served (quarantined versions already left out). */
export const liveGems = (served: FileRow[]): LiveGem[] =>
  served.filter((f) => f.yanked === null).map((row) => ({ row, spec: specOf(row) }));
