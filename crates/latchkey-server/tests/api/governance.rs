//! Per-organization agent governance, branch h11 (issue 11 item 5): the organization's
//! registration-path policy (CIMD hosts, DCR approval), admin approval, and the event log, as
//! a customer would meet them, on both engines.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;
use crate::oauth_support::{create_client, pkce, subject, Subject};

pub const LOOPBACK: &str = "http://localhost:33418/callback";

pub fn org_path(s: &Subject) -> String {
    format!("/v1/b2b/organizations/{}", s.org_id)
}

async fn set_policy(app: &TestApp, s: &Subject, policy: Value) -> Value {
    let (status, body) = app
        .put(&org_path(s), json!({"client_registration_policy": policy}))
        .await;
    assert_eq!(status, 200, "{body}");
    body["organization"]["client_registration_policy"].clone()
}

/// A client that registered itself (RFC 7591), as an MCP client does.
pub async fn dcr_client(app: &TestApp) -> String {
    let resp = app
        .client
        .post(format!(
            "{}/v1/public/{}/oauth2/register",
            app.base, app.project_id
        ))
        .json(&json!({"client_name": "Agent (DCR)", "redirect_uris": [LOOPBACK]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let reg: Value = resp.json().await.unwrap();
    reg["client_id"].as_str().unwrap().to_string()
}

/// A Client ID Metadata Document client: a document served on loopback at `host` (`127.0.0.1`
/// or `localhost`, two hosts the development setting `client_metadata_allow_http_loopback`
/// admits), whose URL is the client id. The app must run with that setting
/// ([`crate::mcp_cimd::spawn_loopback`]).
pub async fn cimd_client(_app: &TestApp, host: &str) -> String {
    let docs = crate::mcp_cimd::DocServer::start().await;
    let path = format!("oauth/{}/client.json", crate::helpers::unique());
    let url = docs.url(&path).replacen("127.0.0.1", host, 1);
    let doc = json!({"client_id": url, "client_name": format!("Agent at {host}"),
                     "redirect_uris": [LOOPBACK]});
    docs.set(&path, 200, serde_json::to_vec(&doc).unwrap());
    // The server keeps serving for the rest of the test.
    std::mem::forget(docs);
    url
}

fn body(client_id: &str, s: &Subject) -> Value {
    json!({
        "client_id": client_id,
        "redirect_uri": LOOPBACK,
        "response_type": "code",
        "scopes": ["openid"],
        "organization_id": s.org_id,
        "member_id": s.member_id,
    })
}

async fn start(app: &TestApp, client_id: &str, s: &Subject) -> (u16, Value) {
    let (status, out) = app
        .post("/v1/b2b/idp/oauth/authorize/start", body(client_id, s))
        .await;
    (status.as_u16(), out)
}

/// Submit with consent and PKCE; the status and response.
async fn submit(app: &TestApp, client_id: &str, s: &Subject) -> (u16, Value) {
    let mut b = body(client_id, s);
    b["consent_granted"] = true.into();
    b["code_challenge"] = pkce().1.into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", b).await;
    (status.as_u16(), out)
}

fn error_type(out: &Value) -> &str {
    out["error_type"].as_str().unwrap_or_default()
}

async fn events(app: &TestApp, s: &Subject, query: &str) -> Value {
    let (status, out) = app
        .get(&format!("{}/connected_apps/events{query}", org_path(s)))
        .await;
    assert_eq!(status, 200, "{out}");
    out
}

fn actions(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

async fn policy_is_an_organization_setting(app: TestApp) {
    let s = subject(&app).await;
    let (_, got) = app.get(&org_path(&s)).await;
    assert_eq!(
        got["organization"]["client_registration_policy"],
        json!({"cimd_allowed_type": "ALL_ALLOWED", "allowed_cimd_hosts": [],
               "dcr_allowed_type": "ALL_ALLOWED"}),
        "defaults keep today's behaviour"
    );
    let p = set_policy(
        &app,
        &s,
        json!({"cimd_allowed_type": "RESTRICTED", "allowed_cimd_hosts": ["Agents.Example.com", "*.trusted.dev"]}),
    )
    .await;
    assert_eq!(
        p,
        json!({"cimd_allowed_type": "RESTRICTED",
               "allowed_cimd_hosts": ["agents.example.com", "*.trusted.dev"],
               "dcr_allowed_type": "ALL_ALLOWED"})
    );
    // Absent fields stay as they are.
    let p = set_policy(&app, &s, json!({"dcr_allowed_type": "APPROVAL_REQUIRED"})).await;
    assert_eq!(p["cimd_allowed_type"], "RESTRICTED");
    assert_eq!(p["dcr_allowed_type"], "APPROVAL_REQUIRED");
    let (_, got) = app.get(&org_path(&s)).await;
    assert_eq!(got["organization"]["client_registration_policy"], p);
    for bad in [
        json!({"dcr_allowed_type": "SOMETIMES"}),
        json!({"cimd_allowed_type": "APPROVAL_REQUIRED"}),
        json!({"allowed_cimd_hosts": ["https://agents.example.com/"]}),
    ] {
        let (status, e) = app
            .put(&org_path(&s), json!({"client_registration_policy": bad}))
            .await;
        assert_eq!(status, 400, "{bad}: {e}");
    }
}
both!(policy_is_an_organization_setting);

/// An organization that allows only listed CIMD hosts: an agent from another host is refused
/// at Start and Submit; a listed one, a DCR client and a pre-registered app are not affected.
async fn org_allows_only_listed_cimd_hosts(backend: crate::helpers::Backend) {
    let app = crate::mcp_cimd::spawn_loopback(backend).await;
    let s = subject(&app).await;
    let listed = cimd_client(&app, "127.0.0.1").await;
    let unlisted = cimd_client(&app, "localhost").await;
    let dcr = dcr_client(&app).await;
    let (status, out) = start(&app, &unlisted, &s).await;
    assert_eq!(status, 200, "all CIMD hosts allowed by default: {out}");
    set_policy(
        &app,
        &s,
        json!({"cimd_allowed_type": "RESTRICTED", "allowed_cimd_hosts": ["127.0.0.1"]}),
    )
    .await;
    let (status, out) = start(&app, &unlisted, &s).await;
    assert_eq!(
        (status, error_type(&out)),
        (403, "connected_app_not_allowed_for_org"),
        "{out}"
    );
    assert!(
        out["error_message"].as_str().unwrap().contains("localhost"),
        "{out}"
    );
    let (status, out) = submit(&app, &unlisted, &s).await;
    assert_eq!(
        (status, error_type(&out)),
        (403, "connected_app_not_allowed_for_org")
    );
    let (status, out) = submit(&app, &listed, &s).await;
    assert_eq!(status, 200, "{out}");
    assert!(out["authorization_code"].is_string());
    assert_eq!(start(&app, &dcr, &s).await.0, 200);
    set_policy(&app, &s, json!({"cimd_allowed_type": "NOT_ALLOWED"})).await;
    let (status, out) = start(&app, &listed, &s).await;
    assert_eq!(
        (status, error_type(&out)),
        (403, "connected_app_not_allowed_for_org")
    );
    // Another organization's policy is its own.
    let other = subject(&app).await;
    assert_eq!(start(&app, &unlisted, &other).await.0, 200);
}
crate::both_engines!(org_allows_only_listed_cimd_hosts);

/// A DCR client waiting for approval: the member's request is recorded once, the admin sees it
/// and approves it, and then the member can consent. Every step is in the event log.
async fn dcr_client_waits_for_approval_then_consents(app: TestApp) {
    let s = subject(&app).await;
    let dcr = dcr_client(&app).await;
    let pre = create_client(&app, "third_party").await;
    set_policy(&app, &s, json!({"dcr_allowed_type": "APPROVAL_REQUIRED"})).await;
    for _ in 0..2 {
        let (status, out) = start(&app, &dcr, &s).await;
        assert_eq!(
            (status, error_type(&out)),
            (403, "connected_app_approval_pending"),
            "{out}"
        );
    }
    let (status, out) = submit(&app, &dcr, &s).await;
    assert_eq!(
        (status, error_type(&out)),
        (403, "connected_app_approval_pending")
    );
    // Pre-registered apps do not need approval.
    let (status, _) = app
        .post(
            "/v1/b2b/idp/oauth/authorize/start",
            crate::oauth_support::authorize_body(&pre, &s, "openid"),
        )
        .await;
    assert_eq!(status, 200);

    let approvals = format!("{}/connected_apps/approvals", org_path(&s));
    let (status, list) = app.get(&approvals).await;
    assert_eq!(status, 200, "{list}");
    let a = &list["approvals"].as_array().unwrap();
    assert_eq!(a.len(), 1, "{list}");
    assert_eq!(a[0]["connected_app_id"], dcr.as_str());
    assert_eq!(a[0]["status"], "pending");
    assert_eq!(a[0]["requested_by_member_id"], s.member_id.as_str());
    assert_eq!(a[0]["client_name"], "Agent (DCR)");

    let (status, out) = app
        .post(
            &format!("{}/connected_apps/{dcr}/approve", org_path(&s)),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "approved");
    let (status, out) = start(&app, &dcr, &s).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["consent_required"], true);
    let (status, out) = submit(&app, &dcr, &s).await;
    assert_eq!(status, 200, "{out}");
    // The installed-agents view names the path and the approval.
    let (_, agents) = app
        .get(&format!("{}/connected_apps/agents", org_path(&s)))
        .await;
    assert_eq!(agents["agents"][0]["registration_path"], "dcr", "{agents}");
    assert_eq!(
        agents["agents"][0]["approval_status"], "approved",
        "{agents}"
    );
    let (_, list) = app.get(&approvals).await;
    assert_eq!(list["approvals"][0]["status"], "approved");
    assert_eq!(
        list["approvals"][0]["decided_by"],
        format!("project:{}", app.project_id)
    );

    // Newest first: consent, approval, request (recorded once though asked three times).
    let page = events(&app, &s, "").await;
    assert_eq!(
        actions(&page),
        [
            "connected_app.consent_granted",
            "connected_app.approved",
            "connected_app.approval_requested"
        ],
        "{page}"
    );
    let consent = &page["events"][0];
    assert_eq!(
        consent["actor"],
        json!({"kind": "member", "id": s.member_id})
    );
    assert_eq!(
        consent["target"],
        json!({"kind": "connected_app", "id": dcr})
    );
    assert_eq!(consent["organization_id"], s.org_id.as_str());
    assert_eq!(consent["outcome"], "success");
    assert_eq!(consent["details"]["scopes"], json!(["openid"]));
    assert_eq!(consent["client_address"], "127.0.0.1");
    assert!(consent["created_at"].as_str().unwrap().ends_with('Z'));
    let approved = &page["events"][1];
    assert_eq!(
        approved["actor"],
        json!({"kind": "project", "id": app.project_id})
    );
    assert_eq!(page["events"][2]["outcome"], "pending");
}
both!(dcr_client_waits_for_approval_then_consents);

/// A denied client stays denied, and a denial ends what members had granted; approving again
/// lets members consent again.
async fn denied_client_stays_denied_until_approved(app: TestApp) {
    let s = subject(&app).await;
    let dcr = dcr_client(&app).await;
    set_policy(&app, &s, json!({"dcr_allowed_type": "APPROVAL_REQUIRED"})).await;
    let decide = |verb: &'static str| {
        let path = format!("{}/connected_apps/{dcr}/{verb}", org_path(&s));
        let app = &app;
        async move {
            let (status, out) = app.post(&path, json!({})).await;
            assert_eq!(status, 200, "{out}");
            out
        }
    };
    // An admin may decide before anyone asks.
    decide("approve").await;
    let (status, _) = submit(&app, &dcr, &s).await;
    assert_eq!(status, 200);
    let out = decide("deny").await;
    assert_eq!(out["revoked_members"], 1, "{out}");
    for _ in 0..2 {
        let (status, out) = start(&app, &dcr, &s).await;
        assert_eq!(
            (status, error_type(&out)),
            (403, "connected_app_approval_denied"),
            "{out}"
        );
    }
    let (_, agents) = app
        .get(&format!("{}/connected_apps/agents", org_path(&s)))
        .await;
    assert_eq!(agents["agents"], json!([]), "the denial revoked the grant");
    decide("approve").await;
    assert_eq!(start(&app, &dcr, &s).await.0, 200);
    // The member may still refuse; that is logged too.
    let mut refuse = body(&dcr, &s);
    refuse["consent_granted"] = false.into();
    refuse["prompt"] = "consent".into();
    refuse["code_challenge"] = pkce().1.into();
    let (status, out) = app.post("/v1/b2b/idp/oauth/authorize", refuse).await;
    assert_eq!(status, 200, "{out}");
    assert!(out["redirect_uri"]
        .as_str()
        .unwrap()
        .contains("error=access_denied"));
    let page = events(&app, &s, "?action=connected_app.consent_denied").await;
    assert_eq!(page["events"][0]["outcome"], "denied", "{page}");
    let (status, e) = app
        .post(
            &format!(
                "{}/connected_apps/connected-app-test-nope/approve",
                org_path(&s)
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), error_type(&e)),
        (404, "connected_app_not_found")
    );
    // The denial is in the log, filtered by action.
    let page = events(&app, &s, "?action=connected_app.denied").await;
    assert_eq!(actions(&page), ["connected_app.denied"]);
}
both!(denied_client_stays_denied_until_approved);

/// Revocations are logged, and both lists page with a cursor.
async fn events_are_listed_with_pagination(app: TestApp) {
    let s = subject(&app).await;
    let c = create_client(&app, "third_party").await;
    // Three consents (prompt=consent makes the member consent each time), then the revocations.
    for _ in 0..3 {
        let mut b = crate::oauth_support::authorize_body(&c, &s, "openid");
        b["prompt"] = "consent".into();
        let code = crate::resources::code(&app, &b).await;
        assert!(!code.is_empty());
    }
    let (status, _) = app
        .post(
            &format!(
                "{}/members/{}/connected_apps/{}/revoke",
                org_path(&s),
                s.member_id,
                c.id
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    crate::resources::code(
        &app,
        &crate::oauth_support::authorize_body(&c, &s, "openid"),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("{}/connected_apps/{}/revoke", org_path(&s), c.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);

    let mut seen = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let page = events(&app, &s, &query).await;
        let n = page["events"].as_array().unwrap().len();
        assert!(n <= 2, "{page}");
        seen.extend(actions(&page));
        match page["results_metadata"]["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "connected_app.organization_revoked",
            "connected_app.consent_granted",
            "connected_app.member_revoked",
            "connected_app.consent_granted",
            "connected_app.consent_granted",
            "connected_app.consent_granted",
        ]
    );
    // The project-wide list filters by organization and action.
    let (status, out) = app
        .get(&format!(
            "/v1/audit_events?organization_id={}&action=connected_app.member_revoked",
            s.org_id
        ))
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(actions(&out), ["connected_app.member_revoked"]);
    assert_eq!(
        out["events"][0]["details"]["member_id"],
        s.member_id.as_str()
    );
    // Another organization's events are not this one's.
    let other = subject(&app).await;
    assert_eq!(
        actions(&events(&app, &other, "").await),
        Vec::<String>::new()
    );
    let (status, out) = app.get("/v1/audit_events?limit=1").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["events"].as_array().unwrap().len(), 1);
    // A deleted organization's events stay listable by its id.
    let (status, _) = app.delete(&org_path(&s)).await;
    assert_eq!(status, 200);
    let (status, out) = app
        .get(&format!("/v1/audit_events?organization_id={}", s.org_id))
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["events"].as_array().unwrap().len(), 6, "{out}");
    let (status, e) = app.get("/v1/audit_events?cursor=nonsense").await;
    assert_eq!((status.as_u16(), error_type(&e)), (400, "invalid_cursor"));
}
both!(events_are_listed_with_pagination);

/// An admin acting with their own session (the header Stytch's SDKs send) may approve and is
/// the event's actor; a plain member may neither list nor approve, nor change the policy.
async fn admins_decide_with_their_session(app: TestApp) {
    let (org, admin, admin_s) = crate::sessions::logged_in(&app, json!(["stytch_admin"])).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let plain = app
        .create_member(
            org_id,
            json!({"email_address": format!("p-{}@x.io", crate::helpers::unique())}),
        )
        .await;
    let plain_s =
        crate::sessions::session_for(&app, org_id, plain["member_id"].as_str().unwrap()).await;
    let dcr = dcr_client(&app).await;
    let send = |method: reqwest::Method, path: String, token: String, body: Option<Value>| {
        let app = &app;
        async move {
            let mut req = app
                .client
                .request(method, format!("{}{path}", app.base))
                .basic_auth(&app.project_id, Some(&app.secret))
                .header("X-Stytch-Member-Session", token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            crate::helpers::read(req.send().await.unwrap()).await
        }
    };
    let base = format!("/v1/b2b/organizations/{org_id}");
    let approve = format!("{base}/connected_apps/{dcr}/approve");
    let policy = json!({"client_registration_policy": {"dcr_allowed_type": "NOT_ALLOWED"}});
    let plain_t = plain_s.session_token.clone();
    for (method, path, body) in [
        (reqwest::Method::POST, approve.clone(), Some(json!({}))),
        (
            reqwest::Method::GET,
            format!("{base}/connected_apps/approvals"),
            None,
        ),
        (reqwest::Method::PUT, base.clone(), Some(policy.clone())),
    ] {
        let (status, e) = send(method, path.clone(), plain_t.clone(), body).await;
        assert_eq!(
            (status.as_u16(), error_type(&e)),
            (403, "session_authorization_error"),
            "{path}: {e}"
        );
    }
    let admin_t = admin_s.session_token.clone();
    let (status, out) = send(
        reqwest::Method::POST,
        approve,
        admin_t.clone(),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let (status, out) = send(reqwest::Method::PUT, base.clone(), admin_t, Some(policy)).await;
    assert_eq!(status, 200, "{out}");
    let (_, page) = app
        .get(&format!(
            "{base}/connected_apps/events?action=connected_app.approved"
        ))
        .await;
    assert_eq!(
        page["events"][0]["actor"],
        json!({"kind": "member", "id": admin["member_id"]}),
        "{page}"
    );
}
both!(admins_decide_with_their_session);
