// The registry's known names for the typosquat check (typosquat.ts). Rule Y1 compares a new name with every name
// of the ecosystem, and is answered by two indexed lookups (migration 055). Rules Y2-Y10 compare it with the
// protected (popular) names, the only ones kept in memory, in a LookAlikeIndex (docs/PERFORMANCE.md hot spot 19),
// and with the public registries' well-known names (well-known-names.ts), published here or not.
import type { Db } from '../../lib/db.ts';
import { nameSkeletonSql } from '../packages-repo.ts';
import { type IndexedName, type KnownName, KnownNameIndex, type KnownNameLookup, LookAlikeIndex } from './look-alike-index.ts';
import type { NameForms } from './name-forms.ts';
import { DEFAULT_TYPOSQUAT_OPTIONS } from './typosquat.ts';
import { wellKnownCandidates, wellKnownPopularityOf } from './well-known-names.ts';

interface KnownRow {
  id: number;
  name: string;
  created_at: string;
  popularity: number | null;
  owners: string | null;
}

/** Popularity from which a name is protected, and kept in memory. */
const PROTECTED_MIN = DEFAULT_TYPOSQUAT_OPTIONS.protectedMin;

// Migration 055's index serves this expression (packages-repo.ts).
const SKELETON_SQL = nameSkeletonSql('p.name');

function prepare(db: Db) {
  const columns = `SELECT p.id, p.name, p.created_at, s.popularity,
       (SELECT group_concat(m.username, ',') FROM package_maintainers m WHERE m.package_id = p.id) AS owners
     FROM packages p LEFT JOIN package_scores s ON s.ecosystem = p.ecosystem AND s.name = p.name`;
  return {
    lastChange: db.prepare<[], number | null>('SELECT max(seq) FROM known_name_changes').pluck(),
    changesSince: db.prepare<[number], { seq: number; ecosystem: string; name: string }>(
      'SELECT seq, ecosystem, name FROM known_name_changes WHERE seq > ? ORDER BY seq',
    ),
    maxId: db.prepare<[], number | null>('SELECT max(id) FROM packages').pluck(),
    exists: db.prepare<[string, string], number>('SELECT 1 FROM packages WHERE ecosystem = ? AND lower(name) = ? LIMIT 1').pluck(),
    // The first unscoped name of the skeleton is the one reported (index order is id order within a key).
    withSkeleton: db.prepare<[string, string], KnownRow>(
      `${columns} WHERE p.ecosystem = ? AND ${SKELETON_SQL} = ? AND substr(p.name, 1, 1) <> '@' ORDER BY p.id LIMIT 1`,
    ),
    one: db.prepare<[string, string], KnownRow>(`${columns} WHERE p.ecosystem = ? AND p.name = ?`),
    atLeast: db.prepare<[string, number], KnownRow>(`${columns} WHERE p.ecosystem = ? AND coalesce(s.popularity, 0) >= ?`),
    // Ids only grow: the rows after the kept maximum are the packages created since (rowid range, not a scan).
    atLeastSince: db.prepare<[number, string, number], KnownRow>(
      `${columns} WHERE p.id > ? AND +p.ecosystem = ? AND coalesce(s.popularity, 0) >= ? ORDER BY p.id`,
    ),
  };
}
type Statements = ReturnType<typeof prepare>;

interface Kept {
  /** The last change of migration 056's log applied. */
  lastChange: number;
  /** The highest package id seen: rows above it are packages created since. */
  maxId: number;
  /** The protected names, indexed for the look-alike rules. */
  index: LookAlikeIndex;
  /** One array per distinct owner list, shared by every name it owns. */
  ownerLists: Map<string, string[]>;
}

/** The known names of one ecosystem, read from registry.db with the protected ones kept in memory. */
class RegistryKnownNames implements KnownNameLookup {
  private kept: Kept | undefined;
  constructor(
    private readonly sql: Statements,
    private readonly ecosystem: string,
  ) {}

  /**
   * Brings the protected names up to date: adds the packages created since the last call, and re-reads the names
   * whose owners changed or that were removed since (migration 056's log, written by any writer). All are read
   * again only the first time, or when the log no longer reaches back to the last change seen.
   */
  refresh(): this {
    // Both read before the rows: a package created, or a change logged, by another connection meanwhile has a
    // higher number, and is seen next time (re-reading a name twice does no harm).
    const lastChange = this.sql.lastChange.get() ?? 0;
    const top = this.sql.maxId.get() ?? 0;
    const held = this.kept;
    const changes = held ? this.sql.changesSince.all(held.lastChange) : [];
    if (!held || (changes.length > 0 && changes[0].seq !== held.lastChange + 1)) {
      const k: Kept = { lastChange, maxId: top, index: new LookAlikeIndex(), ownerLists: new Map() };
      this.kept = k;
      for (const r of this.sql.atLeast.all(this.ecosystem, PROTECTED_MIN)) k.index.add(this.toKnownName(r));
      return this;
    }
    for (const r of this.sql.atLeastSince.all(held.maxId, this.ecosystem, PROTECTED_MIN)) held.index.add(this.toKnownName(r));
    const reread = new Set(changes.filter((c) => c.ecosystem === this.ecosystem).map((c) => c.name));
    for (const name of reread) this.reread(name);
    held.maxId = Math.max(held.maxId, top);
    held.lastChange = Math.max(held.lastChange, lastChange, changes.at(-1)?.seq ?? 0);
    return this;
  }

