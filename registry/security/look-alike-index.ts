// The names the typosquat check knows (typosquat.ts), indexed so that a new name is compared only with the
// names a look-alike rule (Y2-Y10) could match, not with each protected name: at 10,000 packages with half of
// them protected, comparing with each took 160-195 ms of CPU per publish (docs/PERFORMANCE.md hot spot 19).
// Every rule's condition implies one of the lookups of `candidates`, so the check finds what comparing with every
// name finds; test/unit/typosquat-index.test.ts compares the two over generated names.
import { damerauLevenshteinAtMost, formsOf, type NameForms } from './name-forms.ts';

export interface KnownName {
  name: string;
  /** Popularity score in [0, 1] (package-scorer): protected at >= protectedMin, top tier at >= topTierMin. */
  popularity: number;
  owner?: string | string[];
  /** A time, or milliseconds since the epoch (the registry keeps numbers: less memory). */
  createdAt?: string | Date | number;
  downloads30?: number;
  description?: string;
  repository?: string;
  readmeHash?: string;
}

/** A known name with its forms, computed once when it was indexed. */
export interface IndexedName {
  known: KnownName;
  forms: NameForms;
}

/** What the typosquat check asks of the names it knows: a list indexed per call, or the registry's (known-names.ts). */
export interface KnownNameLookup {
  /** Whether a name exists, compared in lower case (a new version of it, not a new name). */
  hasLowerCase(lowerName: string): boolean;
  /** The first unscoped name with this skeleton (rule Y1). */
  withSkeleton(sk: string): KnownName | undefined;
  /**
   * The names with at least `min` popularity that a look-alike rule could match with `name`, in the order they
   * were indexed; possibly others too (the check applies the rules and the threshold).
   */
  lookAlikeCandidates(name: NameForms, min: number): Iterable<IndexedName>;
}

interface Entry extends IndexedName {
  /** When it was indexed: candidates are reported in this order. */
  seq: number;
}

const removeFrom = <T>(list: T[] | undefined, item: T) => {
  const i = list?.indexOf(item) ?? -1;
  if (i >= 0) list?.splice(i, 1);
};

/** The unscoped names whose skeleton has one length, the skeletons packed into one string (a fixed stride). */
class LengthBucket {
  readonly entries: Entry[] = [];
  private text: string | undefined;
  constructor(readonly length: number) {}
  /** Scans read this string, not an object per name: the names' objects lie all over the heap. */
  get packed(): string {
    this.text ??= this.entries.map((e) => e.forms.skeleton).join('');
    return this.text;
  }
  add(e: Entry) {
    this.entries.push(e);
    this.text = undefined;
  }
  remove(e: Entry) {
    removeFrom(this.entries, e);
    this.text = undefined;
  }
}

export class LookAlikeIndex {
  private seq = 0;
  private readonly entries = new Map<string, Entry>();
  // Unscoped names by their lower case (Y7 affixes, Y9 plurals), fold (Y4) and sorted words (Y6).
  private readonly byLower = new Map<string, Entry[]>();
  private readonly byFold = new Map<string, Entry[]>();
  private readonly byWords = new Map<string, Entry[]>();
  // Scoped names by the name without the scope (Y8).
  private readonly byBare = new Map<string, Entry[]>();
  // Unscoped names by skeleton length (Y2 and Y3 edits, Y10 shortened forms).
  private readonly byLength = new Map<number, LengthBucket>();

  /** Indexes a name, in place of an entry of the same name. */
  add(known: KnownName, forms: NameForms = formsOf(known.name)): void {
    this.remove(known.name);
    const e: Entry = { known, forms, seq: this.seq++ };
    this.entries.set(known.name, e);
    for (const [map, key] of this.keysOf(e)) {
      const list = map.get(key);
      if (list) list.push(e);
      else map.set(key, [e]);
    }
    if (!forms.scope) {
      const len = forms.skeleton.length;
      let bucket = this.byLength.get(len);
      if (!bucket) {
        bucket = new LengthBucket(len);
        this.byLength.set(len, bucket);
      }
      bucket.add(e);
    }
  }

  remove(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    this.entries.delete(name);
    for (const [map, key] of this.keysOf(e)) {
      const list = map.get(key);
      removeFrom(list, e);
      if (list?.length === 0) map.delete(key);
    }
    if (!e.forms.scope) this.byLength.get(e.forms.skeleton.length)?.remove(e);
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): KnownName | undefined {
    return this.entries.get(name)?.known;
  }

