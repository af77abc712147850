-- Migration 0022 (branch grants, issue 14 items 3 and 7): enterprise-managed authorization
-- (draft-ietf-oauth-identity-assertion-authz-grant, MCP's Enterprise-Managed Authorization,
-- Stytch's Cross App Access).
--
-- The identity assertion issuers an organization trusts: the issuer document (issuer, JWKS URL,
-- allowed client ids, subject mapping) is in `data`; `issuer` sits beside it so that one issuer
-- is trusted by at most one organization of a project (`UNIQUE (project_id, issuer)`): an
-- ID-JAG names no organization, so its `iss` must decide which one it speaks for.
CREATE TABLE identity_assertion_issuers (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_id       TEXT NOT NULL UNIQUE,
    project_id      TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(organization_id) ON DELETE CASCADE,
    issuer          TEXT NOT NULL,
    data            TEXT NOT NULL,
    UNIQUE (project_id, issuer)
);
CREATE INDEX identity_assertion_issuers_org ON identity_assertion_issuers(organization_id, seq);

-- Spent ID-JAG `jti`s (SHA-256 of issuer and jti), kept until the assertion expires; written
-- in the transaction that issues the token, so of concurrent redemptions exactly one wins.
CREATE TABLE identity_assertion_jtis (
    jti_hash   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX identity_assertion_jtis_expiry ON identity_assertion_jtis(expires_at);
