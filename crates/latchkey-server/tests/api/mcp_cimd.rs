//! Issue 10: clients identified by a client ID metadata document (draft-ietf-oauth-client-id-
//! metadata-document-02). Documents are served on loopback by a small server in the test, with
//! `client_metadata_allow_http_loopback` on (as for local development); the SSRF refusals run
//! with it off, as in production.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::mcp_private_key_jwt::{assertion, post_form, with, X};
use crate::oauth_support::{pkce, subject};

/// What one path of the document server answers.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay_ms: u64,
}

#[derive(Default)]
struct Docs {
    answers: Mutex<HashMap<String, Answer>>,
    hits: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
}

/// A loopback server for metadata documents and key sets.
pub(crate) struct DocServer {
    base: String,
    docs: Arc<Docs>,
}

async fn serve(State(docs): State<Arc<Docs>>, Path(path): Path<String>) -> Response {
    docs.total.fetch_add(1, Ordering::SeqCst);
    *docs.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let answer = docs.answers.lock().unwrap().get(&path).cloned();
    let Some(a) = answer else {
        return AxumStatus::NOT_FOUND.into_response();
    };
    if a.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(a.delay_ms)).await;
    }
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (k, v) in &a.headers {
        headers.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    (AxumStatus::from_u16(a.status).unwrap(), headers, a.body).into_response()
}