  /** One name as registry.db has it now: held if it is there and protected, dropped otherwise. */
  private reread(name: string): void {
    const index = (this.kept as Kept).index;
    index.remove(name);
    const r = this.sql.one.get(this.ecosystem, name);
    if (r && (r.popularity ?? 0) >= PROTECTED_MIN) index.add(this.toKnownName(r));
  }

  /** A rescore of one name: it joins the protected names at PROTECTED_MIN and leaves them below it. */
  setPopularity(name: string, popularity: number): void {
    const k = this.kept;
    if (!k) return;
    const held = k.index.get(name);
    if (held && popularity < PROTECTED_MIN) k.index.remove(name);
    else if (held) held.popularity = popularity;
    else if (popularity >= PROTECTED_MIN) {
      const r = this.sql.one.get(this.ecosystem, name);
      if (r) k.index.add(this.toKnownName({ ...r, popularity }));
    }
  }

  hasLowerCase(lowerName: string): boolean {
    return this.sql.exists.get(this.ecosystem, lowerName) !== undefined;
  }

  withSkeleton(sk: string): KnownName | undefined {
    const r = this.sql.withSkeleton.get(this.ecosystem, sk);
    return r && this.toKnownName(r);
  }

  lookAlikeCandidates(name: NameForms, min: number): Iterable<IndexedName> {
    const here =
      min >= PROTECTED_MIN
        ? (this.kept?.index.candidates(name) ?? [])
        : // A lower threshold than the one kept (a caller's own option): every name it covers, indexed for this check.
          [...new KnownNameIndex(this.sql.atLeast.all(this.ecosystem, min).map((r) => this.toKnownName(r))).lookAlikeCandidates(name)];
    return [...this.withWellKnown(here), ...this.wellKnownOnly(name, here)];
  }

  /** The names published here, each as popular as the greater of its popularity here and as a well-known name. */
  private *withWellKnown(here: IndexedName[]): Iterable<IndexedName> {
    for (const c of here) {
      const known = wellKnownPopularityOf(this.ecosystem, c.known.name);
      yield known > c.known.popularity ? { forms: c.forms, known: { ...c.known, popularity: known } } : c;
    }
  }

  /**
   * The well-known names not among those published here that are protected (well-known-names.ts). One also
   * published here with little use carries that package's owners and first publish, so its own owners are not
   * warned about their own name.
   */
  private *wellKnownOnly(name: NameForms, here: IndexedName[]): Iterable<IndexedName> {
    // A well-known name is the public package itself (PyPI's `requests`, mirrored or seeded here), not a look-alike
    // of its well-known neighbours (`requests-oauthlib`): the public registry holds both.
    if (wellKnownPopularityOf(this.ecosystem, name.lower) > 0) return;
    const seen = new Set(here.map((c) => c.known.name));
    for (const c of wellKnownCandidates(this.ecosystem, name)) {
      if (seen.has(c.known.name)) continue;
      const r = this.sql.one.get(this.ecosystem, c.known.name);
      yield r ? { forms: c.forms, known: { ...this.toKnownName(r), popularity: c.known.popularity } } : c;
    }
  }

  /** The names held in memory: the protected ones. */
  held(): Iterable<KnownName> {
    return this.kept?.index.names() ?? [];
  }

  private toKnownName(r: KnownRow): KnownName {
    const lists = this.kept?.ownerLists;
    const key = r.owners ?? '';
    let owner = lists?.get(key);
    if (!owner) {
      owner = key ? key.split(',') : [];
      lists?.set(key, owner);
    }
    return { name: r.name, createdAt: Date.parse(r.created_at), popularity: r.popularity ?? 0, owner };
  }
}

/** The known names of each ecosystem of one connection (the security repo keeps one per connection). */
export function createKnownNames(db: Db) {
  const sql = prepare(db);
  const byEcosystem = new Map<string, RegistryKnownNames>();
  return {
    /** The known names of an ecosystem, up to date with registry.db. */
    of(ecosystem: string): RegistryKnownNames {
      let names = byEcosystem.get(ecosystem);
      if (!names) {
        names = new RegistryKnownNames(sql, ecosystem);
        byEcosystem.set(ecosystem, names);
      }
      return names.refresh();
    },
    /** Tells the kept protected names of a rescore (nothing is loaded when none are kept yet). */
    popularityChanged(ecosystem: string, name: string, popularity: number): void {
      byEcosystem.get(ecosystem)?.setPopularity(name, popularity);
    },
  };
}
