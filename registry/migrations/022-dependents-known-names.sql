-- Publish-path indexes for the scorer and the typosquat check (issue #11, hot spot 1): without them every publish
-- scanned the latest manifest of every npm package (json_each) and read every package row.

-- Reverse dependencies of the npm packages' latest versions: one row per (dependency name, dependent package,
-- kind), kind 'prod' for dependencies and peerDependencies, 'dev' for devDependencies. Deprecated latest versions
-- count for nothing, as in the scorer's definition of dependents. Kept by the triggers below, whichever process
-- or code path changes a latest tag, a version or its deprecation, so no writer can forget it.
CREATE TABLE package_dependents (
  dependency TEXT NOT NULL,
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('prod', 'dev')),
  PRIMARY KEY (dependency, package_id, kind)
) WITHOUT ROWID;
CREATE INDEX package_dependents_package ON package_dependents(package_id);

-- The rows of one package, rebuilt from its latest version (the same SELECT serves the backfill).
CREATE VIEW package_dependents_source AS
  SELECT CAST(j.key AS TEXT) AS dependency, p.id AS package_id, k.kind AS kind
  FROM packages p
  JOIN dist_tags t ON t.package_id = p.id AND t.tag = 'latest'
  JOIN package_versions v ON v.package_id = p.id AND v.version = t.version
  JOIN (SELECT '$.dependencies' AS path, 'prod' AS kind
        UNION ALL SELECT '$.peerDependencies', 'prod'
        UNION ALL SELECT '$.devDependencies', 'dev') k
  JOIN json_each(v.manifest, k.path) j
  WHERE p.ecosystem = 'npm' AND v.deprecated IS NULL AND j.key IS NOT NULL;

INSERT OR IGNORE INTO package_dependents (dependency, package_id, kind) SELECT dependency, package_id, kind FROM package_dependents_source;

CREATE TRIGGER package_dependents_tag_insert AFTER INSERT ON dist_tags WHEN NEW.tag = 'latest' BEGIN
  DELETE FROM package_dependents WHERE package_id = NEW.package_id;
  INSERT OR IGNORE INTO package_dependents SELECT dependency, package_id, kind FROM package_dependents_source WHERE package_id = NEW.package_id;
END;
CREATE TRIGGER package_dependents_tag_update AFTER UPDATE ON dist_tags WHEN NEW.tag = 'latest' OR OLD.tag = 'latest' BEGIN
  DELETE FROM package_dependents WHERE package_id IN (OLD.package_id, NEW.package_id);
  INSERT OR IGNORE INTO package_dependents SELECT dependency, package_id, kind FROM package_dependents_source
    WHERE package_id IN (OLD.package_id, NEW.package_id);
END;
CREATE TRIGGER package_dependents_tag_delete AFTER DELETE ON dist_tags WHEN OLD.tag = 'latest' BEGIN
  DELETE FROM package_dependents WHERE package_id = OLD.package_id;
END;
-- A version written under an existing latest tag, deprecated or undeprecated, or removed (unpublish).
CREATE TRIGGER package_dependents_version_insert AFTER INSERT ON package_versions BEGIN
  DELETE FROM package_dependents WHERE package_id = NEW.package_id;
  INSERT OR IGNORE INTO package_dependents SELECT dependency, package_id, kind FROM package_dependents_source WHERE package_id = NEW.package_id;
END;
CREATE TRIGGER package_dependents_version_update AFTER UPDATE OF deprecated, manifest ON package_versions BEGIN
  DELETE FROM package_dependents WHERE package_id = NEW.package_id;
  INSERT OR IGNORE INTO package_dependents SELECT dependency, package_id, kind FROM package_dependents_source WHERE package_id = NEW.package_id;
END;
CREATE TRIGGER package_dependents_version_delete AFTER DELETE ON package_versions BEGIN
  DELETE FROM package_dependents WHERE package_id = OLD.package_id;
  INSERT OR IGNORE INTO package_dependents SELECT dependency, package_id, kind FROM package_dependents_source WHERE package_id = OLD.package_id;
END;

-- The typosquat check compares a new name with every known name (their owners and creation dates): the registry
-- keeps that list in memory, extends it with packages created since (ids only grow), and reloads it when this
-- counter moves. It moves when a package disappears or its owners change after its creation, by any writer.
CREATE TABLE known_names_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO known_names_generation (id, generation) VALUES (1, 0);
CREATE TRIGGER known_names_package_delete AFTER DELETE ON packages BEGIN
  UPDATE known_names_generation SET generation = generation + 1 WHERE id = 1;
END;
-- The creator, added in the transaction that creates the package, is read with the new row: no reload for it.
CREATE TRIGGER known_names_owner_insert AFTER INSERT ON package_maintainers
  WHEN EXISTS (SELECT 1 FROM package_maintainers m WHERE m.package_id = NEW.package_id AND m.user_id <> NEW.user_id)
    OR NEW.added_at <> (SELECT created_at FROM packages WHERE id = NEW.package_id)
BEGIN
  UPDATE known_names_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER known_names_owner_delete AFTER DELETE ON package_maintainers BEGIN
  UPDATE known_names_generation SET generation = generation + 1 WHERE id = 1;
END;
