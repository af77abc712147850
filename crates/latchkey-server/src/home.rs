//! `GET /` (issue 15 item 7): a small page saying what this server is, its issuer, how many
//! projects it holds and where discovery and the API reference are, and what to run next on an
//! empty database. Nothing secret: no project ids, names or keys. It is also the redirect URI of
//! `latchkey demo`'s Connected App, so it says when it received an authorization response.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use minijinja::context;

use crate::state::AppState;
use crate::ui::page::Page;

pub const PATH: &str = "/";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(home))
        .layer(axum::middleware::map_response(crate::ui::security_headers))
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    // An authorization response (RFC 6749 section 4.1.2): say so; the code stays in the URL.
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let got = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (code_received, oauth_error) = (got("code").is_some(), got("error"));
    let issuer = crate::issuer::issuer(&state, &headers).ok();
    let projects = match state.store.list_projects().await {
        Ok(p) => p.len(),
        Err(e) => {
            tracing::error!(error = %e, "listing projects for the front page failed");
            return crate::ui::page::error_page(
                &state,
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "The database does not answer",
                "latchkey is running but cannot reach its database; see /readyz.",
                None,
            );
        }
    };
    // Project-less discovery serves the default project, or the only one.
    let served = state.config.default_project_id.is_some() || projects == 1;
    let discovery = (served && projects > 0).then_some(crate::oauth::paths::OPENID_CONFIGURATION);
    Page::new(
        "home.html",
        "latchkey",
        context! { issuer, projects, discovery, code_received, oauth_error },
    )
    .render(&state)
}
