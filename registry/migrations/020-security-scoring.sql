-- Security and scoring (issue #6): OSV advisories, per-version scan results, package scores.
-- Advisories are stored verbatim in OSV form plus the columns npm audit needs; num is the integer id npm
-- shows as "source" (reference 2.3: third-party audit parsers read it as a number).
CREATE TABLE advisories (
  num INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,             -- GHSA-…, PYSEC-…, MAL-…
  modified TEXT NOT NULL,
  published TEXT,
  withdrawn TEXT,                      -- set: never matched, never served
  aliases TEXT NOT NULL DEFAULT '[]',  -- JSON array
  title TEXT NOT NULL,
  url TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'moderate', 'high', 'critical')),
  severity_unknown INTEGER NOT NULL DEFAULT 0,
  cvss_score REAL NOT NULL DEFAULT 0,
  cvss_vector TEXT,
  cwe TEXT NOT NULL DEFAULT '[]',      -- JSON array
  is_malware INTEGER NOT NULL DEFAULT 0,
  record TEXT NOT NULL,                -- the OSV JSON as imported
  imported_at TEXT NOT NULL
);

-- One row per affected package of an advisory; kept for names the registry does not hold yet, so a
-- package that arrives later is matched at publish.
CREATE TABLE advisory_affected (
  advisory_num INTEGER NOT NULL REFERENCES advisories(num) ON DELETE CASCADE,
  ecosystem TEXT NOT NULL,             -- npm | PyPI | Maven | RubyGems
  name TEXT NOT NULL,                  -- normalised (PyPI: PEP 503)
  affected TEXT NOT NULL               -- the OSV affected[] object (ranges, versions)
);
CREATE INDEX advisory_affected_package ON advisory_affected(ecosystem, name);

-- The publish-time and background analysis of one version: verdict, findings with rule id and file:line,
-- and the review state admins change (flagged -> released | quarantined).
CREATE TABLE scan_results (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('info', 'warn', 'block')),
  review_state TEXT NOT NULL DEFAULT 'none' CHECK (review_state IN ('none', 'flagged', 'released', 'quarantined')),
  findings TEXT NOT NULL,              -- JSON array of findings
  scanner_version TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  reviewed_by TEXT,
  reviewed_at TEXT,
  PRIMARY KEY (ecosystem, name, version)
);
CREATE INDEX scan_results_review ON scan_results(review_state);

-- The current score of each package, with every factor so the UI can explain it.
CREATE TABLE package_scores (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  quality REAL NOT NULL,
  popularity REAL NOT NULL,
  maintenance REAL NOT NULL,
  overall REAL NOT NULL,
  breakdown TEXT NOT NULL,             -- JSON: signals, missing[], confidence, flags
  scoring_version TEXT NOT NULL,
  computed_at TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name)
);
