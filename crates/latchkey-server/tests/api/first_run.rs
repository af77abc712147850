//! A first run that explains itself (issue 15 item 7): the front page on an empty database,
//! errors that say what to run next, and `latchkey demo`'s authorization URL followed to the end
//! (login, consent, the redirect back to the front page, the code exchanged for tokens).

use reqwest::StatusCode;
use serde_json::Value;

use crate::both;
use crate::browser::Browser;
use crate::db_copy::{latchkey, serve_on, text};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_database_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("empty.db").display());
    let (base, _stop) = serve_on(&url).await;
    let mut b = Browser::new(&base);
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    for text in [
        "latchkey",
        // The issuer (minijinja escapes its slashes).
        base.trim_start_matches("http://"),
        "No project yet",
        "latchkey project create",
        "latchkey demo",
        "/openapi.json",
    ] {
        assert!(home.body.contains(text), "{text} not in {}", home.body);
    }
    assert!(!home.body.contains("project-test-"), "{}", home.body);
    let res = reqwest::get(format!("{base}/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert!(v.to_string().contains("latchkey project create"), "{v}");
    // The management API says the same to credentials that cannot exist yet.
    let res = reqwest::Client::new()
        .get(format!("{base}/v1/b2b/organizations/x"))
        .basic_auth("project-test-x", Some("secret"))
        .send()
        .await
        .unwrap();
    let (status, v) = crate::helpers::read(res).await;
    assert_eq!(status, 401);
    assert_eq!(v["error_type"], "unauthorized_credentials");
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .contains("latchkey project create"),
        "{v}"
    );
}

async fn demo_url_signs_in_and_consents(app: TestApp) {
    let out = latchkey(vec![
        "--database-url".into(),
        app.database_url.clone(),
        "demo".into(),
        "--json".into(),
        "--base-url".into(),
        app.base.clone(),
    ])
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let demo: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = |k: &str| demo[k].as_str().unwrap().to_string();
    assert!(s("authorization_url").starts_with(&format!("{}/oauth2/authorize?", app.base)));

    let mut b = Browser::new(&app.base);
    let r = b.get(&s("authorization_url")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.follow(&r.location()).await;
    let csrf = page.csrf();
    let page = b
        .submit(
            "/oauth2/authorize/email",
            &[
                ("csrf_token", &csrf),
                ("email_address", &s("email_address")),
            ],
        )
        .await;
    assert!(page.body.contains("name=\"password\""), "{}", page.body);
    let csrf = page.csrf();
    let r = b
        .post(
            "/oauth2/authorize/password",
            &[("csrf_token", &csrf), ("password", &s("password"))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let consent = b.follow(&r.location()).await;
    assert!(
        consent.body.contains("Demo App wants access"),
        "{}",
        consent.body
    );
    let csrf = consent.csrf();
    let done = b
        .post(
            "/oauth2/authorize/consent",
            &[("csrf_token", &csrf), ("decision", "allow")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        done.location().starts_with(&s("redirect_uri")),
        "{}",
        done.location()
    );
    let code = done.query()["code"].clone();
    // The redirect URI is the front page, which says what happened.
    let back = b.get(&done.location()).await;
    assert_eq!(back.status, 200);
    assert!(back.body.contains("Signed in."), "{}", back.body);

    let res = reqwest::Client::new()
        .post(s("token_endpoint"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &s("redirect_uri")),
            ("client_id", &s("client_id")),
            ("client_secret", &s("client_secret")),
            ("code_verifier", &s("code_verifier")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert!(
        tokens["id_token"].is_string() && tokens["refresh_token"].is_string(),
        "{tokens}"
    );
}
both!(demo_url_signs_in_and_consents);
