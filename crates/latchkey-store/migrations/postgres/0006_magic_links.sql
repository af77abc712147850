-- Email magic link tokens (only SHA-256 hashes; single use via used_at) and the local outbox
-- that holds mail when no SMTP server is configured.
CREATE TABLE magic_link_tokens (
    token_hash          TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    organization_id     TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    member_id           TEXT NOT NULL REFERENCES members(member_id) ON DELETE CASCADE,
    kind                TEXT NOT NULL,
    redirect_url        TEXT NOT NULL,
    pkce_code_challenge TEXT,
    expires_at          BIGINT NOT NULL,
    used_at             BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX magic_link_tokens_expiry ON magic_link_tokens(expires_at);
CREATE INDEX magic_link_tokens_member ON magic_link_tokens(member_id);

CREATE TABLE outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  TEXT NOT NULL,
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT NOT NULL,
    link        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX outbox_project ON outbox(project_id, id);
