//! Issue 15 item 5: the audit trail. Logins (good and bad), session revocation, client changes
//! and secret rotation, organization updates each leave an event in the one event store, listed
//! per project and per organization with filters and cursor pagination; old events are purged.

use serde_json::{json, Value};

use crate::helpers::{unique, TestApp};

const BCRYPT_HASH: &str = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";
const PASSWORD: &str = "Kk4DQuMMfZL9o";

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/v1/audit_events?{query}")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

async fn audit_trail_records_security_events(app: TestApp) {
    let org = app
        .create_org(
            json!({"organization_name": "Acme", "organization_slug": format!("acme-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let email = format!("ann-{}@acme.io", unique());
    let (status, m) = app
        .post(
            "/v1/b2b/passwords/migrate",
            json!({"organization_id": org_id, "email_address": email, "hash_type": "bcrypt",
                   "hash": BCRYPT_HASH}),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    let member_id = m["member_id"].as_str().unwrap().to_string();
    let login = |password: &str| json!({"organization_id": org_id, "email_address": email, "password": password});
    let (status, _) = app
        .post("/v1/b2b/passwords/authenticate", login("wrong-password-1"))
        .await;
    assert_eq!(status, 401);
    let (status, ok) = app
        .post("/v1/b2b/passwords/authenticate", login(PASSWORD))
        .await;
    assert_eq!(status, 200, "{ok}");
    let session_id = ok["member_session"]["member_session_id"]
        .as_str()
        .unwrap()
        .to_string();

    let logins = events(
        &app,
        &format!("organization_id={org_id}&action=member.login"),
    )
    .await;
    assert_eq!(logins.len(), 2, "{logins:?}");
    // Newest first: the success, then the failure with its reason and no secret.
    assert_eq!(logins[0]["outcome"], "success");
    assert_eq!(logins[0]["actor"]["kind"], "member");
    assert_eq!(logins[0]["actor"]["id"], member_id.as_str());
    assert_eq!(logins[0]["details"]["factor"], "password");
    assert_eq!(logins[1]["outcome"], "failure");
    assert_eq!(logins[1]["details"]["reason"], "unauthorized_credentials");
    assert_eq!(logins[1]["actor"]["kind"], "address");
    assert!(logins[1]["client_address"].is_string(), "{}", logins[1]);
    assert!(!logins
        .iter()
        .any(|e| e.to_string().contains("wrong-password")));

    let (status, _) = app
        .post(
            "/v1/b2b/sessions/revoke",
            json!({"member_session_id": session_id}),
        )
        .await;
    assert_eq!(status, 200);
    let revoked = events(&app, "action=member_session.revoked").await;
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["target"]["id"], session_id.as_str());

    let (status, c) = app
        .post(
            "/v1/connected_apps/clients",
            json!({"client_type": "third_party", "client_name": "Reports",
                   "redirect_urls": ["https://reports.example.com/cb"]}),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    let client_id = c["connected_app"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = c["connected_app"]["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/connected_apps/clients/{client_id}");
    app.put(&path, json!({"client_name": "Reports 2"})).await;
    let (status, _) = app
        .post(&format!("{path}/secrets/rotate/start"), json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.delete(&path).await;
    assert_eq!(status, 200);
    let all = events(&app, "limit=100").await;
    let actions: Vec<&str> = all
        .iter()
        .filter(|e| e["target"]["id"] == client_id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "connected_app.deleted",
            "connected_app.secret_rotation",
            "connected_app.updated",
            "connected_app.created"
        ]
    );
    assert!(!all.iter().any(|e| e.to_string().contains(&secret)));

    let (status, _) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}"),
            json!({"mfa_policy": "OPTIONAL", "organization_name": "Acme Corp"}),
        )
        .await;
    assert_eq!(status, 200);
    let updated = events(&app, "action=organization.updated").await;
    assert_eq!(updated.len(), 1);
    let fields = updated[0]["details"]["fields"].to_string();
    assert!(
        fields.contains("mfa_policy") && fields.contains("organization_name"),
        "{fields}"
    );

    // Cursor pagination over the whole trail, newest first, without repeats.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get(&format!("/v1/audit_events?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(status, 200, "{page}");
        for e in page["events"].as_array().unwrap() {
            seen.push(e["event_id"].as_str().unwrap().to_string());
        }
        match page["results_metadata"]["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let total = events(&app, "limit=100").await.len();
    assert_eq!(seen.len(), total);
    seen.dedup();
    assert_eq!(seen.len(), total);

    // Retention: events older than the cut-off go. (Only on SQLite: the PostgreSQL database is
    // shared with tests running at the same time.)
    if app.backend != crate::helpers::Backend::Sqlite {
        return;
    }
    let now = app.state.clock.now().unix_timestamp();
    let kept = app
        .state
        .store
        .purge_audit_events(now - 3600, 1_000)
        .await
        .unwrap();
    assert_eq!(kept, 0, "nothing is an hour old");
    let removed = app
        .state
        .store
        .purge_audit_events(now + 10, 1_000)
        .await
        .unwrap();
    assert!(removed as usize >= total, "{removed} < {total}");
    assert!(events(&app, "limit=100").await.is_empty());
}
crate::both!(audit_trail_records_security_events);
