-- Resource servers (RFC 8707 resource indicators): the APIs and MCP servers a project's access
-- tokens can be bound to. The canonical URL is unique per project (it is what clients send as
-- `resource` and what tokens carry in `aud`); the settings document is in `data`.
CREATE TABLE resource_servers (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    data        TEXT NOT NULL,
    CONSTRAINT resource_servers_project_url UNIQUE (project_id, url)
);
CREATE INDEX resource_servers_project_seq ON resource_servers(project_id, seq);

