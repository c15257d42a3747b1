// Typosquat detection at publish (reference 5.2 rules Y1-Y10): npm's moniker rule (punctuation-only
// differences are refused, npm blog 2017), TypoGard/typomind look-alike categories against popular names,
// and ConfuGuard-style suppression by metadata (same owner, older name, independent adoption, allowlist).
import { escalate, type Finding, type FindingSeverity } from './findings.ts';

export interface KnownName {
  name: string;
  /** Popularity score in [0, 1] (package-scorer): protected at >= protectedMin, top tier at >= topTierMin. */
  popularity: number;
  owner?: string | string[];
  /** A time, or milliseconds since the epoch (the registry's in-memory index keeps numbers: less memory). */
  createdAt?: string | Date | number;
  downloads30?: number;
  description?: string;
  repository?: string;
  readmeHash?: string;
}

export interface Candidate {
  name: string;
  owner?: string | string[];
  /** First publish time of the candidate; a brand-new name is "now". */
  createdAt?: string | Date;
  downloads30?: number;
  description?: string;
  repository?: string;
  readmeHash?: string;
  hasInstallScript?: boolean;
}

export interface TyposquatOptions {
  protectedMin: number;
  topTierMin: number;
  /** Pairs that look alike on purpose (reference T12). */
  allowPairs: [string, string][];
}
export const DEFAULT_TYPOSQUAT_OPTIONS: TyposquatOptions = {
  protectedMin: 0.5,
  topTierMin: 0.9,
  allowPairs: [['babel-core', '@babel/core']],
};

const split = (n: string) => {
  const m = /^@([^/]+)\/(.+)$/.exec(n.toLowerCase());
  return m ? { scope: m[1], bare: m[2] } : { scope: undefined, bare: n.toLowerCase() };
};
export const skeleton = (s: string) => s.toLowerCase().replace(/[-._]/g, '');
// Look-alike folding from the reference 5.2 normalisation (TypoGard's common-typo map, visual subset).
export const fold = (s: string) =>
  skeleton(s)
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/cl/g, 'd')
    .replace(/[0]/g, 'o')
    .replace(/[1i]/g, 'l')
    .replace(/5/g, 's')
    .replace(/3/g, 'e')
    .replace(/4/g, 'a');
const tokens = (s: string) =>
  s
    .toLowerCase()
    .split(/[-._]+/)
    .filter(Boolean);

/** Optimal-string-alignment Damerau-Levenshtein distance (adjacent transpositions cost 1). */
export function damerauLevenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const AFFIX = /^(?:js|node|nodejs|npm|ts|lib|core|cli|util|utils|dev|pro|plus|next|official|v\d+|\d+)$/;

/** The first look-alike rule (in specificity order) that n hits against t, if any. */
function lookAlike(n: string, t: string, topTier: boolean): { rule: string; severity: FindingSeverity; why: string } | undefined {
  const N = split(n);
  const T = split(t);
  if (N.scope && T.scope && N.scope === T.scope) return undefined; // TypoGard: same scope is exempt
  if (N.scope || T.scope) {
    if (N.scope && T.scope && N.bare === T.bare && damerauLevenshtein(N.scope, T.scope) <= 1)
      return { rule: 'Y8', severity: 'high', why: 'look-alike scope' };
    if (!N.scope && T.scope && N.bare === T.bare) return { rule: 'Y8', severity: 'medium', why: 'the unscoped name of a scoped package' };
    if (!N.scope && T.scope && [`${T.scope}-${T.bare}`, `${T.scope}${T.bare}`].includes(N.bare))
      return { rule: 'Y8', severity: 'medium', why: 'scope folded into the name' };
    return undefined;
  }
  const [sn, st] = [skeleton(n), skeleton(t)];
  if (fold(n) === fold(t)) return { rule: 'Y4', severity: 'high', why: 'homoglyph look-alike' };
  const [tn, tt] = [tokens(n), tokens(t)];
  if (tt.length >= 2 && tn.length === tt.length && [...tn].sort().join() === [...tt].sort().join())
    return { rule: 'Y6', severity: 'high', why: 'same words reordered' };
  if (t.length >= 3) {
    const affix = n.startsWith(t) ? n.slice(t.length) : n.endsWith(t) ? n.slice(0, n.length - t.length) : undefined;
    if (affix !== undefined && AFFIX.test(affix.replace(/^[-._]|[-._]$/g, '')))
      return { rule: 'Y7', severity: 'medium', why: `"${t}" with a "${affix.replace(/[-._]/g, '')}" affix` };
  }
  const dl = damerauLevenshtein(sn, st);
  if (dl === 1 && sn.length >= 4 && st.length >= 4) return { rule: 'Y2', severity: topTier ? 'high' : 'medium', why: 'one typo away' };
  if ([`${t}s`, `${t}es`, `${t}r`].includes(n) || (t.endsWith('s') && n === t.slice(0, -1)))
    return { rule: 'Y9', severity: 'medium', why: 'plural/singular form' };
  if (sn.length >= 4 && sn.length >= st.length / 2 && sn !== st && (st.startsWith(sn) || st.endsWith(sn)))
    return { rule: 'Y10', severity: 'medium', why: 'shortened form' };
  if (dl === 2 && sn.length >= 9 && st.length >= 9) return { rule: 'Y3', severity: 'medium', why: 'two typos away' };
  return undefined;
}

