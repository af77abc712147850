//! Issue 14 items 3, 7, 8: enterprise-managed authorization. An organization trusts an
//! identity assertion issuer (served here on loopback with an ES256 JWK set); a confidential
//! client allowed the `jwt-bearer` grant redeems an ID-JAG
//! (draft-ietf-oauth-identity-assertion-authz-grant §3.1's example claims) for an access token
//! bound to the resource, for the member whose `external_id` is the assertion's `sub`, with the
//! scopes the member may grant. The refusals are the draft's and RFC 7523 §3's: an untrusted
//! issuer, a replayed `jti`, a wrong `aud`, an expired assertion, no `typ`, a member outside
//! the organization, an unknown `sub`, a client not allowed the grant.

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::helpers::{unique, Backend, TestApp};
use crate::mcp_cimd::{join_all, spawn_loopback, DocServer};
use crate::oauth_support::{create_client, form, introspect, Client};

/// The IdP's signing key (P-256, generated for these tests) and its public half.
const IDP_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQght8kvSsN3hpJpKsh
wH9EOdwUFwVVVD3KYEEAF4eeMqmhRANCAATpdfMsCY2GVTl5Z3cnWlPtzPSwr4Gi
KsOKqUPpLemt62KwG7owQY+xuwM01aT0zzIHEUonzCR813sJgctO8n1y
-----END PRIVATE KEY-----";
const IDP_X: &str = "6XXzLAmNhlU5eWd3J1pT7cz0sK-BoirDiqlD6S3pres";
const IDP_Y: &str = "YrAbujBBj7G7AzTVpPTPMgcRSifMJHzXewmBy07yfXI";
/// Another key, not published: its signatures must not verify.
const ROGUE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/x0mroIn6tXFG9tT
5h/EsBP4PgRiJ5u8zDl+837vqiqhRANCAAQg9JnLiPr/NEhubsTiUJ3MpdDA4Sz7
AQ4Ws+JtlUfWGiQnhyRi1GQEt14MDLwaMPHURODjXytZEqwU0j51cxB5
-----END PRIVATE KEY-----";
pub(crate) const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub(crate) const RESOURCE: &str = "https://mcp.chat.example/mcp";

