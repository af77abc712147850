//! Prometheus metrics (issue 15 item 2): every metric name and label set latchkey records, the
//! one-line recording helpers the call sites use, and the text exposition served at `/metrics`.
//!
//! Recording goes through the `metrics` facade with `metrics-exporter-prometheus` as the
//! process-wide recorder. It is installed once ([`install`]), so that tests starting many servers
//! in one process share it instead of failing on a second installation. Labels are closed sets
//! (route templates from axum's `MatchedPath`, method names, grant and client types, factor
//! names, outcomes): never an id, an email address or a token, so cardinality stays bounded and
//! nothing personal reaches the metrics store.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::api::password_failure::PasswordFailure;

/// Requests answered, by route template, method and status.
pub const HTTP_REQUESTS: &str = "latchkey_http_requests_total";
/// Request latency in seconds, by route template, method and status.
pub const HTTP_DURATION: &str = "latchkey_http_request_duration_seconds";
/// Access tokens issued at the token endpoint, by grant type and client type.
pub const TOKENS_ISSUED: &str = "latchkey_tokens_issued_total";
/// Login attempts, by factor (`password`, `magic_link`), surface (`api`, `hosted`: the hosted
/// login page) and outcome (`success`, `failure`, `throttled`, `refused`, `error`).
pub const LOGINS: &str = "latchkey_logins_total";
/// Consent decisions at authorize (`granted`, `denied`), by client type.
pub const CONSENT_DECISIONS: &str = "latchkey_consent_decisions_total";
/// Mail deliveries, by transport (`smtp`, `outbox`) and outcome (`sent`, `kept`, `failed`).
pub const MAIL_DELIVERIES: &str = "latchkey_mail_deliveries_total";
/// Open database connections (the read pool).
pub const DB_POOL_CONNECTIONS: &str = "latchkey_db_pool_connections";
/// Idle database connections (the read pool).
pub const DB_POOL_IDLE: &str = "latchkey_db_pool_idle_connections";
/// Age in seconds of the default (or only) project's active signing key (set at each scrape).
pub const SIGNING_KEY_AGE: &str = "latchkey_signing_key_age_seconds";

/// Latency buckets (seconds): from a cached JWKS read to a slow password hash.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder (once per process; later calls are no-ops). `None` when
/// another recorder was installed first: recording then goes to that one and `/metrics` says so.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(h) => {
                    describe();
                    Some(h)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The text exposition of everything recorded so far.
pub fn render() -> Option<String> {
    install().map(|h| {
        // Histograms and counters are kept by the recorder; upkeep drops stale buckets.
        h.run_upkeep();
        h.render()
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route template, method and status"
    );
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP request latency");
    describe_counter!(TOKENS_ISSUED, "Tokens issued by grant type and client type");
    describe_counter!(LOGINS, "Login attempts by factor and outcome");
    describe_counter!(
        CONSENT_DECISIONS,
        "Consent decisions by decision and client type"
    );
    describe_counter!(MAIL_DELIVERIES, "Mail deliveries by transport and outcome");
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Open connections of the database read pool"
    );
    describe_gauge!(DB_POOL_IDLE, "Idle connections of the database read pool");
    describe_gauge!(
        SIGNING_KEY_AGE,
        Unit::Seconds,
        "Age of the default project's active signing key"
    );
}

/// One answered request. `route` is the matched route template (`/v1/b2b/organizations/{id}`)
/// or `unmatched`; never the raw path.
pub fn request(route: &str, method: &axum::http::Method, status: u16, seconds: f64) {
    let labels = [
        ("route", route.to_string()),
        ("method", method_label(method).to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(seconds);
}

/// Methods outside the standard set share one label (a client may send any token as method).
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A token response at the token endpoint.
pub fn token_issued(grant_type: &'static str, client_type: latchkey_core::oauth::ClientType) {
    metrics::counter!(TOKENS_ISSUED, "grant_type" => grant_type, "client_type" => client_type.as_str())
        .increment(1);
}

/// An M2M access token issued (issue 14: `client_credentials` for Stytch M2M clients).
pub fn m2m_token_issued() {
    metrics::counter!(TOKENS_ISSUED, "grant_type" => "client_credentials", "client_type" => "m2m")
        .increment(1);
}

/// A login attempt's outcome.
pub fn login(factor: &'static str, surface: &'static str, outcome: &'static str) {
    metrics::counter!(LOGINS, "factor" => factor, "surface" => surface, "outcome" => outcome)
        .increment(1);
}

/// A password check (API or hosted page): wrong credentials, throttling and policy refusals
/// are told apart, since each calls for a different alert.
pub fn password_login<T>(surface: &'static str, r: &Result<T, PasswordFailure>) {
    let outcome = match r {
        Ok(_) => "success",
        Err(PasswordFailure::Credentials) => "failure",
        Err(PasswordFailure::Locked | PasswordFailure::Throttled(_)) => "throttled",
        Err(PasswordFailure::MethodNotAllowed(_) | PasswordFailure::ResetRequired) => "refused",
        Err(PasswordFailure::Internal(_)) => "error",
    };
    login("password", surface, outcome);
}

/// A magic link redemption (API or hosted page).
pub fn magic_link_login<T>(surface: &'static str, r: &Result<T, crate::envelope::ApiFailure>) {
    let outcome = match r {
        Ok(_) => "success",
        Err(f) => match &*f.0.error_type {
            "mfa_required" | "unauthorized_auth_method" => "refused",
            _ if f.0.status >= 500 => "error",
            _ => "failure",
        },
    };
    login("magic_link", surface, outcome);
}

/// A consent decision at authorize.
pub fn consent(decision: &'static str, client_type: latchkey_core::oauth::ClientType) {
    metrics::counter!(CONSENT_DECISIONS, "decision" => decision, "client_type" => client_type.as_str())
        .increment(1);
}

/// A mail delivery attempt.
pub fn mail(transport: &'static str, outcome: &'static str) {
    metrics::counter!(MAIL_DELIVERIES, "transport" => transport, "outcome" => outcome).increment(1);
}

/// The database pool's size and idle connections, set at each scrape.
pub fn pool(size: u32, idle: usize) {
    metrics::gauge!(DB_POOL_CONNECTIONS).set(f64::from(size));
    metrics::gauge!(DB_POOL_IDLE).set(idle as f64);
}

/// The age of the active signing key, set at each scrape.
pub fn signing_key_age(seconds: i64) {
    metrics::gauge!(SIGNING_KEY_AGE).set(seconds.max(0) as f64);
}
