-- Stytch M2M clients (issue 14). The client document (name, description, status, scopes,
-- trusted_metadata) is in `data`; the secret state lives in its own columns, as for Connected
-- Apps, so rotation writes and settings updates never overwrite each other. Only SHA-256
-- hashes of client secrets are kept. Client ids are unique across projects, like Connected
-- App ids, so the project-less token endpoint can find the client.
CREATE TABLE m2m_clients (
    seq                          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id                    TEXT NOT NULL UNIQUE,
    project_id                   TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    client_secret_hash           TEXT NOT NULL,
    client_secret_last_four      TEXT NOT NULL,
    next_client_secret_hash      TEXT,
    next_client_secret_last_four TEXT,
    data                         TEXT NOT NULL
);
CREATE INDEX m2m_clients_project_seq ON m2m_clients(project_id, seq);
