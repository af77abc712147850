//! Outgoing mail. With `smtp_url` configured, messages go through SMTP (lettre, rustls); without
//! it they go to the local outbox in the database, so a developer can follow links without a
//! mail server (`latchkey outbox` lists them). The log line names the link with its token
//! redacted: a log is shipped and kept far more widely than the database (security review #15).

use std::time::Duration;

use latchkey_core::ApiError;
use latchkey_store::{OutboxMessage, Store};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::envelope::ApiFailure;

/// How long one SMTP delivery may take before the request gives up on it.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One message to one recipient.
#[derive(Debug, Clone)]
pub struct Mail {
    pub project_id: String,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// The link the message carries (shown by `latchkey outbox`).
    pub link: String,
}

/// Where mail goes.
pub enum Mailer {
    /// The database outbox (no SMTP configured).
    Outbox,
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Outbox => f.write_str("Mailer::Outbox"),
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
        }
    }
}

impl Mailer {
    /// SMTP when `smtp_url` is set (`smtps://user:pass@host:465` for TLS,
    /// `smtp://...:587?tls=required` for STARTTLS, plain `smtp://host:25` for a local relay),
    /// else the outbox. `mail_from` is required with SMTP.
    pub fn new(smtp_url: Option<&str>, mail_from: Option<&str>) -> anyhow::Result<Self> {
        let Some(url) = smtp_url else {
            return Ok(Mailer::Outbox);
        };
        let from = mail_from
            .ok_or_else(|| {
                anyhow::anyhow!("mail_from (LATCHKEY_MAIL_FROM) is required when smtp_url is set")
            })?
            .parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("mail_from is not a usable address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("smtp_url is not usable: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    /// Delivers `mail`: through SMTP (bounded by a timeout; a failure is a 503
    /// `email_delivery_failed`, logged) or into the outbox.
    pub async fn send(&self, store: &dyn Store, mail: Mail, now: i64) -> Result<(), ApiFailure> {
        match self {
            Mailer::Outbox => {
                let id = store
                    .add_to_outbox(&OutboxMessage {
                        id: 0,
                        project_id: mail.project_id,
                        to_address: mail.to.clone(),
                        subject: mail.subject,
                        text_body: mail.text_body,
                        html_body: mail.html_body,
                        link: mail.link.clone(),
                        created_at: now,
                        channel: "email".into(),
                    })
                    .await
                    .inspect_err(|_| crate::metrics::mail("outbox", "failed"))?;
                crate::metrics::mail("outbox", "kept");
                let link = redact_link(&mail.link);
                tracing::info!(outbox_id = id, to = %mail.to, %link, "mail kept in the outbox (no SMTP configured); `latchkey outbox` shows the link");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to = mail.to.clone();
                let message = build_message(from, mail).map_err(|e| {
                    tracing::warn!(to = %to, error = %e, "mail could not be built");
                    ApiFailure(ApiError::bad_request(
                        "invalid_email",
                        "Email format is invalid.",
                    ))
                })?;
                let sent = tokio::time::timeout(SMTP_TIMEOUT, transport.send(message)).await;
                match sent {
                    Ok(Ok(_)) => {
                        crate::metrics::mail("smtp", "sent");
                        tracing::info!(to = %to, "mail sent");
                        Ok(())
                    }
                    Ok(Err(e)) => Err(delivery_failed(&to, &e.to_string())),
                    Err(_) => Err(delivery_failed(&to, "timed out")),
                }
            }
        }
    }
}

fn delivery_failed(to: &str, why: &str) -> ApiFailure {
    crate::metrics::mail("smtp", "failed");
    tracing::error!(to = %to, error = %why, "SMTP delivery failed");
    ApiFailure(ApiError::new(
        503,
        "email_delivery_failed",
        "The email could not be delivered: the mail server did not accept it. Try again later.",
    ))
}

fn build_message(from: &Mailbox, mail: Mail) -> anyhow::Result<Message> {
    let to: Mailbox = mail.to.parse()?;
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text_body),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html_body),
                ),
        )?)
}

/// Escapes text for HTML bodies.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The link with the values of credential-like query parameters (`token`, `code`, …)
/// replaced, for logs.
pub fn redact_link(link: &str) -> String {
    const SECRET: [&str; 3] = ["token", "code", "magic_links_token"];
    let Ok(mut url) = url::Url::parse(link) else {
        return "(unparseable link)".into();
    };
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if SECRET.contains(&k.as_ref()) {
                "REDACTED".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !pairs.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.set_fragment(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_are_redacted_for_the_log() {
        let r = super::redact_link(
            "http://127.0.0.1:1/oauth2/authorize/magic_link?stytch_token_type=x&token=SECRET#f",
        );
        assert_eq!(
            r,
            "http://127.0.0.1:1/oauth2/authorize/magic_link?stytch_token_type=x&token=REDACTED"
        );
        assert!(!super::redact_link("not a url SECRET").contains("SECRET"));
    }

    use super::*;

    #[test]
    fn smtp_needs_a_sender_and_a_valid_url() {
        assert!(matches!(Mailer::new(None, None).unwrap(), Mailer::Outbox));
        assert!(Mailer::new(Some("smtp://localhost:2525"), None).is_err());
        assert!(Mailer::new(Some("smtp://localhost:2525"), Some("not an address")).is_err());
        assert!(Mailer::new(Some("gopher://x"), Some("a@b.io")).is_err());
        let m = Mailer::new(Some("smtp://u:p@localhost:2525"), Some("Acme <a@b.io>")).unwrap();
        assert!(format!("{m:?}").contains("a@b.io"));
        assert!(!format!("{m:?}").contains("u:p"));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
