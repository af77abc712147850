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
    // Once per process; tests build many states.
    crate::metrics::install();
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
    let sms = crate::sms::SmsSender::new(
        config.sms_webhook_url.as_deref(),
        config.sms_webhook_secret.as_ref(),
    )?;
    Ok(AppState {
        store,
        cache: Arc::new(crate::cache::ReadCache::new(
            std::time::Duration::from_secs(config.cache_ttl_seconds),
        )),
        mailer: Arc::new(mailer),
        sms: Arc::new(sms),
        email_sends: Arc::new(crate::limits::SendLimiter::new(
            std::time::Duration::from_secs(1),
        )),
        // RFC 8628 §5.1: ten wrong user codes per address per quarter hour.
        device_code_failures: Arc::new(crate::limits::FailureLimiter::new(15 * 60, 10)),
        keys: Arc::new(keys),
        templates: Arc::new(crate::ui::page::Templates::load()?),
        registrations: Arc::default(),
        documents: crate::oauth::cimd::DocumentCache::new(
            config.client_metadata_allow_http_loopback,
        )?,
        clock: Arc::new(SystemClock),
        tokens: Arc::new(OsTokens),
        config: Arc::new(config),
    })
}

/// The whole HTTP application (with `/metrics` unless `metrics_listen` moves it elsewhere).
pub fn app(state: AppState) -> Router {
    let metrics_here = state.config.metrics_listen.is_none();
    Router::new()
        .merge(crate::health::router(metrics_here))
        .merge(crate::api::router())
        .merge(crate::oauth::router())
        .merge(crate::ui::router())
        .merge(crate::sdk::router(state.clone()))
        // Issue 15 items 3 and 7: the API's OpenAPI document and the front page.
        .merge(crate::openapi::router())
        .merge(crate::home::router())
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn(crate::oauth::cors::public_cors))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.limits.request_body_timeout,
        ))
        .layer(axum::middleware::from_fn(middleware::reject_nul_in_path))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::family::envelope_rejections,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        .with_state(state)
}

/// The separate metrics listener's application (`metrics_listen`): `/metrics` only, with the
/// same envelope for anything else.
pub fn metrics_app(state: AppState) -> Router {
    crate::health::metrics_router()
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .with_state(state)
}

/// Serves [`metrics_app`] on its own listener until `shutdown` resolves, with the main
/// listener's timeouts and connection cap.
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.limits;
    serve_router(listener, metrics_app(state), limits, shutdown).await
}

/// Serves until `shutdown` resolves; requests in flight are allowed to finish.
///
/// hyper is driven directly (not `axum::serve`) so that it has a timer: a client gets
/// `header_read_timeout` to send its headers, and at most `max_connections` connections are
/// served at once (security review #7, slowloris). The body timeout is a layer of [`app`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.limits;
    serve_router(listener, app(state), limits, shutdown).await
}

/// Serves `router` on `listener` (see [`serve`]).
async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: crate::config::ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds password-login throttling (`api::client_address`).
    let mut make = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    // Dropping `stop_rx` tells the accept loop and every connection to wind down; each
    // connection holds a `done_rx` clone until it has finished.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            _ = stop_tx.closed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop_tx.closed() => break,
        };
        let Ok(_) = tower::ServiceExt::<std::net::SocketAddr>::ready(&mut make).await;
        let Ok(service) = tower::Service::call(&mut make, peer).await;
        let service =
            hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
                service,
                |req: axum::http::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
            ));
        let stop = stop_tx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let conn = builder
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            let mut stopping = std::pin::pin!(stop.closed());
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = &mut stopping => conn.as_mut().graceful_shutdown(),
                }
            }
            drop((permit, done));
        });
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
    Ok(())
}

