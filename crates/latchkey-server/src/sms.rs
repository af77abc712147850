//! Outgoing SMS (issue 13 item 3), pluggable by configuration:
//!
//! - without `sms_webhook_url`, messages go to the database outbox (channel `sms`), which
//!   `latchkey outbox` lists beside mail, so a developer can read a code without a provider;
//! - with it, each message is POSTed as JSON to the operator's webhook, signed with
//!   `sms_webhook_secret` (`X-Latchkey-Timestamp`, `X-Latchkey-Signature: v1=HMAC-SHA256(secret,
//!   "{timestamp}.{body}")`, [`latchkey_core::otp::webhook_signature`]), so any SMS provider can
//!   be plugged in without code (docs/operations.md "SMS"). The URL is operator configuration:
//!   it goes through the fetcher's trusted mode (any address; no redirects, no proxies, a 3 s
//!   timeout).
//!
//! Message bodies carry codes: they are never logged.

use latchkey_core::ApiError;
use latchkey_store::{OutboxMessage, Store};
use serde::Serialize;
use url::Url;

use crate::envelope::ApiFailure;
use crate::fetch::GuardedFetcher;

/// Shortest accepted webhook secret, in bytes.
const MIN_SECRET_BYTES: usize = 16;
pub const TIMESTAMP_HEADER: &str = "x-latchkey-timestamp";
pub const SIGNATURE_HEADER: &str = "x-latchkey-signature";

/// One text message to one phone number (E.164).
#[derive(Clone)]
pub struct Sms {
    pub project_id: String,
    pub to: String,
    pub body: String,
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sms(to {}, body <redacted>)", self.to)
    }
}

/// The webhook's shared secret: redacted in Debug.
#[derive(Clone)]
pub struct WebhookSecret(pub String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The JSON body POSTed to the webhook (docs/operations.md documents it).
#[derive(Serialize)]
struct Delivery<'a> {
    /// Always `sms`.
    r#type: &'static str,
    /// Unique per message: receivers can drop a redelivery.
    id: &'a str,
    project_id: &'a str,
    to: &'a str,
    body: &'a str,
    /// Unix seconds, as in `X-Latchkey-Timestamp`.
    created_at: i64,
}

/// Where SMS go.
pub enum SmsSender {
    Outbox,
    Webhook {
        url: Url,
        secret: WebhookSecret,
        fetcher: GuardedFetcher,
    },
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSender::Outbox => f.write_str("SmsSender::Outbox"),
            SmsSender::Webhook { url, .. } => write!(f, "SmsSender::Webhook({url})"),
        }
    }
}

impl SmsSender {
    /// The webhook when `sms_webhook_url` is set (an absolute http(s) URL; `sms_webhook_secret`
    /// of at least 16 bytes is then required), else the outbox.
    pub fn new(url: Option<&str>, secret: Option<&WebhookSecret>) -> anyhow::Result<Self> {
        let Some(url) = url else {
            return Ok(SmsSender::Outbox);
        };
        let url = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "sms_webhook_url (LATCHKEY_SMS_WEBHOOK_URL) is not an absolute http(s) URL"
                )
            })?;
        let secret = secret
            .filter(|s| s.0.len() >= MIN_SECRET_BYTES)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "sms_webhook_secret (LATCHKEY_SMS_WEBHOOK_SECRET) of at least {MIN_SECRET_BYTES} bytes is required with sms_webhook_url"
                )
            })?
            .clone();
        Ok(SmsSender::Webhook {
            url,
            secret,
            fetcher: GuardedFetcher::operator()?,
        })
    }

    /// Delivers `sms` (`id` names it for the receiver): into the outbox, or to the webhook (a
    /// failure is a 503 `sms_delivery_failed`, logged without the body).
    pub async fn send(
        &self,
        store: &dyn Store,
        sms: Sms,
        id: &str,
        now: i64,
    ) -> Result<(), ApiFailure> {
        match self {
            SmsSender::Outbox => {
                let outbox_id = store
                    .add_to_outbox(&OutboxMessage {
                        id: 0,
                        project_id: sms.project_id,
                        to_address: sms.to.clone(),
                        subject: String::new(),
                        text_body: sms.body,
                        html_body: String::new(),
                        link: String::new(),
                        created_at: now,
                        channel: "sms".into(),
                    })
                    .await?;
                tracing::info!(outbox_id, to = %sms.to, "SMS kept in the outbox (no SMS webhook configured); `latchkey outbox` shows it");
                Ok(())
            }
            SmsSender::Webhook {
                url,
                secret,
                fetcher,
            } => {
                let body = serde_json::to_vec(&Delivery {
                    r#type: "sms",
                    id,
                    project_id: &sms.project_id,
                    to: &sms.to,
                    body: &sms.body,
                    created_at: now,
                })
                .map_err(|_| ApiFailure(ApiError::internal()))?;
                let signature =
                    latchkey_core::otp::webhook_signature(secret.0.as_bytes(), now, &body);
                let headers = [
                    (TIMESTAMP_HEADER, now.to_string()),
                    (SIGNATURE_HEADER, signature),
                ];
                match fetcher.post_json(url, body, &headers).await {
                    Ok(()) => {
                        tracing::info!(to = %sms.to, id, "SMS handed to the webhook");
                        Ok(())
                    }
                    Err(why) => {
                        tracing::error!(to = %sms.to, id, error = %why, "SMS webhook delivery failed");
                        Err(ApiFailure(ApiError::new(
                            503,
                            "sms_delivery_failed",
                            "The SMS could not be sent: the SMS provider did not accept it. Try again later.",
                        )))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_needs_a_url_and_a_long_secret() {
        assert!(matches!(
            SmsSender::new(None, None).unwrap(),
            SmsSender::Outbox
        ));
        let short = WebhookSecret("short".into());
        let long = WebhookSecret("0123456789abcdef-long-enough".into());
        assert!(SmsSender::new(Some("https://sms.example/hook"), None).is_err());
        assert!(SmsSender::new(Some("https://sms.example/hook"), Some(&short)).is_err());
        assert!(SmsSender::new(Some("ftp://sms.example"), Some(&long)).is_err());
        let s = SmsSender::new(Some("https://sms.example/hook"), Some(&long)).unwrap();
        assert!(format!("{s:?}").contains("sms.example"));
        assert!(!format!("{long:?}").contains("long-enough"));
    }
}
