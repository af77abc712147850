-- The authorization server's state. Codes and refresh tokens are stored only as SHA-256 hashes;
-- access tokens are JWTs recorded by `jti` so introspection can see revocation. `grant_id` names
-- the family (one authorization) so reuse and consent revocation can revoke it whole.
CREATE TABLE oauth_project_keys (
    project_id  TEXT PRIMARY KEY REFERENCES projects(project_id) ON DELETE CASCADE,
    refresh_key TEXT NOT NULL
);

CREATE TABLE authorization_codes (
    code_hash   TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER,
    -- Set when the family is revoked; the code row is the family's lock (see store::oauth).
    revoked_at  INTEGER,
    data        TEXT NOT NULL
);
CREATE INDEX authorization_codes_member_client ON authorization_codes(member_id, client_id);
CREATE INDEX authorization_codes_expiry ON authorization_codes(expires_at);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    revoked_at INTEGER,
    data       TEXT NOT NULL
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens(grant_id);
CREATE INDEX refresh_tokens_member_client ON refresh_tokens(member_id, client_id);

CREATE TABLE access_tokens (
    jti          TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    grant_id     TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    member_session_id TEXT,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    exchanged_at INTEGER
);
CREATE INDEX access_tokens_grant ON access_tokens(grant_id);
CREATE INDEX access_tokens_member_client ON access_tokens(member_id, client_id);
CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);

-- What a member granted to which app (remembered consent, listing and revocation).
CREATE TABLE consent_grants (
    project_id      TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    member_id       TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (member_id, client_id)
);
CREATE INDEX consent_grants_org ON consent_grants(organization_id, client_id);
