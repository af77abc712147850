-- A project's registered magic-link redirect URLs (exact strings; Stytch's dashboard "Redirect
-- URLs"). magic_links/email/* refuse a login, signup or invite URL that is not one of them, the
-- configured magic_link_redirect_url, or (test projects only) a loopback http URL.
CREATE TABLE project_redirect_urls (
    project_id  TEXT NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, url)
);