impl DocServer {
    pub(crate) async fn start() -> DocServer {
        let docs = Arc::new(Docs::default());
        let router = axum::Router::new()
            .route("/{*path}", axum::routing::get(serve))
            .with_state(docs.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        DocServer { base, docs }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    pub(crate) fn set(&self, path: &str, status: u16, body: Vec<u8>) {
        self.set_full(path, status, vec![], body, 0);
    }

    fn set_full(
        &self,
        path: &str,
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        delay_ms: u64,
    ) {
        self.docs.answers.lock().unwrap().insert(
            path.to_string(),
            Answer {
                status,
                headers,
                body,
                delay_ms,
            },
        );
    }

    /// Serves a document for `path` whose `client_id` is its own URL, with `extra` members.
    fn document(&self, path: &str, extra: Value) -> String {
        let url = self.url(path);
        let mut doc = json!({
            "client_id": url,
            "client_name": "Loopback Agent",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        });
        for (k, v) in extra.as_object().unwrap() {
            doc[k] = v.clone();
        }
        self.set(path, 200, serde_json::to_vec(&doc).unwrap());
        url
    }

    pub(crate) fn hits(&self, path: &str) -> usize {
        self.docs
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

pub(crate) async fn spawn_loopback(backend: Backend) -> TestApp {
    TestApp::spawn_default_project_with_config(backend, |c| {
        c.client_metadata_allow_http_loopback = true;
    })
    .await
}

async fn start(app: &TestApp, client_id: &str, redirect: &str) -> (StatusCode, Value) {
    let s = subject(app).await;
    app.post(
        "/v1/b2b/idp/oauth/authorize/start",
        json!({"client_id": client_id, "redirect_uri": redirect, "response_type": "code",
               "scopes": [], "organization_id": s.org_id, "member_id": s.member_id}),
    )
    .await
}

/// A document client runs a whole code flow at the project-less endpoints, is fetched once
/// however often it is used, and shows in the management API with its URL.
async fn document_client_completes_a_code_flow(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    let id = docs.document(
        "agent/client.json",
        json!({"scope": "openid email offline_access", "logo_uri": "https://agent.example/logo.png"}),
    );
    // RFC 8252 §7.3: the loopback redirect matches on any port.
    let redirect = "http://127.0.0.1:49152/callback";
    let (status, st) = start(&app, &id, redirect).await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["consent_required"], true, "{st}");
    let scopes: Vec<&str> = st["scope_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["openid", "email", "offline_access"], "{st}");

    let s = subject(&app).await;
    let (verifier, challenge) = pkce();
    let (status, out) = app
        .post(
            "/v1/b2b/idp/oauth/authorize",
            json!({"client_id": id, "redirect_uri": redirect, "response_type": "code",
                   "scopes": ["openid", "email", "offline_access"], "consent_granted": true,
                   "organization_id": s.org_id, "member_id": s.member_id,
                   "code_challenge": challenge}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let code = out["authorization_code"].as_str().unwrap().to_string();
    let (status, tokens) = post_form(
        &app,
        "/v1/oauth2/token",
        &[
            ("grant_type", "authorization_code".into()),
            ("client_id", id.clone()),
            ("code", code),
            ("redirect_uri", redirect.into()),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let rt = tokens["refresh_token"].as_str().unwrap().to_string();
    let (status, refreshed) = post_form(
        &app,
        "/v1/oauth2/token",
        &[
            ("grant_type", "refresh_token".into()),
            ("client_id", id.clone()),
            ("refresh_token", rt),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, intro) = post_form(
        &app,
        "/v1/oauth2/introspect",
        &[
            ("client_id", id.clone()),
            ("token", refreshed["access_token"].as_str().unwrap().into()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{intro}");
    assert_eq!(intro["active"], true, "{intro}");
    assert_eq!(intro["client_id"], id.as_str());
    // One fetch for Start, Submit, two token requests and introspection: the cache.
    assert_eq!(docs.hits("agent/client.json"), 1);

    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let (status, c) = app
        .get(&format!("/v1/connected_apps/clients/{encoded}"))
        .await;
    assert_eq!(status, 200, "{c}");
    let c = &c["connected_app"];
    assert_eq!(c["client_type"], "third_party_public");
    assert_eq!(c["creation_method"], "client_id_metadata_document");
    assert_eq!(c["client_id_metadata_url"], id.as_str());
    assert_eq!(c["client_name"], "Loopback Agent");
    assert_eq!(c["logo_url"], "https://agent.example/logo.png");
}
crate::both_engines!(document_client_completes_a_code_flow);

/// Every refusal of a document names its reason, at the Stytch API, on the hosted page and at
/// the token endpoint.
async fn document_refusals_name_the_reason(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    let mismatched = docs.url("mismatched.json");
    docs.set(
        "mismatched.json",
        200,
        serde_json::to_vec(&json!({"client_id": "https://other.example/c.json",
            "client_name": "X", "redirect_uris": ["http://127.0.0.1/cb"]}))
        .unwrap(),
    );
    let no_name = docs.document("no-name.json", json!({"client_name": null}));
    let secret = docs.document(
        "secret.json",
        json!({"token_endpoint_auth_method": "client_secret_basic"}),
    );
    let bad_jwks = docs.document(
        "bad-jwks.json",
        json!({"token_endpoint_auth_method": "private_key_jwt",
               "jwks": {"keys": [{"kty": "RSA", "n": "not-base64!", "e": "AQAB"}]}}),
    );
    let redirect = docs.url("redirect.json");
    docs.set_full(
        "redirect.json",
        302,
        vec![("location", docs.url("no-name.json"))],
        vec![],
        0,
    );
    let big = docs.url("big.json");
    docs.set("big.json", 200, vec![b' '; 6 * 1024]);
    let missing = docs.url("missing.json");
    let not_json = docs.url("not-json.json");
    docs.set("not-json.json", 200, b"<html>hi</html>".to_vec());
    let cases = [
        (&mismatched, "is not its URL"),
        (&no_name, "client_name"),
        (&secret, "none or private_key_jwt"),
        (&bad_jwks, "jwks"),
        (&redirect, "redirect"),
        (&big, "larger than 5120 bytes"),
        (&missing, "404"),
        (&not_json, "not valid JSON"),
    ];
    for (id, why) in cases {
        let (status, body) = start(&app, id, "http://127.0.0.1/callback").await;
        assert_eq!(status, 400, "{id}: {body}");
        assert_eq!(body["error_type"], "invalid_client_id_metadata_document");
        let msg = body["error_message"].as_str().unwrap();
        assert!(msg.contains(why), "{id}: {msg}");
        // The hosted page shows the reason and never redirects.
        let page = app
            .client
            .get(format!("{}/oauth2/authorize", app.base))
            .query(&[
                ("client_id", id.as_str()),
                ("redirect_uri", "http://127.0.0.1/callback"),
                ("response_type", "code"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 400, "{id}");
        let html = page.text().await.unwrap();
        assert!(html.contains("cannot be used"), "{id}: {html}");
        // The token endpoint answers invalid_client.
        let (status, body) = post_form(
            &app,
            "/v1/oauth2/token",
            &[
                ("grant_type", "authorization_code".into()),
                ("client_id", id.to_string()),
                ("code", "x".into()),
                ("redirect_uri", "http://127.0.0.1/callback".into()),
                ("code_verifier", "x".repeat(43)),
            ],
        )
        .await;
        assert_eq!(status, 401, "{id}: {body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
    }
    // The redirect was not followed (no-name.json was fetched once, for its own case), and
    // refusals are cached too: the page and the token endpoint caused no second fetch.
    assert_eq!(docs.hits("no-name.json"), 1);
    assert_eq!(docs.hits("redirect.json"), 1);
    assert_eq!(docs.hits("missing.json"), 1);
}
crate::both_engines!(document_refusals_name_the_reason);

/// With loopback documents not allowed (production): every special-use address class, a name
/// that resolves to one, and plain http are refused before anything is sent.
async fn ssrf_targets_are_refused(backend: Backend) {
    let app = TestApp::spawn_default_project(backend).await;
    let cases = [
        ("https://127.0.0.1/client.json", "loopback"),
        ("https://10.0.0.1/client.json", "private"),
        ("https://192.168.1.1/client.json", "private"),
        (
            "https://169.254.169.254/latest/meta-data/client.json",
            "link-local",
        ),
        ("https://[fd00::1]/client.json", "unique-local"),
        ("https://[fe80::1]/client.json", "link-local"),
        ("https://224.0.0.1/client.json", "multicast"),
        ("https://0.0.0.0/client.json", "special-use"),
        ("https://[::ffff:127.0.0.1]/client.json", "loopback"),
        ("https://localhost/client.json", "loopback"),
        ("http://agent.example/client.json", "https"),
    ];
    for (id, why) in cases {
        let (status, body) = start(&app, id, "http://127.0.0.1/callback").await;
        assert_eq!(status, 400, "{id}: {body}");
        let msg = body["error_message"].as_str().unwrap();
        assert!(msg.contains(why), "{id}: {msg}");
    }
}
crate::both_engines!(ssrf_targets_are_refused);

/// The development flag admits http to loopback only: private addresses stay refused.
async fn loopback_flag_admits_only_loopback(backend: Backend) {
    let app = spawn_loopback(backend).await;
    for (id, why) in [
        ("http://10.0.0.1/client.json", "https"),
        ("https://10.0.0.1/client.json", "private"),
    ] {
        let (status, body) = start(&app, id, "http://127.0.0.1/callback").await;
        assert_eq!(status, 400, "{id}: {body}");
        assert!(
            body["error_message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
}
crate::both_engines!(loopback_flag_admits_only_loopback);

/// A document that does not arrive within the timeout is refused.
async fn slow_document_times_out(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    let id = docs.document("slow.json", json!({}));
    let body = docs.docs.answers.lock().unwrap()["slow.json"].body.clone();
    docs.set_full("slow.json", 200, vec![], body, 5_000);
    let (status, body) = start(&app, &id, "http://127.0.0.1/callback").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_message"]
            .as_str()
            .unwrap()
            .contains("did not answer within"),
        "{body}"
    );
}
crate::both_engines!(slow_document_times_out);

/// Concurrent first uses of one document fetch it once.
async fn concurrent_fetches_are_coalesced(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    let id = docs.document("coalesced.json", json!({}));
    let body = docs.docs.answers.lock().unwrap()["coalesced.json"]
        .body
        .clone();
    docs.set_full("coalesced.json", 200, vec![], body, 300);
    let s = subject(&app).await;
    let calls = (0..8).map(|_| {
        app.post(
            "/v1/b2b/idp/oauth/authorize/start",
            json!({"client_id": id, "redirect_uri": "http://127.0.0.1/callback",
                   "response_type": "code", "scopes": [], "organization_id": s.org_id,
                   "member_id": s.member_id}),
        )
    });
    for (status, body) in join_all(calls.collect()).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(docs.hits("coalesced.json"), 1);
}
crate::both_engines!(concurrent_fetches_are_coalesced);

/// Polls the futures together on this task, so the requests are in flight at once.
pub(crate) async fn join_all<F: std::future::Future>(fs: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = fs.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

/// The project's settings: CIMD off (discovery says so), allowed and denied hosts.
async fn project_settings_govern_documents(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    let id = docs.document("settings.json", json!({}));
    let discovery = |app: &TestApp| {
        let url = format!("{}/.well-known/oauth-authorization-server", app.base);
        let client = app.client.clone();
        async move {
            let d: Value = client.get(url).send().await.unwrap().json().await.unwrap();
            d["client_id_metadata_document_supported"].clone()
        }
    };
    assert_eq!(discovery(&app).await, true);
    let path = "/v1/connected_apps/registration_settings";
    let (status, body) = app
        .put(
            path,
            json!({"client_id_metadata_document_allowed_hosts": ["agents.example.org"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = start(&app, &id, "http://127.0.0.1/callback").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error_message"]
        .as_str()
        .unwrap()
        .contains("not one of the hosts"));
    app.put(
        path,
        json!({"client_id_metadata_document_allowed_hosts": [],
               "client_id_metadata_document_denied_hosts": ["127.0.0.1"]}),
    )
    .await;
    let (status, body) = start(&app, &id, "http://127.0.0.1/callback").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error_message"]
        .as_str()
        .unwrap()
        .contains("not accepted"));
    let (status, body) = app
        .put(
            path,
            json!({"client_id_metadata_document_denied_hosts": ["not a host/"]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    app.put(
        path,
        json!({"client_id_metadata_document_denied_hosts": [],
               "client_id_metadata_document_enabled": false}),
    )
    .await;
    assert_eq!(discovery(&app).await, false);
    let (status, body) = start(&app, &id, "http://127.0.0.1/callback").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error_message"]
        .as_str()
        .unwrap()
        .contains("does not accept"));
    app.put(path, json!({"client_id_metadata_document_enabled": true}))
        .await;
    let (status, body) = start(&app, &id, "http://127.0.0.1/callback").await;
    assert_eq!(status, 200, "{body}");
}
crate::both_engines!(project_settings_govern_documents);

/// A document client that authenticates with `private_key_jwt`, its keys at `jwks_uri`: a
/// confidential third-party client; assertions single use.
async fn document_client_with_jwks_uri(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let docs = DocServer::start().await;
    docs.set(
        "keys.json",
        200,
        serde_json::to_vec(&json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": X,
            "kid": "k1", "use": "sig"}]}))
        .unwrap(),
    );
    let id = docs.document(
        "pkjwt.json",
        json!({"token_endpoint_auth_methods_supported": ["private_key_jwt"],
               "token_endpoint_auth_method": null,
               "jwks_uri": docs.url("keys.json"),
               "redirect_uris": ["https://agent.example/callback"]}),
    );
    let s = subject(&app).await;
    let (status, out) = app
        .post(
            "/v1/b2b/idp/oauth/authorize",
            json!({"client_id": id, "redirect_uri": "https://agent.example/callback",
                   "response_type": "code", "scopes": ["openid"], "consent_granted": true,
                   "organization_id": s.org_id, "member_id": s.member_id}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let (_, c) = app
        .get(&format!("/v1/connected_apps/clients/{encoded}"))
        .await;
    assert_eq!(c["connected_app"]["client_type"], "third_party", "{c}");
    let code = out["authorization_code"].as_str().unwrap().to_string();
    let a = assertion(&app, &id, json!(app.base), 120, "jti-cimd-1");
    let fields = with(
        a.clone(),
        &[
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", "https://agent.example/callback".into()),
        ],
    );
    let (status, tokens) = post_form(&app, "/v1/oauth2/token", &fields).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(docs.hits("keys.json"), 1);
    // The same assertion again is a replay.
    let (status, body) = post_form(&app, "/v1/oauth2/token", &fields).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("replay"));
}
crate::both_engines!(document_client_with_jwks_uri);
