//! Integration tests: the real server on an ephemeral port, against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod agents;
mod browser;
mod helpers;

mod cli;
mod client_credentials;
mod connected_apps;
mod e2e;
mod errors;
mod exchange_access_token;
mod interop;
mod m2m;
mod magic_links;
mod mcp_cimd;
mod mcp_clients;
mod mcp_consent;
mod mcp_discovery;
mod mcp_e2e;
mod mcp_private_key_jwt;
mod mcp_registration;
mod member_auth;
mod members;
mod oauth_security;
mod oauth_support;
mod oidc_rp;
mod ops;
mod organizations;
mod pages;
mod pages_errors;
mod pages_prompt;
mod passwords;
mod rbac;
mod resources;
mod sdk;
mod sdk_browser;
mod sdk_cli;
mod sdk_form;
mod sdk_logout;
mod sec_auth;
mod sec_oauth;
mod security_infra;
mod sessions;
