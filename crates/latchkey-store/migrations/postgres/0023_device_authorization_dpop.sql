-- Migration 0023 (branch device, issue 14 items 5 and 6): the device authorization grant
-- (RFC 8628) and DPoP (RFC 9449).
--
-- Device requests, by the SHA-256 of the device code (what the client polls with) and of the
-- normalized user code (what the member types); neither code is stored. `data` is the request
-- (scopes, resources); `status` is pending, approved (with the grant in `grant_data`) or
-- denied, changed only from pending by a conditional UPDATE. `consumed_at` makes the device
-- code single use: the UPDATE ... WHERE consumed_at IS NULL that issues tokens succeeds once.
CREATE TABLE device_authorizations (
    device_code_hash TEXT PRIMARY KEY,
    user_code_hash   TEXT NOT NULL UNIQUE,
    project_id       TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL,
    data             TEXT NOT NULL,
    status           TEXT NOT NULL,
    grant_data       TEXT,
    interval_secs    BIGINT NOT NULL,
    last_poll_at     BIGINT,
    expires_at       BIGINT NOT NULL,
    consumed_at      BIGINT
);
CREATE INDEX device_authorizations_expiry ON device_authorizations(expires_at);

-- Seen DPoP proof `jti`s (SHA-256 of the proof's key thumbprint and jti, RFC 9449 §11.1), kept
-- until the proof could no longer be accepted; the INSERT ... ON CONFLICT DO NOTHING that
-- records one is the replay check, so of two concurrent uses exactly one succeeds.
CREATE TABLE dpop_jtis (
    jti_hash   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_jtis_expiry ON dpop_jtis(expires_at);
