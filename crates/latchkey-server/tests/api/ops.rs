//! Health, readiness and metrics (issue 15 items 1 and 2): `/healthz`, `/readyz` (503 naming the
//! failing check), `/metrics` by route template without raw ids, and `metrics_listen`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{Backend, TestApp};

/// GET without credentials, as a load balancer or Prometheus would: status, headers, body.
async fn probe(base: &str, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let res = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

fn no_store(headers: &reqwest::header::HeaderMap) -> bool {
    headers.get("cache-control").and_then(|v| v.to_str().ok()) == Some("no-store")
}

async fn health_and_readiness_answer(app: TestApp) {
    let (status, headers, body) = probe(&app.base, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(no_store(&headers));
    assert_eq!(json_of(&body), json!({"status": "ok"}));

    let (status, headers, body) = probe(&app.base, "/readyz").await;
    let v = json_of(&body);
    assert_eq!(status, 200, "{v}");
    assert!(no_store(&headers));
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(v["failed"], json!([]), "{v}");
    assert_eq!(v["checks"]["database"]["status"], "ok", "{v}");
    assert_eq!(v["checks"]["migrations"]["status"], "ok", "{v}");
    assert!(
        v["checks"]["migrations"]["applied"].as_u64().unwrap() > 0,
        "{v}"
    );
    // SQLite holds only the test's project, whose keys are checked; the shared PostgreSQL
    // database holds many and no default is configured.
    let keys = &v["checks"]["signing_keys"]["status"];
    match app.backend {
        Backend::Sqlite => assert_eq!(keys, "ok", "{v}"),
        Backend::Postgres => assert_eq!(keys, "skipped", "{v}"),
    }

    // The probes' own errors are JSON too, not Stytch's envelope and not text.
    let res = app
        .client
        .post(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let v = json_of(&res.text().await.unwrap());
    assert_eq!(v["status"], "error", "{v}");
}
both!(health_and_readiness_answer);

async fn readiness_fails_when_the_database_is_gone(app: TestApp) {
    app.state.store.close().await;
    let (status, headers, body) = probe(&app.base, "/readyz").await;
    let v = json_of(&body);
    assert_eq!(status, 503, "{v}");
    assert!(no_store(&headers));
    assert_eq!(v["status"], "fail", "{v}");
    assert_eq!(v["failed"], json!(["database"]), "{v}");
    assert_eq!(v["checks"]["database"]["status"], "fail", "{v}");
    // The process still serves.
    let (status, _, _) = probe(&app.base, "/healthz").await;
    assert_eq!(status, 200);
}
both!(readiness_fails_when_the_database_is_gone);

async fn metrics_count_requests_by_route_template(app: TestApp) {
    let org = app
        .create_org(json!({"organization_name": "Metrics"}))
        .await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let (status, _) = app.get(&format!("/v1/b2b/organizations/{org_id}")).await;
    assert_eq!(status, 200);
    let (status, headers, text) = probe(&app.base, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    assert!(no_store(&headers));
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("latchkey_http_requests_total{")
                && l.contains(r#"route="/v1/b2b/organizations/{organization_id}""#)
                && l.contains(r#"method="GET""#)
                && l.contains(r#"status="200""#)
        })
        .unwrap_or_else(|| panic!("no request counter for the template:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0, "{line}");
    assert!(text.contains("latchkey_http_request_duration_seconds_bucket{"));
    assert!(text.contains("latchkey_db_pool_connections"));
    // Never a raw path, an id or a secret.
    assert!(!text.contains(&org_id), "raw id in metrics");
    assert!(!text.contains(&app.project_id), "project id in metrics");
    assert!(!text.contains(&app.secret), "secret in metrics");
}
both!(metrics_count_requests_by_route_template);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_moves_metrics_to_their_own_listener() {
    let app = TestApp::spawn_with_config(Backend::Sqlite, |c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    // Not on the main listener (its 404 is in the probes' JSON), health still is.
    let (status, _, body) = probe(&app.base, "/metrics").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(json_of(&body)["status"], "error");
    let (status, _, _) = probe(&app.base, "/healthz").await;
    assert_eq!(status, 200);

    // The second listener, as `latchkey serve` starts it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(async move {
        latchkey_server::startup::serve_metrics(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let (status, _, text) = probe(&base, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(r#"latchkey_http_requests_total{route="/healthz""#),
        "{text}"
    );
    // Only metrics there: the API is not served on the metrics address.
    let (status, _, _) = probe(&base, "/v1/b2b/organizations").await;
    assert_eq!(status, 404);
    drop(tx);
}

/// The counter line whose labels include every one of `labels`, parsed.
fn counter(text: &str, name: &str, labels: &[&str]) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)))
        .unwrap_or_else(|| panic!("no {name} with {labels:?}:\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

async fn metrics_count_logins_consents_and_tokens(app: TestApp) {
    use crate::oauth_support::{code_for, create_client, redeem, subject};
    let s = subject(&app).await;
    let (status, _) = app
        .post(
            "/v1/b2b/passwords/authenticate",
            json!({"organization_id": s.org_id, "email_address": s.email,
                   "password": "not-the-password-1234"}),
        )
        .await;
    assert_eq!(status, 401);
    // A magic link: mailed (the outbox here), redeemed once, then refused as spent.
    let (status, body) = app
        .post(
            "/v1/b2b/magic_links/email/login_or_signup",
            json!({"organization_id": s.org_id, "email_address": s.email,
                   "login_redirect_url": "http://localhost:3000/authenticate"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, token) = crate::magic_links::outbox_link(&app, &s.email).await;
    let auth = json!({"magic_links_token": token});
    assert_eq!(
        app.post("/v1/b2b/magic_links/authenticate", auth.clone())
            .await
            .0,
        200
    );
    assert_ne!(
        app.post("/v1/b2b/magic_links/authenticate", auth).await.0,
        200
    );
    let client = create_client(&app, "first_party").await;
    let code = code_for(&app, &client, &s, None).await;
    redeem(&app, &client, &code, None).await;

    let (_, _, text) = probe(&app.base, "/metrics").await;
    let logins = [
        r#"factor="password""#,
        r#"surface="api""#,
        r#"outcome="failure""#,
    ];
    assert!(counter(&text, "latchkey_logins_total", &logins) >= 1.0);
    let link = [r#"factor="magic_link""#, r#"surface="api""#];
    assert!(
        counter(
            &text,
            "latchkey_logins_total",
            &[link[0], link[1], r#"outcome="success""#]
        ) >= 1.0
    );
    assert!(
        counter(
            &text,
            "latchkey_logins_total",
            &[link[0], link[1], r#"outcome="failure""#]
        ) >= 1.0
    );
    let mail = [r#"transport="outbox""#, r#"outcome="kept""#];
    assert!(counter(&text, "latchkey_mail_deliveries_total", &mail) >= 1.0);
    assert!(!text.contains(&token), "magic link token in metrics");
    let consent = [r#"decision="granted""#, r#"client_type="first_party""#];
    assert!(counter(&text, "latchkey_consent_decisions_total", &consent) >= 1.0);
    let tokens = [
        r#"grant_type="authorization_code""#,
        r#"client_type="first_party""#,
    ];
    assert!(counter(&text, "latchkey_tokens_issued_total", &tokens) >= 1.0);
    for secret in [&s.email, &s.member_id, &s.org_id, &client.id, &code] {
        assert!(!text.contains(secret.as_str()), "{secret} in metrics");
    }
}
both!(metrics_count_logins_consents_and_tokens);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `latchkey serve` with `LATCHKEY_METRICS_LISTEN`: metrics on the second port only, probes
/// not logged at the default `info` level, both listeners stopped by SIGTERM.
#[test]
fn serve_with_metrics_listen_and_quiet_probes() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCHKEY_") {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--log-format", "json"])
        .env(
            "LATCHKEY_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("ops.db").display()),
        )
        .env(
            "LATCHKEY_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let main = format!("http://127.0.0.1:{port}");
    let metrics = format!("http://127.0.0.1:{metrics_port}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut up = false;
        for _ in 0..100 {
            if reqwest::get(format!("{main}/healthz")).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(up, "server did not start");
        for _ in 0..3 {
            assert_eq!(probe(&main, "/readyz").await.0, 200);
        }
        assert_eq!(probe(&main, "/metrics").await.0, 404);
        let (status, _, _) = probe(&main, "/v1/b2b/organizations/search").await;
        assert_eq!(status, 405);
        let (status, _, text) = probe(&metrics, "/metrics").await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains(r#"route="/readyz""#), "{text}");
    });
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stderr);
    let paths: Vec<String> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request")
        .map(|v| v["fields"]["path"].as_str().unwrap_or_default().to_string())
        .collect();
    // The ordinary request is logged; the probes (and the 404 for /metrics) are not at info.
    assert!(
        paths.contains(&"/v1/b2b/organizations/search".to_string()),
        "{logs}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p == "/healthz" || p == "/readyz" || p == "/metrics"),
        "{paths:?}"
    );
    assert!(logs.contains("metrics listening"), "{logs}");
}
