-- The event store (every producer's outbox ends here, once per id), daily analytics rollups, and the
-- account notification feed that email is sent from.
CREATE TABLE events (
  id TEXT PRIMARY KEY,                 -- the producer's outbox id: the idempotency key of the relay
  type TEXT NOT NULL,
  owner_id TEXT,                       -- the user whose webhooks and GET /api/events see it
  subject TEXT,                        -- "package:<name>", "deployment:<id>", ...
  body TEXT NOT NULL,                  -- the webhook envelope, serialized once; every attempt sends these bytes
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX events_owner ON events(owner_id, occurred_at);
CREATE INDEX events_type ON events(type, occurred_at);

-- Per-day counts (UTC) by resource and event type; upserted as events arrive, so a 90-day query reads at
-- most 90 rows per event type whatever the traffic.
CREATE TABLE analytics_daily (
  day TEXT NOT NULL,                   -- YYYY-MM-DD, UTC
  entity_type TEXT NOT NULL,           -- package | deployment | service | user
  entity_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (entity_type, entity_id, day, event_type)
) WITHOUT ROWID;

-- Who may see a resource's analytics: the owner named by its latest event (admins see all).
CREATE TABLE analytics_entities (
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  owner_id TEXT,
  private INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (entity_type, entity_id)
) WITHOUT ROWID;

-- Account notifications; those with an email kind are mailed by the email worker when SMTP is configured.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,                  -- deployment_failed | billing_threshold | package_flagged | webhook_disabled | webhook_exhausted
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  event_id TEXT,
  email_status TEXT NOT NULL DEFAULT 'pending' CHECK (email_status IN ('pending', 'sent', 'failed', 'not_configured', 'none')),
  email_attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  sent_at TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_email ON notifications(email_status, created_at);