pub(crate) fn payload(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

/// Everything an enterprise-managed test needs.
pub(crate) struct Enterprise {
    pub idp: DocServer,
    pub issuer: String,
    pub org_id: String,
    pub member_id: String,
    pub external_id: String,
    pub client: Client,
}

/// The draft's example claims for `e`, `now` from the server's clock.
pub(crate) fn claims(app: &TestApp, e: &Enterprise) -> Value {
    let now = app.state.clock.now().unix_timestamp();
    json!({
        "iss": e.issuer, "sub": e.external_id, "aud": app.base,
        "client_id": e.client.id, "jti": format!("jti-{}", unique()),
        "exp": now + 300, "iat": now, "resource": RESOURCE,
        "scope": "chat.read chat.history full_access",
    })
}

pub(crate) fn sign_with(pem: &str, typ: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("idp-1".into());
    header.typ = typ.map(str::to_string);
    let key = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    encode(&header, claims, &key).unwrap()
}

pub(crate) fn id_jag(claims: &Value) -> String {
    sign_with(IDP_KEY, Some("oauth-id-jag+jwt"), claims)
}

pub(crate) async fn redeem(app: &TestApp, client: &Client, assertion: &str) -> (StatusCode, Value) {
    let mut f = client.auth();
    f.push(("grant_type", GRANT.to_string()));
    f.push(("assertion", assertion.to_string()));
    let (s, _, b) = form(app, "/v1/oauth2/token", &f).await;
    (s, b)
}

/// A resource, a third-party client allowed the grant, an organization trusting the loopback
/// IdP for that client, and a member with an external id.
pub(crate) async fn enterprise(app: &TestApp) -> Enterprise {
    let (s, r) = app
        .post(
            "/v1/connected_apps/resources",
            json!({"url": RESOURCE, "name": "Chat", "scopes": [{"scope": "chat.read"}, {"scope": "chat.history"}]}),
        )
        .await;
    assert!(
        s == 200 || r["error_type"] == "duplicate_resource_url",
        "{r}"
    );
    let client = create_client(app, "third_party").await;
    let (s, b) = app
        .put(
            &format!("/v1/connected_apps/clients/{}", client.id),
            json!({"jwt_bearer_allowed": true}),
        )
        .await;
    assert_eq!(
        (s, &b["connected_app"]["jwt_bearer_allowed"]),
        (StatusCode::OK, &json!(true)),
        "{b}"
    );
    let idp = DocServer::start().await;
    idp.set(
        "jwks",
        200,
        serde_json::to_vec(
            &json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "idp-1",
            "use": "sig", "alg": "ES256", "x": IDP_X, "y": IDP_Y}]}),
        )
        .unwrap(),
    );
    let issuer = idp.url(&format!("idp-{}", unique()));
    let org = app
        .create_org(
            json!({"organization_name": "Acme", "organization_slug": format!("acme-{}", unique())}),
        )
        .await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let external_id = format!("U{}", unique());
    let m = app
        .create_member(
            &org_id,
            json!({"email_address": format!("u-{}@acme.example", unique()), "external_id": external_id}),
        )
        .await;
    let (s, b) = app
        .post(
            &format!("/v1/b2b/organizations/{org_id}/identity_assertion_issuers"),
            json!({"issuer": issuer, "jwks_url": idp.url("jwks"), "allowed_client_ids": [client.id]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    Enterprise {
        idp,
        issuer,
        org_id,
        member_id: m["member_id"].as_str().unwrap().to_string(),
        external_id,
        client,
    }
}

/// The draft's flow: the ID-JAG becomes a resource-bound access token for the member, without
/// a refresh or ID token, limited to what the member may grant this client (`full_access` is
/// for first-party clients only); a second redemption of the same assertion is refused.
async fn redeems_an_id_jag(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let e = enterprise(&app).await;
    let assertion = id_jag(&claims(&app, &e));
    let (s, t) = redeem(&app, &e.client, &assertion).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["scope"], "chat.read chat.history");
    assert!(
        t.get("refresh_token").is_none() && t.get("id_token").is_none(),
        "{t}"
    );
    let c = payload(t["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], e.member_id.as_str());
    assert_eq!(c["client_id"], e.client.id.as_str());
    assert_eq!(c["aud"], json!([RESOURCE]));
    assert_eq!(
        c["https://stytch.com/organization"]["organization_id"],
        e.org_id.as_str()
    );
    let live = introspect(&app, &e.client, t["access_token"].as_str().unwrap()).await;
    assert_eq!(live["active"], true, "{live}");

    let (s, again) = redeem(&app, &e.client, &assertion).await;
    assert_eq!(
        (s, again["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert!(
        again["error_description"].as_str().unwrap().contains("jti"),
        "{again}"
    );

    // The enterprise grant is in the organization's event log.
    let (s, log) = app
        .get(&format!(
            "/v1/b2b/organizations/{}/connected_apps/events",
            e.org_id
        ))
        .await;
    assert_eq!(s, 200, "{log}");
    assert!(
        log.to_string()
            .contains("connected_app.enterprise_authorized"),
        "{log}"
    );

    // Discovery lists every grant and the ID-JAG profile (issue 14 item 8).
    let (_, doc) = app.get("/.well-known/oauth-authorization-server").await;
    let grants = doc["grant_types_supported"].as_array().unwrap();
    for g in [
        GRANT,
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_credentials",
    ] {
        assert!(grants.iter().any(|x| x == g), "{g} in {doc}");
    }
    assert_eq!(
        doc["authorization_grant_profiles_supported"],
        json!(["urn:ietf:params:oauth:grant-profile:id-jag"])
    );
}
both_engines!(redeems_an_id_jag);

/// Concurrent redemptions of one ID-JAG: exactly one token.
async fn jti_is_single_use_under_concurrency(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let e = enterprise(&app).await;
    let assertion = id_jag(&claims(&app, &e));
    let runs = (0..12)
        .map(|_| redeem(&app, &e.client, &assertion))
        .collect();
    let results = join_all(runs).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(results
        .iter()
        .filter(|(s, _)| *s != 200)
        .all(|(_, b)| b["error"] == "invalid_grant"));
}
both_engines!(jti_is_single_use_under_concurrency);

async fn refused(app: &TestApp, e: &Enterprise, assertion: &str, error: &str, why: &str) {
    let (s, b) = redeem(app, &e.client, assertion).await;
    assert_eq!(b["error"], error, "{why}: {b}");
    assert_ne!(s, 200, "{why}");
}

/// Each broken assertion is refused with RFC 6749 §5.2 JSON.
async fn refuses_bad_assertions(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let e = enterprise(&app).await;
    let set = |k: &str, v: Value| {
        let mut c = claims(&app, &e);
        c[k] = v;
        c
    };
    let now = app.state.clock.now().unix_timestamp();
    let cases = [
        (
            id_jag(&set("iss", json!("https://untrusted.example"))),
            "untrusted issuer",
        ),
        (
            id_jag(&set("aud", json!("https://other-as.example"))),
            "wrong aud",
        ),
        (id_jag(&set("exp", json!(now - 120))), "expired"),
        (id_jag(&set("iat", json!(now - 3600))), "issued long ago"),
        (sign_with(IDP_KEY, None, &claims(&app, &e)), "typ missing"),
        (
            sign_with(IDP_KEY, Some("JWT"), &claims(&app, &e)),
            "typ JWT",
        ),
        (
            sign_with(ROGUE_KEY, Some("oauth-id-jag+jwt"), &claims(&app, &e)),
            "bad signature",
        ),
        (
            id_jag(&set("sub", json!("U-nobody"))),
            "unknown external_id",
        ),
        (
            id_jag(&set("client_id", json!("connected-app-test-other"))),
            "client_id claim",
        ),
        (
            id_jag(&set("scope", json!("unknown:scope"))),
            "unknown scope (invalid_scope)",
        ),
    ];
    for (a, why) in &cases {
        let want = if why.contains("invalid_scope") {
            "invalid_scope"
        } else {
            "invalid_grant"
        };
        refused(&app, &e, a, want, why).await;
    }
    // An unregistered resource.
    refused(
        &app,
        &e,
        &id_jag(&set("resource", json!("https://unregistered.example/"))),
        "invalid_target",
        "resource",
    )
    .await;
    // A member of another organization with that external id.
    let other = app
        .create_org(json!({"organization_name": "Other", "organization_slug": format!("other-{}", unique())}))
        .await;
    let outsider = format!("X{}", unique());
    app.create_member(
        other["organization_id"].as_str().unwrap(),
        json!({"email_address": format!("x-{}@other.example", unique()), "external_id": outsider}),
    )
    .await;
    refused(
        &app,
        &e,
        &id_jag(&set("sub", json!(outsider))),
        "invalid_grant",
        "member outside the organization",
    )
    .await;
    // The email address alone never identifies a member.
    let (_, m) = app
        .get(&format!(
            "/v1/b2b/organizations/{}/member?member_id={}",
            e.org_id, e.member_id
        ))
        .await;
    let email = m["member"]["email_address"].as_str().unwrap().to_string();
    refused(
        &app,
        &e,
        &id_jag(&set("sub", json!(email))),
        "invalid_grant",
        "email as sub",
    )
    .await;
}
both_engines!(refuses_bad_assertions);

/// The grant is a per-client setting, off by default, confidential clients only; the issuer
/// must allow the client; the organization's Connected Apps policy applies.
async fn client_and_organization_rules(backend: Backend) {
    let app = spawn_loopback(backend).await;
    let e = enterprise(&app).await;
    let plain = create_client(&app, "third_party").await;
    let (s, b) = app
        .get(&format!("/v1/connected_apps/clients/{}", plain.id))
        .await;
    assert_eq!(
        (s, &b["connected_app"]["jwt_bearer_allowed"]),
        (StatusCode::OK, &json!(false))
    );
    let mut c = claims(&app, &e);
    c["client_id"] = plain.id.clone().into();
    let (s, b) = redeem(&app, &plain, &id_jag(&c)).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client")),
        "{b}"
    );
    // Allowed, but not by the issuer.
    app.put(
        &format!("/v1/connected_apps/clients/{}", plain.id),
        json!({"jwt_bearer_allowed": true}),
    )
    .await;
    let (_, b) = redeem(&app, &plain, &id_jag(&c)).await;
    assert_eq!(b["error"], "invalid_grant", "{b}");
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("allowed_client_ids"),
        "{b}"
    );
    // Public clients cannot be allowed.
    let public = create_client(&app, "third_party_public").await;
    let (s, b) = app
        .put(
            &format!("/v1/connected_apps/clients/{}", public.id),
            json!({"jwt_bearer_allowed": true}),
        )
        .await;
    assert_eq!(
        (s, b["error_type"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("jwt_bearer_requires_confidential_client")
        )
    );
    // The organization closes itself to third-party apps.
    let (s, b) = app
        .put(
            &format!("/v1/b2b/organizations/{}", e.org_id),
            json!({"third_party_connected_apps_allowed_type": "NOT_ALLOWED"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, b) = redeem(&app, &e.client, &id_jag(&claims(&app, &e))).await;
    assert_eq!(b["error"], "invalid_grant", "{b}");
    assert!(
        b["error_description"].as_str().unwrap().contains("policy"),
        "{b}"
    );
}
both_engines!(client_and_organization_rules);
