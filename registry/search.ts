// Package search shared by npm's /-/v1/search and the internal REST search (issues #7 and #11). The words are
// matched by the FTS5 index of the ecosystem (migrations 050 and 051; public packages only); qualifiers in the text (keywords:, scope:,
// author:/maintainer:) and the REST parameters filter; four sort orders. Relevance: the exact name first, then
// names starting with the words, then bm25 (the name weighted highest), then the package score, then downloads.
// User text never reaches FTS5 syntax: every word is a quoted string.
import type { Statement } from 'better-sqlite3';
import { type Db, perConnection } from '../lib/db.ts';
import { badRequest } from '../lib/errors.ts';
import { searchCountsWindow } from '../lib/internal.ts';
import { createRowCache, type RowCache } from '../lib/row-cache.ts';
import { type ManifestLinks, manifestLinks } from './npm/manifest-links.ts';
import type { PackageRow } from './packages-repo.ts';

export const SEARCH_SORTS = ['relevance', 'score', 'downloads', 'updated'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];
export const SEARCH_ECOSYSTEMS = ['npm', 'pypi', 'maven', 'rubygems'] as const;
/** Longest search text accepted (both endpoints answer 400 beyond it). */
export const MAX_SEARCH_TEXT = 400;
/** Most words and qualifiers in one search text. */
export const MAX_SEARCH_WORDS = 32;

export interface SearchQuery {
  ecosystem: string;
  /** Words and qualifiers, as typed. */
  text: string;
  /** Every one must be an exact keyword of the package (case-insensitive); added to keywords: of the text. */
  keywords?: string[];
  /** Must be a maintainer; added to author:/maintainer: of the text. */
  maintainer?: string;
  sort?: SearchSort;
  limit: number;
  offset: number;
}

export interface PackageScore {
  quality: number;
  popularity: number;
  maintenance: number;
  overall: number;
}

export interface SearchHit {
  pkg: PackageRow;
  /** Higher is better: 2 exact name, 1 name prefix, 0 otherwise, plus the bm25 match strength (0..1). */
  relevance: number;
  score: PackageScore | undefined;
  /** The latest dist-tag, its publication time and publisher, when the package has one. */
  latest: { version: string; publishedAt: string | null; publisher: string | null } | undefined;
  maintainers: { username: string; email: string }[];
  /** The latest version's homepage, repository and bugs links (npm's package.links). */
  links: ManifestLinks;
}

export interface ParsedSearch {
  /** Free words, lower-cased, each with at least one letter or digit. */
  terms: string[];
  keywords: string[];
  scope?: string;
  maintainers: string[];
  /** The text had words, but none with a letter or a digit: nothing can match. */
  unmatchable: boolean;
}

// Control characters end an FTS5 string early (a NUL is "unterminated string"): they are never part of a word.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;
const SEARCHABLE = /[\p{L}\p{N}]/u;
const QUALIFIER = /^(keywords|scope|author|maintainer):(.*)$/;

/** Split search text into words and npm's qualifiers; 400 on text too long or too many words. */
export function parseSearchText(text: string): ParsedSearch {
  if (text.length > MAX_SEARCH_TEXT)
    throw badRequest(`search text is longer than ${MAX_SEARCH_TEXT} characters`, undefined, 'INVALID_QUERY');
  const words = text.replace(CONTROL, ' ').toLowerCase().split(/\s+/u).filter(Boolean);
  if (words.length > MAX_SEARCH_WORDS) throw badRequest(`search text has more than ${MAX_SEARCH_WORDS} words`, undefined, 'INVALID_QUERY');
  const out: ParsedSearch = { terms: [], keywords: [], maintainers: [], unmatchable: false };
  let punctuationOnly = false;
  for (const word of words) {
    const q = QUALIFIER.exec(word);
    if (q?.[1] === 'keywords') out.keywords.push(...q[2].split(',').filter(Boolean));
    else if (q?.[1] === 'scope' && q[2]) out.scope = q[2].replace(/^@/, '');
    else if ((q?.[1] === 'author' || q?.[1] === 'maintainer') && q[2]) out.maintainers.push(q[2].replace(/^@/, ''));
    else if (SEARCHABLE.test(word)) out.terms.push(word);
    else punctuationOnly = true;
  }
  // "react ***" searches react; "***" alone matches nothing (rather than listing every package).
  out.unmatchable =
    punctuationOnly && out.terms.length === 0 && out.keywords.length === 0 && out.maintainers.length === 0 && out.scope === undefined;
  return out;
}

