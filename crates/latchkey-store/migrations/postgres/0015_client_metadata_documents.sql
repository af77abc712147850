-- Issue 10: clients known by a client ID metadata document (draft-ietf-oauth-client-id-metadata-
-- document), whose client id is the document's URL. One URL may name a client in several
-- projects, so a client id is unique within its project (generated ids stay unique anyway).
-- dynamic_clients referenced connected_apps(client_id): it is rebuilt to reference the pair.
CREATE TABLE dynamic_clients_copy AS SELECT * FROM dynamic_clients;
DROP TABLE dynamic_clients;
ALTER TABLE connected_apps DROP CONSTRAINT connected_apps_client_id_key;
ALTER TABLE connected_apps ADD CONSTRAINT connected_apps_project_client UNIQUE (project_id, client_id);
CREATE INDEX connected_apps_client ON connected_apps(client_id);
CREATE TABLE dynamic_clients (
    client_id               TEXT PRIMARY KEY,
    project_id              TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    registration_token_hash TEXT NOT NULL UNIQUE,
    dedup_key               TEXT,
    metadata                TEXT NOT NULL,
    created_at              BIGINT NOT NULL,
    last_used_at            BIGINT,
    CONSTRAINT dynamic_clients_dedup_key UNIQUE (project_id, dedup_key),
    CONSTRAINT dynamic_clients_app FOREIGN KEY (project_id, client_id)
        REFERENCES connected_apps(project_id, client_id) ON DELETE CASCADE
);
INSERT INTO dynamic_clients (client_id, project_id, registration_token_hash, dedup_key, metadata,
    created_at, last_used_at)
SELECT client_id, project_id, registration_token_hash, dedup_key, metadata, created_at,
    last_used_at FROM dynamic_clients_copy;
DROP TABLE dynamic_clients_copy;
CREATE INDEX dynamic_clients_project_used ON dynamic_clients(project_id, last_used_at);

-- The document a metadata-document client was last seen with, beside its connected_apps row
-- (deleted with it): the normalised metadata (keys for private_key_jwt among it), the SHA-256
-- of the document as fetched (an unchanged document writes nothing) and when it was fetched.
CREATE TABLE client_metadata_documents (
    project_id    TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    document_hash TEXT NOT NULL,
    fetched_at    BIGINT NOT NULL,
    PRIMARY KEY (project_id, client_id),
    CONSTRAINT client_metadata_documents_app FOREIGN KEY (project_id, client_id)
        REFERENCES connected_apps(project_id, client_id) ON DELETE CASCADE
);
