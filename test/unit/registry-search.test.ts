// Package search over the FTS5 index of migration 050 (registry/search.ts): the query builder's escaping and
// qualifiers, the index kept by triggers, ranking, filters, sorts, exact totals, hostile text, and the query
// plan at 10,000 packages (the index is used, no scan of packages).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, loadMigrations, openDatabase, runMigrations } from '../../lib/db.ts';
import { AppError } from '../../lib/errors.ts';
import { openRegistryDatabase } from '../../registry/db.ts';
import {
  buildFtsQuery,
  buildSearchSql,
  ftsString,
  MAX_NAME_CANDIDATES,
  parseSearchText,
  runSearch,
  type SearchQuery,
  searchPackages,
} from '../../registry/search.ts';
import { testSecrets } from '../helpers/config.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

describe('search text parsing and the FTS5 query', () => {
  it('splits words and npm qualifiers', () => {
    expect(parseSearchText('  HTTP  keywords:a,B scope:@acme author:alice maintainer:bob client ')).toEqual({
      terms: ['http', 'client'],
      keywords: ['a', 'b'],
      scope: 'acme',
      maintainers: ['alice', 'bob'],
      unmatchable: false,
    });
    // Unknown qualifiers and empty ones are words; a word is searchable when it has a letter or a digit.
    expect(parseSearchText('is:unstable keywords: ***').terms).toEqual(['is:unstable']);
    expect(parseSearchText('*** "" -').unmatchable).toBe(true);
    expect(parseSearchText('*** keywords:http').unmatchable).toBe(false);
    expect(parseSearchText('').unmatchable).toBe(false);
  });

  it('quotes every word (double quotes doubled), the last as a prefix, within name, description and keywords', () => {
    expect(ftsString('say "hi"')).toBe('"say ""hi"""');
    expect(buildFtsQuery({ terms: ['react'], keywords: [] })).toBe('"react"*');
    expect(buildFtsQuery({ terms: ['a"b', 'near', 'c*'], keywords: ['x y'] })).toBe('"a""b" AND "near" AND "c*"* AND keywords : "x y"');
    expect(buildFtsQuery({ terms: [], keywords: [] })).toBeUndefined();
  });

  it('strips control characters (a NUL would end an FTS5 string) and refuses oversize text with a 400', () => {
    expect(parseSearchText('a\u0000b\tc').terms).toEqual(['a', 'b', 'c']);
    const tooLong = () => parseSearchText('a'.repeat(401));
    expect(tooLong).toThrow(AppError);
    expect(tooLong).toThrow('search text is longer than 400 characters');
    expect(() => parseSearchText(Array.from({ length: 33 }, (_, i) => `w${i}`).join(' '))).toThrow('more than 32 words');
    expect(() =>
      buildSearchSql({ ecosystem: 'npm', text: '', keywords: Array.from({ length: 33 }, (_, i) => `k${i}`), limit: 1, offset: 0 }),
    ).toThrow('at most 32 keywords');
  });

  it('binds every value: user text never appears in the SQL', () => {
    const sql = buildSearchSql({
      ecosystem: 'npm',
      text: "x'); DROP TABLE packages; -- scope:evil'",
      maintainer: "o'brien",
      limit: 5,
      offset: 0,
    });
    expect(sql?.page).not.toContain('DROP');
    expect(sql?.page).not.toContain('evil');
    expect(sql?.params).toMatchObject({ scope: "evil'", maintainer0: "o'brien" });
  });
});

