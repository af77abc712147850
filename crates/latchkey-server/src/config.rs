//! Configuration: defaults, overridden by a TOML file (`--config` / `LATCHKEY_CONFIG`),
//! overridden by environment variables, overridden by command-line flags. clap reads flags and
//! environment together; the file fills what both leave unset.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://latchkey.db";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Stytch rotates its signing keys about every six months.
pub const DEFAULT_KEY_ROTATION_DAYS: i64 = 180;
/// Stytch keeps a retired key published for a month.
pub const DEFAULT_KEY_RETENTION_DAYS: i64 = 30;
/// Agents refresh in parallel; ten seconds covers a burst of concurrent tool calls.
pub const DEFAULT_REFRESH_GRACE_SECONDS: i64 = 10;
/// A client gets this long to send a request's headers (slowloris, security review #7); also
/// how long an idle keep-alive connection stays open.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// A client gets this long to send a request's body.
pub const DEFAULT_REQUEST_BODY_TIMEOUT_SECS: u64 = 30;
/// Connections served at once; further ones wait in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The settings a TOML file may hold; every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub max_body_bytes: Option<usize>,
    pub master_key: Option<String>,
    pub key_rotation_days: Option<i64>,
    pub key_retention_days: Option<i64>,
    pub audit_retention_days: Option<i64>,
    pub default_project_id: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub refresh_grace_seconds: Option<i64>,
    pub trust_x_forwarded_for: Option<bool>,
    pub client_metadata_allow_http_loopback: Option<bool>,
    pub password_strength_policy: Option<String>,
    pub password_luds_min_length: Option<u32>,
    pub password_luds_min_complexity: Option<u32>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub magic_link_redirect_url: Option<String>,
    pub product_name: Option<String>,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
    pub header_read_timeout_secs: Option<u64>,
    pub request_body_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
    pub metrics_listen: Option<String>,
    pub cache_ttl_seconds: Option<u64>,
    pub sms_webhook_url: Option<String>,
    pub sms_webhook_secret: Option<String>,
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("config file {} is not valid: {e}", path.display()))
    }
}

/// The resolved configuration of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub log_format: LogFormat,
    pub max_body_bytes: usize,
    /// Seals signing keys at rest when set (32 bytes, hex or base64).
    pub master_key: Option<std::sync::Arc<latchkey_core::jwt::MasterKey>>,
    /// Signing keys rotate after this many days (0: only by `latchkey keys rotate`).
    pub key_rotation_days: i64,
    /// Retired keys stay published this many days.
    pub key_retention_days: i64,
    /// Audit events are kept this many days (0: forever).
    pub audit_retention_days: i64,
    /// The project served at project-less paths (`/.well-known/jwks.json`); when unset and the
    /// database holds exactly one project, that one.
    pub default_project_id: Option<String>,
    /// The OAuth/OIDC issuer (this server's public origin, e.g. `https://login.example.com`).
    /// Unset: `http://{Host}` for a loopback `Host` only (development); any other `Host` is
    /// refused ([`crate::issuer`]).
    pub issuer: Option<String>,
    /// The authorization endpoint advertised in discovery (a customer-hosted page); unset:
    /// latchkey's own `{issuer}/oauth2/authorize`.
    pub authorization_url: Option<String>,
    /// Parallel refreshes with one rotating refresh token within this many seconds get the same
    /// successor instead of revoking the family (0 disables).
    pub refresh_grace_seconds: i64,
    /// Take the client address for password throttling from the last `X-Forwarded-For` entry
    /// (set only behind a reverse proxy that appends it); otherwise the TCP peer address.
    pub trust_x_forwarded_for: bool,
    /// Development and tests only: client ID metadata documents (and `jwks_uri`) may be
    /// fetched over `http` from loopback addresses. Logged as a warning at start.
    pub client_metadata_allow_http_loopback: bool,
    /// `passwords/strength_check` policy: zxcvbn (default) or LUDS.
    pub password_strength_policy: latchkey_core::password::StrengthPolicy,
    /// SMTP server for outgoing mail; without it mail goes to the database outbox.
    pub smtp_url: Option<SmtpUrl>,
    /// The From address of outgoing mail (required with `smtp_url`).
    pub mail_from: Option<String>,
    /// Where magic links point when a request names no redirect URL.
    pub magic_link_redirect_url: Option<String>,
    /// How the hosted login and consent pages look.
    pub branding: Branding,
    /// Timeouts and the connection cap of the HTTP listener.
    pub limits: ConnectionLimits,
    /// When set, `/metrics` is served only on this address (a second listener), not on
    /// `listen` (`metrics_listen` / `LATCHKEY_METRICS_LISTEN`).
    pub metrics_listen: Option<SocketAddr>,
    /// How long a replica keeps project settings and clients in memory (`cache.rs`; 0: off).
    pub cache_ttl_seconds: u64,
    /// Issue 13 item 3: SMS go to this webhook (signed with `sms_webhook_secret`); unset, to
    /// the database outbox ([`crate::sms`]).
    pub sms_webhook_url: Option<String>,
    pub sms_webhook_secret: Option<crate::sms::WebhookSecret>,
}

