//! The pages' stylesheet, compiled into the binary, and the theme stylesheet carrying the
//! configured accent colour (a separate file so the CSP needs no `'unsafe-inline'`).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../assets/latchkey.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

pub async fn theme(State(state): State<AppState>) -> impl IntoResponse {
    // The colour was checked at start-up to be `#rgb` / `#rrggbb`.
    let css = format!(
        ":root {{ --accent: {}; }}\n",
        state.config.branding.accent_color
    );
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
}
