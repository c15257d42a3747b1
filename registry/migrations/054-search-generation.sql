-- A counter that moves with every write that can change a search answer (issue #11, registry/search.ts): the
-- search cache is kept while it stays the same, instead of being emptied by every write to registry.db. Under
-- installs the registry writes every second (download counts, their relayed events, delivery marks), so before
-- this a search almost never found its answer kept, and at 100,000 packages a common word costs 12-17 ms uncached.
-- A search reads packages (through the FTS5 indexes that 050/051's triggers feed from it), package_scores,
-- dist_tags, package_versions and package_maintainers: every insert, update and delete of those moves the counter,
-- with one exception. An update of packages that changes its download count is a count (packages-repo.ts
-- addDownloads changes nothing else): counts in kept answers may lag by at most a minute (lib/internal.ts
-- SEARCH_COUNTS_MAX_AGE_MS), as npmjs.com's search shows counts of the day before.
-- A rolled-back write rolls the counter back with it; the cache never keeps a read made inside a transaction.

CREATE TABLE search_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  n INTEGER NOT NULL
);
INSERT INTO search_generation (id, n) VALUES (1, 0);

CREATE TRIGGER search_generation_package_insert AFTER INSERT ON packages BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_package_update AFTER UPDATE ON packages WHEN NEW.downloads IS OLD.downloads BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_package_delete AFTER DELETE ON packages BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER search_generation_score_insert AFTER INSERT ON package_scores BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_score_update AFTER UPDATE ON package_scores BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_score_delete AFTER DELETE ON package_scores BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER search_generation_tag_insert AFTER INSERT ON dist_tags BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_tag_update AFTER UPDATE ON dist_tags BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_tag_delete AFTER DELETE ON dist_tags BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER search_generation_version_insert AFTER INSERT ON package_versions BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_version_update AFTER UPDATE ON package_versions BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_version_delete AFTER DELETE ON package_versions BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER search_generation_maintainer_insert AFTER INSERT ON package_maintainers BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_maintainer_update AFTER UPDATE ON package_maintainers BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER search_generation_maintainer_delete AFTER DELETE ON package_maintainers BEGIN
  UPDATE search_generation SET n = n + 1 WHERE id = 1;
END;
