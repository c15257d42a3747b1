-- Events the marketplace produces, written in the same transaction as the change and relayed to the main API
-- (DESIGN.md section 4). A row is deleted only after the main API has stored the event.
CREATE TABLE marketplace_outbox (
  id TEXT PRIMARY KEY,                 -- event id: the main API stores each once
  type TEXT NOT NULL,                  -- deployment.started, ...
  payload TEXT NOT NULL,               -- JSON
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT
);
CREATE INDEX marketplace_outbox_created ON marketplace_outbox(created_at);