/** An FTS5 string literal: double quotes doubled, so no character of the user's word is FTS5 syntax. */
export const ftsString = (word: string) => `"${word.replace(/"/g, '""')}"`;

/**
 * The FTS5 MATCH expression: every word in name, description or keywords (the last one as a prefix, for
 * type-ahead), every keywords: value in keywords. Undefined when nothing is to be matched.
 * A word carries no column filter: the index has only those three columns, and FTS5 evaluates a filter naming
 * all of them per match anyway (the same matches and bm25 values, about twice the time for two words).
 */
export function buildFtsQuery(p: Pick<ParsedSearch, 'terms' | 'keywords'>): string | undefined {
  const parts = p.terms.map((t, i) => `${ftsString(t)}${i === p.terms.length - 1 ? '*' : ''}`);
  // The FTS only narrows keywords; the exact keyword is checked on the stored JSON (buildSearchSql).
  for (const k of p.keywords) if (SEARCHABLE.test(k)) parts.push(`keywords : ${ftsString(k)}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const BARE_NAME = "substr(p.name, instr(p.name, '/') + 1)";

/** The FTS5 index of each ecosystem's public packages (migration 051). Table names come only from here. */
const SEARCH_TABLES = new Map<string, string>(SEARCH_ECOSYSTEMS.map((e) => [e, `package_search_${e}`]));

/**
 * Above this many names equal to or starting with the words, the relevance page ranks every match (the cut-off
 * would not save work: all those names rank first and need their bm25 anyway).
 */
export const MAX_NAME_CANDIDATES = 2000;

// p.search_score is package_scores.overall copied by migration 050's triggers (NULL, last, while unscored).
const ORDER: Record<SearchSort, string> = {
  relevance: 'tier DESC, bm, p.search_score DESC, p.downloads DESC, p.name',
  score: 'p.search_score DESC, p.downloads DESC, p.name',
  downloads: 'p.downloads DESC, p.name',
  updated: 'p.updated_at DESC, p.name',
};

interface RankedRow {
  id: number;
  tier: number;
  bm: number;
  /** Only in pages that carry the total (SearchSql.totalInPage). */
  total?: number;
}

interface PageRow extends PackageRow {
  quality: number | null;
  popularity: number | null;
  maintenance: number | null;
  overall: number | null;
  latest: string | null;
  published_at: string | null;
  publisher_name: string | null;
  maintainers: string;
  /** The latest version's manifest fields (JSON), for npm's links. */
  links: string | null;
}

// The SQL of a search depends only on which filters are used (values are bound), so the variants are few:
// each is prepared once per connection.
const statementsOf = perConnection((): Map<string, Statement> => new Map());
function cached(db: Db, sql: string): Statement {
  const byDb = statementsOf(db);
  let st = byDb.get(sql);
  if (!st) {
    // Bounded: many keywords: or maintainer: values make new variants; a flood of them only costs re-preparing.
    if (byDb.size >= 256) byDb.clear();
    st = db.prepare(sql);
    byDb.set(sql, st);
  }
  return st;
}

/**
 * The cut-off path's statements. `candidates`: only the matches that can reach the page, with their tier and bm25,
 * strongest first; `order` then orders those (bound as @candidates: [[id, position], ...], runSearch) by the
 * tie-breakers into the page. `nameCandidates`: the number of names that rank first by the name test; above
 * MAX_NAME_CANDIDATES, the search's `page` (every match ranked) answers instead.
 */
export interface CutSql {
  candidates: string;
  order: string;
  nameCandidates: string;
}

/** The statements of one search, with their bound values. */
export interface SearchSql {
  /** The exact number of matches. */
  count: string;
  /** The ranked page of ids. */
  page: string;
  /**
   * Set on the bm25 cut-off path (relevance, words, no row filters): the same page from only the matches that can
   * reach it. `page` then answers only when too many names rank first.
   */
  cut?: CutSql;
  /**
   * Set when every row of `page` carries the exact total (column `total`): with row filters the count would join
   * every match to its package a second time. `count` is then only asked when the page is empty.
   */
  totalInPage?: boolean;
  params: Record<string, unknown>;
}

/** Build the SQL of a search (no database needed); undefined when nothing can match. 400 on bad input. */
export function buildSearchSql(q: SearchQuery): SearchSql | undefined {
  const parsed = parseSearchText(q.text);
  if (parsed.unmatchable) return undefined;
  const keywords = [...parsed.keywords, ...(q.keywords ?? []).map((k) => k.trim().toLowerCase()).filter(Boolean)];
  if (keywords.length > MAX_SEARCH_WORDS)
    throw badRequest(`a search takes at most ${MAX_SEARCH_WORDS} keywords`, undefined, 'INVALID_QUERY');
  const maintainers = [...parsed.maintainers, ...(q.maintainer ? [q.maintainer] : [])];
  const match = buildFtsQuery({ terms: parsed.terms, keywords });
  // Keywords without a letter or digit ("keywords:---") are in no package's index entry.
  if (keywords.length > 0 && !keywords.every((k) => SEARCHABLE.test(k))) return undefined;
  // No package of another ecosystem is ever stored (callers validate it; this keeps table names out of input).
  const table = SEARCH_TABLES.get(q.ecosystem);
  if (!table) return undefined;

  const params: Record<string, unknown> = { ecosystem: q.ecosystem, limit: q.limit, offset: q.offset };
  // Conditions on the package row beyond "public package of this ecosystem" (which the FTS table already is).
  const filters: string[] = [];
  if (parsed.scope !== undefined) {
    filters.push('p.scope = @scope');
    params.scope = parsed.scope;
  }
  maintainers.forEach((m, i) => {
    filters.push(`p.id IN (SELECT package_id FROM package_maintainers WHERE username = @maintainer${i})`);
    params[`maintainer${i}`] = m;
  });
  keywords.forEach((k, i) => {
    filters.push(`EXISTS (SELECT 1 FROM json_each(p.keywords) WHERE lower(value) = @keyword${i})`);
    params[`keyword${i}`] = k;
  });

  // Without words every package is as relevant as the next: relevance is then the score order (and its index).
  const sort: SearchSort = match === undefined && (q.sort ?? 'relevance') === 'relevance' ? 'score' : (q.sort ?? 'relevance');
  if (match === undefined) {
    const where = ["p.ecosystem = @ecosystem AND p.access = 'public'", ...filters].join(' AND ');
    return {
      // Without filters, every indexed package: FTS5 keeps one row per indexed document in its docsize table
      // (default columnsize=1), a count of which costs nothing next to counting the packages rows (5 ms at 100,000).
      count:
        filters.length === 0 ? `SELECT count(*) AS total FROM ${table}_docsize` : `SELECT count(*) AS total FROM packages p WHERE ${where}`,
      page: `SELECT p.id, 0 AS tier, 0 AS bm FROM packages p WHERE ${where} ORDER BY ${ORDER[sort]} LIMIT @limit OFFSET @offset`,
      params,
    };
  }

  params.match = match;
  // The name typed whole ranks first, then names starting with it ("reac" -> react before preact).
  const typed = parsed.terms.join('-');
  const tier = typed
    ? `CASE WHEN p.name = @typed OR ${BARE_NAME} = @typed THEN 2
        WHEN p.name LIKE @typedPrefix ESCAPE '\\' OR ${BARE_NAME} LIKE @typedPrefix ESCAPE '\\' THEN 1 ELSE 0 END`
    : '0';
  if (typed) Object.assign(params, { typed, typedPrefix: `${escapeLike(typed)}%` });
  // bm25 weights: name 10, description 1, keywords 4. Restricted packages are not in the index.
  const matches = `SELECT rowid AS id, bm25(${table}, 10.0, 1.0, 4.0) AS bm FROM ${table} WHERE ${table} MATCH @match`;
  const where = filters.length > 0 ? filters.join(' AND ') : '1';
  const everyMatchRanked = (extraColumns = '') => `SELECT ${extraColumns}p.id, ${tier} AS tier, m.bm AS bm
     FROM (${matches}) m JOIN packages p ON p.id = m.id WHERE ${where} ORDER BY ${ORDER[sort]} LIMIT @limit OFFSET @offset`;
  const fullPage = everyMatchRanked();
  if (filters.length > 0)
    return {
      count: `SELECT count(*) AS total FROM (${matches}) m JOIN packages p ON p.id = m.id WHERE ${where}`,
      // The window counts the rows that passed the filters before the sort's LIMIT: one pass instead of two.
      page: everyMatchRanked('count(*) OVER () AS total, '),
      totalInPage: true,
      params,
    };
  // Only the FTS index is read for the count: no join per match.
  const count = `SELECT count(*) AS total FROM ${table} WHERE ${table} MATCH @match`;
  if (sort !== 'relevance' || !typed) return { count, page: fullPage, params };

  // Relevance without row filters: bm25 of every match is computed once (in FTS5, no join), and only the matches
  // that can reach the page are joined to their rows and sorted with the tie-breakers: those with a bm25 at least
  // as strong as the (offset + limit)-th strongest (ties at that value included, so score and downloads still
  // order them exactly), plus every name equal to or starting with the words (they rank before any bm25).
  // Why that is exact: a match that is not a name hit and is weaker than the cut has at least offset + limit
  // matches strictly stronger, and every one of them ranks above it (by name tier or by bm25): it cannot be on
  // the page.
  // The name candidates come from index ranges over lower(name): lower() and LIKE fold the same (ASCII) letters,
  // and U+10FFFF (the last code point) bounds every string that starts with the words.
  Object.assign(params, { lo: typed, hi: `${typed}\u{10FFFF}`, cutAt: q.offset + q.limit - 1, maxNames: MAX_NAME_CANDIDATES + 1 });
  const byName = `SELECT id FROM packages WHERE ecosystem = @ecosystem AND lower(name) >= @lo AND lower(name) < @hi`;
  const byBareName = `SELECT id FROM packages WHERE ecosystem = @ecosystem
      AND lower(substr(name, instr(name, '/') + 1)) >= @lo AND lower(substr(name, instr(name, '/') + 1)) < @hi`;
  return {
    count,
    page: fullPage,
    cut: {
      candidates: `WITH m AS MATERIALIZED (${matches}), named(id) AS (${byName} UNION ${byBareName})
     SELECT p.id, ${tier} AS tier, m.bm AS bm FROM m JOIN packages p ON p.id = m.id
     WHERE m.bm <= coalesce((SELECT bm FROM m ORDER BY bm LIMIT 1 OFFSET @cutAt), 1e308) OR m.id IN (SELECT id FROM named)
     ORDER BY tier DESC, bm`,
      // The position stands for (tier, bm25): equal for equal strength, so the tie-breakers decide between those.
      order: `SELECT c.value ->> 0 AS id FROM json_each(@candidates) c JOIN packages p ON p.id = c.value ->> 0
       ORDER BY c.value ->> 1, p.search_score DESC, p.downloads DESC, p.name LIMIT @limit OFFSET @offset`,
      nameCandidates: `SELECT (SELECT count(*) FROM (${byName} LIMIT @maxNames)) + (SELECT count(*) FROM (${byBareName} LIMIT @maxNames)) AS n`,
    },
    params,
  };
}

export interface SearchResult {
  total: number;
  hits: SearchHit[];
}

/**
 * What the costly part of a cut-off search decides (bm25 of every match): the total, and the matches that can reach
 * the page, each with its position by (tier, bm25). Only the search generation changes it: download counts, which
 * only break ties, are read again by `page` each time the answer is made.
 */
export interface CutRanking {
  total: number;
  /** Undefined when more than MAX_NAME_CANDIDATES names rank first: every match is ranked for the page (`page`). */
  candidates?: { positions: string; strength: Map<number, RankedRow> };
}

/** How runSearch gets a cut ranking: computed (the default), or kept by searchPackages while the generation holds. */
export type KeepCutRanking = (rank: () => CutRanking) => CutRanking;

const searchGeneration = (db: Db) => cached(db, 'SELECT n FROM search_generation WHERE id = 1').pluck().get() as number;

/**
 * The answers' stamp: the search generation, and the window of lib/internal.ts SEARCH_COUNTS_MAX_AGE_MS. Download
 * counts alone do not move the generation, so a kept answer shows counts, and ranks by them, at most that old.
 */
const searchStamp = (db: Db) => `${searchGeneration(db)}:${searchCountsWindow(Date.now())}`;

/**
 * Answers of recent searches, per connection, kept while no write has changed what a search reads (lib/row-cache.ts,
 * with migration 054's search_generation as its stamp): a publish, a new tag, a score or an access change empties
 * it at once, while the registry's other writes (relayed events and their delivery marks, scans, blobs) leave it.
 * A repeated search costs one tiny statement instead of the FTS match. Results are shared: callers never mutate them.
 * When only the window has turned, the cut ranking (kept by the generation alone) makes the new answer without
 * bm25: for a common word at 100,000 packages a median of 2.5 ms in-process instead of 15 (docs/PERFORMANCE.md,
 * hot spot 3).
 */
const MAX_CACHED_SEARCHES = 200;
/** Bigger pages (npm's size goes to 250) are not kept: the cache stays within a few MB. */
const MAX_CACHED_HITS = 100;
/** Cut rankings with more candidates (many equal bm25 values at the cut) are not kept, for the same reason. */
const MAX_KEPT_CANDIDATES = 1000;
interface SearchCaches {
  answers: RowCache<SearchResult>;
  rankings: RowCache<CutRanking>;
}
const cachesOf = perConnection(
  (db): SearchCaches => ({
    answers: createRowCache(() => db, { max: MAX_CACHED_SEARCHES, keep: (a) => a.hits.length <= MAX_CACHED_HITS, stamp: searchStamp }),
    rankings: createRowCache(() => db, {
      max: MAX_CACHED_SEARCHES,
      keep: (r) => (r.candidates?.strength.size ?? 0) <= MAX_KEPT_CANDIDATES,
      stamp: searchGeneration,
    }),
  }),
);

/** One page of public packages and the exact total, from the cache while no search input has changed. */
export function searchPackages(db: Db, q: SearchQuery): SearchResult {
  const { answers, rankings } = cachesOf(db);
  const key = JSON.stringify([q.ecosystem, q.text, q.keywords, q.maintainer, q.sort, q.limit, q.offset]);
  return answers.get(key, () => runSearch(db, q, (rank) => rankings.get(key, rank) as CutRanking)) as SearchResult;
}

const renderings = new WeakMap<SearchResult, Map<string, string>>();

/**
 * A route's JSON text for a search answer, made once per answer and form: cached answers are shared and never
 * change, so a repeated search is not rebuilt and serialized again (a WeakMap: it goes when the answer goes).
 */
export function renderedOnce(result: SearchResult, form: string, render: (r: SearchResult) => string): string {
  let forms = renderings.get(result);
  if (!forms) {
    forms = new Map();
    renderings.set(result, forms);
  }
  let text = forms.get(form);
  if (text === undefined) {
    text = render(result);
    forms.set(form, text);
  }
  return text;
}

/**
 * The search itself (scripts/bench/search-scale.ts times it without any cache): the count, the ranked ids and the
 * page's rows (plus the name candidates for relevance); with row filters the ranked ids carry the count.
 */
export function runSearch(db: Db, q: SearchQuery, keepCut: KeepCutRanking = (rank) => rank()): SearchResult {
  const sql = buildSearchSql(q);
  if (!sql) return { total: 0, hits: [] };
  // Named values a statement does not use are ignored by better-sqlite3.
  const countAll = () => (cached(db, sql.count).get(sql.params) as { total: number }).total;
  let total: number;
  let rows: RankedRow[];
  if (sql.totalInPage) {
    rows = cached(db, sql.page).all(sql.params) as RankedRow[];
    // An empty page (no match, or an offset past the last one) has no row to carry it.
    total = rows[0]?.total ?? countAll();
  } else if (sql.cut) {
    const cutSql = sql.cut;
    const cut = keepCut(() => rankCut(db, cutSql, sql.params, countAll()));
    total = cut.total;
    if (total === 0 || q.offset >= total) return { total, hits: [] };
    const candidates = cut.candidates;
    rows = candidates
      ? (
          cached(db, cutSql.order)
            .pluck()
            .all({ ...sql.params, candidates: candidates.positions }) as number[]
        ).flatMap((id) => candidates.strength.get(id) ?? [])
      : (cached(db, sql.page).all(sql.params) as RankedRow[]);
  } else {
    total = countAll();
    if (total === 0 || q.offset >= total) return { total, hits: [] };
    rows = cached(db, sql.page).all(sql.params) as RankedRow[];
  }
  const page = pageDetails(
    db,
    rows.map((r) => r.id),
  );
  return {
    total,
    hits: rows.flatMap(({ id, tier: t, bm }) => {
      const row = page.get(id);
      if (!row) return [];
      const { quality, popularity, maintenance, overall, latest, published_at, publisher_name, maintainers, links, ...pkg } = row;
      return {
        pkg,
        // bm25 is negative, stronger matches more so; -bm/(1-bm) maps it into 0..1 below the tier.
        relevance: t + -bm / (1 - bm),
        score:
          overall === null ? undefined : { quality: quality ?? 0, popularity: popularity ?? 0, maintenance: maintenance ?? 0, overall },
        latest: latest ? { version: latest, publishedAt: published_at, publisher: publisher_name } : undefined,
        maintainers: JSON.parse(maintainers) as { username: string; email: string }[],
        links: manifestLinks(links ? (JSON.parse(links) as Record<string, unknown>) : {}),
      };
    }),
  };
}

/** The cut ranking of a search on the cut-off path, given its total. */
function rankCut(db: Db, cut: CutSql, params: Record<string, unknown>, total: number): CutRanking {
  if (total === 0) return { total, candidates: { positions: '[]', strength: new Map() } };
  if ((cached(db, cut.nameCandidates).pluck().get(params) as number) > MAX_NAME_CANDIDATES) return { total };
  const rows = cached(db, cut.candidates).all(params) as RankedRow[];
  let position = 0;
  const positions = rows.map((r, i) => {
    if (i > 0 && (r.tier !== rows[i - 1].tier || r.bm !== rows[i - 1].bm)) position++;
    return [r.id, position];
  });
  return { total, candidates: { positions: JSON.stringify(positions), strength: new Map(rows.map((r) => [r.id, r])) } };
}

/** The page's package rows with their score, latest version and maintainers: one query for the whole page. */
function pageDetails(db: Db, ids: number[]): Map<number, PageRow> {
  const rows = cached(
    db,
    `SELECT p.*, s.quality, s.popularity, s.maintenance, s.overall, t.version AS latest, v.published_at, v.publisher_name,
         json_object('homepage', json_extract(v.manifest, '$.homepage'), 'repository', json_extract(v.manifest, '$.repository'),
                     'bugs', json_extract(v.manifest, '$.bugs')) AS links,
         (SELECT json_group_array(json_object('username', m.username, 'email', m.email))
            FROM (SELECT username, email FROM package_maintainers WHERE package_id = p.id ORDER BY added_at, username) m) AS maintainers
       FROM packages p
       LEFT JOIN package_scores s ON s.ecosystem = p.ecosystem AND s.name = p.name
       LEFT JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest'
       LEFT JOIN package_versions v ON v.package_id = p.id AND v.version = t.version
       WHERE p.id IN (SELECT value FROM json_each(?))`,
  ).all(JSON.stringify(ids)) as PageRow[];
  return new Map(rows.map((r) => [r.id, r]));
}
