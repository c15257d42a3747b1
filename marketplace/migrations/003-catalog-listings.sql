-- Catalog placement chosen by an admin (featured / premium / standard), overriding the template's own
-- listing; a service without a row keeps its template's placement.
CREATE TABLE mkt_catalog_listings (
  service_id TEXT PRIMARY KEY,             -- the template id
  listing TEXT NOT NULL CHECK (listing IN ('featured', 'premium', 'standard')),
  updated_by TEXT NOT NULL,                -- users.id of the admin
  updated_at TEXT NOT NULL
);
