-- Saved Idempotency-Key answers are only replayed for 24 hours (marketplace/idempotency.ts): each save deletes a
-- bounded batch of the expired ones through this index, so the table holds about one day of keys, not every key
-- ever sent.
CREATE INDEX mkt_idempotency_created ON mkt_idempotency(created_at);