/** FTS5's own check of each ecosystem's index against its content (the public packages view); throws when they differ. */
function expectIndexesIntact(db: Db) {
  for (const eco of ['npm', 'pypi', 'maven', 'rubygems']) {
    const table = `package_search_${eco}`;
    expect(() => db.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('integrity-check', 1)`).run(), eco).not.toThrow();
  }
}

/** A registry database with the migrations before `version` only, and every migration (to finish it later). */
function migratedBelow(version: number) {
  const migrations = loadMigrations(fileURLToPath(new URL('../../registry/migrations', import.meta.url)));
  const old = openDatabase(':memory:');
  runMigrations(
    old,
    'registry',
    migrations.filter((m) => m.version < version),
  );
  return { old, migrations };
}

describe('searchPackages over registry.db', () => {
  let db: Db;
  let clock = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1) + clock++ * 1000).toISOString();

  function add(
    name: string,
    o: {
      description?: string;
      keywords?: string[];
      access?: string;
      downloads?: number;
      eco?: string;
      maintainers?: string[];
      score?: number;
    } = {},
  ): number {
    const at = now();
    const scope = name.startsWith('@') ? name.slice(1, name.indexOf('/')) : null;
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO packages (ecosystem, name, scope, description, keywords, access, downloads, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        o.eco ?? 'npm',
        name,
        scope,
        o.description ?? '',
        JSON.stringify(o.keywords ?? []),
        o.access ?? 'public',
        o.downloads ?? 0,
        at,
        at,
      );
    const id = Number(lastInsertRowid);
    for (const m of o.maintainers ?? ['alice'])
      db.prepare('INSERT INTO package_maintainers (package_id, user_id, username, email, added_at) VALUES (?, ?, ?, ?, ?)').run(
        id,
        `u-${m}`,
        m,
        `${m}@example.test`,
        at,
      );
    if (o.score !== undefined)
      db.prepare(
        `INSERT INTO package_scores (ecosystem, name, quality, popularity, maintenance, overall, breakdown, scoring_version, computed_at)
         VALUES (?, ?, ?, ?, ?, ?, '{}', 't', ?)`,
      ).run(o.eco ?? 'npm', name, o.score, o.score, o.score, o.score, at);
    return id;
  }
  const search = (text: string, more: Partial<SearchQuery> = {}) =>
    searchPackages(db, { ecosystem: 'npm', text, limit: 20, offset: 0, ...more });
  const names = (text: string, more: Partial<SearchQuery> = {}) => search(text, more).hits.map((h) => h.pkg.name);

  beforeEach(() => {
    db = openRegistryDatabase(':memory:');
  });
  afterEach(() => db.close());

  it('ranks the exact name, then names starting with the words, then text matches; the last word is a prefix', () => {
    add('logger', { description: 'logs over http', downloads: 900 });
    add('http-kit', { description: 'tiny toolkit', keywords: ['http'] });
    add('@acme/http', { description: 'the client' });
    add('react', { description: 'ui library' });
    add('preact', { description: 'a smaller react' });
    expect(names('http')).toEqual(['@acme/http', 'http-kit', 'logger']);
    expect(names('reac')).toEqual(['react', 'preact']);
    expect(names('HTTP kit')).toEqual(['http-kit']);
    // Words of a name split at - _ . / @: "kit" finds http-kit; diacritics and case do not matter.
    expect(names('kit')).toEqual(['http-kit']);
    add('élève-utils', { description: 'Straße helpers' });
    expect(names('eleve')).toEqual(['élève-utils']);
    expect(names('STRASSE')).toEqual([]);
    expect(names('straße')).toEqual(['élève-utils']);
    const [top] = search('http').hits;
    expect(top.relevance).toBeGreaterThan(2);
    expect(top.maintainers).toEqual([{ username: 'alice', email: 'alice@example.test' }]);
  });

  it('the package score, then downloads, order equally relevant matches; score and downloads sorts', () => {
    add('a-tool', { description: 'x', downloads: 5, score: 0.2 });
    add('b-tool', { description: 'x', downloads: 50, score: 0.9 });
    add('c-tool', { description: 'x', downloads: 500 });
    add('d-tool', { description: 'x', downloads: 1, score: 0.9 });
    expect(names('tool')).toEqual(['b-tool', 'd-tool', 'a-tool', 'c-tool']);
    expect(names('tool', { sort: 'score' })).toEqual(['b-tool', 'd-tool', 'a-tool', 'c-tool']);
    expect(names('tool', { sort: 'downloads' })).toEqual(['c-tool', 'b-tool', 'a-tool', 'd-tool']);
    expect(names('tool', { sort: 'updated' })).toEqual(['d-tool', 'c-tool', 'b-tool', 'a-tool']);
    expect(search('tool').hits[0].score).toEqual({ quality: 0.9, popularity: 0.9, maintenance: 0.9, overall: 0.9 });
    // Empty text lists every public package by the sort.
    add('hidden', { access: 'restricted', downloads: 10_000 });
    expect(names('', { sort: 'downloads' })).toEqual(['c-tool', 'b-tool', 'a-tool', 'd-tool']);
    expect(search('').total).toBe(4);
  });

  it('filters: keywords (exact, all of them), scope, maintainer/author, ecosystem; total is exact with paging', () => {
    add('kw-one', { keywords: ['http', 'client'] });
    add('kw-two', { keywords: ['http-client'] });
    add('@acme/kw-three', { keywords: ['HTTP'], maintainers: ['bob'] });
    add('kw-py', { keywords: ['http'], eco: 'pypi' });
    expect(names('keywords:http')).toEqual(['@acme/kw-three', 'kw-one']);
    expect(names('keywords:http,client')).toEqual(['kw-one']);
    expect(names('', { keywords: ['http-client'] })).toEqual(['kw-two']);
    expect(names('kw scope:@acme')).toEqual(['@acme/kw-three']);
    expect(names('kw author:bob')).toEqual(['@acme/kw-three']);
    expect(names('', { maintainer: 'alice' })).toEqual(['kw-one', 'kw-two']);
    expect(names('maintainer:alice', { maintainer: 'bob' })).toEqual([]);
    expect(names('kw', { ecosystem: 'pypi' })).toEqual(['kw-py']);
    const page = search('kw', { limit: 1, offset: 1 });
    expect([page.total, page.hits.length]).toEqual([3, 1]);
    expect(search('kw', { limit: 5, offset: 10 })).toEqual({ total: 3, hits: [] });
    // With filters the ranked page carries the total; an empty page asks the count.
    const filtered = search('kw', { keywords: ['http'], limit: 1 });
    expect([filtered.total, filtered.hits.map((h) => h.pkg.name)]).toEqual([2, ['@acme/kw-three']]);
    expect(buildSearchSql({ ecosystem: 'npm', text: 'kw', keywords: ['http'], limit: 1, offset: 0 })?.totalInPage).toBe(true);
    expect(search('kw', { keywords: ['http'], limit: 1, offset: 2 })).toEqual({ total: 2, hits: [] });
    expect(search('nothing scope:acme')).toEqual({ total: 0, hits: [] });
  });

  it('keeps the index in step with the table: description, keywords and access changes, deletion', () => {
    const id = add('moving', { description: 'first words' });
    expect(names('first')).toEqual(['moving']);
    db.prepare("UPDATE packages SET description = 'second words', keywords = '[\"later\"]' WHERE id = ?").run(id);
    expect(names('first')).toEqual([]);
    expect(names('words')).toEqual(['moving']);
    expect(names('keywords:later')).toEqual(['moving']);
    db.prepare("UPDATE packages SET access = 'restricted' WHERE id = ?").run(id);
    expect(search('words').total).toBe(0);
    db.prepare("UPDATE packages SET access = 'public' WHERE id = ?").run(id);
    expect(names('words')).toEqual(['moving']);
    db.prepare('UPDATE packages SET downloads = downloads + 1 WHERE id = ?').run(id);
    db.prepare('DELETE FROM packages WHERE id = ?').run(id);
    expect(search('words').total).toBe(0);
    add('private-one', { description: 'words', access: 'restricted' });
    // A package moving to another ecosystem moves to that ecosystem's index.
    const moved = add('crossing', { description: 'words of crossing' });
    db.prepare("UPDATE packages SET ecosystem = 'pypi' WHERE id = ?").run(moved);
    expect(names('crossing')).toEqual([]);
    expect(names('crossing', { ecosystem: 'pypi' })).toEqual(['crossing']);
    // Without words or filters the total is the index's own document count: every public package of the
    // ecosystem, through the updates, deletion and move above.
    add('staying', { description: 'words' });
    expect([search('').total, search('', { ecosystem: 'pypi' }).total, search('', { ecosystem: 'maven' }).total]).toEqual([1, 1, 0]);
    expectIndexesIntact(db);
  });

  it('keeps a repeated search until a write it reads, by this connection or another; counts for at most a minute', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-cache-'));
    const file = path.join(dir, 'registry.db');
    const own = openRegistryDatabase(file);
    const other = openDatabase(file);
    // The download counts' window is wall-clock minutes (lib/internal.ts): the test sets the time.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-03-01T00:00:05Z'));
    try {
      const at = new Date().toISOString();
      const insert = (conn: Db, name: string) =>
        Number(
          conn
            .prepare("INSERT INTO packages (ecosystem, name, description, created_at, updated_at) VALUES ('npm', ?, 'cached words', ?, ?)")
            .run(name, at, at).lastInsertRowid,
        );
      const id = insert(own, 'first-cached');
      own.prepare("INSERT INTO blobs (sha512, size, created_at) VALUES ('aa', 1, ?)").run(at);
      const q = { ecosystem: 'npm', text: 'cached', limit: 10, offset: 0 };
      const names = () =>
        searchPackages(own, q)
          .hits.map((h) => h.pkg.name)
          .sort();

      // Writes no search reads leave the answer: a download count (as packages-repo.ts addDownloads writes it),
      // its daily row and relayed event, by this connection and by another process.
      const counted = searchPackages(own, q);
      expect(searchPackages(own, q)).toBe(counted);
      own.prepare('UPDATE packages SET downloads = downloads + 3 WHERE id = ?').run(id);
      own.prepare("INSERT INTO download_counts (package_id, day, count) VALUES (?, '2026-03-01', 3)").run(id);
      other.prepare('UPDATE packages SET downloads = downloads + 4 WHERE id = ?').run(id);
      other.prepare("INSERT INTO outbox (id, type, payload, created_at) VALUES ('e1', 'package.downloaded', '{}', ?)").run(at);
      vi.setSystemTime(Date.parse('2026-03-01T00:00:59Z'));
      expect(searchPackages(own, q)).toBe(counted);
      expect(counted.hits[0].pkg.downloads).toBe(0);
      // The next minute shows the counts.
      vi.setSystemTime(Date.parse('2026-03-01T00:01:00Z'));
      expect(searchPackages(own, q).hits[0].pkg.downloads).toBe(7);
      expect(searchPackages(own, { ...q, sort: 'downloads' }).hits[0].pkg).toMatchObject({ name: 'first-cached', downloads: 7 });

      // Every write a search reads shows on the very next search, whichever connection made it (own or other).
      const writes: [string, () => unknown][] = [
        ['a new package', () => insert(own, 'second-cached')],
        ['a package by another process', () => insert(other, 'third-cached')],
        ['a description', () => other.prepare("UPDATE packages SET description = 'cached and more' WHERE id = ?").run(id)],
        ['a publish (rev, time)', () => own.prepare("UPDATE packages SET rev = rev + 1, updated_at = '2026-03-02' WHERE id = ?").run(id)],
        [
          'a version',
          () =>
            other
              .prepare(
                `INSERT INTO package_versions (package_id, version, manifest, filename, blob_sha512, integrity, shasum, size, publisher_name, published_at)
                 VALUES (?, '1.0.0', '{}', 'x.tgz', 'aa', 'sha512-x', 'x', 1, 'alice', ?)`,
              )
              .run(id, at),
        ],
        ['its latest tag', () => other.prepare("INSERT INTO dist_tags (package_id, tag, version) VALUES (?, 'latest', '1.0.0')").run(id)],
        ['a version changed', () => own.prepare("UPDATE package_versions SET publisher_name = 'bob' WHERE package_id = ?").run(id)],
        [
          'a maintainer',
          () =>
            other
              .prepare("INSERT INTO package_maintainers (package_id, user_id, username, added_at) VALUES (?, 'u1', 'alice', ?)")
              .run(id, at),
        ],
        ['a maintainer removed', () => own.prepare('DELETE FROM package_maintainers WHERE package_id = ?').run(id)],
        [
          'a score',
          () =>
            other
              .prepare(
                `INSERT INTO package_scores (ecosystem, name, quality, popularity, maintenance, overall, breakdown, scoring_version, computed_at)
                 VALUES ('npm', 'first-cached', 0.5, 0.5, 0.5, 0.5, '{}', 't', ?)`,
              )
              .run(at),
        ],
        ['a rescore', () => own.prepare("UPDATE package_scores SET popularity = 0.6 WHERE name = 'first-cached'").run()],
        ['a tag moved', () => other.prepare("UPDATE dist_tags SET version = '1.0.1' WHERE package_id = ?").run(id)],
        ['access', () => own.prepare("UPDATE packages SET access = 'restricted' WHERE name = 'third-cached'").run()],
        ['a tag removed', () => other.prepare('DELETE FROM dist_tags WHERE package_id = ?').run(id)],
        ['a version removed', () => own.prepare('DELETE FROM package_versions WHERE package_id = ?').run(id)],
        ['a score removed', () => other.prepare("DELETE FROM package_scores WHERE name = 'first-cached'").run()],
        ['a package removed', () => own.prepare("DELETE FROM packages WHERE name = 'second-cached'").run()],
      ];
      for (const [what, write] of writes) {
        const before = searchPackages(own, q);
        expect(searchPackages(own, q), what).toBe(before);
        write();
        const after = searchPackages(own, q);
        expect(after, what).not.toBe(before);
        // Not a mere re-read: the same as the search uncached.
        expect(after, what).toEqual(runSearch(own, q));
      }
      expect(names()).toEqual(['first-cached']);

      // A write rolled back is never seen, nor is an answer read inside it kept.
      const kept = searchPackages(own, q);
      expect(() =>
        own.transaction(() => {
          insert(own, 'rolled-cached');
          expect(names()).toEqual(['first-cached', 'rolled-cached']);
          throw new Error('roll back');
        })(),
      ).toThrow('roll back');
      expect(names()).toEqual(['first-cached']);
      expect(searchPackages(own, q)).toEqual(kept);
    } finally {
      vi.useRealTimers();
      own.close();
      other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when only the minute turns, the kept ranking answers without bm25 and the new download counts break the ties', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-ranking-'));
    const file = path.join(dir, 'registry.db');
    const own = openRegistryDatabase(file);
    // A connection that logs every statement it runs: bm25( appears only in the statements that rank matches.
    const executed: string[] = [];
    const watched = new Database(file, { verbose: (sql) => executed.push(String(sql)) });
    const bm25Runs = () => executed.filter((sql) => sql.includes('bm25(')).length;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-03-01T00:00:05Z'));
    try {
      const at = new Date().toISOString();
      const put = own.prepare(
        "INSERT INTO packages (ecosystem, name, description, downloads, created_at, updated_at) VALUES ('npm', ?, 'equal words', ?, ?, ?)",
      );
      // The same text: the same bm25, so the download counts order the page.
      for (const [name, downloads] of [
        ['tie-a', 1],
        ['tie-b', 2],
        ['tie-c', 3],
      ] as const)
        put.run(name, downloads, at, at);
      const q = { ecosystem: 'npm', text: 'equal', limit: 2, offset: 0 };
      const page = () => searchPackages(watched, q).hits.map((h) => h.pkg.name);
      expect(page()).toEqual(['tie-c', 'tie-b']);
      const ranked = bm25Runs();
      expect(ranked).toBeGreaterThan(0);

      own.prepare("UPDATE packages SET downloads = 10 WHERE name = 'tie-a'").run();
      vi.setSystemTime(Date.parse('2026-03-01T00:00:59Z'));
      expect(page()).toEqual(['tie-c', 'tie-b']);
      vi.setSystemTime(Date.parse('2026-03-01T00:01:00Z'));
      const turned = searchPackages(watched, q);
      expect(turned.hits.map((h) => [h.pkg.name, h.pkg.downloads])).toEqual([
        ['tie-a', 10],
        ['tie-c', 3],
      ]);
      expect(bm25Runs()).toBe(ranked);
      // The same answer as the search uncached, to the relevance value.
      expect(turned).toEqual(runSearch(watched, q));

      // A write a search reads ranks again.
      const afterUncached = bm25Runs();
      own.prepare("UPDATE packages SET description = 'equal words equal' WHERE name = 'tie-b'").run();
      expect(page()).toEqual(['tie-b', 'tie-a']);
      expect(bm25Runs()).toBeGreaterThan(afterUncached);
    } finally {
      vi.useRealTimers();
      watched.close();
      own.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('migration 050 indexes the packages already stored, with their scores; restricted ones stay out', () => {
    const { old, migrations } = migratedBelow(50);
    const at = new Date().toISOString();
    const put = old.prepare(
      "INSERT INTO packages (ecosystem, name, description, keywords, access, created_at, updated_at) VALUES ('npm', ?, 'older words', '[]', ?, ?, ?)",
    );
    put.run('old-public', 'public', at, at);
    put.run('old-private', 'restricted', at, at);
    old
      .prepare(
        `INSERT INTO package_scores (ecosystem, name, quality, popularity, maintenance, overall, breakdown, scoring_version, computed_at)
       VALUES ('npm', 'old-public', 0.5, 0.5, 0.5, 0.5, '{}', 't', ?)`,
      )
      .run(at);
    runMigrations(old, 'registry', migrations);
    const r = searchPackages(old, { ecosystem: 'npm', text: 'older', limit: 5, offset: 0 });
    expect(r.hits.map((h) => [h.pkg.name, h.score?.overall])).toEqual([['old-public', 0.5]]);
    // Later score changes reach the ranking copy on the package row.
    old.prepare("UPDATE package_scores SET overall = 0.75 WHERE name = 'old-public'").run();
    expect(old.prepare("SELECT search_score FROM packages WHERE name = 'old-public'").get()).toEqual({ search_score: 0.75 });
    old.close();
  });

  it('migration 051 moves the packages of the shared index into one index per ecosystem; restricted ones stay out', () => {
    const { old, migrations } = migratedBelow(51);
    const at = new Date().toISOString();
    const put = old.prepare(
      "INSERT INTO packages (ecosystem, name, description, keywords, access, created_at, updated_at) VALUES (?, ?, 'shared words', '[]', ?, ?, ?)",
    );
    put.run('npm', 'shared-npm', 'public', at, at);
    put.run('pypi', 'shared-py', 'public', at, at);
    put.run('rubygems', 'shared-gem', 'public', at, at);
    put.run('maven', 'org.example:shared-private', 'restricted', at, at);
    runMigrations(old, 'registry', migrations);
    const found = (ecosystem: string) =>
      searchPackages(old, { ecosystem, text: 'shared', limit: 5, offset: 0 }).hits.map((h) => h.pkg.name);
    expect([found('npm'), found('pypi'), found('rubygems'), found('maven')]).toEqual([['shared-npm'], ['shared-py'], ['shared-gem'], []]);
    expectIndexesIntact(old);
    old.close();
  });

  it('migration 053 adds prefix indexes of 2 to 12 characters: every answer is the same, to the bm25 value', () => {
    const { old, migrations } = migratedBelow(53);
    const at = new Date().toISOString();
    const put = old.prepare(
      'INSERT INTO packages (ecosystem, name, description, keywords, access, downloads, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const words = ['observability', 'typescript', 'middleware', 'stream', 'streaming', 'streamline', 'helper', 'élève'];
    old.transaction(() => {
      for (let i = 0; i < 120; i++) {
        const a = words[i % words.length];
        const b = words[(i * 5 + 3) % words.length];
        put.run(
          i % 7 === 0 ? 'pypi' : 'npm',
          `pkg-${a}-${i}`,
          `A ${a} ${b} helper ${'x '.repeat(i % 9)}`,
          JSON.stringify([b]),
          'public',
          i,
          at,
          at,
        );
      }
      put.run('npm', 'hidden-streamline', 'streamline', '[]', 'restricted', 0, at, at);
    })();
    // Every prefix length of every word, alone and after another word, as the last (prefix) word of a search.
    const texts = words.flatMap((w) => Array.from({ length: [...w].length }, (_, n) => [...w].slice(0, n + 1).join('')));
    const queries = [...texts, ...texts.map((t) => `helper ${t}`)].flatMap((text) => [
      { ecosystem: 'npm', text, limit: 10, offset: 0 },
      { ecosystem: 'pypi', text, limit: 5, offset: 1, sort: 'downloads' as const },
    ]);
    const answers = () => queries.map((q) => runSearch(old, q));
    const before = answers();
    expect(before.filter((a) => a.total > 0).length).toBeGreaterThan(queries.length / 2);
    runMigrations(old, 'registry', migrations);
    expect(answers()).toEqual(before);
    for (const eco of ['npm', 'pypi', 'maven', 'rubygems'])
      expect(old.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(`package_search_${eco}`)).toContain(
        "prefix = '2 3 4 5 6 7 8 9 10 11 12'",
      );
    expectIndexesIntact(old);
    // The triggers of 051 keep writing to the new indexes.
    put.run('npm', 'after-upgrade', 'observational data', '[]', 'public', 0, at, at);
    expect(runSearch(old, { ecosystem: 'npm', text: 'observat', limit: 5, offset: 0 }).hits.map((h) => h.pkg.name)).toContain(
      'after-upgrade',
    );
    expect(runSearch(old, { ecosystem: 'npm', text: 'streamli', limit: 50, offset: 0 }).hits.map((h) => h.pkg.name)).not.toContain(
      'hidden-streamline',
    );
    expectIndexesIntact(old);
    old.close();
  });

  it('the relevance cut-off (only matches that can reach the page are joined) gives the order of ranking every match', () => {
    // Many equal bm25 values (same text lengths), so the page is decided by the tie-breakers, plus name hits that
    // rank first although their text matches weakly.
    for (let i = 0; i < 300; i++)
      add(`tie-${String(i).padStart(3, '0')}`, {
        description: i % 3 === 0 ? 'fast widget tool' : 'widget',
        keywords: i % 5 === 0 ? ['widget'] : [],
        downloads: (i * 37) % 50,
        score: i % 4 === 0 ? undefined : ((i * 13) % 10) / 10,
      });
    add('widget', { description: 'the one and only thing with a long description that dilutes its widget word' });
    add('widgetry', { description: 'tools' });
    add('@acme/widget-kit', { description: 'kit' });
    let compared = 0;
    for (const text of ['widget', 'widg', 'widget fast', 'tie', 'fast'])
      for (const [limit, offset] of [
        [20, 0],
        [7, 13],
        [50, 90],
        [250, 0],
        [10, 400],
      ]) {
        const q = { ecosystem: 'npm', text, limit, offset };
        const sql = buildSearchSql(q);
        if (!sql?.cut) throw new Error(`expected the cut-off for ${text}`);
        const everyMatchRanked = db.prepare(sql.page).all(sql.params) as { id: number; tier: number; bm: number }[];
        expect(
          runSearch(db, q).hits.map((h) => [h.pkg.id, h.relevance]),
          `${text} ${limit}@${offset}`,
        ).toEqual(everyMatchRanked.map((r) => [r.id, r.tier + -r.bm / (1 - r.bm)]));
        compared++;
      }
    expect(compared).toBe(25);
    const top = names('widget');
    expect([top[0], top.slice(1, 3).sort(), top[3]]).toEqual(['widget', ['@acme/widget-kit', 'widgetry'], expect.stringMatching(/^tie-/)]);
    // Filters and the other sorts rank every match (no cut-off).
    expect(buildSearchSql({ ecosystem: 'npm', text: 'widget scope:acme', limit: 5, offset: 0 })?.cut).toBeUndefined();
    expect(buildSearchSql({ ecosystem: 'npm', text: 'widget', sort: 'downloads', limit: 5, offset: 0 })?.cut).toBeUndefined();
    // An ecosystem without an index matches nothing (no table name is ever built from input).
    expect(buildSearchSql({ ecosystem: 'constructor', text: 'widget', limit: 5, offset: 0 })).toBeUndefined();
    expect(search('widget', { ecosystem: 'cargo' })).toEqual({ total: 0, hits: [] });
  });

  it(`more than ${MAX_NAME_CANDIDATES} names starting with the words: every match is ranked, same answer`, () => {
    const insert = db.prepare(
      "INSERT INTO packages (ecosystem, name, description, keywords, downloads, created_at, updated_at) VALUES ('npm', ?, ?, '[]', ?, ?, ?)",
    );
    const at = now();
    db.transaction(() => {
      for (let i = 0; i < MAX_NAME_CANDIDATES + 5; i++) insert.run(`many-${i}`, i % 2 ? 'many things' : 'many', i % 17, at, at);
    })();
    const sql = buildSearchSql({ ecosystem: 'npm', text: 'many', limit: 10, offset: 0 });
    if (!sql?.cut) throw new Error('expected the cut-off SQL');
    expect(db.prepare(sql.cut.nameCandidates).pluck().get(sql.params)).toBeGreaterThan(MAX_NAME_CANDIDATES);
    const r = search('many', { limit: 10 });
    expect(r.total).toBe(MAX_NAME_CANDIDATES + 5);
    expect(r.hits.map((h) => h.pkg.id)).toEqual(
      db
        .prepare(sql.page)
        .all(sql.params)
        .map((x) => (x as { id: number }).id),
    );
  });

  it.each([
    '"',
    '"unterminated',
    '*',
    'react*',
    '(react',
    'NEAR(a b)',
    'a AND b',
    'a OR b',
    'NOT a',
    '-react',
    'name:react',
    '^react',
    '{name}: x',
    "'; DROP TABLE packages; --",
    '%',
    '_',
    '\\',
    '\u00e9l\u00e8ve \u{1F680}',
    '\u{1F680}',
    '日本語',
    'x'.repeat(400),
  ])('hostile text %j gives a result, never an SQL or FTS5 error', (text) => {
    add('react', { description: 'ui near and or not' });
    add('日本語-tools', { description: '日本語 text' });
    const r = search(text);
    expect(r.total).toBe(r.hits.length);
    if (text === '(react' || text === 'react*' || text === '-react' || text === '^react')
      expect(r.hits.map((h) => h.pkg.name)).toEqual(['react']);
  });

  it('uses the FTS index at 10,000 packages (query plan), and answers the right rows there', () => {
    const insert = db.prepare(
      `INSERT INTO packages (ecosystem, name, description, keywords, downloads, created_at, updated_at) VALUES ('npm', ?, ?, ?, ?, ?, ?)`,
    );
    const words = ['http', 'json', 'parser', 'stream', 'cache', 'logger', 'router', 'crypto'];
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const a = words[i % words.length];
        const b = words[(i * 7 + 3) % words.length];
        insert.run(`pkg-${a}-${b}-${i}`, `A ${a} ${b} helper (${i})`, JSON.stringify([a, b]), i, now(), now());
      }
    })();
    const sql = buildSearchSql({ ecosystem: 'npm', text: 'stream', limit: 20, offset: 0 });
    if (!sql?.cut) throw new Error('expected the relevance cut-off');
    const { cut } = sql;
    const plan = (stmt: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${stmt}`).all({ ...sql.params, candidates: '[]' }) as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
    expect(plan(cut.candidates)).toMatch(/VIRTUAL TABLE INDEX \d+:M/);
    expect(plan(cut.candidates)).toContain('package_search');
    expect(plan(cut.candidates)).toMatch(/SEARCH p USING INTEGER PRIMARY KEY/);
    expect(plan(cut.candidates)).not.toMatch(/SCAN p\b/);
    // The page orders the kept candidates: one row lookup each, no match and no scan.
    expect(plan(cut.order)).toMatch(/SEARCH p USING INTEGER PRIMARY KEY/);
    expect(plan(cut.order)).not.toMatch(/SCAN p\b|package_search/);
    expect(plan(sql.count)).toContain('package_search_npm');
    // The count reads the FTS index alone (migration 051): no package row per match.
    expect(plan(sql.count)).not.toMatch(/\bp\b|packages/);
    // The names ranked first come from index ranges, never from a scan of packages.
    expect(plan(cut.nameCandidates)).toMatch(
      /SEARCH packages USING COVERING INDEX packages_search_name \(ecosystem=\? AND <expr>>\? AND <expr><\?\)/,
    );
    expect(plan(cut.nameCandidates)).toMatch(/SEARCH packages USING COVERING INDEX packages_search_bare_name/);
    expect(plan(cut.candidates)).toMatch(/SEARCH packages USING COVERING INDEX packages_search_bare_name/);
    expect(plan(cut.candidates)).not.toMatch(/SCAN packages/);
    const expected = db.prepare("SELECT count(*) AS n FROM packages WHERE description LIKE '% stream %'").get() as { n: number };
    const r = search('stream');
    expect(r.total).toBe(expected.n);
    expect(r.hits).toHaveLength(20);
    expect(r.hits.every((h) => h.pkg.name.includes('stream'))).toBe(true);
  });
});

