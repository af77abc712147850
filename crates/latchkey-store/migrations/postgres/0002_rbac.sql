-- The operator's RBAC policy per project (`latchkey rbac set`): the validated custom part as a
-- JSON document; Stytch's defaults are merged in when it is read, so they can evolve.
CREATE TABLE rbac_policies (
    project_id TEXT PRIMARY KEY REFERENCES projects(project_id) ON DELETE CASCADE,
    policy     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
