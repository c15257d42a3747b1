// The look-alike index (registry/security/look-alike-index.ts) must find what comparing a new name with every
// known name finds: same findings, same order, over names generated to hit every rule (Y2-Y10) and near misses.
import { describe, expect, it } from 'vitest';
import { type KnownName, KnownNameIndex, type KnownNameLookup, LookAlikeIndex } from '../../registry/security/look-alike-index.ts';
import { damerauLevenshtein, damerauLevenshteinAtMost, formsOf } from '../../registry/security/name-forms.ts';
import { type Candidate, checkTyposquat } from '../../registry/security/typosquat.ts';

/** A small deterministic generator (the same names on every run). */
function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return { next, pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)] };
}

const WORDS = ['react', 'lodash', 'express', 'vue', 'chalk', 'node', 'js', 'util', 'core', 'cli', 'event', 'stream', 'json'];
const MORE = ['parse', 'babel', 'types', 'axios', 'rn', 'cl', 'vv', 'i1', 'o0', 'ss', 'es', 'longwordname', 'abcdefghij'];
const SCOPES = ['babel', 'types', 'acme', 'acne', 'vue'];

function names(seed: number) {
  const r = random(seed);
  const name = () => {
    let s = r.pick([...WORDS, ...MORE]);
    for (let i = 1 + Math.floor(r.next() * 3); i > 1; i--) s += r.pick(['-', '.', '_', '']) + r.pick([...WORDS, ...MORE]);
    return r.next() < 0.2 ? `@${r.pick(SCOPES)}/${s}` : s;
  };
  // One edit, an affix, a plural, reordered words, a scope moved, or two of these.
  const mutate = (s: string): string => {
    const i = Math.floor(r.next() * s.length);
    const x = r.next();
    if (x < 0.15) return s.slice(0, i) + s.slice(i + 1);
    if (x < 0.3) return s.slice(0, i) + r.pick(['a', 'e', 'l', 's', '1', '0', 'm']) + s.slice(i);
    if (x < 0.4 && i > 0) return s.slice(0, i - 1) + s[i] + s[i - 1] + s.slice(i + 1);
    if (x < 0.5) return s + r.pick(['s', 'es', 'r', '-js', 'js', '-cli', '2']);
    if (x < 0.6) return r.pick(['node-', 'js-', 'v2']) + s;
    if (x < 0.7) return s.replace(/^@[^/]+\//, '');
    if (x < 0.8) return s.split('-').reverse().join('-');
    if (x < 0.9) return `@${r.pick(SCOPES)}/${s.replace(/^@[^/]+\//, '')}`;
    return mutate(mutate(s));
  };
  const known = new Map<string, KnownName>();
  for (let i = 0; i < 1500; i++) {
    const n = name();
    known.set(n, { name: n, popularity: r.next(), owner: r.pick(['a', 'b', 'c']), createdAt: `20${10 + (i % 10)}-01-01T00:00:00Z` });
  }
  const list = [...known.values()];
  const candidates: Candidate[] = Array.from({ length: 3000 }, () => {
    const base = r.next() < 0.8 ? r.pick(list).name : name();
    return { name: r.next() < 0.9 ? mutate(base) : base, owner: r.pick(['a', 'x']), createdAt: '2026-01-01T00:00:00Z' };
  });
  return { list, candidates };
}

/** The reference: every known name is a candidate for every rule. */
function everyName(list: KnownName[]): KnownNameLookup {
  const plain = new KnownNameIndex(list);
  const all = list.map((known) => ({ known, forms: formsOf(known.name) }));
  return { hasLowerCase: (n) => plain.hasLowerCase(n), withSkeleton: (sk) => plain.withSkeleton(sk), lookAlikeCandidates: () => all };
}

describe('look-alike index', () => {
  it('finds what comparing with every known name finds, in the same order', () => {
    for (const seed of [1, 42]) {
      const { list, candidates } = names(seed);
      const indexed = new KnownNameIndex(list);
      const reference = everyName(list);
      let flagged = 0;
      for (const c of candidates) {
        const expected = checkTyposquat(c, reference);
        expect(checkTyposquat(c, indexed), c.name).toEqual(expected);
        if (expected.length > 0) flagged++;
      }
      // The generated names do hit the rules: every rule from Y1 to Y10 but Y5 (a confidence boost, not a rule here).
      expect(flagged).toBeGreaterThan(500);
      const rules = new Set(candidates.flatMap((c) => checkTyposquat(c, indexed).map((f) => f.ruleId)));
      expect([...rules].sort()).toEqual(['Y1', 'Y10', 'Y2', 'Y3', 'Y4', 'Y6', 'Y7', 'Y8', 'Y9']);
    }
  });

  it('forgets a removed name and follows a re-added one', () => {
    const index = new LookAlikeIndex();
    const lodash: KnownName = { name: 'lodash', popularity: 0.9 };
    const express: KnownName = { name: 'express', popularity: 0.9 };
    index.add(lodash);
    index.add(express);
    const near = (n: string) => index.candidates(formsOf(n)).map((c) => c.known.name);
    expect(near('lodahs')).toEqual(['lodash']);
    index.remove('lodash');
    expect(near('lodahs')).toEqual([]);
    expect(index.size).toBe(1);
    index.add(lodash);
    index.add(lodash);
    expect(index.size).toBe(2);
    // Reported in the order indexed: express was indexed before lodash came back.
    expect(near('expresss-lodash')).toEqual(['express', 'lodash']);
  });

  it('bounds the edit distance without changing it below the bound', () => {
    const r = random(7);
    const word = () => Array.from({ length: Math.floor(r.next() * 12) }, () => r.pick(['a', 'b', 'c'])).join('');
    for (let i = 0; i < 20_000; i++) {
      const [a, b, max] = [word(), word(), Math.floor(r.next() * 4)];
      expect(damerauLevenshteinAtMost(a, b, max)).toBe(Math.min(damerauLevenshtein(a, b), max + 1));
      // The same comparison against b packed between other text.
      expect(damerauLevenshteinAtMost(a, `xy${b}zz`, max, 2, b.length)).toBe(Math.min(damerauLevenshtein(a, b), max + 1));
    }
  });
});
