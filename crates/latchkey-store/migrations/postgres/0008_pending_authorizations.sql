-- Authorization requests in progress on the hosted page (`/oauth2/authorize`), keyed by the
-- SHA-256 hash of the random id held in the browser's cookie. `data` is the server's JSON
-- document of the request and the login's progress.
CREATE TABLE pending_authorizations (
    id_hash     TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX pending_authorizations_expiry ON pending_authorizations(expires_at);
