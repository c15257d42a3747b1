-- Download totals per version: rubygems.org's version_downloads and downloads_count in the RubyGems JSON API
-- (registry/rubygems/json-api.ts), for every ecosystem alike. Totals only: download_counts (per package and day)
-- stays the source of the download charts. The download counter (registry/npm/downloads.ts) adds to both tables
-- in the same flush transaction, so no download costs a write of its own.
--
-- A row goes with its version (npm unpublish, a Maven artifact withdrawn, any other removal of a package_versions
-- row) and with its package, by cascade: no code path has to remember it. Versions published before this
-- migration start at 0, as their downloads were counted per package only.
CREATE TABLE version_downloads (
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  version TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (package_id, version),
  FOREIGN KEY (package_id, version) REFERENCES package_versions(package_id, version) ON DELETE CASCADE
) WITHOUT ROWID;
