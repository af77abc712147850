//! Configuration: defaults, overridden by a TOML file (`--config` / `LATCHKEY_CONFIG`),
//! overridden by environment variables, overridden by command-line flags. clap reads flags and
//! environment together; the file fills what both leave unset.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://latchkey.db";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

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
}

impl Config {
    /// Resolves flag/env values (`Some` when given) over the file over the defaults.
    pub fn resolve(
        file: &FileConfig,
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
        })
    }

    /// A configuration for tests and embedding: the given database, an ephemeral port.
    pub fn for_database(database_url: &str) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            log_format: LogFormat::Text,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_flag_then_file_then_default() {
        let file: FileConfig =
            toml::from_str("listen = \"0.0.0.0:9000\"\nlog_format = \"json\"").unwrap();
        let c = Config::resolve(&file, None, None, None).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.log_format, LogFormat::Json);
        let c = Config::resolve(
            &file,
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
    fn unknown_keys_and_bad_listen_are_errors() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
        assert!(Config::resolve(&FileConfig::default(), Some("nope"), None, None).is_err());
    }
}
