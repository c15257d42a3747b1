// The normal forms of a package name that the typosquat rules compare (reference 5.2), and the edit distance
// between them. Shared by the rules (typosquat.ts) and the index that finds their candidates (look-alike-index.ts).

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

/** The normal forms of a name the look-alike rules compare (reference 5.2), all from its lower case. */
export interface NameForms {
  lower: string;
  scope: string | undefined;
  /** The name without its scope. */
  bare: string;
  skeleton: string;
  fold: string;
  /** The words (split on "-", "." and "_") sorted and joined, when there are two or more. */
  sortedWords: string | undefined;
}

export function formsOf(name: string): NameForms {
  const lower = name.toLowerCase();
  const m = /^@([^/]+)\/(.+)$/.exec(lower);
  const words = lower.split(/[-._]+/).filter(Boolean);
  return {
    lower,
    scope: m ? m[1] : undefined,
    bare: m ? m[2] : lower,
    skeleton: skeleton(lower),
    fold: fold(lower),
    sortedWords: words.length >= 2 ? words.sort().join() : undefined,
  };
}

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

// Three rolling rows, reused: the bounded distance runs once per protected name of similar length, per publish.
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * damerauLevenshtein(a, b) when it is at most `max`, else max + 1: only the band of cells within `max` of the
 * diagonal is computed, and a row whose every cell is over `max` stops it. `b` may be the `m` characters of a
 * longer text from `from` (a packed list of names), so no string is cut out for each comparison.
 */
export function damerauLevenshteinAtMost(a: string, text: string, max: number, from = 0, m = text.length - from): number {
  const over = max + 1;
  if (Math.abs(a.length - m) > max) return over;
  if (rows[0].length < m + 1) rows = [new Int32Array(m + 1), new Int32Array(m + 1), new Int32Array(m + 1)];
  // twoUp: row i-2, up: row i-1, row: row i. Cells just outside a row's band are set to `over`, so the next rows
  // never read a value left from an earlier call.
  let [twoUp, up, row] = rows;
  for (let j = 0; j <= m; j++) up[j] = Math.min(j, over);
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(m, i + max);
    row[0] = Math.min(i, over);
    if (lo > 1) row[lo - 1] = over;
    let rowMin = row[0];
    const ai = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const bj = text.charCodeAt(from + j - 1);
      let v = Math.min(up[j] + 1, row[j - 1] + 1, up[j - 1] + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === text.charCodeAt(from + j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, twoUp[j - 2] + 1);
      row[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) row[hi + 1] = over;
    if (rowMin > max) return over;
    [twoUp, up, row] = [up, row, twoUp];
  }
  return Math.min(up[m], over);
}
