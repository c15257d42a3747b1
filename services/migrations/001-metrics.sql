-- The orchestrator's tables in marketplace.db: metric samples of live deployments (time series for charts)
-- and autoscaling state. Prefixed orch_ so they never collide with other owners' tables.
CREATE TABLE orch_metric_samples (
  deployment_id TEXT NOT NULL,
  at TEXT NOT NULL,                        -- UTC ISO, end of the sampled interval
  interval_ms INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  avg_ms INTEGER NOT NULL,
  p95_ms INTEGER NOT NULL,
  cpu INTEGER NOT NULL,                    -- percent per instance
  memory INTEGER NOT NULL,                 -- percent
  instances INTEGER NOT NULL,
  healthy INTEGER NOT NULL,
  PRIMARY KEY (deployment_id, at)
);
CREATE INDEX orch_metric_samples_at ON orch_metric_samples(at);

CREATE TABLE orch_autoscale_state (
  deployment_id TEXT PRIMARY KEY,
  last_event_at TEXT,                      -- last scale event (at most one per 60 s)
  low_since TEXT                           -- when the metric first went below target (scale-down waits 5 min)
);
