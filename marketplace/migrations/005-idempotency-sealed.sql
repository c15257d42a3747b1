-- Saved Idempotency-Key responses are sealed since this version (idempotency.ts): a create's answer holds the new
-- deployment's password. Rows written before were plain JSON: delete them, so no secret stays in clear. A retry
-- of such a request runs again, as after the key's 24 h (a create then answers 409 DEPLOYMENT_NAME_TAKEN, never
-- a second deployment). A sealed value is base64 and never starts with a JSON object, array or string.
DELETE FROM mkt_idempotency WHERE substr(response, 1, 1) IN ('{', '[', '"');
