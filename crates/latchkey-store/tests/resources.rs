//! Resource servers in the store, on SQLite and PostgreSQL: CRUD, one URL per project (a
//! second is a conflict, another project may reuse it), search by URL and keyset paging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::oauth::resource;
use latchkey_core::search;
use latchkey_core::secret::Secret;
use latchkey_store::{Conflict, NewProject, ProjectRecord, Store, StoreError};
use serde_json::json;

async fn project(store: &dyn Store) -> String {
    let id = format!("project-test-{}", uuid::Uuid::new_v4());
    let secret = Secret::from_presented("secret-test-abc");
    store
        .create_project(&NewProject {
            project: ProjectRecord {
                project_id: id.clone(),
                name: "p".into(),
                public_token: format!("public-token-{id}"),
                created_at: 1,
            },
            secret_id: format!("secret-{id}"),
            secret_hash: secret.hash(),
            secret_last_four: secret.last_four(),
        })
        .await
        .unwrap();
    id
}

fn new_resource(url: &str) -> latchkey_types::ResourceServer {
    let req =
        serde_json::from_value(json!({"url": url, "name": "R", "scopes": [{"scope": "read"}]}))
            .unwrap();
    resource::create(format!("resource-test-{}", uuid::Uuid::new_v4()), &req, "t").unwrap()
}

async fn resources(store: Arc<dyn Store>) {
    let p = project(store.as_ref()).await;
    let other = project(store.as_ref()).await;
    let a = new_resource("https://a.example.com/mcp");
    let b = new_resource("https://b.example.com");
    store.insert_resource_server(&p, &a).await.unwrap();
    store.insert_resource_server(&p, &b).await.unwrap();
    // One URL per project; another project may register it too.
    let dup = new_resource("https://a.example.com/mcp");
    assert!(matches!(
        store.insert_resource_server(&p, &dup).await,
        Err(StoreError::Conflict(Conflict::Other))
    ));
    store.insert_resource_server(&other, &dup).await.unwrap();
    assert_eq!(
        store.get_resource_server(&p, &a.resource_id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store
            .get_resource_server(&other, &a.resource_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.find_resource_server(&b.resource_id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.project_resource_servers(&p).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    // Search: by URL, and paging.
    let q = |after: i64| search::Search {
        operator: search::Operator::And,
        filters: vec![],
        limit: 1,
        after_seq: after,
    };
    let found = store
        .search_resource_servers(&p, Some("https://b.example.com"), &q(0))
        .await
        .unwrap();
    assert_eq!((found.total, found.items), (1, vec![b.clone()]));
    let first = store
        .search_resource_servers(&p, None, &q(0))
        .await
        .unwrap();
    assert_eq!((first.total, first.items.clone()), (2, vec![a.clone()]));
    let second = store
        .search_resource_servers(&p, None, &q(first.next_after.unwrap()))
        .await
        .unwrap();
    assert_eq!((second.items, second.next_after), (vec![b.clone()], None));
    // Update: the URL may not collide either.
    let mut moved = b.clone();
    moved.url = a.url.clone();
    assert!(matches!(
        store.update_resource_server(&p, &moved).await,
        Err(StoreError::Conflict(Conflict::Other))
    ));
    moved.url = "https://c.example.com".into();
    assert!(store.update_resource_server(&p, &moved).await.unwrap());
    assert!(store
        .delete_resource_server(&p, &a.resource_id)
        .await
        .unwrap());
    assert!(!store
        .delete_resource_server(&p, &a.resource_id)
        .await
        .unwrap());
    assert_eq!(
        store.project_resource_servers(&p).await.unwrap(),
        vec![moved]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_resources() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    resources(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_resources() {
    let admin = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("latchkey_store_{}", uuid::Uuid::new_v4().simple());
    let url = latchkey_store::postgres::create_database(&admin, &name)
        .await
        .unwrap();
    resources(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}