  *names(): Iterable<KnownName> {
    for (const e of this.entries.values()) yield e.known;
  }

  /** The indexed names a look-alike rule could match with `n` (a superset), in the order they were indexed. */
  candidates(n: NameForms): IndexedName[] {
    const found = new Set<Entry>();
    const take = (list: Entry[] | undefined) => {
      for (const e of list ?? []) found.add(e);
    };
    // Y8: the same name under another scope, or the unscoped name of a scoped package.
    take(this.byBare.get(n.bare));
    if (!n.scope) this.unscopedCandidates(n, take, found);
    return [...found].sort((a, b) => a.seq - b.seq);
  }

  private unscopedCandidates(n: NameForms, take: (list: Entry[] | undefined) => void, found: Set<Entry>) {
    const { lower, skeleton: sn } = n;
    // Y8: a scope folded into the name ("babelcore", "babel-core" for @babel/core) ends with the scoped bare name.
    for (let i = 1; i < lower.length; i++) take(this.byBare.get(lower.slice(i)));
    take(this.byFold.get(n.fold));
    if (n.sortedWords !== undefined) take(this.byWords.get(n.sortedWords));
    // Y7 (a name with an affix starts or ends with the name it imitates) and Y9 (plural: the imitated name is a
    // start of this one; singular: this name plus "s").
    for (let i = 1; i < lower.length; i++) {
      take(this.byLower.get(lower.slice(0, i)));
      take(this.byLower.get(lower.slice(i)));
    }
    take(this.byLower.get(`${lower}s`));
    if (sn.length < 4) return; // Y2, Y3 and Y10 need 4 characters or more
    // Y2 and Y3: within two edits, so of a length within two.
    for (let len = Math.max(4, sn.length - 2); len <= sn.length + 2; len++) {
      const bucket = this.byLength.get(len);
      if (!bucket) continue;
      const text = bucket.packed;
      for (let i = 0; i < bucket.entries.length; i++)
        if (damerauLevenshteinAtMost(sn, text, 2, i * len, len) <= 2) found.add(bucket.entries[i]);
    }
    // Y10: a longer skeleton, at most twice as long, that starts or ends with this one.
    for (let len = sn.length + 1; len <= 2 * sn.length; len++) {
      const bucket = this.byLength.get(len);
      if (!bucket) continue;
      const text = bucket.packed;
      for (let i = 0; i < bucket.entries.length; i++) {
        const at = i * len;
        if (text.startsWith(sn, at) || text.startsWith(sn, at + len - sn.length)) found.add(bucket.entries[i]);
      }
    }
  }

  /** The maps an entry is listed in, with its key in each. */
  private keysOf(e: Entry): [Map<string, Entry[]>, string][] {
    const f = e.forms;
    if (f.scope) return [[this.byBare, f.bare]];
    const keys: [Map<string, Entry[]>, string][] = [
      [this.byLower, f.lower],
      [this.byFold, f.fold],
    ];
    if (f.sortedWords !== undefined) keys.push([this.byWords, f.sortedWords]);
    return keys;
  }
}

/** A plain list of known names indexed for one check: map lookups for the rules that need every name. */
export class KnownNameIndex implements KnownNameLookup {
  private readonly index = new LookAlikeIndex();
  private readonly lowerNames = new Set<string>();
  private readonly skeletons = new Map<string, KnownName>();

  static of(known: Iterable<KnownName> | KnownNameLookup): KnownNameLookup {
    return 'withSkeleton' in known ? known : new KnownNameIndex(known);
  }
  constructor(known: Iterable<KnownName> = []) {
    for (const k of known) {
      const forms = formsOf(k.name);
      this.index.add(k, forms);
      this.lowerNames.add(forms.lower);
      // Y1 compares unscoped names only; the first name of a skeleton is the one reported.
      if (!k.name.startsWith('@') && !this.skeletons.has(forms.skeleton)) this.skeletons.set(forms.skeleton, k);
    }
  }
  lookAlikeCandidates(name: NameForms): Iterable<IndexedName> {
    return this.index.candidates(name);
  }
  hasLowerCase(name: string): boolean {
    return this.lowerNames.has(name);
  }
  withSkeleton(sk: string): KnownName | undefined {
    return this.skeletons.get(sk);
  }
}
