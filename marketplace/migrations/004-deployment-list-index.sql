-- The account's deployment list (ORDER BY created_at DESC, id) and its count walk this index in order:
-- mkt_deployments_owner (owner_id, created_at) left a sort of every deployment created in the same
-- millisecond per page, and the count read every row for its status. status makes the count covering.
CREATE INDEX mkt_deployments_owner_list ON mkt_deployments(owner_id, created_at DESC, id, status);
