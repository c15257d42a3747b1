-- Packages of every ecosystem (npm now; PyPI, Maven, RubyGems reuse these tables with their own `ecosystem`).
-- A version row points at a content-addressed blob; the blob is written and fsynced before the row commits.
CREATE TABLE blobs (
  sha512 TEXT PRIMARY KEY,             -- hex of the bytes: also the blob store key
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE packages (
  id INTEGER PRIMARY KEY,
  ecosystem TEXT NOT NULL,             -- npm | pypi | maven | rubygems
  name TEXT NOT NULL,                  -- canonical name ("@scope/name" for npm)
  scope TEXT,                          -- npm scope without "@", NULL when unscoped
  description TEXT NOT NULL DEFAULT '',
  keywords TEXT NOT NULL DEFAULT '[]', -- JSON array, for search
  access TEXT NOT NULL DEFAULT 'public' CHECK (access IN ('public', 'restricted')),
  origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'uplink')),
  rev INTEGER NOT NULL DEFAULT 1,      -- bumped by every change: the _rev counter and the packument cache key
  downloads INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (ecosystem, name)
);
CREATE INDEX packages_updated ON packages(ecosystem, updated_at);

CREATE TABLE package_versions (
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  version TEXT NOT NULL,
  manifest TEXT NOT NULL,              -- JSON version object as served, dist.tarball relative to the public base
  readme TEXT NOT NULL DEFAULT '',
  filename TEXT NOT NULL,              -- e.g. "http-1.0.0.tgz"
  blob_sha512 TEXT NOT NULL REFERENCES blobs(sha512),
  integrity TEXT NOT NULL,             -- "sha512-<base64>"
  shasum TEXT NOT NULL,                -- sha1 hex
  size INTEGER NOT NULL,
  deprecated TEXT,                     -- NULL = not deprecated
  publisher_id TEXT,
  publisher_name TEXT,
  published_at TEXT NOT NULL,
  PRIMARY KEY (package_id, version)
);
CREATE INDEX package_versions_blob ON package_versions(blob_sha512);

CREATE TABLE dist_tags (
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  version TEXT NOT NULL,
  PRIMARY KEY (package_id, tag)
);

CREATE TABLE package_maintainers (
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  added_at TEXT NOT NULL,
  PRIMARY KEY (package_id, user_id)
);
CREATE INDEX package_maintainers_user ON package_maintainers(user_id);

-- Every identifier ever accepted, kept forever (reliability-security.md rule 1): an unpublished version can
-- never be reused with other bytes, and `time` survives unpublish (npm-protocol.md trap 27).
CREATE TABLE burned_versions (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  integrity TEXT NOT NULL,
  published_at TEXT NOT NULL,
  unpublished_at TEXT,
  PRIMARY KEY (ecosystem, name, version)
);

CREATE TABLE stars (
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (package_id, user_id)
);
CREATE INDEX stars_user ON stars(username);

CREATE TABLE download_counts (
  package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  day TEXT NOT NULL,                   -- YYYY-MM-DD (UTC)
  count INTEGER NOT NULL,
  PRIMARY KEY (package_id, day)
);
