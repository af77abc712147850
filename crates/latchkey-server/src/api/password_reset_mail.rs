//! The reset link of `passwords/email/reset/start` (issue 13 item 6): its redirect URL, checked
//! against the project's registered URLs as magic links' are (https://stytch.com/docs/b2b/api/passwords-email-reset-start),
//! the stored token (a magic-link token of kind `reset_password`, kept as a SHA-256 hash) and the
//! mail that carries it.

use latchkey_core::ids::Environment;
use latchkey_core::magic_link as ml;
use latchkey_core::oauth::pkce::PkceChallenge;
use latchkey_core::password::reset;
use latchkey_core::ApiError;
use latchkey_types::{Member, Organization};

use super::magic_links::{store_link, NewLink};
use crate::envelope::ApiFailure;
use crate::mail::{html_escape, Mail};
use crate::state::AppState;

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// The reset link's redirect URL (the request's, else the configured default), registered for
/// the project as magic links' are ([`ml::redirect_allowed`]).
pub(super) async fn reset_redirect(
    state: &AppState,
    pid: &str,
    given: Option<&str>,
) -> Result<url::Url, ApiFailure> {
    let default = state.config.magic_link_redirect_url.as_deref();
    let Some(raw) = non_empty(given).or(default) else {
        return Err(ApiError::bad_request(
            "no_default_reset_password_redirect_url_set",
            "reset_password_redirect_url was not given and no default is configured (magic_link_redirect_url / LATCHKEY_MAGIC_LINK_REDIRECT_URL).",
        )
        .into());
    };
    let url = url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_reset_password_redirect_url",
                "reset_password_redirect_url must be an absolute http or https URL.",
            )
        })?;
    let registered = state.store.redirect_urls(pid).await?;
    let test_project = Environment::of_project(pid) == Environment::Test;
    if !ml::redirect_allowed(&url, &registered, default, test_project) {
        return Err(ApiError::bad_request(
            "no_match_for_provided_magic_link_url",
            "The reset_password_redirect_url in the request did not match any redirect URLs set for this project (latchkey project redirect-urls add).",
        )
        .into());
    }
    Ok(url)
}

pub(crate) async fn issue_reset_link(
    state: &AppState,
    pid: &str,
    m: &Member,
    redirect: &url::Url,
    challenge: Option<PkceChallenge>,
    minutes: i64,
) -> Result<String, ApiFailure> {
    let link = NewLink {
        kind: reset::LINK_KIND,
        redirect,
        challenge,
        minutes,
    };
    let token = store_link(state, pid, m, link).await?;
    Ok(reset::link(redirect, &token))
}

pub(crate) async fn send_reset_mail(
    state: &AppState,
    pid: &str,
    org: &Organization,
    to: &str,
    link: String,
) -> Result<(), ApiFailure> {
    let name = &org.organization_name;
    let lead = format!("Click the link below to choose a new password for {name}.");
    let text_body = format!(
        "{lead}\n\n{link}\n\nIf you did not ask to reset your password, you can ignore this email.\n"
    );
    let html_body = format!(
        "<!doctype html><html><body><p>{}</p><p><a href=\"{}\">Reset password</a></p>\
         <p>If you did not ask to reset your password, you can ignore this email.</p></body></html>",
        html_escape(&lead),
        html_escape(&link),
    );
    let mail = Mail {
        project_id: pid.to_owned(),
        to: to.to_owned(),
        subject: format!("Reset your password for {name}"),
        text_body,
        html_body,
        link,
    };
    let now = state.clock.now().unix_timestamp();
    state.mailer.send(state.store.as_ref(), mail, now).await
}