/// How long slow clients may take and how many connections are served at once (security
/// review #7). Every value is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_read_timeout: std::time::Duration,
    pub request_body_timeout: std::time::Duration,
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            request_body_timeout: std::time::Duration::from_secs(DEFAULT_REQUEST_BODY_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ConnectionLimits {
    fn resolve(file: &FileConfig) -> Self {
        let secs = |v: Option<u64>, d: u64| std::time::Duration::from_secs(v.unwrap_or(d).max(1));
        ConnectionLimits {
            header_read_timeout: secs(
                file.header_read_timeout_secs,
                DEFAULT_HEADER_READ_TIMEOUT_SECS,
            ),
            request_body_timeout: secs(
                file.request_body_timeout_secs,
                DEFAULT_REQUEST_BODY_TIMEOUT_SECS,
            ),
            max_connections: file
                .max_connections
                .unwrap_or(DEFAULT_MAX_CONNECTIONS)
                .max(1),
        }
    }
}

/// Branding of the hosted pages: the product's name, its logo and the accent colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub product_name: String,
    /// An absolute `https` URL (or a path on this server); none: the product name alone.
    pub logo_url: Option<String>,
    /// `#rgb` or `#rrggbb`.
    pub accent_color: String,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            product_name: "latchkey".into(),
            logo_url: None,
            accent_color: "#3b5bdb".into(),
        }
    }
}

impl Branding {
    fn resolve(file: &FileConfig, env: &EnvSettings) -> anyhow::Result<Self> {
        let d = Branding::default();
        let accent_color = env
            .accent_color
            .clone()
            .or_else(|| file.accent_color.clone())
            .unwrap_or(d.accent_color);
        let hex = accent_color.strip_prefix('#').unwrap_or("");
        if !matches!(hex.len(), 3 | 6) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!(
                "accent_color / LATCHKEY_ACCENT_COLOR {accent_color:?} is not #rgb or #rrggbb"
            );
        }
        let logo_url = env.logo_url.clone().or_else(|| file.logo_url.clone());
        if let Some(u) = &logo_url {
            let absolute_https = url::Url::parse(u).is_ok_and(|p| p.scheme() == "https");
            let local_path = u.starts_with('/') && !u.starts_with("//");
            if !(absolute_https || local_path) || u.contains(['"', '<', '>', ' ']) {
                anyhow::bail!("logo_url / LATCHKEY_LOGO_URL {u:?} is not an https URL or a path");
            }
        }
        Ok(Branding {
            product_name: env
                .product_name
                .clone()
                .or_else(|| file.product_name.clone())
                .unwrap_or(d.product_name),
            logo_url,
            accent_color,
        })
    }
}

/// An SMTP URL, which may carry a password: redacted in Debug.
#[derive(Clone)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpUrl({})", crate::startup::redact(&self.0))
    }
}

/// Settings read only from the environment or the file (never flags: secrets stay out of `ps`).
#[derive(Debug, Clone, Default)]
pub struct EnvSettings {
    pub master_key: Option<String>,
    pub default_project_id: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub trust_x_forwarded_for: Option<String>,
    pub client_metadata_allow_http_loopback: Option<String>,
    pub password_strength_policy: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub magic_link_redirect_url: Option<String>,
    pub product_name: Option<String>,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
    pub metrics_listen: Option<String>,
    pub sms_webhook_url: Option<String>,
    pub sms_webhook_secret: Option<String>,
}

