//! The member-session part of the store suite, on SQLite and PostgreSQL: lookups by the first
//! token and by tokens added later, which live and die with their session (revocation, member
//! revocation, expiry purge, member deletion).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::secret::{Secret, SecretHash};
use latchkey_core::session::{self, SessionRecord};
use latchkey_store::{NewProject, ProjectRecord, Store};
use latchkey_types::{Member, MemberCreateRequest, Organization, OrganizationSettings};
use serde_json::json;
use time::macros::datetime;
use time::OffsetDateTime;

const ROLES: &[&str] = &["stytch_member", "stytch_admin"];
const NOW: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

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

/// An organization with one member, in project `p`.
async fn member(store: &dyn Store, p: &str) -> Member {
    let s: OrganizationSettings =
        serde_json::from_value(json!({"organization_name": "S"})).unwrap();
    let org_id = format!("organization-test-{}", uuid::Uuid::new_v4());
    let org: Organization = latchkey_core::organization::create(
        org_id,
        &s,
        |_| format!("s-{}", uuid::Uuid::new_v4().simple()),
        ROLES,
        NOW,
    )
    .unwrap();
    store.insert_organization(p, &org).await.unwrap();
    let r: MemberCreateRequest =
        serde_json::from_value(json!({"email_address": "s@example.com"})).unwrap();
    let id = format!("member-test-{}", uuid::Uuid::new_v4());
    let m = latchkey_core::member::create(id, &org, &r, ROLES, NOW).unwrap();
    store.insert_member(p, &m).await.unwrap();
    m
}

/// A session of `m` lasting `minutes` from `NOW`, stored under `token`.
async fn session(store: &dyn Store, p: &str, m: &Member, minutes: i64, token: &str) -> String {
    let factor = session::factor("password", "knowledge", m, NOW);
    let id = format!("session-test-{}", uuid::Uuid::new_v4());
    let record: SessionRecord =
        session::start(id.clone(), p, m, factor, Some(minutes), None, NOW).unwrap();
    store
        .insert_session(&record, &SecretHash::of(token))
        .await
        .unwrap();
    id
}

/// The id of the session `token` finds in project `p`, if any.
async fn found(store: &dyn Store, p: &str, token: &str) -> Option<String> {
    store
        .session_by_token(p, &SecretHash::of(token))
        .await
        .unwrap()
        .map(|s| s.member_session_id)
}

async fn added_tokens(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let now = NOW.unix_timestamp();
    let p = project(store).await;
    let m = member(store, &p).await;
    let s1 = session(store, &p, &m, 60, "first").await;
    for added in ["second", "third"] {
        assert!(store
            .add_session_token(&p, &s1, &SecretHash::of(added), now)
            .await
            .unwrap());
    }
    for token in ["first", "second", "third"] {
        assert_eq!(found(store, &p, token).await.as_deref(), Some(s1.as_str()));
        assert_eq!(found(store, "project-other", token).await, None);
    }
    assert_eq!(found(store, &p, "never-issued").await, None);
    let record = store.session_by_id(&p, &s1).await.unwrap().unwrap();
    assert_eq!(
        store
            .session_by_token(&p, &SecretHash::of("second"))
            .await
            .unwrap()
            .unwrap(),
        record,
        "an added token reads the same record"
    );

    // Only live sessions of the project take a token.
    let other = project(store).await;
    let expired = session(store, &p, &m, 5, "expired").await;
    let refused = [
        (p.as_str(), "session-test-nope", now),
        (other.as_str(), s1.as_str(), now),
        (p.as_str(), expired.as_str(), now + 5 * 60),
    ];
    for (project_id, session_id, at) in refused {
        assert!(!store
            .add_session_token(project_id, session_id, &SecretHash::of("refused"), at)
            .await
            .unwrap());
    }
    assert_eq!(found(store, &p, "refused").await, None);
    assert_eq!(found(store, &other, "refused").await, None);

    // Revoking the session kills every token; the added rows are gone, so their hashes can be
    // added again elsewhere (they are the primary key).
    assert!(store.delete_session(&p, &s1).await.unwrap());
    for token in ["first", "second", "third"] {
        assert_eq!(found(store, &p, token).await, None);
    }
    let s2 = session(store, &p, &m, 60, "fourth").await;
    assert!(store
        .add_session_token(&p, &s2, &SecretHash::of("second"), now)
        .await
        .unwrap());
    assert_eq!(
        found(store, &p, "second").await.as_deref(),
        Some(s2.as_str())
    );

    // Revoking all of a member's sessions, and purging expired ones, do the same.
    assert!(
        store
            .delete_member_sessions(&p, &m.member_id)
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(found(store, &p, "second").await, None);
    let s3 = session(store, &p, &m, 5, "fifth").await;
    assert!(store
        .add_session_token(&p, &s3, &SecretHash::of("sixth"), now)
        .await
        .unwrap());
    assert!(store.purge_expired_sessions(now + 5 * 60).await.unwrap() >= 1);
    assert_eq!(found(store, &p, "sixth").await, None);

    // Deleting the member removes its sessions and their added tokens.
    let s4 = session(store, &p, &m, 60, "seventh").await;
    assert!(store
        .add_session_token(&p, &s4, &SecretHash::of("eighth"), now)
        .await
        .unwrap());
    assert!(store
        .delete_member(&m.organization_id, &m.member_id)
        .await
        .unwrap());
    assert_eq!(found(store, &p, "eighth").await, None);
    assert_eq!(found(store, &p, "seventh").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_added_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    added_tokens(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_added_tokens() {
    let admin = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let run = std::env::var("LATCHKEY_TEST_RUN_ID")
        .map(|r| format!("{}_", r.replace(|c: char| !c.is_ascii_alphanumeric(), "")))
        .unwrap_or_default();
    let name = format!("latchkey_store_{run}{}", uuid::Uuid::new_v4().simple());
    let url = latchkey_store::postgres::create_database(&admin, &name)
        .await
        .unwrap();
    added_tokens(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}
