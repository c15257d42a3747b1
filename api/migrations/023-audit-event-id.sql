-- Audit entries relayed from another process's outbox carry the outbox id, so a resent entry is recorded once.
-- NULL for the main API's own entries (a UNIQUE index allows any number of NULLs).
ALTER TABLE audit_log ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX audit_log_event ON audit_log(event_id);
