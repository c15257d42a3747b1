// What a PyPI, Maven or RubyGems version depends on, and which versions a requirement admits, read the way each
// client reads them: pip (PEP 508 requirements, PEP 440 specifiers, extras and URL requirements), Maven (POM
// dependencies with their scope, optional flag, exclusions and version ranges) and RubyGems/Bundler
// (Gem::Requirement operators, "~>" included). The resolver (dependency-tree.ts) knows nothing of the formats.
import * as pep440 from '@renovatebot/pep440';
import { normalizeName } from '../pypi/names.ts';
import { compareGem, compareMaven, mavenPrerelease } from '../security/versions.ts';
import { evaluateMarker, type MarkerEnvironment, PYPI_TARGET_ENVIRONMENT } from './pep508-markers.ts';

export interface DeclaredDependency {
  /** The name as this registry stores it: PEP 503 normalised, "groupId:artifactId", or the gem name. */
  name: string;
  /** The requirement as declared, shown in reports ("" when any version will do). */
  spec: string;
  /** A URL or path requirement: a leaf this registry cannot resolve (Socket's httpDependency alert). */
  external?: string;
  /** Maven exclusions ("groupId:artifactId", "*" wildcards) that apply to everything below this edge. */
  exclusions?: string[];
  /** Why no version can be chosen at all (a Maven version only a parent POM manages). */
  unresolved?: string;
}

export interface DependencyRules {
  /**
   * The dependencies a version brings at run time, from its stored manifest; undefined when the manifest does not
   * say (a Maven version whose POM was never uploaded). `transitive` is false for the root only: Maven drops a
   * dependency's optional dependencies, never the root's own.
   */
  declared(manifest: Record<string, unknown>, transitive: boolean): DeclaredDependency[] | undefined;
  admits(spec: string, version: string): boolean;
  prerelease(version: string): boolean;
  compare(a: string, b: string): number;
  /**
   * How one version per name is chosen: Maven's "nearest declaration wins" (a soft version is taken as declared),
   * or pip's and Bundler's one version that meets every requirement on the name.
   */
  mediation: 'nearest' | 'every-requirement';
}

// --- PyPI ------------------------------------------------------------------------------------------------------

// PEP 508: name [extras] (specifier | @ url) ; marker. The specifier may sit in parentheses (older metadata).
const PEP508 =
  /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?:@\s*([^\s;]+)\s*|\(([^)]*)\)|([^;]*))?\s*(?:;\s*(.*))?$/;

/**
 * One Requires-Dist line; undefined when pip would not install it in the target environment (its marker is false
 * there, e.g. a dependency only an extra pulls in, or a backport for older Pythons). A marker that cannot be read
 * keeps its dependency, unless it names an extra.
 */
export function parseRequiresDist(line: string, env: MarkerEnvironment = PYPI_TARGET_ENVIRONMENT): DeclaredDependency | undefined {
  const m = PEP508.exec(line);
  if (!m) return undefined;
  const [, rawName, url, parenthesised, bare, marker] = m;
  if (marker?.trim()) {
    const holds = evaluateMarker(marker, env);
    if (holds === false || (holds === undefined && /\bextra\s*==/.test(marker))) return undefined;
  }
  const name = normalizeName(rawName);
  if (url) return { name, spec: url, external: url };
  return { name, spec: (parenthesised ?? bare ?? '').replace(/\s+/g, '') };
}

const pypiRules: DependencyRules = {
  declared: (m) => (Array.isArray(m.requiresDist) ? m.requiresDist : []).flatMap((l) => parseRequiresDist(String(l)) ?? []),
  admits: (spec, v) => pep440.valid(v) !== null && pep440.satisfies(v, spec, { prereleases: true }),
  prerelease: (v) => pep440.parse(v)?.is_prerelease === true,
  compare: (a, b) => pep440.compare(a, b),
  mediation: 'every-requirement',
};

// --- Maven -----------------------------------------------------------------------------------------------------

export interface PomDependency {
  groupId: string;
  artifactId: string;
  version: string | null;
  scope: string;
  optional: boolean;
  exclusions: string[];
}