describe('the registry search endpoints: npm /-/v1/search and /internal/packages/search', () => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  const internal = { 'x-internal-token': testSecrets.internalToken };
  const get = (url: string, headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url, headers });
  const publish = async (name: string, pkg: Record<string, unknown>, user = r.alice) => {
    const res = await r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { ...bearer(user), 'content-type': 'application/json' },
      payload: JSON.stringify(publishBody(name, '1.0.0', { pkg })),
    });
    expect(res.statusCode, name).toBe(201);
    // Distinct updated_at values, so sort=updated has one right answer.
    r.clock.advance(60_000);
  };

  beforeEach(async () => {
    r = await buildTestRegistry();
    await publish('fetchy', { description: 'fetch over http', keywords: ['http', 'fetch'] });
    await publish('@acme/fetchy-cache', { description: 'a cache for fetchy', keywords: ['cache'] });
    await publish('bobs-fetch', { description: 'fetch things', keywords: ['http'] }, r.bob);
  });
  afterEach(async () => r.app.close());

  it('npm search: qualifiers in the text, prefix of the last word, sorts, paging with an exact total', async () => {
    const names = async (url: string) => (await get(url)).json().objects.map((o: { package: { name: string } }) => o.package.name);
    expect(await names('/npm/-/v1/search?text=fetc')).toEqual(['fetchy', '@acme/fetchy-cache', 'bobs-fetch']);
    expect(await names('/npm/-/v1/search?text=fetch%20keywords:http')).toEqual(['fetchy', 'bobs-fetch']);
    expect(await names('/npm/-/v1/search?text=scope:acme')).toEqual(['@acme/fetchy-cache']);
    expect(await names('/npm/-/v1/search?text=fetch%20author:bob')).toEqual(['bobs-fetch']);
    expect(await names('/npm/-/v1/search?text=maintainer:alice&sort=updated')).toEqual(['@acme/fetchy-cache', 'fetchy']);
    const page = (await get('/npm/-/v1/search?text=fetch&size=1&from=2')).json();
    expect([page.total, page.objects.length]).toEqual([3, 1]);
    const [hit] = (await get('/npm/-/v1/search?text=fetchy&size=1')).json().objects;
    expect(hit.package).toMatchObject({
      name: 'fetchy',
      version: '1.0.0',
      maintainers: [{ username: 'alice' }],
      publisher: { username: 'alice' },
    });
    expect(hit.score.final).toBeGreaterThan(0);
  });

  it('npm search: bad parameters are a 400 in the one error body; FTS syntax in the text is plain text', async () => {
    for (const [url, error] of [
      ['/npm/-/v1/search?text=x&sort=stars', 'sort must be one of relevance, score, downloads, updated'],
      ['/npm/-/v1/search?text=x&size=abc', 'size must be a whole number of at least 1'],
      ['/npm/-/v1/search?text=x&size=0', 'size must be a whole number of at least 1'],
      ['/npm/-/v1/search?text=x&from=-1', 'from must be a whole number of at least 0'],
      [`/npm/-/v1/search?text=${'a'.repeat(401)}`, 'search text is longer than 400 characters'],
      ['/npm/-/v1/search?text=a&text=b', 'text must be given once'],
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual({ error, code: 'INVALID_QUERY' });
    }
    for (const text of [
      '"fetchy',
      'fetchy*',
      '(fetchy',
      'fetchy NEAR',
      'NOT fetchy',
      '-fetchy',
      'fetchy:',
      '^fetchy',
      '\u00e9 \u{1F680}',
      '%ff',
    ]) {
      const res = await get(`/npm/-/v1/search?text=${encodeURIComponent(text)}`);
      expect(res.statusCode, text).toBe(200);
      expect(res.json().total, text).toBe(res.json().objects.length);
    }
    expect((await get(`/npm/-/v1/search?text=${encodeURIComponent('(fetchy')}`)).json().objects[0].package.name).toBe('fetchy');
    expect((await get('/npm/-/v1/search?text=%ff')).statusCode).toBe(200);
  });

  it('internal search: keywords, maintainer and sort parameters; bad ones are a 400', async () => {
    const search = async (qs: string) => (await get(`/internal/packages/search?${qs}`, internal)).json();
    expect((await search('q=fetch&keywords=http,fetch')).results.map((x: { name: string }) => x.name)).toEqual(['fetchy']);
    expect((await search('maintainer=bob')).results.map((x: { name: string }) => x.name)).toEqual(['bobs-fetch']);
    const bySort = await search('q=&sort=updated&limit=2');
    expect(bySort).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(bySort.results.map((x: { name: string }) => x.name)).toEqual(['bobs-fetch', '@acme/fetchy-cache']);
    for (const qs of ['sort=stars', 'ecosystem=cargo', 'limit=0', 'limit=101', 'limit=x', 'offset=-1', `q=${'a'.repeat(401)}`]) {
      const res = await get(`/internal/packages/search?${qs}`, internal);
      expect(res.statusCode, qs).toBe(400);
      expect(res.json().code, qs).toBe('VALIDATION_FAILED');
    }
  });
});
