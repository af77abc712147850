//! The frontend SDK's per-project data (migration 0014) on SQLite and PostgreSQL: the project
//! of a public token, and authorized origins (idempotent add, remove, cascade with the project
//! is by foreign key; lookups across projects for CORS preflights).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::secret::Secret;
use latchkey_store::{NewProject, ProjectRecord, Store};

async fn project(store: &dyn Store) -> (String, String) {
    let id = format!("project-test-{}", uuid::Uuid::new_v4());
    let token = format!("public-token-{id}");
    let secret = Secret::from_presented("secret-test-abc");
    store
        .create_project(&NewProject {
            project: ProjectRecord {
                project_id: id.clone(),
                name: "p".into(),
                public_token: token.clone(),
                created_at: 1,
            },
            secret_id: format!("secret-{id}"),
            secret_hash: secret.hash(),
            secret_last_four: secret.last_four(),
        })
        .await
        .unwrap();
    (id, token)
}

async fn suite(store: Arc<dyn Store>) {
    let (a, token) = project(store.as_ref()).await;
    let (b, _) = project(store.as_ref()).await;
    let found = store
        .project_by_public_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.project_id, a);
    assert!(store
        .project_by_public_token("public-token-none")
        .await
        .unwrap()
        .is_none());

    let o = "https://app.example.com";
    assert!(store.sdk_origins(&a).await.unwrap().is_empty());
    assert!(store.add_sdk_origin(&a, o, 10).await.unwrap());
    assert!(
        !store.add_sdk_origin(&a, o, 11).await.unwrap(),
        "idempotent"
    );
    assert!(store
        .add_sdk_origin(&a, "https://b.example.com", 12)
        .await
        .unwrap());
    assert_eq!(
        store.sdk_origins(&a).await.unwrap(),
        ["https://app.example.com", "https://b.example.com"]
    );
    assert!(
        store.sdk_origins(&b).await.unwrap().is_empty(),
        "per project"
    );
    assert!(store.sdk_origin_known(o).await.unwrap());
    assert!(!store
        .sdk_origin_known("https://evil.example")
        .await
        .unwrap());
    assert!(store.remove_sdk_origin(&a, o).await.unwrap());
    assert!(!store.remove_sdk_origin(&a, o).await.unwrap());
    assert!(!store.sdk_origin_known(o).await.unwrap());
}

#[tokio::test]
async fn sqlite_sdk_origins() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    suite(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}

#[tokio::test]
async fn postgres_sdk_origins() {
    let admin = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let run = std::env::var("LATCHKEY_TEST_RUN_ID")
        .map(|r| format!("{}_", r.replace(|c: char| !c.is_ascii_alphanumeric(), "")))
        .unwrap_or_default();
    let name = format!("latchkey_store_{run}{}", uuid::Uuid::new_v4().simple());
    let url = latchkey_store::postgres::create_database(&admin, &name)
        .await
        .unwrap();
    suite(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}
