-- One-time passcodes (issue 13 item 3): SMS and email codes, one live code per member and
-- channel (a new send replaces the last, as Stytch documents). code_hash is an HMAC keyed with
-- the project's OTP key (otp_keys, sealed with the master key like signing keys), so a copy of
-- the database does not give away a six-digit code. attempts is claimed before each comparison
-- (at most 5). The outbox also keeps SMS (channel 'sms') when no SMS webhook is configured.
CREATE TABLE otp_codes (
    code_id         TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    member_id       TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    destination     TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (member_id, channel)
);
CREATE INDEX otp_codes_expiry ON otp_codes(expires_at);

CREATE TABLE otp_keys (
    project_id TEXT PRIMARY KEY REFERENCES projects(project_id) ON DELETE CASCADE,
    otp_key    TEXT NOT NULL
);

ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
