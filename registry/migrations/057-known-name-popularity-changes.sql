-- Rescores that change how the typosquat check treats a name also go to 056's log: a popularity crossing 0.5
-- (the name becomes, or stops being, protected from look-alikes) or 0.9 (the top tier, which more rules protect).
-- The two figures are typosquat.ts DEFAULT_TYPOSQUAT_OPTIONS' protectedMin and topTierMin; a test checks they
-- agree. The connection that rescores updates its own held names at once (security-repo.ts saveScore); every
-- other connection, such as the running registry's while `npm run seed` rescores in its own process, learned of a
-- rescore only when that package was new to it. Rescores that cross neither figure are not logged: the hourly
-- score job rewrites every score, and the log keeps only the newest 1,000 changes.

CREATE TRIGGER known_names_score_insert AFTER INSERT ON package_scores WHEN NEW.popularity >= 0.5 BEGIN
  INSERT INTO known_name_changes (ecosystem, name) VALUES (NEW.ecosystem, NEW.name);
END;
CREATE TRIGGER known_names_score_update AFTER UPDATE OF popularity ON package_scores
  WHEN (OLD.popularity >= 0.5) <> (NEW.popularity >= 0.5) OR (OLD.popularity >= 0.9) <> (NEW.popularity >= 0.9)
BEGIN
  INSERT INTO known_name_changes (ecosystem, name) VALUES (NEW.ecosystem, NEW.name);
END;
CREATE TRIGGER known_names_score_delete AFTER DELETE ON package_scores WHEN OLD.popularity >= 0.5 BEGIN
  INSERT INTO known_name_changes (ecosystem, name) VALUES (OLD.ecosystem, OLD.name);
END;
