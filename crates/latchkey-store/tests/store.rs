//! The same store suite against SQLite (a temporary file) and PostgreSQL (a fresh database per
//! run): uniqueness as conflicts, lookups, search and paging, cascades, and concurrent writers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use latchkey_core::search;
use latchkey_core::secret::Secret;
use latchkey_store::{Conflict, MemberLookup, NewProject, ProjectRecord, Store, StoreError};
use latchkey_types::{Member, MemberCreateRequest, Organization, OrganizationSettings};
use serde_json::json;
use time::macros::datetime;

const ROLES: &[&str] = &["stytch_member", "stytch_admin"];

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

fn org(id: &str, json: serde_json::Value) -> Organization {
    let s: OrganizationSettings = serde_json::from_value(json).unwrap();
    latchkey_core::organization::create(
        id.into(),
        &s,
        latchkey_core::organization::slugify,
        ROLES,
        datetime!(2026-01-01 0:00 UTC),
    )
    .unwrap()
}

fn member(id: &str, o: &Organization, email: &str) -> Member {
    let r: MemberCreateRequest = serde_json::from_value(json!({"email_address": email})).unwrap();
    latchkey_core::member::create(id.into(), o, &r, ROLES, datetime!(2026-01-01 0:00 UTC)).unwrap()
}

async fn suite(store: Arc<dyn Store>) {
    let p = project(store.as_ref()).await;
    assert!(store.project_secret_hashes(&p).await.unwrap()[0].matches("secret-test-abc"));

    // Organizations: insert, lookups by id/slug/external id, conflicts.
    let a = org(
        "org-a",
        json!({"organization_name": "A", "organization_slug": "a-slug", "organization_external_id": "ext-a", "email_allowed_domains": ["a.com"]}),
    );
    store.insert_organization(&p, &a).await.unwrap();
    for key in ["org-a", "a-slug", "ext-a"] {
        assert_eq!(store.get_organization(&p, key).await.unwrap().unwrap(), a);
    }
    assert!(store
        .get_organization("project-other", "org-a")
        .await
        .unwrap()
        .is_none());
    let dup = org(
        "org-b",
        json!({"organization_name": "B", "organization_slug": "a-slug"}),
    );
    assert!(matches!(
        store.insert_organization(&p, &dup).await,
        Err(StoreError::Conflict(Conflict::OrganizationSlug))
    ));
    let dup = org(
        "org-b",
        json!({"organization_name": "B", "organization_external_id": "ext-a"}),
    );
    assert!(matches!(
        store.insert_organization(&p, &dup).await,
        Err(StoreError::Conflict(Conflict::OrganizationExternalId))
    ));

    // Update replaces the document and the domain rows.
    let mut a2 = a.clone();
    a2.email_allowed_domains = vec!["b.com".into()];
    assert!(store.update_organization(&p, &a2).await.unwrap());
    let by_domain = |d: &str| {
        search::organizations(Some(&serde_json::from_value(json!({"operator": "AND", "operands": [{"filter_name": "allowed_domains", "filter_value": [d]}]})).unwrap()), None, None).unwrap()
    };
    assert_eq!(
        store
            .search_organizations(&p, &by_domain("a.com"))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .search_organizations(&p, &by_domain("b.com"))
            .await
            .unwrap()
            .total,
        1
    );

    // Members: conflicts per organization, lookups, cascade.
    let m = member("mem-1", &a, "x@a.com");
    store.insert_member(&p, &m).await.unwrap();
    assert!(matches!(
        store
            .insert_member(&p, &member("mem-2", &a, "x@a.com"))
            .await,
        Err(StoreError::Conflict(Conflict::MemberEmail))
    ));
    assert_eq!(
        store
            .get_member("org-a", MemberLookup::Email("X@A.com"))
            .await
            .unwrap()
            .unwrap()
            .member_id,
        "mem-1"
    );
    assert_eq!(
        store
            .get_member_in_project(&p, "mem-1")
            .await
            .unwrap()
            .unwrap(),
        m
    );
    assert_eq!(store.count_members("org-a").await.unwrap(), 1);

    // Paging is keyset-based and stable.
    for i in 0..7 {
        store
            .insert_organization(
                &p,
                &org(
                    &format!("page-{i}"),
                    json!({"organization_name": format!("Page {i}")}),
                ),
            )
            .await
            .unwrap();
    }
    let mut seen = vec![];
    let mut after = 0;
    loop {
        let q = search::Search {
            operator: search::Operator::And,
            filters: vec![search::OrgFilter::NameFuzzy("page".into())],
            limit: 3,
            after_seq: after,
        };
        let page = store.search_organizations(&p, &q).await.unwrap();
        assert_eq!(page.total, 7);
        seen.extend(page.items.into_iter().map(|o| o.organization_id));
        match page.next_after {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..7).map(|i| format!("page-{i}")).collect::<Vec<_>>()
    );

    // RBAC policy: absent, then upserted twice.
    assert!(store.get_rbac_policy(&p).await.unwrap().is_none());
    let mut policy = latchkey_core::oauth::RbacPolicy::default();
    policy.resources.push(latchkey_core::oauth::Resource {
        resource_id: "documents".into(),
        description: "Docs".into(),
        actions: vec!["read".into()],
    });
    store.set_rbac_policy(&p, &policy, 1).await.unwrap();
    assert_eq!(store.get_rbac_policy(&p).await.unwrap().unwrap(), policy);
    policy.resources[0].actions.push("write".into());
    store.set_rbac_policy(&p, &policy, 2).await.unwrap();
    assert_eq!(store.get_rbac_policy(&p).await.unwrap().unwrap(), policy);
    assert!(store
        .get_rbac_policy("project-other")
        .await
        .unwrap()
        .is_none());

    assert!(store.delete_organization(&p, "org-a").await.unwrap());
    assert!(
        store
            .get_member_in_project(&p, "mem-1")
            .await
            .unwrap()
            .is_none(),
        "members go with their organization"
    );
    assert!(!store.delete_organization(&p, "org-a").await.unwrap());
}

