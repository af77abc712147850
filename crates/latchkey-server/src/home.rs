//! `GET /` (issue 15 item 7): a small page saying what this server is, its issuer, how many
//! projects it holds and where discovery and the API reference are, and what to run next on an
//! empty database. Nothing secret: no project ids, names or keys.

use axum::extract::State;
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

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
    // Project-less discovery works for the default project, or the only one.
    let discovery = match crate::state::default_project(&state).await {
        Ok(_) if projects > 0 => Some(crate::oauth::paths::OPENID_CONFIGURATION),
        _ => None,
    };
    Page::new(
        "home.html",
        "latchkey",
        context! { issuer, projects, discovery },
    )
    .render(&state)
}
