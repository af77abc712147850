//! `TestApp`: the real server on an ephemeral port over a fresh database, with a project and
//! its credentials, and a method per HTTP verb. Every test runs once per backend.

use std::path::PathBuf;
use std::sync::OnceLock;

use latchkey_core::clock::{OsTokens, SystemClock};
use latchkey_core::ids::Environment;
use latchkey_server::config::Config;
use latchkey_server::state::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both!(name)` turns `async fn name(app: TestApp)`
/// into `name::sqlite` and `name::postgres` tests.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(
                    $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await,
                )
                .await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(
                    $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await,
                )
                .await
            }
        }
    };
}

/// `both_engines!(name)`: `async fn name(backend: Backend)` once per engine, for tests that
/// spawn the server with their own configuration.
#[macro_export]
macro_rules! both_engines {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    /// The database the server uses (for running the CLI against it).
    pub database_url: String,
    pub project_id: String,
    pub secret: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: Option<tempfile::TempDir>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// The repository's root (the interop suites live under it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `CHROMIUM`, else the first of Debian's and other usual paths that exists.
pub fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The PostgreSQL server tests use: `LATCHKEY_TEST_POSTGRES_URL`, else the local one.
pub fn postgres_admin_url() -> String {
    std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// One fresh PostgreSQL database per test run (tests isolate by project inside it). Created on
/// a thread of its own so no test's runtime owns the connection.
fn postgres_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let name = format!(
                    "latchkey_test_{}{}",
                    run_id(),
                    uuid::Uuid::new_v4().simple()
                );
                let url = latchkey_store::postgres::create_database(&postgres_admin_url(), &name)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL must be running for the tests ({}): {e}",
                            postgres_admin_url()
                        )
                    });
                // Migrate once, so tests do not race on it.
                latchkey_store::connect(&url).await.unwrap();
                url
            })
        })
        .join()
        .unwrap()
    })
    .clone()
}

/// `LATCHKEY_TEST_RUN_ID` (set by scripts/test.sh) goes into database names, so the script
/// drops only the databases of its own run.
pub fn run_id() -> String {
    std::env::var("LATCHKEY_TEST_RUN_ID")
        .map(|r| format!("{}_", r.replace(|c: char| !c.is_ascii_alphanumeric(), "")))
        .unwrap_or_default()
}

/// A clock tests can move forward; shared between the test and the server it spawned.
#[derive(Default)]
pub struct TestClock {
    offset_secs: std::sync::atomic::AtomicI64,
}

impl TestClock {
    pub fn advance(&self, secs: i64) {
        self.offset_secs
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl latchkey_core::clock::Clock for TestClock {
    fn now(&self) -> time::OffsetDateTime {
        SystemClock.now()
            + time::Duration::seconds(self.offset_secs.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl TestApp {
    /// The name of this project's member session cookie on the hosted pages.
    pub fn session_cookie(&self) -> String {
        latchkey_server::ui::cookies::session(&self.project_id)
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to change the state (clock, config) first.
    pub async fn spawn_with(backend: Backend, customize: impl FnOnce(&mut AppState)) -> TestApp {
        Self::spawn_custom(backend, |_| {}, customize, false).await
    }

    /// Like [`TestApp::spawn`], with the configuration adjusted before the state is built (for
    /// settings the state derives parts from, such as the mailer).
    pub async fn spawn_with_config(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_custom(backend, adjust, |_| {}, false).await
    }

    /// Like [`TestApp::spawn`], with the test's project as `default_project_id` (what the
    /// project-less OIDC discovery and `/.well-known/jwks.json` need on the shared database).
    pub async fn spawn_default_project(backend: Backend) -> TestApp {
        Self::spawn_custom(backend, |_| {}, |_| {}, true).await
    }

    /// [`TestApp::spawn_default_project`] with the configuration adjusted first (branch mcp:
    /// an issuer with a path).
    pub async fn spawn_default_project_with_config(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::spawn_custom(backend, adjust, |_| {}, true).await
    }

    async fn spawn_custom(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
        customize: impl FnOnce(&mut AppState),
        default_project: bool,
    ) -> TestApp {
        let (dir, database_url) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("latchkey.db").display());
                (Some(dir), url)
            }
            Backend::Postgres => (None, postgres_url()),
        };
        let mut config = Config::for_database(&database_url);
        adjust(&mut config);
        let mut state = latchkey_server::startup::build_state(config).await.unwrap();
        customize(&mut state);
        let (record, secret) = latchkey_server::cli::new_project(
            state.store.as_ref(),
            "test",
            Environment::Test,
            &SystemClock,
            &OsTokens,
        )
        .await
        .unwrap();
        if default_project {
            let mut config = (*state.config).clone();
            config.default_project_id = Some(record.project_id.clone());
            state.config = std::sync::Arc::new(config);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            latchkey_server::startup::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            backend,
            base: format!("http://{addr}"),
            database_url,
            project_id: record.project_id,
            secret: secret.expose_secret().to_string(),
            client: reqwest::Client::new(),
            state,
            _dir: dir,
            _shutdown: tx,
        }
    }

    /// Sends a request with the project's Basic credentials; returns status and JSON body
    /// (asserting that the body is JSON carrying request_id and status_code).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .basic_auth(&self.project_id, Some(&self.secret));
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// Creates an organization and returns it, asserting success.
    pub async fn create_org(&self, body: Value) -> Value {
        let (status, json) = self.post("/v1/b2b/organizations", body).await;
        assert_eq!(status, 200, "{json}");
        json["organization"].clone()
    }

    /// Creates a member and returns it, asserting success.
    pub async fn create_member(&self, org: &str, body: Value) -> Value {
        let (status, json) = self
            .post(&format!("/v1/b2b/organizations/{org}/members"), body)
            .await;
        assert_eq!(status, 200, "{json}");
        json["member"].clone()
    }
}

/// Reads a response, checking Stytch's envelope on every body.
pub async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let json: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON body ({status}): {text}"));
    assert_eq!(json["status_code"], json!(status.as_u16()), "{json}");
    assert!(
        json["request_id"]
            .as_str()
            .unwrap()
            .starts_with("request-id-test-"),
        "{json}"
    );
    if status.as_u16() >= 400 {
        assert!(
            json.get("error").is_none(),
            "Stytch errors have no `error` key: {json}"
        );
        for k in ["error_type", "error_message", "error_url"] {
            assert!(json[k].is_string(), "missing {k}: {json}");
        }
    }
    (status, json)
}

/// A unique suffix for slugs and emails.
pub fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

impl TestApp {
    /// The same project, credentials and state against another server at `base` (issue 15: a
    /// server started on a copied database). Dropping it stops nothing.
    pub fn pointed_at(&self, base: &str) -> TestApp {
        TestApp {
            backend: self.backend,
            base: base.to_string(),
            database_url: self.database_url.clone(),
            project_id: self.project_id.clone(),
            secret: self.secret.clone(),
            client: reqwest::Client::new(),
            state: self.state.clone(),
            _dir: None,
            _shutdown: tokio::sync::oneshot::channel().0,
        }
    }
}

impl TestApp {
    /// A second server on the same database and project (a replica behind the same load
    /// balancer), with its own state and caches; `adjust` changes its configuration.
    pub async fn replica(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = (*self.state.config).clone();
        adjust(&mut config);
        let state = latchkey_server::startup::build_state(config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            latchkey_server::startup::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            backend: self.backend,
            base: format!("http://{addr}"),
            database_url: self.database_url.clone(),
            project_id: self.project_id.clone(),
            secret: self.secret.clone(),
            client: reqwest::Client::new(),
            state,
            _dir: None,
            _shutdown: tx,
        }
    }
}