/// Start-up warnings for settings that are fine on a laptop and dangerous in production
/// (security review #15). Returned, not logged, so that tests can read them.
pub fn insecure_defaults(config: &Config) -> Vec<String> {
    let mut w = Vec::new();
    if config.issuer.is_none() {
        let mut m = "no `issuer` configured (LATCHKEY_ISSUER): only requests with a loopback \
                     Host (127.0.0.1, [::1], localhost) are served URLs; others are refused"
            .to_string();
        if !crate::issuer::is_loopback_listener(&config.listen) {
            m.push_str(&format!(
                ". The server listens on {}, which is not loopback: set `issuer` to its \
                 public origin",
                config.listen
            ));
        }
        w.push(m);
    }
    if config.master_key.is_none() {
        w.push(
            "no `master_key` configured (LATCHKEY_MASTER_KEY): private signing keys are stored \
             unsealed in the database (marked `plain.`)"
                .into(),
        );
    }
    if config.smtp_url.is_none() {
        w.push(
            "no `smtp_url` configured (LATCHKEY_SMTP_URL): mail is not sent but kept in the \
             database outbox (`latchkey outbox`), magic-link tokens included"
                .into(),
        );
    }
    if config.sms_webhook_url.is_none() {
        w.push(
            "no `sms_webhook_url` configured (LATCHKEY_SMS_WEBHOOK_URL): SMS passcodes are not \
             sent but kept in the database outbox (`latchkey outbox`)"
                .into(),
        );
    }
    if config.client_metadata_allow_http_loopback {
        w.push(
            "`client_metadata_allow_http_loopback` is on: client metadata documents and jwks_uri \
             are fetched over plain http from loopback addresses. For development and tests only"
                .into(),
        );
    }
    // Issue 15 item 6: development-only settings and plain-text SMTP.
    w.extend(crate::warnings::unsafe_settings(config));
    w
}

/// Audit events past `audit_retention_days` (0 keeps them), in batches of 1,000.
async fn purge_audit_events(state: &AppState, now: i64) {
    let days = state.config.audit_retention_days;
    if days == 0 {
        return;
    }
    let before = now - days * 86_400;
    loop {
        match state.store.purge_audit_events(before, 1_000).await {
            Ok(1_000) => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::error!(error = %e, "purging old audit events failed");
                break;
            }
        }
    }
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

/// Background upkeep, hourly and at start: scheduled key rotation for every project, removal of
/// password failure counters, and the batched purge of expired codes, tokens, pending
/// authorizations, magic links and sessions. Safe with several replicas: each change is
/// conditional in the store.
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
                            tracing::info!(project_id = %p.project_id, "signing keys rotated");
                            let action = crate::audit::actions::KEYS_ROTATED;
                            let e = crate::audit::system_event(
                                state.tokens.as_ref(),
                                now,
                                &p.project_id,
                                action,
                                crate::audit::system(),
                            );
                            crate::audit::record(&state, e).await;
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
        let window =
            latchkey_core::password::lockout::LockoutPolicy::default().longest_window_secs();
        if let Err(e) = state.store.purge_password_failures(now - window).await {
            tracing::error!(error = %e, "purging password failure counters failed");
        }
        if let Err(e) = state.store.purge_client_assertion_jtis(now).await {
            tracing::error!(error = %e, "purging spent client assertion ids failed");
        }
        if let Err(e) = state.store.purge_assertion_jtis(now).await {
            tracing::error!(error = %e, "purging spent ID-JAG ids failed");
        }
        // A day past expiry, so a late poll still reads `expired_token` (RFC 8628 §3.5).
        if let Err(e) = state.store.purge_device_authorizations(now - 86_400).await {
            tracing::error!(error = %e, "purging device authorizations failed");
        }
        if let Err(e) = state.store.purge_dpop_jtis(now).await {
            tracing::error!(error = %e, "purging seen DPoP proof ids failed");
        }
        purge_audit_events(&state, now).await;
        // Codes, tokens, empty families, pending authorizations, magic links and sessions, in
        // bounded batches (store::purge says what is kept past expiry, and why).
        match state
            .store
            .purge_expired(latchkey_store::PurgePolicy::at(now))
            .await
        {
            Ok(r) if r.total() > 0 => {
                tracing::info!(deleted = ?r.deleted, "purged expired records")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "purging expired records failed"),
        }
    }
}
