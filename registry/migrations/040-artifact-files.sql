-- Files of the PyPI, Maven and RubyGems ecosystems (issue #5). A version there has several files (a wheel and an
-- sdist; a jar, its POM and classifiers; a gem per platform), so each file gets a row here, pointing at a
-- content-addressed blob like package_versions does; package_versions keeps one row per version for search and
-- the package pages. `path` is the file's identity inside its ecosystem (PyPI "<project>/<filename>", Maven the
-- repository path, RubyGems the .gem filename), built by the server from validated coordinates.
CREATE TABLE artifact_files (
  ecosystem TEXT NOT NULL,             -- pypi | maven | rubygems
  path TEXT NOT NULL,
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  version TEXT NOT NULL,
  kind TEXT NOT NULL,                  -- sdist | bdist_wheel | jar | pom | gem | ...
  blob_sha512 TEXT NOT NULL REFERENCES blobs(sha512),
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  sha1 TEXT NOT NULL,
  md5 TEXT NOT NULL,
  meta TEXT NOT NULL DEFAULT '{}',     -- JSON: requires-python, core-metadata digest, gem platform, ...
  yanked TEXT,                         -- NULL = not yanked; else the reason ('' when none given)
  publisher_id TEXT,
  uploaded_at TEXT NOT NULL,
  PRIMARY KEY (ecosystem, path)
);
CREATE INDEX artifact_files_version ON artifact_files(package_id, version);
CREATE INDEX artifact_files_publisher ON artifact_files(publisher_id);

-- Every file identity ever accepted with its sha256, kept after yank or SNAPSHOT pruning (reliability-security.md
-- rule 1): a PyPI filename, a Maven release path or a gem filename can never carry other bytes.
CREATE TABLE burned_files (
  ecosystem TEXT NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  first_at TEXT NOT NULL,
  PRIMARY KEY (ecosystem, path)
);

-- Derived bytes served next to an artifact (a wheel's METADATA for PEP 658), content-addressed too.
CREATE TABLE artifact_extras (
  ecosystem TEXT NOT NULL,
  path TEXT NOT NULL,                  -- the artifact's path + suffix, e.g. "<project>/<file>.whl.metadata"
  blob_sha512 TEXT NOT NULL REFERENCES blobs(sha512),
  sha256 TEXT NOT NULL,
  PRIMARY KEY (ecosystem, path)
);

-- The RubyGems compact index /versions file is append-only between compactions (multiformat-protocols.md 3.2):
-- one line per publish or yank, in order.
CREATE TABLE gem_versions_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  line TEXT NOT NULL,
  created_at TEXT NOT NULL
);
