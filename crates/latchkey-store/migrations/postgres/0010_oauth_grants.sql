-- Migration 0010 (sec-oauth): one row per authorization (the token family) as its lock, the
-- indexes every issue, rotation, revocation and purge filters on, and the revocation of tokens
-- whose member or client was deleted before deletes revoked them.
--
-- `oauth_grants` replaces the code row as the family's lock (see store::oauth::lock_family):
-- every write to a family locks its grant row first, so codes can be purged while the family
-- lives on in its refresh tokens. A grant row goes once nothing of its family is left.
CREATE TABLE oauth_grants (
    grant_id   TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_grants_member_client ON oauth_grants(member_id, client_id);
CREATE INDEX oauth_grants_client ON oauth_grants(client_id);
CREATE INDEX oauth_grants_created ON oauth_grants(created_at);

-- Every family so far has exactly one code (Submit makes a new grant per code); a code lives
-- five minutes, so its issue time is its expiry less 300 seconds.
INSERT INTO oauth_grants (grant_id, project_id, client_id, member_id, created_at, revoked_at)
SELECT grant_id, MIN(project_id), MIN(client_id), MIN(member_id), MIN(expires_at) - 300, MAX(revoked_at)
FROM authorization_codes GROUP BY grant_id;

-- 0004 created it BIGINT (32 bits) on PostgreSQL only; SQLite's BIGINT is 64 bits already.
ALTER TABLE signing_keys ALTER COLUMN activated_at TYPE BIGINT;

CREATE INDEX authorization_codes_grant ON authorization_codes(grant_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
CREATE INDEX refresh_tokens_client ON refresh_tokens(client_id);
CREATE INDEX access_tokens_client ON access_tokens(client_id);

-- Tokens of members and clients deleted before deletes revoked them (security review #13).
UPDATE access_tokens SET revoked_at = expires_at WHERE revoked_at IS NULL
    AND (member_id NOT IN (SELECT member_id FROM members)
         OR client_id NOT IN (SELECT client_id FROM connected_apps));
UPDATE refresh_tokens SET revoked_at = expires_at WHERE revoked_at IS NULL
    AND (member_id NOT IN (SELECT member_id FROM members)
         OR client_id NOT IN (SELECT client_id FROM connected_apps));
