//! The Connected Apps part of the store suite, on SQLite and PostgreSQL: CRUD, paging, secrets
//! stored only as hashes, the rotation state machine and concurrent rotation starts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::connected_app::{self as ca, RotationError};
use latchkey_core::search;
use latchkey_core::secret::{Secret, SecretHash};
use latchkey_store::{
    NewConnectedApp, NewProject, ProjectRecord, RotationOutcome, SecretRotation, Store,
};
use serde_json::json;
use sqlx::Row;

async fn project(store: &dyn Store) -> String {
    let id = format!("project-test-{}", uuid::Uuid::new_v4());
    let secret = Secret::from_presented("secret-test-abc");
    let project = ProjectRecord {
        project_id: id.clone(),
        name: "p".into(),
        public_token: format!("public-token-{id}"),
        created_at: 1,
    };
    store
        .create_project(&NewProject {
            project,
            secret_id: format!("secret-{id}"),
            secret_hash: secret.hash(),
            secret_last_four: secret.last_four(),
        })
        .await
        .unwrap();
    id
}

fn connected_app(client_type: &str) -> (NewConnectedApp, Option<String>) {
    let req = serde_json::from_value(json!({"client_type": client_type, "client_name": "App", "redirect_urls": ["https://app.example/cb"]})).unwrap();
    let new = ca::create(
        format!("connected-app-test-{}", uuid::Uuid::new_v4()),
        &req,
        &latchkey_core::clock::OsTokens,
    )
    .unwrap();
    let secret = new.secret.as_ref().map(|s| s.expose_secret().to_string());
    (
        NewConnectedApp {
            secret_hash: new.secret.as_ref().map(|s| s.hash()),
            app: new.app,
        },
        secret,
    )
}

