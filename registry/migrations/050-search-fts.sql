-- Indexed full-text package search (issues #7 and #11): an FTS5 index over the public packages' name,
-- description and keywords, read by registry/search.ts. Only public packages are indexed, so a restricted
-- package can never be listed by search whatever the query. External content: the text stays in `packages`,
-- read through a view of the public rows, so FTS5's own 'rebuild' and 'integrity-check' agree with the index.
-- unicode61 splits at every character that is not a letter or a digit, so "@acme/http_kit.js" is indexed as
-- the words acme, http, kit, js; remove_diacritics makes "eleve" find "élève". keywords is the JSON array as
-- stored: its brackets and quotes are separators too. The 2- and 3-character prefix indexes keep the
-- type-ahead prefix query of the last word ("reac" finds react) an index lookup.
CREATE VIEW package_search_source AS
  SELECT id, name, description, keywords FROM packages WHERE access = 'public';

CREATE VIRTUAL TABLE package_search USING fts5(
  name,
  description,
  keywords,
  content = 'package_search_source',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- Backfill of the packages already there.
INSERT INTO package_search (package_search) VALUES ('rebuild');

CREATE TRIGGER package_search_insert AFTER INSERT ON packages WHEN new.access = 'public' BEGIN
  INSERT INTO package_search (rowid, name, description, keywords) VALUES (new.id, new.name, new.description, new.keywords);
END;

CREATE TRIGGER package_search_delete AFTER DELETE ON packages WHEN old.access = 'public' BEGIN
  INSERT INTO package_search (package_search, rowid, name, description, keywords)
    VALUES ('delete', old.id, old.name, old.description, old.keywords);
END;

-- One trigger, old words out before new words in (two triggers would fire in an unspecified order, and a
-- 'delete' after the insert would remove the words both versions share). Download counts and revisions
-- (UPDATE OF other columns) never touch the index.
CREATE TRIGGER package_search_update AFTER UPDATE OF name, description, keywords, access ON packages BEGIN
  INSERT INTO package_search (package_search, rowid, name, description, keywords)
    SELECT 'delete', old.id, old.name, old.description, old.keywords WHERE old.access = 'public';
  INSERT INTO package_search (rowid, name, description, keywords)
    SELECT new.id, new.name, new.description, new.keywords WHERE new.access = 'public';
END;

-- The package score used for ranking, copied onto the package row (kept by the triggers below, whoever writes
-- package_scores): ranking reads it from the row it already holds instead of one package_scores lookup per
-- match (measured: about half of a search's time for a common word). NULL while unscored.
ALTER TABLE packages ADD COLUMN search_score REAL;
UPDATE packages SET search_score =
  (SELECT s.overall FROM package_scores s WHERE s.ecosystem = packages.ecosystem AND s.name = packages.name);

CREATE TRIGGER package_search_score_insert AFTER INSERT ON package_scores BEGIN
  UPDATE packages SET search_score = new.overall WHERE ecosystem = new.ecosystem AND name = new.name;
END;
CREATE TRIGGER package_search_score_update AFTER UPDATE OF overall ON package_scores BEGIN
  UPDATE packages SET search_score = new.overall WHERE ecosystem = new.ecosystem AND name = new.name;
END;
CREATE TRIGGER package_search_score_delete AFTER DELETE ON package_scores BEGIN
  UPDATE packages SET search_score = NULL WHERE ecosystem = old.ecosystem AND name = old.name;
END;
-- A score row outlives its package (keyed by name): a package published again under that name starts with it.
CREATE TRIGGER package_search_score_new_package AFTER INSERT ON packages BEGIN
  UPDATE packages SET search_score =
    (SELECT s.overall FROM package_scores s WHERE s.ecosystem = new.ecosystem AND s.name = new.name) WHERE id = new.id;
END;

-- Listings without text: the exact count and the sorted page read these indexes, not the table.
CREATE INDEX packages_public_downloads ON packages(ecosystem, access, downloads DESC);
CREATE INDEX packages_public_score ON packages(ecosystem, access, search_score DESC, downloads DESC);
-- The maintainer: qualifier.
CREATE INDEX package_maintainers_username ON package_maintainers(username, package_id);
