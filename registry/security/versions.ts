// Version ordering per ecosystem for OSV range evaluation: npm semver, PyPI PEP 440, Maven, RubyGems.
// Semantics follow osv.dev's comparators (osv/ecosystems/{semver,pypi,maven,rubygems}.py), see
// docs/SECURITY-SCANNING.md and ../shared/reference/scoring-security.md section 2.4.
import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';

export type Ecosystem = 'npm' | 'PyPI' | 'Maven' | 'RubyGems';
export const ECOSYSTEMS: readonly Ecosystem[] = ['npm', 'PyPI', 'Maven', 'RubyGems'];

export interface Comparator {
  /** True when the ecosystem can order this version string at all. */
  valid(v: string): boolean;
  /** Negative, zero or positive like Array.sort; only called on valid versions. */
  cmp(a: string, b: string): number;
}

/** OSV coercion of npm versions (osv/semver_index.py): strip "v", pad missing minor/patch. */
export function coerceSemver(v: string): string | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]*)?(\+[0-9A-Za-z.-]*)?$/.exec(v.trim());
  if (!m) return null;
  const core = [m[1], m[2] ?? '0', m[3] ?? '0'].map((p) => String(Number(p))).join('.');
  const pre = m[4] ? m[4].replace(/\.(?=\.)/g, '.-').replace(/\.$/, '.-') : '';
  const out = core + pre;
  return semver.valid(out) ? out : null;
}

const npmComparator: Comparator = {
  valid: (v) => coerceSemver(v) !== null,
  cmp: (a, b) => semver.compare(coerceSemver(a)!, coerceSemver(b)!),
};

const pypiComparator: Comparator = {
  valid: (v) => pep440.valid(v) !== null,
  cmp: (a, b) => pep440.compare(a, b),
};

// Maven ComparableVersion, as osv.dev re-implements it: tokens split at '.', '-' and digit/letter
// transitions; qualifiers ordered alpha < beta < milestone < rc < snapshot < "" < sp < other.
type MavenToken = { sep: '.' | '-'; value: number | string };
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];

function mavenTokens(v: string): MavenToken[] {
  const raw: MavenToken[] = [];
  const lower = v.trim().toLowerCase();
  let sep: '.' | '-' = '.';
  let buf = '';
  const flush = (next: '.' | '-') => {
    raw.push({ sep, value: buf === '' ? 0 : /^\d+$/.test(buf) ? Number(buf) : buf });
    buf = '';
    sep = next;
  };
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i];
    if (c === '.' || c === '-') flush(c);
    else {
      const prev = buf.at(-1);
      if (prev !== undefined && /\d/.test(prev) !== /\d/.test(c)) flush('-');
      buf += c;
    }
  }
  flush('.');
  // Qualifier aliases: a1 -> alpha, b1 -> beta, m1 -> milestone, cr -> rc, ga/final/release -> "".
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i];
    if (typeof t.value !== 'string') continue;
    const nextIsNum = typeof raw[i + 1]?.value === 'number' && raw[i + 1]?.sep === '-';
    if (nextIsNum && t.value === 'a') t.value = 'alpha';
    else if (nextIsNum && t.value === 'b') t.value = 'beta';
    else if (nextIsNum && t.value === 'm') t.value = 'milestone';
    else if (t.value === 'cr') t.value = 'rc';
    else if (t.value === 'ga' || t.value === 'final' || t.value === 'release') t.value = '';
  }
  // Trim null tokens (0 or "") at the end of every '-' group; a group left empty disappears.
  const out: MavenToken[] = [];
  let group: MavenToken[] = [];
  const close = () => {
    while (group.length > 0 && isNull(group.at(-1)!)) group.pop();
    out.push(...group);
    group = [];
  };
  for (const t of raw) {
    if (t.sep === '-') close();
    group.push(t);
  }
  close();
  return out;
}
const isNull = (t: MavenToken) => t.value === 0 || t.value === '';

function qualifierRank(q: string): [number, string] {
  const i = QUALIFIERS.indexOf(q);
  return i >= 0 ? [i, ''] : [QUALIFIERS.length, q];
}

