-- Signing keys (per project; private keys sealed, see core::jwt::at_rest) and member sessions
-- (tokens stored only as SHA-256 hashes).
CREATE TABLE signing_keys (
    kid                TEXT PRIMARY KEY,
    project_id         TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    state              TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    public_jwk         TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    activated_at       INTEGER,
    retired_at         BIGINT
);
CREATE INDEX signing_keys_project ON signing_keys(project_id, state);

CREATE TABLE member_sessions (
    member_session_id TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    organization_id   TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    member_id         TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE,
    token_hash        TEXT NOT NULL UNIQUE,
    expires_at        BIGINT NOT NULL,
    data              TEXT NOT NULL
);
CREATE INDEX member_sessions_member ON member_sessions(member_id, expires_at);
CREATE INDEX member_sessions_expiry ON member_sessions(expires_at);

-- At most one signing key per project is active, even with replicas racing to create the first.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys(project_id) WHERE state = 'active';
