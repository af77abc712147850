//! The sec-auth store operations (issue 9 #2, #16, item 7) on SQLite and PostgreSQL: an email
//! change ending sessions and unused links in one transaction, a migrated password replacing the
//! old one with the profile, and the registered magic-link redirect URLs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::secret::{Secret, SecretHash};
use latchkey_core::session::{self, SessionRecord};
use latchkey_store::{
    MagicLinkRecord, MemberLookup, MemberPassword, NewProject, ProjectRecord, Store,
};
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

fn link(p: &str, m: &Member, expires_at: i64) -> MagicLinkRecord {
    MagicLinkRecord {
        project_id: p.into(),
        organization_id: m.organization_id.clone(),
        member_id: m.member_id.clone(),
        kind: "login".into(),
        redirect_url: "http://localhost:3000/authenticate".into(),
        pkce_code_challenge: None,
        expires_at,
        used_at: None,
        created_at: NOW.unix_timestamp(),
    }
}

async fn suite(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let p = project(store).await;
    let now = NOW.unix_timestamp();

    // An email change: sessions (and their further tokens) and unused links go, used ones stay.
    let mut m = member(store, &p).await;
    let sid = session(store, &p, &m, 60, "first").await;
    assert!(store
        .add_session_token(&p, &sid, &SecretHash::of("second"), now)
        .await
        .unwrap());
    let far = now + 3600 * 24 * 365 * 50;
    store
        .insert_magic_link(&SecretHash::of("unused"), &link(&p, &m, far))
        .await
        .unwrap();
    store
        .insert_magic_link(&SecretHash::of("used"), &link(&p, &m, far))
        .await
        .unwrap();
    store
        .consume_magic_link(&p, &SecretHash::of("used"), now)
        .await
        .unwrap();
    m.email_address = "new@example.com".into();
    m.email_address_verified = false;
    assert!(store.update_member_ending_sessions(&p, &m).await.unwrap());
    for t in ["first", "second"] {
        assert!(store
            .session_by_token(&p, &SecretHash::of(t))
            .await
            .unwrap()
            .is_none());
    }
    assert!(store
        .magic_link(&p, &SecretHash::of("unused"))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .magic_link(&p, &SecretHash::of("used"))
        .await
        .unwrap()
        .is_some());
    let stored = store
        .get_member(
            &m.organization_id,
            MemberLookup::IdOrExternalId(&m.member_id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.email_address, "new@example.com");
    let mut ghost = m.clone();
    ghost.member_id = "member-test-ghost".into();
    assert!(!store
        .update_member_ending_sessions(&p, &ghost)
        .await
        .unwrap());

    // A migrated password replaces the old one together with the profile.
    let mut pw = MemberPassword {
        member_password_id: "member-password-test-1".into(),
        project_id: p.clone(),
        member_id: m.member_id.clone(),
        hash: "h1".into(),
        kind: "bcrypt".into(),
        created_at: now,
        reset_required: false,
    };
    m.name = "Renamed".into();
    assert!(store.replace_member_password(&m, &pw).await.unwrap());
    pw.member_password_id = "member-password-test-2".into();
    pw.hash = "h2".into();
    assert!(store.replace_member_password(&m, &pw).await.unwrap());
    let got = store
        .member_password(&p, &m.member_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.hash.as_str(), got.member_password_id.as_str()),
        ("h2", "member-password-test-2")
    );
    let stored = store
        .get_member(
            &m.organization_id,
            MemberLookup::IdOrExternalId(&m.member_id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.member_password_id.as_str()),
        ("Renamed", "member-password-test-2")
    );
    pw.member_id = ghost.member_id.clone();
    assert!(!store.replace_member_password(&ghost, &pw).await.unwrap());
    assert!(
        store
            .member_password(&p, &ghost.member_id)
            .await
            .unwrap()
            .is_none(),
        "nothing half written"
    );

    // No access token with this jti: nothing is written.
    let s2 = session(store, &p, &m, 60, "third").await;
    let mut rec = store.session_by_id(&p, &s2).await.unwrap().unwrap();
    rec.expires_at += 600;
    assert!(!store
        .exchange_access_token("no-such-jti", &rec, &SecretHash::of("fourth"), now)
        .await
        .unwrap());
    assert!(store
        .session_by_token(&p, &SecretHash::of("fourth"))
        .await
        .unwrap()
        .is_none());

    // Registered redirect URLs.
    let u = "https://app.example.com/authenticate";
    assert!(store.add_redirect_url(&p, u, now).await.unwrap());
    assert!(
        !store.add_redirect_url(&p, u, now).await.unwrap(),
        "already registered"
    );
    assert!(store
        .add_redirect_url(&p, "https://a.example/cb", now)
        .await
        .unwrap());
    assert_eq!(
        store.redirect_urls(&p).await.unwrap(),
        vec!["https://a.example/cb".to_string(), u.to_string()]
    );
    let other = project(store).await;
    assert!(
        store.redirect_urls(&other).await.unwrap().is_empty(),
        "per project"
    );
    assert!(store.remove_redirect_url(&p, u).await.unwrap());
    assert!(!store.remove_redirect_url(&p, u).await.unwrap());
    assert_eq!(store.redirect_urls(&p).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sec_auth() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    suite(Arc::new(latchkey_store::connect(&url).await.unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sec_auth() {
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