impl EnvSettings {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        EnvSettings {
            master_key: var("LATCHKEY_MASTER_KEY"),
            default_project_id: var("LATCHKEY_DEFAULT_PROJECT_ID"),
            issuer: var("LATCHKEY_ISSUER"),
            authorization_url: var("LATCHKEY_AUTHORIZATION_URL"),
            trust_x_forwarded_for: var("LATCHKEY_TRUST_X_FORWARDED_FOR"),
            client_metadata_allow_http_loopback: var(
                "LATCHKEY_CLIENT_METADATA_ALLOW_HTTP_LOOPBACK",
            ),
            password_strength_policy: var("LATCHKEY_PASSWORD_STRENGTH_POLICY"),
            smtp_url: var("LATCHKEY_SMTP_URL"),
            mail_from: var("LATCHKEY_MAIL_FROM"),
            magic_link_redirect_url: var("LATCHKEY_MAGIC_LINK_REDIRECT_URL"),
            product_name: var("LATCHKEY_PRODUCT_NAME"),
            logo_url: var("LATCHKEY_LOGO_URL"),
            accent_color: var("LATCHKEY_ACCENT_COLOR"),
            metrics_listen: var("LATCHKEY_METRICS_LISTEN"),
            sms_webhook_url: var("LATCHKEY_SMS_WEBHOOK_URL"),
            sms_webhook_secret: var("LATCHKEY_SMS_WEBHOOK_SECRET"),
        }
    }
}

impl Config {
    /// Resolves flag/env values (`Some` when given) over the file over the defaults.
    pub fn resolve(
        file: &FileConfig,
        env: &EnvSettings,
        listen: Option<&str>,
        database_url: Option<&str>,
        log_format: Option<LogFormat>,
    ) -> anyhow::Result<Self> {
        let listen = listen.or(file.listen.as_deref()).unwrap_or(DEFAULT_LISTEN);
        let listen: SocketAddr = listen
            .parse()
            .map_err(|e| anyhow::anyhow!("listen address {listen:?} is not HOST:PORT: {e}"))?;
        Ok(Config {
            listen,
            database_url: database_url
                .or(file.database_url.as_deref())
                .unwrap_or(DEFAULT_DATABASE_URL)
                .to_string(),
            log_format: log_format.or(file.log_format).unwrap_or_default(),
            max_body_bytes: file.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
            master_key: env
                .master_key
                .as_deref()
                .or(file.master_key.as_deref())
                .map(latchkey_core::jwt::MasterKey::parse)
                .transpose()
                .map(|k| k.map(std::sync::Arc::new))
                .map_err(|e| {
                    anyhow::anyhow!("LATCHKEY_MASTER_KEY / master_key is not usable: {e}")
                })?,
            key_rotation_days: file
                .key_rotation_days
                .unwrap_or(DEFAULT_KEY_ROTATION_DAYS)
                .max(0),
            key_retention_days: file
                .key_retention_days
                .unwrap_or(DEFAULT_KEY_RETENTION_DAYS)
                .max(1),
            audit_retention_days: file
                .audit_retention_days
                .unwrap_or(crate::audit::DEFAULT_RETENTION_DAYS)
                .max(0),
            default_project_id: env
                .default_project_id
                .clone()
                .or_else(|| file.default_project_id.clone()),
            issuer: env
                .issuer
                .clone()
                .or_else(|| file.issuer.clone())
                .map(|i| check_issuer(&i))
                .transpose()?,
            authorization_url: env
                .authorization_url
                .clone()
                .or_else(|| file.authorization_url.clone()),
            refresh_grace_seconds: file
                .refresh_grace_seconds
                .unwrap_or(DEFAULT_REFRESH_GRACE_SECONDS)
                .max(0),
            trust_x_forwarded_for: match env.trust_x_forwarded_for.as_deref() {
                Some(v) => parse_bool("LATCHKEY_TRUST_X_FORWARDED_FOR", v)?,
                None => file.trust_x_forwarded_for.unwrap_or(false),
            },
            client_metadata_allow_http_loopback: match env
                .client_metadata_allow_http_loopback
                .as_deref()
            {
                Some(v) => parse_bool("LATCHKEY_CLIENT_METADATA_ALLOW_HTTP_LOOPBACK", v)?,
                None => file.client_metadata_allow_http_loopback.unwrap_or(false),
            },
            password_strength_policy: strength_policy(file, env)?,
            smtp_url: env
                .smtp_url
                .clone()
                .or_else(|| file.smtp_url.clone())
                .map(SmtpUrl),
            mail_from: env.mail_from.clone().or_else(|| file.mail_from.clone()),
            magic_link_redirect_url: env
                .magic_link_redirect_url
                .clone()
                .or_else(|| file.magic_link_redirect_url.clone())
                .map(|u| check_redirect_url(&u))
                .transpose()?,
            branding: Branding::resolve(file, env)?,
            limits: ConnectionLimits::resolve(file),
            metrics_listen: metrics_listen(file, env)?,
            cache_ttl_seconds: file
                .cache_ttl_seconds
                .unwrap_or(crate::cache::DEFAULT_TTL_SECS)
                .min(3600),
            sms_webhook_url: env
                .sms_webhook_url
                .clone()
                .or_else(|| file.sms_webhook_url.clone()),
            sms_webhook_secret: env
                .sms_webhook_secret
                .clone()
                .or_else(|| file.sms_webhook_secret.clone())
                .map(crate::sms::WebhookSecret),
        })
    }

