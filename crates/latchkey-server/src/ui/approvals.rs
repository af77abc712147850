//! `/oauth2/organization/approvals` (latchkey extension, issue 11 item 5): the hosted page on
//! which an organization's admin approves or denies the clients its members asked for, with
//! the browser's member session (the one the login pages set) and only when the member's role
//! may update the organization's Connected Apps settings (the API's RBAC rule,
//! `update.settings.connected-apps` on `stytch.organization`). The decision is the API's
//! ([`crate::api::approvals::record`]); forms carry a double-submit CSRF token.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_core::oauth::agent_policy::ApprovalStatus;
use latchkey_core::rbac::Operation;
use latchkey_types::AuditParty;
use minijinja::context;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::page::{error_page, respond, see_other, with_cookies, Fail, Page};
use super::{cookies, pending};
use crate::api::approvals::{record, Decision};
use crate::api::member_auth::Acting;
use crate::client_address::ClientAddress;
use crate::sessions::{self, Credential};
use crate::state::AppState;

pub const PATH: &str = "/oauth2/organization/approvals";
const CSRF: &str = "latchkey_approvals_csrf";

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    project_id: Option<String>,
    csrf_token: Option<String>,
    connected_app_id: Option<String>,
    decision: Option<String>,
}

fn page_error(state: &AppState, status: StatusCode, heading: &str, message: &str) -> Fail {
    Fail::Page(error_page(state, status, heading, message, None))
}

/// The admin: the browser's session for the project, allowed to decide for its organization.
async fn admin(
    state: &AppState,
    headers: &HeaderMap,
    q: &Params,
) -> Result<(String, Acting), Fail> {
    let project_id = q
        .project_id
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| state.config.default_project_id.clone())
        .ok_or_else(|| {
            page_error(
                state,
                StatusCode::BAD_REQUEST,
                "Which project?",
                "Add ?project_id= to the address.",
            )
        })?;
    let signed_out = || {
        page_error(
            state,
            StatusCode::UNAUTHORIZED,
            "Sign in first",
            "Sign in through one of your organization's apps, then come back to this page.",
        )
    };
    let token = cookies::get(headers, &cookies::session(&project_id)).ok_or_else(signed_out)?;
    let loaded = sessions::resolve(state, &project_id, Credential::Token(&token))
        .await
        .map_err(|_| signed_out())?;
    let acting = Acting { loaded };
    let org = acting.loaded.org.clone();
    let op = Operation::OrganizationConnectedAppApprovals;
    acting
        .authorize(state, &project_id, &org, None, op)
        .await
        .map_err(|_| {
            page_error(
                state,
                StatusCode::FORBIDDEN,
                "Only administrators can see this page",
                "Your role in this organization does not allow approving apps.",
            )
        })?;
    Ok((project_id, acting))
}

/// `GET /oauth2/organization/approvals[?project_id=]`: the organization's requests.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    let r = async {
        let (project_id, acting) = admin(&state, &headers, &q).await?;
        let org = &acting.loaded.org;
        let rows = state
            .store
            .organization_client_approvals(&org.organization_id)
            .await?;
        let mut approvals = Vec::with_capacity(rows.len());
        for a in &rows {
            let name = state
                .store
                .get_connected_app(&project_id, &a.client_id)
                .await?
                .map_or_else(|| a.client_id.clone(), |c| c.client_name);
            approvals.push(context! { client_id => &a.client_id, name, status => &a.status });
        }
        let token = pending::random(&state);
        let secure = cookies::secure(&state, &headers);
        let cookie = cookies::set(CSRF, &token, PATH, Some(600), secure);
        let page = Page::new(
            "approvals.html",
            "App approvals",
            context! {
                organization_name => &org.organization_name,
                approvals,
                project_id => &project_id,
                csrf_token => token,
            },
        );
        Ok(with_cookies(page.render(&state), &[cookie]))
    }
    .await;
    respond(&state, r)
}

/// `POST /oauth2/organization/approvals`: Approve or Deny one client, then the list again.
pub async fn decide(
    State(state): State<AppState>,
    ClientAddress(addr): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = async {
        let q: Params = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let expected = cookies::get(&headers, CSRF).unwrap_or_default();
        let given = q.csrf_token.clone().unwrap_or_default();
        if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(page_error(
                &state,
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Open the approvals page again.",
            ));
        }
        let status = match q.decision.as_deref() {
            Some("approve") => ApprovalStatus::Approved,
            Some("deny") => ApprovalStatus::Denied,
            _ => {
                return Err(page_error(
                    &state,
                    StatusCode::BAD_REQUEST,
                    "Choose Approve or Deny",
                    "The form did not say what to do.",
                ))
            }
        };
        let client_id = q.connected_app_id.clone().unwrap_or_default();
        let (project_id, acting) = admin(&state, &headers, &q).await?;
        let d = Decision {
            project_id: &project_id,
            org: &acting.loaded.org,
            client_id: &client_id,
            status,
        };
        let who = AuditParty::new("member", acting.member_id());
        record(&state, &d, who, addr).await?;
        let back = url::form_urlencoded::Serializer::new(format!("{PATH}?"))
            .append_pair("project_id", &project_id)
            .finish();
        Ok(see_other(&back))
    }
    .await;
    respond(&state, r)
}
