// Package search shared by npm's /-/v1/search and the internal REST search: every term must match the name,
// description or keywords; results are ranked by text relevance, then by a pluggable score (issue "Scoring and
// security" plugs the package score in), then by downloads. Restricted packages are never listed.
import type { Db } from '../lib/db.ts';
import type { PackageRow } from './packages-repo.ts';

/** 0..1 quality score of a package, or undefined when unscored. */
export type ScoreHook = ((ecosystem: string, name: string) => number | undefined) & {
  /** The three sub-scores for npm search's score.detail (issue #6), when the package is scored. */
  detail?: (ecosystem: string, name: string) => { quality: number; popularity: number; maintenance: number } | undefined;
};

export interface SearchQuery {
  ecosystem: string;
  text: string;
  limit: number;
  offset: number;
  rank?: ScoreHook;
}

export interface SearchHit {
  pkg: PackageRow;
  relevance: number;
  score: number | undefined;
}

const MAX_CANDIDATES = 5000;
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function parseSearchText(text: string): { terms: string[]; scope?: string; keywords: string[] } {
  const terms: string[] = [];
  const keywords: string[] = [];
  let scope: string | undefined;
  for (const raw of text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8)) {
    if (raw.startsWith('scope:')) scope = raw.slice(6).replace(/^@/, '');
    else if (raw.startsWith('keywords:')) keywords.push(...raw.slice(9).split(',').filter(Boolean));
    else terms.push(raw.slice(0, 100));
  }
  return { terms, scope, keywords };
}

function relevance(pkg: PackageRow, terms: string[], keywords: string[]): number {
  const name = pkg.name;
  const bare = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  const kws = (JSON.parse(pkg.keywords) as string[]).map((k) => k.toLowerCase());
  const desc = pkg.description.toLowerCase();
  let r = 0;
  for (const t of terms) {
    if (name === t) r += 10;
    else if (bare === t) r += 8;
    else if (name.startsWith(t) || bare.startsWith(t)) r += 5;
    else if (name.includes(t)) r += 3;
    if (kws.includes(t)) r += 3;
    if (desc.includes(t)) r += 1;
  }
  for (const k of keywords) if (kws.includes(k)) r += 3;
  return r;
}

export function searchPackages(db: Db, q: SearchQuery): { total: number; hits: SearchHit[] } {
  const { terms, scope, keywords } = parseSearchText(q.text);
  const where = ['ecosystem = ?', "access = 'public'"];
  const params: unknown[] = [q.ecosystem];
  for (const t of terms) {
    where.push("(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' OR keywords LIKE ? ESCAPE '\\')");
    const like = `%${escapeLike(t)}%`;
    params.push(like, like, like);
  }
  for (const k of keywords) {
    where.push("keywords LIKE ? ESCAPE '\\'");
    params.push(`%${escapeLike(JSON.stringify(k))}%`);
  }
  if (scope !== undefined) {
    where.push('scope = ?');
    params.push(scope);
  }
  const rows = db
    .prepare(`SELECT * FROM packages WHERE ${where.join(' AND ')} ORDER BY downloads DESC, name LIMIT ${MAX_CANDIDATES}`)
    .all(...params) as PackageRow[];
  const hits = rows.map((pkg) => ({ pkg, relevance: relevance(pkg, terms, keywords), score: q.rank?.(q.ecosystem, pkg.name) }));
  hits.sort(
    (a, b) =>
      b.relevance - a.relevance ||
      (b.score ?? 0) - (a.score ?? 0) ||
      b.pkg.downloads - a.pkg.downloads ||
      a.pkg.name.localeCompare(b.pkg.name),
  );
  return { total: hits.length, hits: hits.slice(q.offset, q.offset + q.limit) };
}
