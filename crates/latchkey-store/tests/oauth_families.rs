//! Token families on SQLite and PostgreSQL: the grant row as the family lock (fail closed),
//! codes spent only by their own client, consent withdrawal spending outstanding codes,
//! concurrent first consents, deletes revoking tokens, and batched purging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::oauth::code::CodeRecord;
use latchkey_core::oauth::grant::Grant;
use latchkey_core::oauth::refresh::RefreshRecord;
use latchkey_core::secret::Secret;
use latchkey_store::{
    AccessRow, CodeRedemption, ConsentRow, NewProject, NewRefresh, ProjectRecord, PurgePolicy,
    Store,
};
use latchkey_types::{Member, MemberCreateRequest, Organization, OrganizationSettings};
use serde_json::json;
use time::macros::datetime;

const CLIENT: &str = "connected-app-test-fam";

async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    (Arc::new(latchkey_store::connect(&url).await.unwrap()), dir)
}

async fn postgres() -> Arc<dyn Store> {
    let admin = std::env::var("LATCHKEY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let run = std::env::var("LATCHKEY_TEST_RUN_ID")
        .map(|r| format!("{}_", r.replace(|c: char| !c.is_ascii_alphanumeric(), "")))
        .unwrap_or_default();
    let name = format!("latchkey_store_{run}{}", uuid::Uuid::new_v4().simple());
    let url = latchkey_store::postgres::create_database(&admin, &name)
        .await
        .unwrap();
    Arc::new(latchkey_store::connect(&url).await.unwrap())
}

struct Fixture {
    project_id: String,
    org: Organization,
    member: Member,
}

async fn fixture(store: &dyn Store) -> Fixture {
    let project_id = format!("project-test-{}", uuid::Uuid::new_v4());
    let secret = Secret::from_presented("secret-test-abc");
    store
        .create_project(&NewProject {
            project: ProjectRecord {
                project_id: project_id.clone(),
                name: "p".into(),
                public_token: format!("public-token-{project_id}"),
                created_at: 1,
            },
            secret_id: format!("secret-{project_id}"),
            secret_hash: secret.hash(),
            secret_last_four: secret.last_four(),
        })
        .await
        .unwrap();
    let s: OrganizationSettings =
        serde_json::from_value(json!({"organization_name": "O"})).unwrap();
    let org = latchkey_core::organization::create(
        format!("organization-test-{}", uuid::Uuid::new_v4()),
        &s,
        latchkey_core::organization::slugify,
        &["stytch_member", "stytch_admin"],
        datetime!(2026-01-01 0:00 UTC),
    )
    .unwrap();
    store.insert_organization(&project_id, &org).await.unwrap();
    let r: MemberCreateRequest =
        serde_json::from_value(json!({"email_address": "m@o.io"})).unwrap();
    let member = latchkey_core::member::create(
        format!("member-test-{}", uuid::Uuid::new_v4()),
        &org,
        &r,
        &["stytch_member", "stytch_admin"],
        datetime!(2026-01-01 0:00 UTC),
    )
    .unwrap();
    store.insert_member(&project_id, &member).await.unwrap();
    Fixture {
        project_id,
        org,
        member,
    }
}

impl Fixture {
    fn grant(&self) -> Grant {
        Grant {
            grant_id: format!("grant-{}", uuid::Uuid::new_v4()),
            project_id: self.project_id.clone(),
            client_id: CLIENT.into(),
            member_id: self.member.member_id.clone(),
            organization_id: self.org.organization_id.clone(),
            member_session_id: None,
            scopes: vec!["openid".into(), "offline_access".into()],
            nonce: None,
            auth_time: 1,
            resources: vec![],
        }
    }

    /// A new family with its code (expiring at `expires_at`); returns the code's hash.
    async fn code(&self, store: &dyn Store, g: &Grant, expires_at: i64) -> String {
        let hash = format!("code-{}", uuid::Uuid::new_v4());
        let rec = CodeRecord {
            grant: g.clone(),
            redirect_uri: "https://a.test/cb".into(),
            code_challenge: None,
            expires_at,
        };
        store.insert_code(&hash, &rec, None, None).await.unwrap();
        hash
    }

    fn consent(&self, at: i64) -> ConsentRow {
        ConsentRow {
            project_id: self.project_id.clone(),
            organization_id: self.org.organization_id.clone(),
            member_id: self.member.member_id.clone(),
            client_id: CLIENT.into(),
            scopes: vec!["openid".into(), format!("s{at}")],
            created_at: at,
            updated_at: at,
        }
    }
}

fn access(g: &Grant, expires_at: i64) -> AccessRow {
    AccessRow {
        jti: uuid::Uuid::new_v4().to_string(),
        project_id: g.project_id.clone(),
        grant_id: g.grant_id.clone(),
        client_id: g.client_id.clone(),
        member_id: g.member_id.clone(),
        member_session_id: None,
        expires_at,
    }
}

fn refresh(g: &Grant, expires_at: i64) -> NewRefresh {
    NewRefresh {
        token_hash: format!("rt-{}", uuid::Uuid::new_v4()),
        record: RefreshRecord {
            jkt: None,
            grant: g.clone(),
            expires_at,
            rotated_at: None,
        },
    }
}

/// A family without a grant row takes no tokens (the lock fails closed); a code presented by
/// another client is neither spent nor reported as used.
async fn lock_and_client_binding(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    let orphan = f.grant();
    let a = access(&orphan, 10_000);
    assert!(!store.issue_tokens(&a, None).await.unwrap());
    assert!(store.access_status(&a.jti).await.unwrap().unwrap().revoked);
    // With a refresh token too (SQLite checks the family inside the inserts): both revoked.
    let (a, rt) = (access(&orphan, 10_000), refresh(&orphan, 10_000));
    assert!(!store.issue_tokens(&a, Some(&rt)).await.unwrap());
    assert!(store.access_status(&a.jti).await.unwrap().unwrap().revoked);
    let stored = store.get_refresh(&rt.token_hash).await.unwrap().unwrap();
    assert!(stored.revoked);
    // A live family's tokens are live.
    let live = f.grant();
    f.code(store.as_ref(), &live, 500).await;
    let (a, rt) = (access(&live, 10_000), refresh(&live, 10_000));
    assert!(store.issue_tokens(&a, Some(&rt)).await.unwrap());
    assert!(!store.access_status(&a.jti).await.unwrap().unwrap().revoked);
    let stored = store.get_refresh(&rt.token_hash).await.unwrap().unwrap();
    assert!(!stored.revoked);
    assert_eq!(stored.record.expires_at, 10_000);

    let g = f.grant();
    let code = f.code(store.as_ref(), &g, 500).await;
    assert_eq!(
        store
            .redeem_code(&code, "connected-app-other", 10)
            .await
            .unwrap(),
        CodeRedemption::NotFound
    );
    assert!(matches!(
        store.redeem_code(&code, CLIENT, 11).await.unwrap(),
        CodeRedemption::Fresh(_)
    ));
    assert_eq!(
        store
            .redeem_code(&code, "connected-app-other", 12)
            .await
            .unwrap(),
        CodeRedemption::NotFound,
        "a foreign replay is not a replay"
    );
    assert!(store.issue_tokens(&access(&g, 10_000), None).await.unwrap());
}

/// Withdrawing consent spends every unredeemed code of (member, client) and revokes every
/// family, in one transaction.
async fn consent_withdrawal(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    let (g1, g2) = (f.grant(), f.grant());
    let c1 = f.code(store.as_ref(), &g1, 500).await;
    let c2 = f.code(store.as_ref(), &g2, 500).await;
    store.upsert_consent(&f.consent(1)).await.unwrap();
    assert!(matches!(
        store.redeem_code(&c1, CLIENT, 10).await.unwrap(),
        CodeRedemption::Fresh(_)
    ));
    let rt = refresh(&g1, 10_000);
    let a = access(&g1, 10_000);
    assert!(store.issue_tokens(&a, Some(&rt)).await.unwrap());
    assert!(store
        .revoke_consent(&f.member.member_id, CLIENT, 20, None)
        .await
        .unwrap());
    assert!(
        !matches!(
            store.redeem_code(&c2, CLIENT, 21).await.unwrap(),
            CodeRedemption::Fresh(_)
        ),
        "an outstanding code survived the withdrawal"
    );
    assert!(!store
        .issue_tokens(&access(&g2, 10_000), None)
        .await
        .unwrap());
    assert!(store.access_status(&a.jti).await.unwrap().unwrap().revoked);
    assert!(
        store
            .get_refresh(&rt.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    let successor = refresh(&g1, 20_000);
    assert!(!store
        .rotate_refresh(&rt.token_hash, 22, &successor, &access(&g1, 10_000))
        .await
        .unwrap());
}

/// A rotation racing a withdrawal never leaves a live successor behind (security review #17):
/// the withdrawal locks the family as the rotation does.
async fn withdrawal_races_rotation(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    for i in 0..20 {
        let mut g = f.grant();
        g.client_id = format!("connected-app-test-race-{i}");
        f.code(store.as_ref(), &g, 500).await;
        let rt = refresh(&g, 10_000);
        assert!(store
            .issue_tokens(&access(&g, 10_000), Some(&rt))
            .await
            .unwrap());
        let successor = refresh(&g, 20_000);
        let rotate = {
            let (store, g, rt, successor) =
                (store.clone(), g.clone(), rt.clone(), successor.clone());
            tokio::spawn(async move {
                store
                    .rotate_refresh(&rt.token_hash, 30, &successor, &access(&g, 10_000))
                    .await
                    .unwrap()
            })
        };
        let withdraw = {
            let (store, member, client) = (store.clone(), g.member_id.clone(), g.client_id.clone());
            tokio::spawn(async move {
                store
                    .revoke_consent(&member, &client, 30, None)
                    .await
                    .unwrap()
            })
        };
        rotate.await.unwrap();
        withdraw.await.unwrap();
        if let Some(s) = store.get_refresh(&successor.token_hash).await.unwrap() {
            assert!(s.revoked, "a successor outlived the withdrawal");
        }
    }
}

/// Twenty first consents at once: none fails, one row remains.
async fn concurrent_first_consents(store: Arc<dyn Store>) {
    let f = Arc::new(fixture(store.as_ref()).await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (store, f) = (store.clone(), f.clone());
            tokio::spawn(async move { store.upsert_consent(&f.consent(i)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let rows = store
        .member_consents(&f.project_id, &f.member.member_id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

/// Deleting the member revokes the member's tokens and spends their codes.
async fn deletes_revoke(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    let g = f.grant();
    let code = f.code(store.as_ref(), &g, 500).await;
    let other = f.grant();
    let pending = f.code(store.as_ref(), &other, 500).await;
    assert!(matches!(
        store.redeem_code(&code, CLIENT, 10).await.unwrap(),
        CodeRedemption::Fresh(_)
    ));
    let a = access(&g, 10_000);
    let rt = refresh(&g, 10_000);
    assert!(store.issue_tokens(&a, Some(&rt)).await.unwrap());
    assert!(store
        .delete_member(&f.org.organization_id, &f.member.member_id)
        .await
        .unwrap());
    assert!(store.access_status(&a.jti).await.unwrap().unwrap().revoked);
    assert!(
        store
            .get_refresh(&rt.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(!matches!(
        store.redeem_code(&pending, CLIENT, 11).await.unwrap(),
        CodeRedemption::Fresh(_)
    ));
}

/// Expired records go in batches; live ones and what is kept past expiry stay; a family goes
/// once nothing of it is left.
async fn purging(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    let day = 86_400;
    let now = 10 * day;
    // An old family: its code, access and refresh tokens all long expired.
    let old = f.grant();
    let old_code = f.code(store.as_ref(), &old, 2 * day).await;
    let old_access: Vec<AccessRow> = (0..7).map(|_| access(&old, 2 * day)).collect();
    for a in &old_access {
        store.issue_tokens(a, None).await.unwrap();
    }
    let old_rt = refresh(&old, 3 * day);
    store.record_access(&access(&old, 2 * day)).await.unwrap();
    store
        .issue_tokens(&access(&old, 2 * day), Some(&old_rt))
        .await
        .unwrap();
    // A living family whose code expired long ago: the code goes, the family stays.
    let live = f.grant();
    let live_code = f.code(store.as_ref(), &live, 2 * day).await;
    let live_rt = refresh(&live, now + 90 * day);
    let live_access = access(&live, now + 3_600);
    store
        .issue_tokens(&live_access, Some(&live_rt))
        .await
        .unwrap();
    // A code that expired an hour ago is kept a day, so a replay still revokes its family.
    let recent = f.grant();
    let recent_code = f.code(store.as_ref(), &recent, now - 3_600).await;

    let report = store
        .purge_expired(PurgePolicy {
            now,
            batch: 2,
            max_batches: 100,
            pause: std::time::Duration::ZERO,
        })
        .await
        .unwrap();
    let n = |t: &str| {
        report
            .deleted
            .iter()
            .find(|(name, _)| *name == t)
            .map(|(_, n)| *n)
            .unwrap_or_default()
    };
    assert!(n("authorization_codes") >= 2, "{report:?}");
    assert!(n("access_tokens") >= 9, "{report:?}");
    assert!(n("refresh_tokens") >= 1, "{report:?}");
    assert!(n("oauth_grants") >= 1, "{report:?}");
    for (code, gone) in [(&old_code, true), (&live_code, true), (&recent_code, false)] {
        let found = store.redeem_code(code, CLIENT, now).await.unwrap();
        assert_eq!(found == CodeRedemption::NotFound, gone, "{code}");
    }
    assert!(store
        .access_status(&old_access[0].jti)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_refresh(&old_rt.token_hash)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .access_status(&live_access.jti)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .get_refresh(&live_rt.token_hash)
        .await
        .unwrap()
        .is_some());
    // The living family still takes tokens: its lock survived its code.
    assert!(store
        .record_access(&access(&live, now + 3_600))
        .await
        .unwrap());
    // A bounded run stops after max_batches statements per table.
    let more: Vec<AccessRow> = (0..5).map(|_| access(&live, 2 * day)).collect();
    for a in &more {
        store.record_access(a).await.unwrap();
    }
    let bounded = store
        .purge_expired(PurgePolicy {
            now,
            batch: 2,
            max_batches: 1,
            pause: std::time::Duration::ZERO,
        })
        .await
        .unwrap();
    assert!(
        bounded.deleted.contains(&("access_tokens", 2)),
        "{bounded:?}"
    );
}

async fn all(store: Arc<dyn Store>) {
    lock_and_client_binding(store.clone()).await;
    consent_withdrawal(store.clone()).await;
    withdrawal_races_rotation(store.clone()).await;
    concurrent_first_consents(store.clone()).await;
    deletes_revoke(store.clone()).await;
    purging(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_families() {
    let (s, _dir) = sqlite().await;
    all(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_families() {
    all(postgres().await).await;
}