function cmpMavenToken(a: MavenToken | undefined, b: MavenToken | undefined): number {
  if (!a && !b) return 0;
  // The shorter side is padded with a null of the other side's kind (".0" or "-").
  const x = a ?? { sep: b!.sep, value: typeof b!.value === 'number' ? 0 : '' };
  const y = b ?? { sep: a!.sep, value: typeof a!.value === 'number' ? 0 : '' };
  if (x.sep !== y.sep) {
    // Different prefix: .qualifier < -qualifier < -number < .number
    const kind = (t: MavenToken) => (typeof t.value === 'number' ? (t.sep === '.' ? 3 : 2) : t.sep === '-' ? 1 : 0);
    return kind(x) - kind(y);
  }
  if (typeof x.value === 'number' && typeof y.value === 'number') return x.value - y.value;
  if (typeof x.value === 'string' && typeof y.value === 'string') {
    const [ra, sa] = qualifierRank(x.value);
    const [rb, sb] = qualifierRank(y.value);
    return ra !== rb ? ra - rb : sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  return typeof x.value === 'number' ? 1 : -1;
}

export function compareMaven(a: string, b: string): number {
  const ta = mavenTokens(a);
  const tb = mavenTokens(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const c = cmpMavenToken(ta[i], tb[i]);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

const mavenComparator: Comparator = { valid: (v) => /^[0-9A-Za-z][0-9A-Za-z.\-_+]*$/.test(v.trim()), cmp: compareMaven };

// Gem::Version: segments of digits or letters; any letter marks a prerelease; string < number;
// trailing zero segments are ignored (1.0 == 1).
function gemSegments(v: string): (number | string)[] {
  const segs = (
    v
      .trim()
      .replace(/-/g, '.pre.')
      .match(/[0-9]+|[a-z]+/gi) ?? []
  ).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  // Ruby's canonical_segments: the numeric release part and the prerelease part (from the first letter segment)
  // each lose their trailing zeros, so 1.0.a == 1.a and 1.a.0 == 1.a, as 1.0 == 1.
  const firstLetter = segs.findIndex((x) => typeof x === 'string');
  const release = firstLetter < 0 ? segs : segs.slice(0, firstLetter);
  const pre = firstLetter < 0 ? [] : segs.slice(firstLetter);
  for (const part of [release, pre]) while (part.at(-1) === 0) part.pop();
  return [...release, ...pre];
}

export function compareGem(a: string, b: string): number {
  const sa = gemSegments(a);
  const sb = gemSegments(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i] ?? 0;
    const y = sb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : 1;
    return typeof x === 'string' ? -1 : 1;
  }
  return 0;
}

const gemComparator: Comparator = {
  valid: (v) => /^\s*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\s*$/.test(v),
  cmp: compareGem,
};

/**
 * What the scorer reads of a version of any ecosystem (it is not told which): whether it is a prerelease and whether
 * it is below 1.0. npm semver first, then PEP 440 (which also reads RubyGems' "1.0.0.rc1"/"1.0.0.pre" and Maven's
 * "2.0-RC1"), then Maven order against the version's leading release numbers ("2.0-SNAPSHOT" and "1.0-M1" are
 * prereleases, "31.1-jre" and "5.3.0.RELEASE" are not). Undefined when none of them reads it.
 */
export function releaseStage(v: string): { prerelease: boolean; belowOne: boolean } | undefined {
  if (semver.valid(v)) return { prerelease: semver.prerelease(v) !== null, belowOne: semver.lt(v, '1.0.0') };
  const pep = pep440.explain(v);
  if (pep) return { prerelease: pep.is_prerelease, belowOne: pep440.compare(v, '1') < 0 };
  const prerelease = mavenPrerelease(v);
  if (prerelease === undefined) return undefined;
  return { prerelease, belowOne: compareMaven(v, '1') < 0 };
}

/**
 * A Maven version sorts before its own release numbers ("2.0-SNAPSHOT", "1.0-M1", "3.0-cr1" < "2.0" / "1.0" / "3.0"),
 * as ComparableVersion orders qualifiers; "31.1-jre" and "5.3.0.RELEASE" do not. Undefined without release numbers.
 */
export function mavenPrerelease(v: string): boolean | undefined {
  const release = /^\d+(?:\.\d+)*/.exec(v.trim())?.[0];
  if (!release || !mavenComparator.valid(v)) return undefined;
  return compareMaven(v, release) < 0;
}

export function comparatorFor(ecosystem: Ecosystem): Comparator {
  switch (ecosystem) {
    case 'npm':
      return npmComparator;
    case 'PyPI':
      return pypiComparator;
    case 'Maven':
      return mavenComparator;
    case 'RubyGems':
      return gemComparator;
  }
}

/** Maps an OSV ecosystem string ("Maven:https://repo…" included) to one we match, or undefined. */
export function normaliseEcosystem(raw: string): Ecosystem | undefined {
  const base = raw.split(':')[0];
  return (ECOSYSTEMS as readonly string[]).includes(base) ? (base as Ecosystem) : undefined;
}

/** Package names as each ecosystem compares them: PyPI per PEP 503, the others exactly. */
export function normalisePackageName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'PyPI' ? name.replace(/[-_.]+/g, '-').toLowerCase() : name;
}