    /// A configuration for tests and embedding: the given database, an ephemeral port.
    pub fn for_database(database_url: &str) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            log_format: LogFormat::Text,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            master_key: None,
            key_rotation_days: DEFAULT_KEY_ROTATION_DAYS,
            key_retention_days: DEFAULT_KEY_RETENTION_DAYS,
            audit_retention_days: crate::audit::DEFAULT_RETENTION_DAYS,
            default_project_id: None,
            issuer: None,
            authorization_url: None,
            refresh_grace_seconds: DEFAULT_REFRESH_GRACE_SECONDS,
            trust_x_forwarded_for: false,
            client_metadata_allow_http_loopback: false,
            password_strength_policy: Default::default(),
            smtp_url: None,
            mail_from: None,
            magic_link_redirect_url: None,
            branding: Branding::default(),
            limits: ConnectionLimits::default(),
            metrics_listen: None,
            cache_ttl_seconds: crate::cache::DEFAULT_TTL_SECS,
            sms_webhook_url: None,
            sms_webhook_secret: None,
        }
    }
}

fn parse_bool(name: &str, v: &str) -> anyhow::Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(anyhow::anyhow!("{name} must be true or false, not {v:?}")),
    }
}

/// `password_strength_policy` (`zxcvbn` | `luds`) with the LUDS minimums from the file.
fn strength_policy(
    file: &FileConfig,
    env: &EnvSettings,
) -> anyhow::Result<latchkey_core::password::StrengthPolicy> {
    use latchkey_core::password::{LudsConfig, StrengthPolicy};
    let name = env
        .password_strength_policy
        .as_deref()
        .or(file.password_strength_policy.as_deref())
        .unwrap_or("zxcvbn");
    match name {
        "zxcvbn" => Ok(StrengthPolicy::Zxcvbn),
        "luds" => {
            let d = LudsConfig::default();
            let luds = LudsConfig {
                min_length: file.password_luds_min_length.unwrap_or(d.min_length),
                min_complexity: file
                    .password_luds_min_complexity
                    .unwrap_or(d.min_complexity),
            };
            if !(1..=4).contains(&luds.min_complexity) || !(1..=256).contains(&luds.min_length) {
                anyhow::bail!("password_luds_min_complexity must be 1..=4 and password_luds_min_length 1..=256");
            }
            Ok(StrengthPolicy::Luds(luds))
        }
        other => Err(anyhow::anyhow!(
            "password_strength_policy must be zxcvbn or luds, not {other:?}"
        )),
    }
}

/// The issuer is an origin: an absolute http(s) URL with a host and no query or fragment
/// (OpenID Connect Discovery 1.0 §3, RFC 8414 §2); kept without a trailing `/`.
fn check_issuer(i: &str) -> anyhow::Result<String> {
    let trimmed = i.trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
                && u.username().is_empty()
                && u.password().is_none() =>
        {
            Ok(trimmed.to_string())
        }
        _ => anyhow::bail!(
            "issuer / LATCHKEY_ISSUER {i:?} is not an absolute http(s) URL without query or fragment"
        ),
    }
}

/// The default magic link redirect URL must be an absolute http(s) URL.
fn check_redirect_url(u: &str) -> anyhow::Result<String> {
    match url::Url::parse(u) {
        Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => Ok(u.to_string()),
        _ => anyhow::bail!(
            "magic_link_redirect_url / LATCHKEY_MAGIC_LINK_REDIRECT_URL {u:?} is not an absolute http(s) URL"
        ),
    }
}

