-- Branch mcp (issue 10): clients that register themselves (RFC 7591 dynamic client registration).
-- Per-project settings of self-registration, as one JSON document (absent row: the defaults).
CREATE TABLE client_registration_settings (
    project_id TEXT PRIMARY KEY REFERENCES projects(project_id) ON DELETE CASCADE,
    data       TEXT NOT NULL
);

-- A dynamically registered client, beside its connected_apps row (deleted with it). Only the
-- SHA-256 hash of the RFC 7592 registration access token is kept. `dedup_key` is the hash of
-- a public registration's metadata (Stytch returns the existing client for an identical one);
-- confidential registrations have none. `last_used_at` feeds the removal of unused clients.
CREATE TABLE dynamic_clients (
    client_id               TEXT PRIMARY KEY REFERENCES connected_apps(client_id) ON DELETE CASCADE,
    project_id              TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    registration_token_hash TEXT NOT NULL UNIQUE,
    dedup_key               TEXT,
    metadata                TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    last_used_at            BIGINT,
    CONSTRAINT dynamic_clients_dedup_key UNIQUE (project_id, dedup_key)
);
CREATE INDEX dynamic_clients_project_used ON dynamic_clients(project_id, last_used_at);

-- RFC 7523 §3 / OIDC Core §9: a private_key_jwt client assertion's `jti` is single use. Keyed
-- by the SHA-256 of client id and jti, kept until the assertion expires (shared by replicas).
CREATE TABLE client_assertion_jtis (
    jti_hash   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX client_assertion_jtis_expiry ON client_assertion_jtis(expires_at);
