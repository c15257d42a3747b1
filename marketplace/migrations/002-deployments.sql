-- Deployments and everything hanging off them (issue #8). Prefixed mkt_ so they never collide with the main
-- API's tables in the same file. Times are UTC ISO-8601 text (fixed width, so they compare as strings).
CREATE TABLE mkt_deployments (
  id TEXT PRIMARY KEY,                     -- deploy-<base36>
  owner_id TEXT NOT NULL,                  -- users.id
  service_id TEXT NOT NULL,                -- svc-postgres
  tier_id TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,                    -- JSON: the validated config besides tier and region
  status TEXT NOT NULL,
  status_reason TEXT,
  desired_status TEXT NOT NULL,            -- running | stopped | deleted
  instances INTEGER NOT NULL DEFAULT 1,
  autoscaling TEXT,                        -- JSON {enabled,min,max,target} or NULL
  endpoint TEXT NOT NULL,
  ever_running INTEGER NOT NULL DEFAULT 0,
  health_failures INTEGER NOT NULL DEFAULT 0,
  health_passes INTEGER NOT NULL DEFAULT 0,
  simulation TEXT,                         -- JSON SimulationOptions, only ever set when SIMULATION=true
  restored_from TEXT,                      -- JSON {deploymentId, backupId?, pointInTime?}
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  state_changed_at TEXT NOT NULL,
  ready_at TEXT,
  deleted_at TEXT
);
-- One live deployment name per user; a deleted one frees its name.
CREATE UNIQUE INDEX mkt_deployments_owner_name ON mkt_deployments(owner_id, name) WHERE status <> 'deleted';
CREATE INDEX mkt_deployments_owner ON mkt_deployments(owner_id, created_at);
CREATE INDEX mkt_deployments_service ON mkt_deployments(service_id, status);

-- Every mutation is an operation; the running one carries the deadline the provisioner ticks on.
CREATE TABLE mkt_operations (
  id TEXT PRIMARY KEY,                     -- op-<base36>
  deployment_id TEXT NOT NULL REFERENCES mkt_deployments(id),
  type TEXT NOT NULL,                      -- create | start | stop | restart | scale | change_plan | restore_in_place | delete | retry | resume | suspend
  status TEXT NOT NULL,                    -- running | succeeded | failed | canceled
  step TEXT,                               -- the transient status this operation is in
  params TEXT NOT NULL,                    -- JSON
  due_at TEXT,                             -- when the current step completes (NULL once finished)
  created_at TEXT NOT NULL,
  finished_at TEXT,
  error_code TEXT,
  error_message TEXT
);
CREATE INDEX mkt_operations_due ON mkt_operations(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX mkt_operations_deployment ON mkt_operations(deployment_id, created_at);

-- The transition history: drives GET .../events, billing segments and running time (metrics).
CREATE TABLE mkt_deployment_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  deployment_id TEXT NOT NULL REFERENCES mkt_deployments(id),
  from_status TEXT,
  to_status TEXT NOT NULL,
  at TEXT NOT NULL,
  tier_id TEXT NOT NULL,                   -- plan in effect from this instant
  instances INTEGER NOT NULL,
  operation_id TEXT,
  reason TEXT
);
CREATE INDEX mkt_deployment_events_dep ON mkt_deployment_events(deployment_id, seq);

-- Credentials, AES-256-GCM encrypted with secrets.encryptionKey; never stored in clear.
CREATE TABLE mkt_credentials (
  deployment_id TEXT PRIMARY KEY REFERENCES mkt_deployments(id),
  version INTEGER NOT NULL,
  ciphertext TEXT NOT NULL,                -- base64 iv.tag.data
  previous_ciphertext TEXT,                -- the rotated-out secret, valid until previous_expires_at
  previous_expires_at TEXT,
  rotated_at TEXT
);

-- Idempotency-Key: the saved response of a mutating POST for 24 h, per caller and route.
CREATE TABLE mkt_idempotency (
  principal_id TEXT NOT NULL,
  key TEXT NOT NULL,
  route TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (principal_id, key, route)
);

CREATE TABLE mkt_backups (
  id TEXT PRIMARY KEY,                     -- bkp-<base36>
  deployment_id TEXT NOT NULL REFERENCES mkt_deployments(id),
  kind TEXT NOT NULL,                      -- manual | scheduled
  status TEXT NOT NULL,                    -- pending | completed | failed
  size_bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  completes_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX mkt_backups_dep ON mkt_backups(deployment_id, created_at);

CREATE TABLE mkt_budgets (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deployment_id TEXT,                      -- NULL = whole account
  amount_cents INTEGER NOT NULL,
  thresholds TEXT NOT NULL,                -- JSON [{id, percent, basis}]
  on_exceed TEXT NOT NULL,                 -- notify | suspend
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX mkt_budgets_owner ON mkt_budgets(owner_id);

-- billing.threshold fires at most once per (budget, version, threshold, cycle): the primary key enforces it.
CREATE TABLE mkt_threshold_firings (
  budget_id TEXT NOT NULL,
  budget_version INTEGER NOT NULL,
  threshold_id TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  fired_at TEXT NOT NULL,
  value_cents INTEGER NOT NULL,
  PRIMARY KEY (budget_id, budget_version, threshold_id, cycle_id)
);

-- Closed invoices, one per user per cycle, with line items; and the 10% marketplace fee on paid services.
CREATE TABLE mkt_invoices (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  total_cents INTEGER NOT NULL,
  lines TEXT NOT NULL,                     -- JSON line items
  created_at TEXT NOT NULL,
  UNIQUE (owner_id, cycle_id)
);
CREATE TABLE mkt_fee_ledger (
  invoice_id TEXT NOT NULL REFERENCES mkt_invoices(id),
  deployment_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  gross_cents INTEGER NOT NULL,
  fee_cents INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (invoice_id, deployment_id)
);

CREATE TABLE mkt_reviews (
  service_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  verified INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (service_id, user_id)
);