/**
 * The known names indexed for the checks that need every name (exact name, Y1 skeleton), so a publish costs map
 * lookups plus one pass over the popular names instead of normalising every name of the registry. The registry
 * keeps one in memory and adds new packages to it (security-repo.ts); plain lists are indexed per call.
 */
export class KnownNameIndex implements Iterable<KnownName> {
  private readonly byName = new Map<string, KnownName>();
  private readonly lowerNames = new Set<string>();
  private readonly skeletons = new Map<string, KnownName>();
  /**
   * The names protected at the default threshold, kept apart because the look-alike rules compare a candidate
   * with each of them: walking every name to skip the unpopular ones took 42 % of the registry's CPU while
   * publishing at 57,000 packages. Popularity must change through setPopularity to keep this right.
   */
  private readonly popular = new Map<string, KnownName>();

  static of(known: Iterable<KnownName>): KnownNameIndex {
    return known instanceof KnownNameIndex ? known : new KnownNameIndex(known);
  }
  constructor(known: Iterable<KnownName> = []) {
    for (const k of known) this.set(k);
  }
  set(k: KnownName): void {
    const previous = this.byName.get(k.name);
    this.byName.set(k.name, k);
    this.lowerNames.add(k.name.toLowerCase());
    this.trackPopularity(k);
    // Y1 compares unscoped names only; the first name of a skeleton is the one reported.
    if (k.name.startsWith('@')) return;
    const sk = skeleton(k.name);
    if (!this.skeletons.has(sk) || this.skeletons.get(sk) === previous) this.skeletons.set(sk, k);
  }
  get(name: string): KnownName | undefined {
    return this.byName.get(name);
  }
  /** A known name's new popularity (a rescore); unknown names are ignored. */
  setPopularity(name: string, popularity: number): void {
    const k = this.byName.get(name);
    if (!k) return;
    k.popularity = popularity;
    this.trackPopularity(k);
  }
  private trackPopularity(k: KnownName): void {
    if (k.popularity >= DEFAULT_TYPOSQUAT_OPTIONS.protectedMin) this.popular.set(k.name, k);
    else this.popular.delete(k.name);
  }
  /** Every name with at least `min` popularity, and possibly others (below the default threshold: every name). */
  atLeastAsPopularAs(min: number): Iterable<KnownName> {
    return min >= DEFAULT_TYPOSQUAT_OPTIONS.protectedMin ? this.popular.values() : this.byName.values();
  }
  hasLowerCase(name: string): boolean {
    return this.lowerNames.has(name);
  }
  withSkeleton(sk: string): KnownName | undefined {
    return this.skeletons.get(sk);
  }
  get size(): number {
    return this.byName.size;
  }
  [Symbol.iterator](): Iterator<KnownName> {
    return this.byName.values();
  }
}

const owners = (o: string | string[] | undefined) => new Set((Array.isArray(o) ? o : o ? [o] : []).map((x) => x.toLowerCase()));
const time = (d: string | Date | number | undefined) => (d === undefined ? Number.POSITIVE_INFINITY : new Date(d).getTime());

/** Findings for a candidate name: Y1 (refuse) against every existing name, Y2-Y10 (flag) against popular ones. */
export function checkTyposquat(candidate: Candidate, known: Iterable<KnownName>, options: Partial<TyposquatOptions> = {}): Finding[] {
  const opts = { ...DEFAULT_TYPOSQUAT_OPTIONS, ...options };
  const n = candidate.name.toLowerCase();
  const index = KnownNameIndex.of(known);
  if (index.hasLowerCase(n)) {
    // An existing package publishing a new version: its name was accepted already; only re-check look-alikes.
  } else if (!n.startsWith('@')) {
    const same = index.withSkeleton(skeleton(n));
    if (same) {
      return [
        {
          ruleId: 'Y1',
          category: 'typosquat',
          severity: 'critical',
          imitates: same.name,
          message: `Package name too similar to existing package ${same.name}; try renaming your package to '@<your-scope>/${candidate.name}' and publishing with 'npm publish --access=public' instead`,
        },
      ];
    }
  }
  const mine = owners(candidate.owner);
  const out: Finding[] = [];
  for (const t of index.atLeastAsPopularAs(opts.protectedMin)) {
    if (t.popularity < opts.protectedMin) continue;
    const target = t.name.toLowerCase();
    if (target === n) continue;
    if (opts.allowPairs.some(([a, b]) => (a === n && b === target) || (b === n && a === target))) continue;
    const hit = lookAlike(n, target, t.popularity >= opts.topTierMin);
    if (!hit) continue;
    // Suppression (ConfuGuard): same owner, the candidate is older, or it has its own adoption.
    if ([...owners(t.owner)].some((o) => mine.has(o))) continue;
    if (time(candidate.createdAt) < time(t.createdAt)) continue;
    if ((candidate.downloads30 ?? 0) > 0 && (candidate.downloads30 ?? 0) >= 0.1 * (t.downloads30 ?? Number.POSITIVE_INFINITY)) continue;
    const boosts: string[] = [];
    const copied = (['description', 'repository', 'readmeHash'] as const).filter((k) => candidate[k] && candidate[k] === t[k]);
    if (copied.length > 0) boosts.push(`copies ${t.name}'s ${copied.join(', ')}`);
    if (candidate.hasInstallScript) boosts.push('has an install script');
    out.push({
      ruleId: hit.rule,
      category: 'typosquat',
      severity: escalate(hit.severity, boosts.length),
      imitates: t.name,
      message: `name looks like the popular package "${t.name}" (${hit.why})`,
      escalations: boosts,
    });
  }
  return out;
}
