-- Identity: the tables every process may read (read-only) to check a token, role, membership or plan.
CREATE TABLE plans (
  id TEXT PRIMARY KEY,                 -- free | team | enterprise
  name TEXT NOT NULL,
  price_cents INTEGER,                 -- NULL = custom pricing
  max_active_deployments INTEGER,      -- NULL = unlimited
  private_packages INTEGER NOT NULL,   -- 0/1
  webhooks INTEGER NOT NULL            -- 0/1
);
INSERT INTO plans VALUES
  ('free', 'Free', 0, 1, 0, 0),
  ('team', 'Team', 4900, 10, 1, 1),
  ('enterprise', 'Enterprise', NULL, NULL, 1, 1);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'publisher', 'admin')),
  plan_id TEXT NOT NULL DEFAULT 'free' REFERENCES plans(id),
  disabled_at TEXT,
  -- Bumped on password change and disable: every session issued before is void.
  token_version INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,     -- sha256 hex of the full token; the token itself is never stored
  display_prefix TEXT NOT NULL,        -- "elk_abcd…wxyz" for lists
  readonly INTEGER NOT NULL DEFAULT 0,
  cidr_allow TEXT,                     -- JSON array of CIDRs, NULL = anywhere
  created_at TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT,
  created_ip TEXT,
  revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,           -- the scope without "@"
  plan_id TEXT NOT NULL DEFAULT 'free' REFERENCES plans(id),
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at TEXT NOT NULL
);

CREATE TABLE org_members (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  actor_id TEXT,
  actor_username TEXT,
  action TEXT NOT NULL,
  target TEXT,
  ip TEXT,
  user_agent TEXT,
  details TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor_id, created_at);
CREATE INDEX audit_log_action ON audit_log(action, created_at);

-- Fixed-window counters shared by all five processes (DESIGN.md section 6: limits hold across processes).
-- Written by whichever process counts a request; the only identity table others write.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL
);