/// `metrics_listen`: the environment over the file; HOST:PORT.
fn metrics_listen(file: &FileConfig, env: &EnvSettings) -> anyhow::Result<Option<SocketAddr>> {
    env.metrics_listen
        .as_deref()
        .or(file.metrics_listen.as_deref())
        .map(|a| {
            a.parse().map_err(|e| {
                anyhow::anyhow!(
                    "metrics_listen / LATCHKEY_METRICS_LISTEN {a:?} is not HOST:PORT: {e}"
                )
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_flag_then_file_then_default() {
        let file: FileConfig =
            toml::from_str("listen = \"0.0.0.0:9000\"\nlog_format = \"json\"").unwrap();
        let c = Config::resolve(&file, &EnvSettings::default(), None, None, None).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.log_format, LogFormat::Json);
        let c = Config::resolve(
            &file,
            &EnvSettings::default(),
            Some("127.0.0.1:1"),
            Some("postgres://x/y"),
            Some(LogFormat::Text),
        )
        .unwrap();
        assert_eq!(
            (c.listen.port(), c.database_url.as_str(), c.log_format),
            (1, "postgres://x/y", LogFormat::Text)
        );
    }

    #[test]
    fn mail_settings_env_over_file() {
        let file: FileConfig = toml::from_str(
            "smtp_url = \"smtp://u:pw-7f3a@file:25\"\nsms_webhook_secret = \"sms-key-0123456789abcdef\"\nmail_from = \"a@file.io\"\nmagic_link_redirect_url = \"https://file.io/cb\"",
        )
        .unwrap();
        let env = EnvSettings {
            mail_from: Some("b@env.io".into()),
            ..Default::default()
        };
        let c = Config::resolve(&file, &env, None, None, None).unwrap();
        assert_eq!(c.mail_from.as_deref(), Some("b@env.io"));
        assert_eq!(
            c.magic_link_redirect_url.as_deref(),
            Some("https://file.io/cb")
        );
        // Neither the SMTP password nor the SMS webhook secret shows in Debug.
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("pw-7f3a") && !debug.contains("sms-key-0123"),
            "{debug}"
        );
        let env = EnvSettings {
            magic_link_redirect_url: Some("/relative".into()),
            ..Default::default()
        };
        assert!(Config::resolve(&file, &env, None, None, None).is_err());
    }

    #[test]
    fn issuer_and_limits() {
        let file: FileConfig = toml::from_str(
            "issuer = \"https://login.example.com/\"\nheader_read_timeout_secs = 0\nmax_connections = 7",
        )
        .unwrap();
        let c = Config::resolve(&file, &EnvSettings::default(), None, None, None).unwrap();
        assert_eq!(c.issuer.as_deref(), Some("https://login.example.com"));
        assert_eq!(c.limits.header_read_timeout.as_secs(), 1);
        assert_eq!(c.limits.max_connections, 7);
        assert_eq!(
            c.limits.request_body_timeout.as_secs(),
            DEFAULT_REQUEST_BODY_TIMEOUT_SECS
        );
        for bad in ["login.example.com", "https://x.io/?a=b", "ftp://x.io"] {
            let env = EnvSettings {
                issuer: Some(bad.into()),
                ..Default::default()
            };
            assert!(
                Config::resolve(&file, &env, None, None, None).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_keys_and_bad_listen_are_errors() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
        assert!(Config::resolve(
            &FileConfig::default(),
            &EnvSettings::default(),
            Some("nope"),
            None,
            None
        )
        .is_err());
    }

    // ops (issue 15): the metrics listener.
    #[test]
    fn metrics_listen_env_over_file() {
        let file: FileConfig = toml::from_str("metrics_listen = \"127.0.0.1:9100\"").unwrap();
        let c = Config::resolve(&file, &EnvSettings::default(), None, None, None).unwrap();
        assert_eq!(c.metrics_listen.map(|a| a.port()), Some(9100));
        let env = EnvSettings {
            metrics_listen: Some("0.0.0.0:9200".into()),
            ..Default::default()
        };
        let c = Config::resolve(&file, &env, None, None, None).unwrap();
        assert_eq!(c.metrics_listen.map(|a| a.port()), Some(9200));
        let c = Config::resolve(
            &FileConfig::default(),
            &EnvSettings::default(),
            None,
            None,
            None,
        );
        assert_eq!(c.unwrap().metrics_listen, None);
        let env = EnvSettings {
            metrics_listen: Some("nope".into()),
            ..Default::default()
        };
        assert!(Config::resolve(&file, &env, None, None, None).is_err());
    }
}
