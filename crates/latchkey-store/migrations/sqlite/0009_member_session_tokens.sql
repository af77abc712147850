-- Further tokens of a member session, beside the one in member_sessions.token_hash: a session
-- handed back by sessions/exchange_access_token gets a token of its own, because its original
-- token exists only as a hash. Tokens are stored only as SHA-256 hashes, like token_hash, and
-- die with their session (revocation, expiry purge, member or organization deletion).
CREATE TABLE member_session_tokens (
    token_hash        TEXT PRIMARY KEY,
    member_session_id TEXT NOT NULL REFERENCES member_sessions(member_session_id) ON DELETE CASCADE,
    project_id        TEXT NOT NULL,
    created_at        INTEGER NOT NULL
);
-- For the cascade from member_sessions (neither engine indexes a foreign key by itself).
CREATE INDEX member_session_tokens_session ON member_session_tokens(member_session_id);
