-- What the scorer needs from a scanned artifact without re-reading the blob: the file list (path, size)
-- and the scan summary (capabilities, install hooks, rule ids) that the next version is diffed against.
ALTER TABLE scan_results ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
ALTER TABLE scan_results ADD COLUMN summary TEXT NOT NULL DEFAULT '{"capabilities":[],"installHooks":[],"ruleIds":[]}';
ALTER TABLE scan_results ADD COLUMN license TEXT NOT NULL DEFAULT '{}';
