-- The uplink (UPLINK_URL) cache: upstream packuments with their fetch time and ETag (served stale when the
-- upstream is down), and upstream tarballs kept in the blob store, bounded in total size (LRU by last access).
CREATE TABLE uplink_packuments (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,                  -- the upstream document as fetched (JSON)
  etag TEXT,
  fetched_at INTEGER NOT NULL,         -- epoch ms of the last successful fetch or revalidation
  PRIMARY KEY (ecosystem, name)
);

CREATE TABLE uplink_tarballs (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  filename TEXT NOT NULL,
  blob_sha512 TEXT NOT NULL,
  integrity TEXT NOT NULL,
  size INTEGER NOT NULL,
  last_access INTEGER NOT NULL,        -- epoch ms, for eviction
  PRIMARY KEY (ecosystem, name, filename)
);
CREATE INDEX uplink_tarballs_access ON uplink_tarballs(last_access);
CREATE INDEX uplink_tarballs_blob ON uplink_tarballs(blob_sha512);
