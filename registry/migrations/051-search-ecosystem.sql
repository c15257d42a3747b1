-- Search that stays flat at 100,000 packages (issue #11, docs/PERFORMANCE.md hot spot 3), read by registry/search.ts.
-- 1. One FTS5 index per ecosystem instead of one for all: a search is always within one ecosystem, so its exact
--    count and its ranking are then answered by FTS5 alone. With one shared index every match was joined to
--    `packages` to filter by ecosystem (at 100,000 packages a word in 8 % of them cost about 17 ms of joins for
--    the count alone, against about 1 ms without); an ecosystem column in a shared index would need a phrase
--    present in every row, which doubled the cost of bm25 per match. bm25's statistics (document frequencies,
--    average lengths) are now those of the ecosystem searched, which is what relevance within it should use.
-- 2. Indexes on the lower-cased name and the lower-cased name without its npm scope, so the names that rank first
--    (the exact name, then names starting with the words) are found by index ranges instead of by reading the
--    name of every match.
-- Same external-content design as 050: a view of the ecosystem's public packages is the content (so FTS5's own
-- 'rebuild' and 'integrity-check' agree with the index), triggers keep the indexes; names are fixed here and in
-- search.ts (SEARCH_TABLES), never built from input.
DROP TRIGGER package_search_insert;
DROP TRIGGER package_search_delete;
DROP TRIGGER package_search_update;
DROP TABLE package_search;
DROP VIEW package_search_source;

CREATE VIEW package_search_npm_source AS
  SELECT id, name, description, keywords FROM packages WHERE access = 'public' AND ecosystem = 'npm';
CREATE VIRTUAL TABLE package_search_npm USING fts5(
  name, description, keywords,
  content = 'package_search_npm_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO package_search_npm (package_search_npm) VALUES ('rebuild');

CREATE VIEW package_search_pypi_source AS
  SELECT id, name, description, keywords FROM packages WHERE access = 'public' AND ecosystem = 'pypi';
CREATE VIRTUAL TABLE package_search_pypi USING fts5(
  name, description, keywords,
  content = 'package_search_pypi_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO package_search_pypi (package_search_pypi) VALUES ('rebuild');

CREATE VIEW package_search_maven_source AS
  SELECT id, name, description, keywords FROM packages WHERE access = 'public' AND ecosystem = 'maven';
CREATE VIRTUAL TABLE package_search_maven USING fts5(
  name, description, keywords,
  content = 'package_search_maven_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO package_search_maven (package_search_maven) VALUES ('rebuild');

CREATE VIEW package_search_rubygems_source AS
  SELECT id, name, description, keywords FROM packages WHERE access = 'public' AND ecosystem = 'rubygems';
CREATE VIRTUAL TABLE package_search_rubygems USING fts5(
  name, description, keywords,
  content = 'package_search_rubygems_source', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO package_search_rubygems (package_search_rubygems) VALUES ('rebuild');

-- Each trigger writes to the index of the row's ecosystem (the WHERE of each statement picks it).
CREATE TRIGGER package_search_insert AFTER INSERT ON packages WHEN new.access = 'public' BEGIN
  INSERT INTO package_search_npm (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.ecosystem = 'npm';
  INSERT INTO package_search_pypi (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.ecosystem = 'pypi';
  INSERT INTO package_search_maven (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.ecosystem = 'maven';
  INSERT INTO package_search_rubygems (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.ecosystem = 'rubygems';
END;

CREATE TRIGGER package_search_delete AFTER DELETE ON packages WHEN old.access = 'public' BEGIN
  INSERT INTO package_search_npm (package_search_npm, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.ecosystem = 'npm';
  INSERT INTO package_search_pypi (package_search_pypi, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.ecosystem = 'pypi';
  INSERT INTO package_search_maven (package_search_maven, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.ecosystem = 'maven';
  INSERT INTO package_search_rubygems (package_search_rubygems, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.ecosystem = 'rubygems';
END;

-- One trigger, old words out before new words in (see 050). Download counts, scores and revisions (UPDATE OF
-- other columns) never touch the indexes.
CREATE TRIGGER package_search_update AFTER UPDATE OF name, description, keywords, access, ecosystem ON packages BEGIN
  INSERT INTO package_search_npm (package_search_npm, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.access = 'public' AND old.ecosystem = 'npm';
  INSERT INTO package_search_pypi (package_search_pypi, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.access = 'public' AND old.ecosystem = 'pypi';
  INSERT INTO package_search_maven (package_search_maven, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.access = 'public' AND old.ecosystem = 'maven';
  INSERT INTO package_search_rubygems (package_search_rubygems, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.access = 'public' AND old.ecosystem = 'rubygems';
  INSERT INTO package_search_npm (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.access = 'public' AND new.ecosystem = 'npm';
  INSERT INTO package_search_pypi (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.access = 'public' AND new.ecosystem = 'pypi';
  INSERT INTO package_search_maven (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.access = 'public' AND new.ecosystem = 'maven';
  INSERT INTO package_search_rubygems (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.access = 'public' AND new.ecosystem = 'rubygems';
END;

-- lower() and LIKE fold the same characters (ASCII only), so these ranges find every name the ranking's
-- "name equals / starts with the words" test (a case-insensitive LIKE) accepts.
CREATE INDEX packages_search_name ON packages(ecosystem, lower(name));
CREATE INDEX packages_search_bare_name ON packages(ecosystem, lower(substr(name, instr(name, '/') + 1)));
