//! Secrets (project secrets now; later client secrets, session tokens, codes): generated from
//! the token generator, shown once, stored only as a SHA-256 hash and compared in constant time.
//! A fast hash is right here because the values are high-entropy random strings, not passwords.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::TokenGenerator;

/// A secret value in the clear. Redacted `Debug`, no `Display`, no `Clone`.
pub struct Secret(String);

impl Secret {
    /// `prefix` followed by 36 random bytes, base64url (48 characters, 288 bits).
    pub fn generate(prefix: &str, tokens: &dyn TokenGenerator) -> Self {
        let mut b = [0u8; 36];
        tokens.fill(&mut b);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        Secret(format!("{prefix}{body}"))
    }

    /// Wraps a secret presented by a caller.
    pub fn from_presented(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }

    /// The last four characters, which Stytch shows in place of a secret.
    pub fn last_four(&self) -> String {
        let n = self.0.chars().count();
        self.0.chars().skip(n.saturating_sub(4)).collect()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Hex SHA-256 of a secret: what the database stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(value: &str) -> Self {
        SecretHash(hex::encode(Sha256::digest(value.as_bytes())))
    }

    pub fn from_stored(hex: String) -> Self {
        SecretHash(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison against a presented secret.
    pub fn matches(&self, presented: &str) -> bool {
        let other = SecretHash::of(presented);
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsTokens;

    #[test]
    fn secrets_hash_and_match() {
        let s = Secret::generate("secret-test-", &OsTokens);
        assert!(s.expose_secret().starts_with("secret-test-"));
        assert_eq!(s.expose_secret().len(), "secret-test-".len() + 48);
        let h = s.hash();
        assert!(h.matches(s.expose_secret()));
        assert!(!h.matches("secret-test-nope"));
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn sha256_vector() {
        assert_eq!(
            SecretHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
