-- Authorized origins of a project's frontend SDK surface (/sdk/v1; Stytch's "authorized
-- applications"): only pages on these origins may call it with the project's public token, and
-- CORS answers only them. An origin is scheme://host[:port], normalised (lower-case, no path).
CREATE TABLE sdk_authorized_origins (
    project_id TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    origin     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, origin)
);
