// Typosquat detection at publish (reference 5.2 rules Y1-Y10): npm's moniker rule (punctuation-only
// differences are refused, npm blog 2017), TypoGard/typomind look-alike categories against popular names,
// and ConfuGuard-style suppression by metadata (same owner, older name, independent adoption, allowlist).
import { escalate, type Finding, type FindingSeverity } from './findings.ts';
import { type KnownName, KnownNameIndex, type KnownNameLookup } from './look-alike-index.ts';
import { damerauLevenshtein, damerauLevenshteinAtMost, formsOf, type NameForms, skeleton } from './name-forms.ts';

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

const AFFIX = /^(?:js|node|nodejs|npm|ts|lib|core|cli|util|utils|dev|pro|plus|next|official|v\d+|\d+)$/;

/** The first look-alike rule (in specificity order) that n hits against t, if any. */
function lookAlike(N: NameForms, T: NameForms, topTier: boolean): { rule: string; severity: FindingSeverity; why: string } | undefined {
  if (N.scope && T.scope && N.scope === T.scope) return undefined; // TypoGard: same scope is exempt
  if (N.scope || T.scope) {
    if (N.scope && T.scope && N.bare === T.bare && damerauLevenshtein(N.scope, T.scope) <= 1)
      return { rule: 'Y8', severity: 'high', why: 'look-alike scope' };
    if (!N.scope && T.scope && N.bare === T.bare) return { rule: 'Y8', severity: 'medium', why: 'the unscoped name of a scoped package' };
    if (!N.scope && T.scope && N.bare.endsWith(T.bare) && (N.bare === `${T.scope}-${T.bare}` || N.bare === `${T.scope}${T.bare}`))
      return { rule: 'Y8', severity: 'medium', why: 'scope folded into the name' };
    return undefined;
  }
  const [n, t, sn, st] = [N.lower, T.lower, N.skeleton, T.skeleton];
  if (N.fold === T.fold) return { rule: 'Y4', severity: 'high', why: 'homoglyph look-alike' };
  if (T.sortedWords !== undefined && N.sortedWords === T.sortedWords) return { rule: 'Y6', severity: 'high', why: 'same words reordered' };
  if (t.length >= 3) {
    const affix = n.startsWith(t) ? n.slice(t.length) : n.endsWith(t) ? n.slice(0, n.length - t.length) : undefined;
    if (affix !== undefined && AFFIX.test(affix.replace(/^[-._]|[-._]$/g, '')))
      return { rule: 'Y7', severity: 'medium', why: `"${t}" with a "${affix.replace(/[-._]/g, '')}" affix` };
  }
  // Only Y2 (one edit) and Y3 (two) read the distance: it is computed up to 2.
  const dl = damerauLevenshteinAtMost(sn, st, 2);
  if (dl === 1 && sn.length >= 4 && st.length >= 4) return { rule: 'Y2', severity: topTier ? 'high' : 'medium', why: 'one typo away' };
  // t+"s", t+"es", t+"r", or t without its final "s".
  const longer = n.length - t.length;
  if (
    (longer === 1 && n.startsWith(t) && (n.endsWith('s') || n.endsWith('r'))) ||
    (longer === 2 && n.startsWith(t) && n.endsWith('es')) ||
    (longer === -1 && t.endsWith('s') && t.startsWith(n))
  )
    return { rule: 'Y9', severity: 'medium', why: 'plural/singular form' };
  if (sn.length >= 4 && sn.length >= st.length / 2 && sn !== st && (st.startsWith(sn) || st.endsWith(sn)))
    return { rule: 'Y10', severity: 'medium', why: 'shortened form' };
  if (dl === 2 && sn.length >= 9 && st.length >= 9) return { rule: 'Y3', severity: 'medium', why: 'two typos away' };
  return undefined;
}

const owners = (o: string | string[] | undefined) => new Set((Array.isArray(o) ? o : o ? [o] : []).map((x) => x.toLowerCase()));
const time = (d: string | Date | number | undefined) => (d === undefined ? Number.POSITIVE_INFINITY : new Date(d).getTime());

/** Findings for a candidate name: Y1 (refuse) against every existing name, Y2-Y10 (flag) against popular ones. */
export function checkTyposquat(
  candidate: Candidate,
  known: Iterable<KnownName> | KnownNameLookup,
  options: Partial<TyposquatOptions> = {},
): Finding[] {
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
  const N = formsOf(n);
  const out: Finding[] = [];
  for (const { known: t, forms: T } of index.lookAlikeCandidates(N, opts.protectedMin)) {
    if (t.popularity < opts.protectedMin) continue;
    if (T.lower === n) continue;
    const hit = lookAlike(N, T, t.popularity >= opts.topTierMin);
    if (!hit) continue;
    const target = T.lower;
    if (opts.allowPairs.some(([a, b]) => (a === n && b === target) || (b === n && a === target))) continue;
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
