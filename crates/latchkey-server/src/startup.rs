//! Start-up in stages: state from config, the router from state, serving with graceful
//! shutdown. Tests call the same functions with an ephemeral port.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use latchkey_core::clock::{OsTokens, SystemClock};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::config::Config;
use crate::middleware;
use crate::state::AppState;

/// Opens the store (running migrations) and assembles the state.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let store = latchkey_store::connect(&config.database_url)
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot open database {}: {e}", redact(&config.database_url))
        })?;
    let store: Arc<dyn latchkey_store::Store> = Arc::new(store);
    let keys = crate::keys::KeyService::new(
        store.clone(),
        config.master_key.clone(),
        config.key_rotation_days * 86_400,
        config.key_retention_days * 86_400,
    );
    let mailer = crate::mail::Mailer::new(
        config.smtp_url.as_ref().map(|u| u.0.as_str()),
        config.mail_from.as_deref(),
    )?;
    Ok(AppState {
        store,
        mailer: Arc::new(mailer),
        email_sends: Arc::new(crate::limits::SendLimiter::new(
            std::time::Duration::from_secs(1),
        )),
        keys: Arc::new(keys),
        templates: Arc::new(crate::ui::page::Templates::load()?),
        registrations: Arc::default(),
        clock: Arc::new(SystemClock),
        tokens: Arc::new(OsTokens),
        config: Arc::new(config),
    })
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::router())
        .merge(crate::oauth::router())
        .merge(crate::ui::router())
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn(crate::oauth::cors::public_cors))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn(middleware::reject_nul_in_path))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        .with_state(state)
}

/// Serves until `shutdown` resolves; requests in flight are allowed to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds password-login throttling (`api::client_address`).
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}

/// A database URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Background upkeep, hourly and at start: scheduled key rotation for every project and removal
/// of expired sessions and password failure counters. Safe with several replicas: each change is conditional in the store.
pub async fn maintenance_loop(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = state.clock.now().unix_timestamp();
        match state.store.list_projects().await {
            Ok(projects) => {
                for p in &projects {
                    // Branch mcp: self-registered clients nobody used for too long.
                    match crate::oauth::registration_settings::purge_unused(
                        state.store.as_ref(),
                        &p.project_id,
                        now,
                    )
                    .await
                    {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(project_id = %p.project_id, removed = n, "unused registered clients removed")
                        }
                        Err(e) => {
                            tracing::error!(project_id = %p.project_id, error = %e, "removing unused registered clients failed")
                        }
                    }
                }
                for p in projects {
                    match state
                        .keys
                        .rotate_if_due(&p.project_id, now, state.tokens.as_ref())
                        .await
                    {
                        Ok(true) => {
                            tracing::info!(project_id = %p.project_id, "signing keys rotated")
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::error!(project_id = %p.project_id, error = %e, "key rotation failed")
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "listing projects for maintenance failed"),
        }
        if let Err(e) = state.store.purge_expired_sessions(now).await {
            tracing::error!(error = %e, "purging expired sessions failed");
        }
        let window =
            latchkey_core::password::lockout::LockoutPolicy::default().longest_window_secs();
        if let Err(e) = state.store.purge_password_failures(now - window).await {
            tracing::error!(error = %e, "purging password failure counters failed");
        }
        if let Err(e) = state.store.purge_client_assertion_jtis(now).await {
            tracing::error!(error = %e, "purging spent client assertion ids failed");
        }
        if let Err(e) = state.store.purge_pending_authorizations(now).await {
            tracing::error!(error = %e, "purging expired authorization requests failed");
        }
        // Expired magic link tokens are kept a day, so a late click still reads "expired".
        if let Err(e) = state.store.purge_magic_links(now - 86_400).await {
            tracing::error!(error = %e, "purging expired magic links failed");
        }
    }
}
