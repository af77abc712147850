-- Connected App clients. The client document (settings) is in `data`; the secret state lives in
-- its own columns so that rotation writes and settings updates never overwrite each other.
-- Only SHA-256 hashes of client secrets are kept; public clients have none.
CREATE TABLE connected_apps (
    seq                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id                    TEXT NOT NULL UNIQUE,
    project_id                   TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    client_type                  TEXT NOT NULL,
    client_secret_hash           TEXT,
    client_secret_last_four      TEXT,
    next_client_secret_hash      TEXT,
    next_client_secret_last_four TEXT,
    data                         TEXT NOT NULL,
    -- A next secret only exists beside a current one.
    CONSTRAINT connected_apps_next_needs_current
        CHECK (next_client_secret_hash IS NULL OR client_secret_hash IS NOT NULL)
);
CREATE INDEX connected_apps_project_seq ON connected_apps(project_id, seq);
