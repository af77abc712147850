-- Branch h11 (issue 11 item 5, reused by issue 15 item 5): the one event store. Every decision
-- someone made (consent given, approval requested / approved / denied, revocations, and later
-- the operations audit trail) is a row: who (actor kind + id), did what (action) to what
-- (target kind + id), from where (client address), when, with which outcome, and details as a
-- JSON object that never holds a secret. `seq` orders the rows and is the cursor of the lists.
-- No foreign key on organization_id: an organization's events outlive it.
CREATE TABLE audit_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    organization_id TEXT,
    actor_kind      TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    action          TEXT NOT NULL,
    target_kind     TEXT,
    target_id       TEXT,
    client_address  TEXT,
    created_at      BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    details         TEXT NOT NULL
);
CREATE INDEX audit_events_project_seq ON audit_events(project_id, seq);
CREATE INDEX audit_events_org_seq ON audit_events(organization_id, seq);

-- An organization's admin decision on a client that needs approval (an organization's
-- `client_registration_policy.dcr_allowed_type = APPROVAL_REQUIRED`): pending from a member's
-- first request until an admin approves or denies it. Goes with the organization and the client.
CREATE TABLE connected_app_approvals (
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    requested_by    TEXT,
    requested_at    BIGINT NOT NULL,
    decided_by      TEXT,
    decided_at      BIGINT,
    PRIMARY KEY (organization_id, client_id),
    CONSTRAINT connected_app_approvals_app FOREIGN KEY (project_id, client_id)
        REFERENCES connected_apps(project_id, client_id) ON DELETE CASCADE
);
