-- Prefix indexes for every prefix length from 2 to 12 characters (issue #11, docs/PERFORMANCE.md hot spot 3), read by
-- registry/search.ts. The last word of a search is a prefix (type-ahead), and FTS5 answers a prefix it has no
-- index for by merging the document lists of every term that starts with it, per statement. For a word in many
-- packages that merge was much of a search: at 100,000 packages "<word> helper" (helper in every package) took
-- 32-35 ms, 18-19 ms with these indexes (scripts/bench/search-scale.ts).
-- A prefix index is only another way to the same instances: matches and bm25 values are bit-for-bit those of 051
-- (compared over 459 queries and a million rows at 10,000 packages). Prefixes longer than 12 characters still
-- merge. The indexes take about 1.8x the space (15 to 27 MB at 100,000 packages).
-- FTS5 options are fixed at creation: each index is made again with the same columns, content and tokenizer, and
-- rebuilt from its content view. The triggers of 051 name the tables, not their options, and stay as they are.

DROP TABLE package_search_npm;
CREATE VIRTUAL TABLE package_search_npm USING fts5(
  name, description, keywords,
  content = 'package_search_npm_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8 9 10 11 12'
);
INSERT INTO package_search_npm (package_search_npm) VALUES ('rebuild');

DROP TABLE package_search_pypi;
CREATE VIRTUAL TABLE package_search_pypi USING fts5(
  name, description, keywords,
  content = 'package_search_pypi_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8 9 10 11 12'
);
INSERT INTO package_search_pypi (package_search_pypi) VALUES ('rebuild');

DROP TABLE package_search_maven;
CREATE VIRTUAL TABLE package_search_maven USING fts5(
  name, description, keywords,
  content = 'package_search_maven_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8 9 10 11 12'
);
INSERT INTO package_search_maven (package_search_maven) VALUES ('rebuild');

DROP TABLE package_search_rubygems;
CREATE VIRTUAL TABLE package_search_rubygems USING fts5(
  name, description, keywords,
  content = 'package_search_rubygems_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8 9 10 11 12'
);
INSERT INTO package_search_rubygems (package_search_rubygems) VALUES ('rebuild');