/// Connected Apps: CRUD, paging, hashes only, and the rotation state machine.
async fn connected_apps(store: Arc<dyn Store>, url: &str) {
    let p = project(store.as_ref()).await;
    let (conf, secret) = connected_app("first_party");
    let secret = secret.unwrap();
    let id = conf.app.client_id.clone();
    store.insert_connected_app(&p, &conf).await.unwrap();
    let got = store.get_connected_app(&p, &id).await.unwrap().unwrap();
    assert_eq!(got, conf.app);
    assert!(store
        .get_connected_app("project-other", &id)
        .await
        .unwrap()
        .is_none());
    // Only the hash is in the database, in no column the secret itself.
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let row =
        sqlx::query("SELECT data, client_secret_hash FROM connected_apps WHERE client_id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    let data: String = row.get("data");
    let hash: String = row.get("client_secret_hash");
    assert!(!data.contains(&secret), "{data}");
    assert_eq!(hash, SecretHash::of(&secret).as_str());
    pool.close().await;
    let (creds, _) = store.connected_app_credentials(&id).await.unwrap().unwrap();
    assert_eq!(
        (creds.project_id.as_str(), creds.secret_hash.as_ref()),
        (p.as_str(), Some(&SecretHash::of(&secret)))
    );
    assert!(ca::authenticate_client(&creds, Some(&secret)).is_ok());

    // Rotation: start, start again refused, both secrets work, complete swaps them.
    let next = ca::generate_secret(&latchkey_core::clock::OsTokens);
    let (h, l4) = (next.hash(), next.last_four());
    let start = SecretRotation::Start {
        hash: &h,
        last_four: &l4,
    };
    let RotationOutcome::Done(a) = store
        .rotate_connected_app_secret(&p, &id, start)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(a.next_client_secret_last_four.as_deref(), Some(l4.as_str()));
    assert_eq!(
        store
            .rotate_connected_app_secret(&p, &id, start)
            .await
            .unwrap(),
        RotationOutcome::Refused(RotationError::AlreadyRotating)
    );
    let (creds, _) = store.connected_app_credentials(&id).await.unwrap().unwrap();
    assert!(
        ca::authenticate_client(&creds, Some(&secret)).is_ok()
            && ca::authenticate_client(&creds, Some(next.expose_secret())).is_ok()
    );
    // A settings update in the middle does not touch the secret state.
    let mut renamed = got.clone();
    renamed.client_name = "Renamed".into();
    assert!(store.update_connected_app(&p, &renamed).await.unwrap());
    let RotationOutcome::Done(a) = store
        .rotate_connected_app_secret(&p, &id, SecretRotation::Complete)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (
            a.client_name.as_str(),
            a.client_secret_last_four.as_deref(),
            a.next_client_secret_last_four.as_deref()
        ),
        ("Renamed", Some(l4.as_str()), None)
    );
    let (creds, _) = store.connected_app_credentials(&id).await.unwrap().unwrap();
    assert!(
        ca::authenticate_client(&creds, Some(&secret)).is_err()
            && ca::authenticate_client(&creds, Some(next.expose_secret())).is_ok()
    );
    for step in [SecretRotation::Complete, SecretRotation::Cancel] {
        assert_eq!(
            store
                .rotate_connected_app_secret(&p, &id, step)
                .await
                .unwrap(),
            RotationOutcome::Refused(RotationError::NotRotating)
        );
    }
    assert_eq!(
        store
            .rotate_connected_app_secret(&p, "connected-app-test-nope", SecretRotation::Cancel)
            .await
            .unwrap(),
        RotationOutcome::NotFound
    );

    // Public clients have no secret to rotate.
    let (public, none) = connected_app("third_party_public");
    assert!(none.is_none() && public.secret_hash.is_none());
    store.insert_connected_app(&p, &public).await.unwrap();
    assert_eq!(
        store
            .rotate_connected_app_secret(&p, &public.app.client_id, start)
            .await
            .unwrap(),
        RotationOutcome::Refused(RotationError::PublicClient)
    );

    // Concurrent starts: exactly one wins.
    let mut tasks = vec![];
    for _ in 0..10 {
        let (store, p, id) = (store.clone(), p.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let s = ca::generate_secret(&latchkey_core::clock::OsTokens);
            let (h, l4) = (s.hash(), s.last_four());
            store
                .rotate_connected_app_secret(
                    &p,
                    &id,
                    SecretRotation::Start {
                        hash: &h,
                        last_four: &l4,
                    },
                )
                .await
                .unwrap()
        }));
    }
    let mut done = 0;
    for t in tasks {
        match t.await.unwrap() {
            RotationOutcome::Done(_) => done += 1,
            RotationOutcome::Refused(RotationError::AlreadyRotating) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(done, 1);

    // Paging in creation order, then delete.
    let q = |after| search::Search {
        operator: search::Operator::And,
        filters: vec![],
        limit: 1,
        after_seq: after,
    };
    let first = store.search_connected_apps(&p, &q(0)).await.unwrap();
    assert_eq!(
        (first.total, first.items[0].client_id.as_str()),
        (2, id.as_str())
    );
    let second = store
        .search_connected_apps(&p, &q(first.next_after.unwrap()))
        .await
        .unwrap();
    assert_eq!(
        (second.items[0].client_id.as_str(), second.next_after),
        (public.app.client_id.as_str(), None)
    );
    assert!(store.delete_connected_app(&p, &id).await.unwrap());
    assert!(!store.delete_connected_app(&p, &id).await.unwrap());
    assert!(store
        .connected_app_credentials(&id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_connected_apps() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store: Arc<dyn Store> = Arc::new(latchkey_store::connect(&url).await.unwrap());
    connected_apps(store, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_connected_apps() {
    let admin = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("latchkey_store_{}", uuid::Uuid::new_v4().simple());
    let url = latchkey_store::postgres::create_database(&admin, &name)
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(latchkey_store::connect(&url).await.unwrap());
    connected_apps(store, &url).await;
}
