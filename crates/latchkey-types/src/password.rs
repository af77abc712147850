//! B2B password endpoints' bodies (`api_b2b_password_v1_AuthenticateRequest`,
//! `StrengthCheckRequest`). The migrate request lives beside its handler: its hash config
//! objects are `latchkey_core::password::MigrateConfigs`.

use serde::Deserialize;
use serde_json::{Map, Value};

/// A password in the clear, as a request carries it: redacted `Debug`, no `Display`, no
/// `Clone`; read it with [`PasswordInput::expose_secret`].
#[derive(Deserialize)]
#[serde(transparent)]
pub struct PasswordInput(String);

impl PasswordInput {
    pub fn new(password: String) -> Self {
        PasswordInput(password)
    }
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
    pub fn into_secret(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for PasswordInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordInput(<redacted>)")
    }
}

/// `POST /v1/b2b/passwords/authenticate` body.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordAuthenticateRequest {
    pub organization_id: Option<String>,
    pub email_address: Option<String>,
    pub password: Option<PasswordInput>,
    pub session_token: Option<String>,
    pub session_jwt: Option<String>,
    pub session_duration_minutes: Option<i64>,
    pub session_custom_claims: Option<Map<String, Value>>,
    pub locale: Option<String>,
    pub intermediate_session_token: Option<String>,
    pub telemetry_id: Option<String>,
}

/// `POST /v1/b2b/passwords/strength_check` body.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordStrengthCheckRequest {
    pub password: Option<PasswordInput>,
    pub email_address: Option<String>,
}
