//! Per-organization agent governance on the hosted pages, branch h11 (issue 11 item 5): the
//! member waiting for an admin's approval is told so, an unlisted CIMD host goes back to the
//! client as `access_denied`, and an admin approves on `/oauth2/organization/approvals`.

use serde_json::json;

use crate::both;
use crate::governance::{cimd_client, dcr_client, LOOPBACK};
use crate::helpers::TestApp;
use crate::oauth_support::pkce;

/// On the hosted page: a member who asks for a DCR client waiting for approval is told so (no
/// answer goes to the client yet); once an admin approved it, the consent page follows; an
/// unlisted CIMD host goes back to the client as `access_denied`.
async fn hosted_page_tells_the_member(backend: crate::helpers::Backend) {
    let app = crate::mcp_cimd::spawn_loopback(backend).await;
    let email = format!("mia-{}@acme.io", crate::helpers::unique());
    let org = crate::pages::org_with_member(&app, "Acme", &email).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let dcr = dcr_client(&app).await;
    let (status, out) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}"),
            json!({"client_registration_policy": {"dcr_allowed_type": "APPROVAL_REQUIRED",
                   "cimd_allowed_type": "RESTRICTED", "allowed_cimd_hosts": ["127.0.0.1"]}}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let url = |client_id: &str| {
        let challenge = pkce().1;
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", LOOPBACK),
                ("state", "s"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        format!("/oauth2/authorize?{q}")
    };
    let mut b = crate::pages::start(&app, &url(&dcr)).await;
    let page = crate::pages::log_in(&mut b, &email, None).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Waiting for approval"), "{}", page.body);
    assert!(page.body.contains("must approve this app"), "{}", page.body);
    let (_, list) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/connected_apps/approvals"
        ))
        .await;
    assert_eq!(list["approvals"][0]["status"], "pending", "{list}");
    let (status, _) = app
        .post(
            &format!("/v1/b2b/organizations/{org_id}/connected_apps/{dcr}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    // The member's session is still there: the next request goes straight to consent.
    let r = b.get(&url(&dcr)).await;
    let page = b.follow(&r.location()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("wants access"), "{}", page.body);

    let unlisted = cimd_client(&app, "localhost").await;
    let r = b.get(&url(&unlisted)).await;
    let r = b.get(&r.location()).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let back = r.location();
    assert!(back.starts_with(LOOPBACK), "{back}");
    let q = crate::oauth_support::query(&back);
    assert_eq!(q["error"], "access_denied", "{back}");
    assert!(q["error_description"].contains("localhost"), "{back}");
}
crate::both_engines!(hosted_page_tells_the_member);

/// On the hosted page: an admin signed in through the login pages approves the app a member is
/// waiting for; a member whose role does not allow it is refused the page.
async fn admin_approves_on_the_hosted_page(app: TestApp) {
    let email = format!("ada-{}@acme.io", crate::helpers::unique());
    let org = crate::pages::org_with_member(&app, "Acme", &email).await;
    let org_id = org["organization_id"].as_str().unwrap();
    let (_, found) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/member?email_address={email}"
        ))
        .await;
    let member_id = found["member"]["member_id"].as_str().unwrap();
    let dcr = dcr_client(&app).await;
    let policy = json!({"client_registration_policy": {"dcr_allowed_type": "APPROVAL_REQUIRED"}});
    let (status, _) = app
        .put(&format!("/v1/b2b/organizations/{org_id}"), policy)
        .await;
    assert_eq!(status, 200);
    let challenge = pkce().1;
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", dcr.as_str()),
            ("redirect_uri", LOOPBACK),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let mut b = crate::pages::start(&app, &format!("/oauth2/authorize?{q}")).await;
    let page = crate::pages::log_in(&mut b, &email, None).await;
    assert!(page.body.contains("Waiting for approval"), "{}", page.body);
    let approvals = format!(
        "/oauth2/organization/approvals?project_id={}",
        app.project_id
    );
    // Not an admin yet.
    let page = b.get(&approvals).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Only administrators"), "{}", page.body);
    let (status, out) = app
        .put(
            &format!("/v1/b2b/organizations/{org_id}/members/{member_id}"),
            json!({"roles": ["stytch_admin"]}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    let page = b.get(&approvals).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Agent (DCR)"), "{}", page.body);
    assert!(page.body.contains("pending"), "{}", page.body);
    let csrf = page.csrf();
    let bad = b
        .post(
            "/oauth2/organization/approvals",
            &[
                ("csrf_token", "forged"),
                ("project_id", &app.project_id),
                ("connected_app_id", &dcr),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(bad.status, 403, "{}", bad.body);
    let page = b
        .submit(
            "/oauth2/organization/approvals",
            &[
                ("csrf_token", &csrf),
                ("project_id", &app.project_id),
                ("connected_app_id", &dcr),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("approved"), "{}", page.body);
    let (_, list) = app
        .get(&format!(
            "/v1/b2b/organizations/{org_id}/connected_apps/approvals"
        ))
        .await;
    assert_eq!(list["approvals"][0]["status"], "approved", "{list}");
    assert_eq!(
        list["approvals"][0]["decided_by"],
        format!("member:{member_id}")
    );
    // Signed out, the page asks to sign in.
    let mut other = crate::browser::Browser::new(&app.base);
    let page = other.get(&approvals).await;
    assert_eq!(page.status, 401, "{}", page.body);
}
both!(admin_approves_on_the_hosted_page);
