-- Member passwords and failed-attempt counters (lockout and per-address throttling).
-- `hash` is an argon2id PHC string when `kind` = 'native', else the imported hash as JSON
-- (core::password::ImportedHash storage form, `kind` = its Stytch hash_type) until the member's
-- first successful login replaces it with argon2id.
CREATE TABLE member_passwords (
    member_password_id TEXT PRIMARY KEY,
    member_id          TEXT NOT NULL UNIQUE REFERENCES members(member_id) ON DELETE CASCADE,
    project_id         TEXT NOT NULL,
    hash               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);

-- Fixed-window counters of failed password attempts, per project and subject
-- (`member:<member_id>` or `address:<client address bucket>`).
CREATE TABLE password_failures (
    project_id   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    failures     BIGINT NOT NULL,
    PRIMARY KEY (project_id, subject)
);
CREATE INDEX password_failures_window ON password_failures(window_start);
