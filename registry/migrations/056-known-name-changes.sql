-- The names whose owners changed or that were removed, in the order it happened (issue #11, registry/security/
-- known-names.ts). It replaces 022's known_names_generation: when that counter moved, every connection reloaded
-- all of its protected names (about 100 ms at 10,000 packages and 2 s at 100,000, on the next publish after an
-- `npm owner add`). A connection now re-reads only the names logged since the last change it saw.
-- The triggers fire on the same writes as 022's did, whichever process or code path makes them. The creator,
-- added in the transaction that creates the package, is read with the new row and is not logged.
-- Only the newest 1,000 changes are kept: a connection that missed older ones (it finds a gap in `seq`, which
-- AUTOINCREMENT keeps without holes, a rolled-back insert rolling back its number too) reloads all its names.

CREATE TABLE known_name_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL
);

DROP TRIGGER known_names_package_delete;
DROP TRIGGER known_names_owner_insert;
DROP TRIGGER known_names_owner_delete;
DROP TABLE known_names_generation;

CREATE TRIGGER known_names_package_delete AFTER DELETE ON packages BEGIN
  INSERT INTO known_name_changes (ecosystem, name) VALUES (OLD.ecosystem, OLD.name);
END;
CREATE TRIGGER known_names_owner_insert AFTER INSERT ON package_maintainers
  WHEN EXISTS (SELECT 1 FROM package_maintainers m WHERE m.package_id = NEW.package_id AND m.user_id <> NEW.user_id)
    OR NEW.added_at <> (SELECT created_at FROM packages WHERE id = NEW.package_id)
BEGIN
  INSERT INTO known_name_changes (ecosystem, name) SELECT ecosystem, name FROM packages WHERE id = NEW.package_id;
END;
-- A removal that deletes the maintainers too may log its name twice: a reader re-reads each name once.
CREATE TRIGGER known_names_owner_delete AFTER DELETE ON package_maintainers BEGIN
  INSERT INTO known_name_changes (ecosystem, name) SELECT ecosystem, name FROM packages WHERE id = OLD.package_id;
END;
CREATE TRIGGER known_name_changes_prune AFTER INSERT ON known_name_changes BEGIN
  DELETE FROM known_name_changes WHERE seq <= NEW.seq - 1000;
END;