// Scopes on the runtime class path of a consumer: test, provided and system are not (Maven's scope table).
const RUNTIME_SCOPES = new Set(['compile', 'runtime']);

/** A Maven version requirement: a soft "1.2" (that version), "[1.2]", or ranges "[1,2),[3,)". */
export function mavenAdmits(spec: string, version: string): boolean {
  const s = spec.trim();
  if (!/^[[(]/.test(s)) return compareMaven(s, version) === 0;
  const ranges = s.match(/[[(][^\])]*[\])]/g) ?? [];
  return ranges.some((r) => {
    const [lo, hi = lo] = r
      .slice(1, -1)
      .split(',')
      .map((x) => x.trim());
    const single = !r.includes(',');
    if (single) return compareMaven(lo, version) === 0;
    const lowOk = lo === '' || (r.startsWith('[') ? compareMaven(version, lo) >= 0 : compareMaven(version, lo) > 0);
    const highOk = hi === '' || (r.endsWith(']') ? compareMaven(version, hi) <= 0 : compareMaven(version, hi) < 0);
    return lowOk && highOk;
  });
}

const mavenRules: DependencyRules = {
  declared(m, transitive) {
    if (!Array.isArray(m.dependencies)) return undefined;
    return (m.dependencies as PomDependency[])
      .filter((d) => RUNTIME_SCOPES.has(d.scope) && !(transitive && d.optional))
      .map((d) => ({
        name: `${d.groupId}:${d.artifactId}`,
        spec: d.version ?? '',
        exclusions: d.exclusions,
        unresolved: d.version === null ? 'its version is managed by a parent POM this registry does not assemble' : undefined,
      }));
  },
  admits: mavenAdmits,
  // Maven's own order, not a word search ("1.0-script" or "2.0-source" held "cr" and "rc"): before its release numbers.
  prerelease: (v) => mavenPrerelease(v) === true,
  compare: compareMaven,
  mediation: 'nearest',
};

// --- RubyGems --------------------------------------------------------------------------------------------------

const gemPrerelease = (v: string) => /[A-Za-z]/.test(v);

/** Gem::Version#bump: drop prerelease segments and the last one, then increment the new last ("1.2.3" -> "1.3"). */
function bump(v: string): string {
  const segs = v.split('.');
  while (segs.length > 0 && /[A-Za-z]/.test(segs.at(-1)!)) segs.pop();
  if (segs.length > 1) segs.pop();
  segs[segs.length - 1] = String(Number(segs.at(-1)) + 1);
  return segs.join('.');
}
/** Gem::Version#release: the version without its prerelease segments. */
const release = (v: string) =>
  gemPrerelease(v)
    ? v
        .split('.')
        .filter((s) => !/[A-Za-z]/.test(s))
        .join('.')
    : v;

function gemAdmitsOne(op: string, req: string, v: string): boolean {
  const c = compareGem(v, req);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '~>':
      return c >= 0 && compareGem(release(v), bump(req)) < 0;
    default:
      return false;
  }
}

/** A gem requirement as shown ("~> 1.2, >= 1.2.3"); every clause must hold. */
export function gemAdmits(spec: string, version: string): boolean {
  return spec
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .every((clause) => {
      const m = /^(=|!=|>=|<=|>|<|~>)?\s*(\S+)$/.exec(clause);
      return m ? gemAdmitsOne(m[1] ?? '=', m[2], version) : false;
    });
}

const gemRules: DependencyRules = {
  declared: (m) =>
    (Array.isArray(m.dependencies) ? (m.dependencies as { name: string; type: string; requirements: [string, string][] }[]) : [])
      .filter((d) => d.type !== 'development')
      .map((d) => ({ name: d.name, spec: d.requirements.map(([op, v]) => `${op} ${v}`).join(', ') })),
  admits: gemAdmits,
  prerelease: gemPrerelease,
  compare: compareGem,
  mediation: 'every-requirement',
};

export const DEPENDENCY_RULES = { pypi: pypiRules, maven: mavenRules, rubygems: gemRules } as const;
