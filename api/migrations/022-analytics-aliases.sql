-- Other names of an analytics resource: the seed asks for ?type=package&id=pkg-123, while events name a
-- package by its name; a producer that sends data.packageId records the alias.
CREATE TABLE analytics_aliases (
  entity_type TEXT NOT NULL,
  alias TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  PRIMARY KEY (entity_type, alias)
) WITHOUT ROWID;
