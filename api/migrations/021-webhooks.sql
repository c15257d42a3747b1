-- Webhook endpoints, their signing secrets (encrypted at rest), deliveries (one per event and endpoint) and
-- the log of every attempt (reference: marketplace-billing-webhooks.md section 4.3).
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,                 -- webhook-<id>
  owner_id TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT,
  events TEXT NOT NULL,                -- JSON array of event types, or ["*"]
  enabled INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT CHECK (disabled_reason IN ('manual', 'consecutive_failures', 'gone_410', 'ssrf_blocked')),
  failing_since TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_success_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks(owner_id, created_at);

CREATE TABLE webhook_secrets (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  secret_enc TEXT NOT NULL,            -- AES-256-GCM with secrets.encryptionKey; never returned after creation
  created_at TEXT NOT NULL,
  expires_at TEXT                      -- set on rotation: the old secret keeps signing until then
);
CREATE INDEX webhook_secrets_webhook ON webhook_secrets(webhook_id);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,                 -- whdl-<id>
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL REFERENCES events(id),
  event_type TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'scheduled', 'retrying', 'succeeded', 'failed', 'skipped')),
  attempt_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  next_trigger TEXT NOT NULL DEFAULT 'scheduled',
  lease_until TEXT,                    -- a worker holds the delivery until then: no double send
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, created_at);

CREATE TABLE webhook_attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt_number INTEGER NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual', 'recover', 'test')),
  url TEXT NOT NULL,
  resolved_ip TEXT,
  request_headers TEXT NOT NULL,       -- JSON; the signature value redacted
  started_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  response_status INTEGER,
  response_body TEXT,                  -- at most 4 KB
  outcome TEXT NOT NULL,
  error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, attempt_number);
