-- Projects, organizations and members. Integer unix times, TEXT ids, JSON documents in `data`
-- with the columns that are searched or constrained pulled out beside them.
CREATE TABLE projects (
    project_id   TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    public_token TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

-- Only SHA-256 hashes of project secrets are kept.
CREATE TABLE project_secrets (
    secret_id   TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    last_four   TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX project_secrets_project ON project_secrets(project_id);

CREATE TABLE organizations (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    slug            TEXT NOT NULL,
    external_id     TEXT,
    name            TEXT NOT NULL,
    data            TEXT NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (project_id, slug),
    CONSTRAINT organizations_external_id_key UNIQUE (project_id, external_id)
);
CREATE INDEX organizations_project_seq ON organizations(project_id, seq);

-- email_allowed_domains (kind 'allowed') and claimed_email_domains (kind 'claimed'), for search.
CREATE TABLE organization_domains (
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    domain          TEXT NOT NULL,
    PRIMARY KEY (organization_id, kind, domain)
);
CREATE INDEX organization_domains_domain ON organization_domains(kind, domain);

CREATE TABLE members (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id       TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    project_id      TEXT NOT NULL,
    email_address   TEXT NOT NULL,
    external_id     TEXT,
    status          TEXT NOT NULL,
    name            TEXT NOT NULL,
    is_breakglass   BIGINT NOT NULL,
    phone_number    TEXT NOT NULL,
    data            TEXT NOT NULL,
    CONSTRAINT members_email_key UNIQUE (organization_id, email_address),
    CONSTRAINT members_external_id_key UNIQUE (organization_id, external_id)
);
CREATE INDEX members_org_seq ON members(organization_id, seq);
CREATE INDEX members_project_email ON members(project_id, email_address);
