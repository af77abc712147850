//! Who is asking, for the consent page (branch mcp, issue 10): a client that registered itself
//! (RFC 7591) chose its own name and logo, so the page says they are unverified; a client known
//! by its metadata document is shown with the host that published it; and when every
//! redirect the client registered goes to this computer (loopback, RFC 8252 §7.3), the page
//! warns that the app runs locally, which is what a desktop or command-line MCP client is and
//! what a phishing page pretending to be one cannot be.

use latchkey_core::oauth::registration::is_http_loopback;
use latchkey_types::ConnectedApp;
use minijinja::{context, Value};

use crate::oauth::registration_settings::is_self_registered;

/// The template's `provenance` value.
pub fn view(app: &ConnectedApp) -> Value {
    let loopback_only =
        !app.redirect_urls.is_empty() && app.redirect_urls.iter().all(|u| is_loopback(u));
    // A metadata-document client is named by its URL: the host that published it is the one
    // thing about it that is verified (it served the document over https).
    let document_host = app
        .client_id_metadata_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string));
    context! {
        unverified => is_self_registered(app),
        document_host,
        loopback_only,
    }
}

fn is_loopback(u: &str) -> bool {
    is_http_loopback(u) || u.starts_with("https://127.0.0.1") || u.starts_with("https://[::1]")
}
