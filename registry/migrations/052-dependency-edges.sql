-- The dependents tab (GET /internal/packages/:name/dependents) read every latest manifest for each name it was
-- asked about (instr + json_each over the whole table, on the registry's event loop, for any name a visitor of a
-- package page picked), and kept answers 30 s to make that bearable. The reverse dependencies of migration 022
-- could not answer it: they drop optionalDependencies, deprecated latest versions and the ranges.
--
-- One table now holds every edge of every npm package's latest version, with its kind, range and deprecation;
-- package_dependents (the scorer's count) becomes a view over it with the same columns and meaning, so one set of
-- triggers keeps both, whichever process or code path changes a latest tag, a version or its deprecation.
DROP TRIGGER package_dependents_tag_insert;
DROP TRIGGER package_dependents_tag_update;
DROP TRIGGER package_dependents_tag_delete;
DROP TRIGGER package_dependents_version_insert;
DROP TRIGGER package_dependents_version_update;
DROP TRIGGER package_dependents_version_delete;
DROP VIEW package_dependents_source;
DROP TABLE package_dependents;

CREATE TABLE npm_dependency_edges (
  dependency TEXT NOT NULL,
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies')),
  range TEXT NOT NULL,
  deprecated INTEGER NOT NULL CHECK (deprecated IN (0, 1)),
  PRIMARY KEY (dependency, package_id, kind)
) WITHOUT ROWID;
CREATE INDEX npm_dependency_edges_package ON npm_dependency_edges(package_id);

-- The edges of one package, rebuilt from its latest version (the same SELECT serves the backfill). A dependency
-- map that is not an object gives no edge (typeof(key) filters an array's integer keys).
CREATE VIEW npm_dependency_edges_source AS
  SELECT j.key AS dependency, p.id AS package_id, k.kind AS kind,
    CAST(coalesce(j.value, '') AS TEXT) AS range,
    v.deprecated IS NOT NULL AS deprecated
  FROM packages p
  JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest'
  JOIN package_versions v ON v.package_id = p.id AND v.version = t.version
  JOIN (SELECT 'dependencies' AS kind UNION ALL SELECT 'peerDependencies' UNION ALL SELECT 'optionalDependencies'
        UNION ALL SELECT 'devDependencies') k
  JOIN json_each(v.manifest, '$.' || k.kind) j
  WHERE p.ecosystem = 'npm' AND typeof(j.key) = 'text';

INSERT OR IGNORE INTO npm_dependency_edges SELECT * FROM npm_dependency_edges_source;

-- The scorer's reverse dependencies, as before: non-deprecated latest versions; 'prod' for dependencies and
-- peerDependencies, 'dev' for devDependencies (a package naming a dependency under both prod kinds is one
-- dependent: the scorer counts DISTINCT package_id).
CREATE VIEW package_dependents AS
  SELECT dependency, package_id, CASE kind WHEN 'devDependencies' THEN 'dev' ELSE 'prod' END AS kind
  FROM npm_dependency_edges
  WHERE deprecated = 0 AND kind IN ('dependencies', 'peerDependencies', 'devDependencies');

CREATE TRIGGER npm_dependency_edges_tag_insert AFTER INSERT ON dist_tags WHEN NEW.tag = 'latest' BEGIN
  DELETE FROM npm_dependency_edges WHERE package_id = NEW.package_id;
  INSERT OR IGNORE INTO npm_dependency_edges SELECT * FROM npm_dependency_edges_source WHERE package_id = NEW.package_id;
END;
CREATE TRIGGER npm_dependency_edges_tag_update AFTER UPDATE ON dist_tags WHEN NEW.tag = 'latest' OR OLD.tag = 'latest' BEGIN
  DELETE FROM npm_dependency_edges WHERE package_id IN (OLD.package_id, NEW.package_id);
  INSERT OR IGNORE INTO npm_dependency_edges SELECT * FROM npm_dependency_edges_source
    WHERE package_id IN (OLD.package_id, NEW.package_id);
END;
CREATE TRIGGER npm_dependency_edges_tag_delete AFTER DELETE ON dist_tags WHEN OLD.tag = 'latest' BEGIN
  DELETE FROM npm_dependency_edges WHERE package_id = OLD.package_id;
END;
-- A version written under an existing latest tag, deprecated or undeprecated, or removed (unpublish).
CREATE TRIGGER npm_dependency_edges_version_insert AFTER INSERT ON package_versions BEGIN
  DELETE FROM npm_dependency_edges WHERE package_id = NEW.package_id;
  INSERT OR IGNORE INTO npm_dependency_edges SELECT * FROM npm_dependency_edges_source WHERE package_id = NEW.package_id;
END;
CREATE TRIGGER npm_dependency_edges_version_update AFTER UPDATE OF deprecated, manifest ON package_versions BEGIN
  DELETE FROM npm_dependency_edges WHERE package_id = NEW.package_id;
  INSERT OR IGNORE INTO npm_dependency_edges SELECT * FROM npm_dependency_edges_source WHERE package_id = NEW.package_id;
END;
CREATE TRIGGER npm_dependency_edges_version_delete AFTER DELETE ON package_versions BEGIN
  DELETE FROM npm_dependency_edges WHERE package_id = OLD.package_id;
  INSERT OR IGNORE INTO npm_dependency_edges SELECT * FROM npm_dependency_edges_source WHERE package_id = OLD.package_id;
END;