/// Concurrent creators of the same slug: exactly one wins, the rest see a conflict.
async fn concurrent_slug(store: Arc<dyn Store>) {
    let p = project(store.as_ref()).await;
    let mut tasks = vec![];
    for i in 0..20 {
        let store = store.clone();
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let o = org(
                &format!("race-{i}"),
                json!({"organization_name": "Race", "organization_slug": "race"}),
            );
            store.insert_organization(&p, &o).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict(Conflict::OrganizationSlug)) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(ok, 1);
}

/// Magic link tokens: single use under 20 concurrent redeemers, used / expired / unknown told
/// apart, and the outbox newest first per project.
async fn magic_links(store: Arc<dyn Store>) {
    use latchkey_core::secret::SecretHash;
    use latchkey_store::{Consumed, MagicLinkRecord, OutboxMessage};
    let p = project(store.as_ref()).await;
    let o = org(&format!("org-ml-{p}"), json!({"organization_name": "ML"}));
    store.insert_organization(&p, &o).await.unwrap();
    let m = member(&format!("member-ml-{p}"), &o, "ml@x.io");
    store.insert_member(&p, &m).await.unwrap();
    let record = |expires_at| MagicLinkRecord {
        project_id: p.clone(),
        organization_id: o.organization_id.clone(),
        member_id: m.member_id.clone(),
        kind: "login".into(),
        redirect_url: "https://x.io/cb".into(),
        pkce_code_challenge: None,
        expires_at,
        used_at: None,
        created_at: 100,
    };
    let live = SecretHash::of("live-token");
    store
        .insert_magic_link(&live, &record(1_000))
        .await
        .unwrap();
    let mut tasks = vec![];
    for _ in 0..20 {
        let (store, p, live) = (store.clone(), p.clone(), live.clone());
        tasks.push(tokio::spawn(async move {
            store.consume_magic_link(&p, &live, 500).await.unwrap()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Consumed::Ok(r) => {
                wins += 1;
                assert_eq!(r.member_id, m.member_id);
            }
            other => assert_eq!(other, Consumed::AlreadyUsed),
        }
    }
    assert_eq!(wins, 1);
    let old = SecretHash::of("old-token");
    store.insert_magic_link(&old, &record(400)).await.unwrap();
    assert_eq!(
        store.consume_magic_link(&p, &old, 500).await.unwrap(),
        Consumed::Expired
    );
    let unknown = SecretHash::of("nope");
    assert_eq!(
        store.consume_magic_link(&p, &unknown, 500).await.unwrap(),
        Consumed::NotFound
    );
    assert_eq!(
        store
            .consume_magic_link("project-other", &live, 500)
            .await
            .unwrap(),
        Consumed::NotFound
    );
    assert!(store.purge_magic_links(450).await.unwrap() >= 1);
    assert!(store.magic_link(&p, &old).await.unwrap().is_none());

    for i in 0..3 {
        let msg = OutboxMessage {
            id: 0,
            project_id: p.clone(),
            to_address: format!("to{i}@x.io"),
            subject: "s".into(),
            text_body: "t".into(),
            html_body: "<p>t</p>".into(),
            link: format!("https://x.io/cb?token={i}"),
            created_at: 100 + i,
            channel: "email".into(),
        };
        store.add_to_outbox(&msg).await.unwrap();
    }
    let list = store.list_outbox(Some(&p), 2).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].to_address, "to2@x.io");
    assert!(store
        .list_outbox(Some("project-other"), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_outbox(None, 10).await.unwrap().len() >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_suite() {
    let (s, _dir) = sqlite().await;
    suite(s.clone()).await;
    concurrent_slug(s.clone()).await;
    magic_links(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_suite() {
    let s = postgres().await;
    suite(s.clone()).await;
    concurrent_slug(s.clone()).await;
    magic_links(s).await;
}

#[tokio::test]
async fn rejects_unknown_urls() {
    assert!(matches!(
        latchkey_store::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
}

mod oauth {
    use super::*;
    use latchkey_core::oauth::code::CodeRecord;
    use latchkey_core::oauth::grant::Grant;
    use latchkey_core::oauth::refresh::RefreshRecord;
    use latchkey_store::{AccessRow, CodeRedemption, ConsentRow, NewRefresh};

    pub const CLIENT: &str = "connected-app-test-1";

    pub fn grant(p: &str, org: &str, member: &str) -> Grant {
        Grant {
            grant_id: format!("grant-{}", uuid::Uuid::new_v4()),
            project_id: p.into(),
            client_id: CLIENT.into(),
            member_id: member.into(),
            organization_id: org.into(),
            member_session_id: None,
            scopes: vec!["openid".into(), "offline_access".into()],
            nonce: None,
            auth_time: 1,
            resources: vec![],
        }
    }

    fn access(g: &Grant) -> AccessRow {
        AccessRow {
            jti: uuid::Uuid::new_v4().to_string(),
            project_id: g.project_id.clone(),
            grant_id: g.grant_id.clone(),
            client_id: g.client_id.clone(),
            member_id: g.member_id.clone(),
            member_session_id: None,
            expires_at: 10_000,
        }
    }

    async fn setup(store: &dyn Store) -> (String, Grant) {
        let p = project(store).await;
        let o = org(
            &format!("org-{}", uuid::Uuid::new_v4()),
            json!({"organization_name": "O"}),
        );
        store.insert_organization(&p, &o).await.unwrap();
        let m = member(&format!("member-{}", uuid::Uuid::new_v4()), &o, "m@o.io");
        store.insert_member(&p, &m).await.unwrap();
        let g = grant(&p, &o.organization_id, &m.member_id);
        // A family exists once its first code is stored (the grant row is its lock).
        let rec = CodeRecord {
            grant: g.clone(),
            redirect_uri: "https://a.test/cb".into(),
            code_challenge: None,
            expires_at: 500,
        };
        let hash = format!("setup-{}", g.grant_id);
        store.insert_code(&hash, &rec, None, None).await.unwrap();
        (p, g)
    }

    /// 50 concurrent redemptions of one code: exactly one is fresh.
    pub async fn codes_are_single_use(store: Arc<dyn Store>) {
        let (_, g) = setup(store.as_ref()).await;
        let rec = CodeRecord {
            grant: g,
            redirect_uri: "https://a.test/cb".into(),
            code_challenge: None,
            expires_at: 500,
        };
        store
            .insert_code("code-hash-1", &rec, None, None)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.redeem_code("code-hash-1", CLIENT, 10).await.unwrap() },
                )
            })
            .collect();
        let mut fresh = 0;
        for t in tasks {
            match t.await.unwrap() {
                CodeRedemption::Fresh(r) => {
                    assert_eq!(r, rec);
                    fresh += 1
                }
                CodeRedemption::AlreadyUsed(_) => {}
                CodeRedemption::NotFound => panic!("code vanished"),
            }
        }
        assert_eq!(fresh, 1);
        assert_eq!(
            store.redeem_code("nope", CLIENT, 10).await.unwrap(),
            CodeRedemption::NotFound
        );
    }

    /// Rotation spends a token once; revoking the grant revokes the family.
    pub async fn refresh_rotation_and_revocation(store: Arc<dyn Store>) {
        let (_, g) = setup(store.as_ref()).await;
        let first = NewRefresh {
            token_hash: "rt-1".into(),
            record: RefreshRecord {
                jkt: None,
                grant: g.clone(),
                expires_at: 1_000,
                rotated_at: None,
            },
        };
        let a1 = access(&g);
        store.issue_tokens(&a1, Some(&first)).await.unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                let g = g.clone();
                tokio::spawn(async move {
                    let succ = NewRefresh {
                        token_hash: format!("rt-2-{i}"),
                        record: RefreshRecord {
                            jkt: None,
                            grant: g.clone(),
                            expires_at: 2_000,
                            rotated_at: None,
                        },
                    };
                    store
                        .rotate_refresh("rt-1", 20, &succ, &access(&g))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "exactly one successor");
        let spent = store.get_refresh("rt-1").await.unwrap().unwrap();
        assert_eq!(spent.record.rotated_at, Some(20));
        store.revoke_grant(&g.grant_id, 30).await.unwrap();
        assert!(store.access_status(&a1.jti).await.unwrap().unwrap().revoked);
        assert!(store.get_refresh("rt-1").await.unwrap().unwrap().revoked);
    }

    /// A replay that revokes the family before the first redemption records its tokens: those
    /// tokens are recorded revoked.
    pub async fn revocation_before_issuance(store: Arc<dyn Store>) {
        let (_, g) = setup(store.as_ref()).await;
        let rec = CodeRecord {
            grant: g.clone(),
            redirect_uri: "https://a.test/cb".into(),
            code_challenge: None,
            expires_at: 500,
        };
        store
            .insert_code("code-race", &rec, None, None)
            .await
            .unwrap();
        assert!(matches!(
            store.redeem_code("code-race", CLIENT, 10).await.unwrap(),
            CodeRedemption::Fresh(_)
        ));
        assert!(matches!(
            store.redeem_code("code-race", CLIENT, 11).await.unwrap(),
            CodeRedemption::AlreadyUsed(_)
        ));
        store.revoke_grant(&g.grant_id, 12).await.unwrap();
        let a = access(&g);
        let r = NewRefresh {
            token_hash: "rt-race".into(),
            record: RefreshRecord {
                jkt: None,
                grant: g.clone(),
                expires_at: 1_000,
                rotated_at: None,
            },
        };
        assert!(
            !store.issue_tokens(&a, Some(&r)).await.unwrap(),
            "issued into a revoked family"
        );
        assert!(store.access_status(&a.jti).await.unwrap().unwrap().revoked);
        assert!(store.get_refresh("rt-race").await.unwrap().unwrap().revoked);
        assert!(!store.record_access(&access(&g)).await.unwrap());
    }

    /// Consent listing and revocation, which revokes the client's tokens for the member.
    pub async fn consents(store: Arc<dyn Store>) {
        let (p, g) = setup(store.as_ref()).await;
        let row = ConsentRow {
            project_id: p.clone(),
            organization_id: g.organization_id.clone(),
            member_id: g.member_id.clone(),
            client_id: g.client_id.clone(),
            scopes: vec!["openid".into()],
            created_at: 1,
            updated_at: 1,
        };
        store.upsert_consent(&row).await.unwrap();
        store
            .upsert_consent(&ConsentRow {
                scopes: vec!["openid".into(), "email".into()],
                updated_at: 2,
                ..row.clone()
            })
            .await
            .unwrap();
        let listed = store.member_consents(&p, &g.member_id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].scopes, vec!["openid", "email"]);
        assert_eq!(
            store
                .organization_consents(&p, &g.organization_id)
                .await
                .unwrap()
                .len(),
            1
        );
        let a = access(&g);
        store.issue_tokens(&a, None).await.unwrap();
        assert!(store.exchange_access(&a.jti, 5).await.unwrap());
        assert!(
            !store.exchange_access(&a.jti, 6).await.unwrap(),
            "exchanged once"
        );
        assert!(store
            .revoke_consent(&g.member_id, &g.client_id, 7, None)
            .await
            .unwrap());
        assert!(store.access_status(&a.jti).await.unwrap().unwrap().revoked);
        assert!(store
            .member_consents(&p, &g.member_id)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.refresh_key(&p, "k1").await.unwrap(), "k1");
        assert_eq!(
            store.refresh_key(&p, "k2").await.unwrap(),
            "k1",
            "the first key stays"
        );
    }
}

/// Branch h11: an event commits with the decision it logs, or neither does.
mod audit {
    use super::*;
    use latchkey_core::oauth::code::CodeRecord;
    use latchkey_store::{AuditFilter, CodeRedemption};
    use latchkey_types::{AuditEvent, AuditParty};

    fn event(p: &str, org: &str, id: &str) -> AuditEvent {
        AuditEvent {
            event_id: id.into(),
            project_id: p.into(),
            organization_id: Some(org.into()),
            actor: AuditParty::new("member", "m"),
            action: "connected_app.consent_granted".into(),
            target: Some(AuditParty::new("connected_app", "c")),
            client_address: Some("192.0.2.1".into()),
            created_at: 100,
            outcome: "success".into(),
            details: serde_json::Map::new(),
        }
    }

    pub async fn events_commit_with_their_decision(store: Arc<dyn Store>) {
        let p = project(store.as_ref()).await;
        let org = format!("org-{}", uuid::Uuid::new_v4());
        let id = format!("event-{}", uuid::Uuid::new_v4());
        store.record_events(&[event(&p, &org, &id)]).await.unwrap();
        let o = super::org(&org, json!({"organization_name": "O"}));
        store.insert_organization(&p, &o).await.unwrap();
        let m = member(&format!("member-{}", uuid::Uuid::new_v4()), &o, "a@o.io");
        store.insert_member(&p, &m).await.unwrap();
        let rec = CodeRecord {
            grant: super::oauth::grant(&p, &org, &m.member_id),
            redirect_uri: "https://a.test/cb".into(),
            code_challenge: None,
            expires_at: 500,
        };
        // The same event id again: the event fails, so the code is not stored either.
        let hash = format!("audit-{}", uuid::Uuid::new_v4());
        let dup = event(&p, &org, &id);
        assert!(store
            .insert_code(&hash, &rec, None, Some(&dup))
            .await
            .is_err());
        assert_eq!(
            store
                .redeem_code(&hash, super::oauth::CLIENT, 10)
                .await
                .unwrap(),
            CodeRedemption::NotFound
        );
        let fresh = event(&p, &org, &format!("event-{}", uuid::Uuid::new_v4()));
        store
            .insert_code(&hash, &rec, None, Some(&fresh))
            .await
            .unwrap();
        let page = store
            .audit_events(&AuditFilter {
                project_id: &p,
                organization_id: Some(&org),
                action: None,
                before: 0,
                limit: 1,
            })
            .await
            .unwrap();
        assert_eq!(page.events, vec![fresh], "newest first");
        let older = store
            .audit_events(&AuditFilter {
                project_id: &p,
                organization_id: Some(&org),
                action: None,
                before: page.next_before.unwrap(),
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(older.events.len(), 1);
        assert_eq!(older.events[0].event_id, id);
        assert_eq!(older.next_before, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_audit() {
    let (s, _dir) = sqlite().await;
    audit::events_commit_with_their_decision(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_audit() {
    audit::events_commit_with_their_decision(postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_oauth() {
    let (s, _dir) = sqlite().await;
    oauth::codes_are_single_use(s.clone()).await;
    oauth::refresh_rotation_and_revocation(s.clone()).await;
    oauth::revocation_before_issuance(s.clone()).await;
    oauth::consents(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_oauth() {
    let s = postgres().await;
    oauth::codes_are_single_use(s.clone()).await;
    oauth::refresh_rotation_and_revocation(s.clone()).await;
    oauth::revocation_before_issuance(s.clone()).await;
    oauth::consents(s).await;
}
