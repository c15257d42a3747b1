-- Indexes for the account pages: the admin audit view (newest first), user search, live tokens per user.
CREATE INDEX audit_log_created ON audit_log(created_at);
CREATE INDEX api_tokens_user_live ON api_tokens(user_id, revoked_at, expires_at);
CREATE INDEX orgs_created_by ON orgs(created_by);
