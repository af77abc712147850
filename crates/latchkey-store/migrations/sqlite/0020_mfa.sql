-- Multi-factor authentication (issue 13 items 1, 2). Intermediate sessions: what a primary
-- factor yields while the organization's MFA rule is not met; the token only as its SHA-256
-- hash, kept apart from member_sessions so that no session lookup can ever find one; exchanged
-- once (DELETE ... and rows affected) for a full session.
CREATE TABLE intermediate_sessions (
    token_hash      TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    member_id       TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX intermediate_sessions_expiry ON intermediate_sessions(expires_at);
CREATE INDEX intermediate_sessions_member ON intermediate_sessions(member_id);

-- TOTP registrations (RFC 6238): the secret sealed with the master key (core::jwt::at_rest,
-- AAD bound to the registration id); last_used_step makes each code single use (a conditional
-- UPDATE ... WHERE last_used_step < $step); unverified registrations expire.
CREATE TABLE totp_registrations (
    totp_registration_id TEXT PRIMARY KEY,
    project_id           TEXT NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    member_id            TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE,
    sealed_secret        TEXT NOT NULL,
    verified             INTEGER NOT NULL DEFAULT 0,
    last_used_step       INTEGER NOT NULL DEFAULT -1,
    expires_at           INTEGER,
    created_at           INTEGER NOT NULL
);
CREATE INDEX totp_registrations_member ON totp_registrations(member_id, verified);

-- Recovery codes of a TOTP registration: looked up by SHA-256 hash, spent once (UPDATE ...
-- WHERE used_at IS NULL), and kept sealed as well so that recovery_codes/get can show them.
CREATE TABLE recovery_codes (
    totp_registration_id TEXT NOT NULL REFERENCES totp_registrations(totp_registration_id) ON DELETE CASCADE,
    code_hash            TEXT NOT NULL,
    project_id           TEXT NOT NULL,
    member_id            TEXT NOT NULL,
    sealed_code          TEXT NOT NULL,
    position             INTEGER NOT NULL,
    used_at              INTEGER,
    PRIMARY KEY (totp_registration_id, code_hash)
);
CREATE INDEX recovery_codes_member ON recovery_codes(member_id);
