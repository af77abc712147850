//! Passwords: hashing new ones, verifying them, importing hashes from other systems
//! and judging strength.
//!
//! This module owns:
//! - the native password hash: argon2id at OWASP's recommended parameters
//!   (m = 19 MiB, t = 2, p = 1, 32-byte tag, 16-byte salt), as a PHC string;
//! - [`migrate`]: Stytch `passwords/migrate` hash imports (bcrypt, md_5, argon_2i,
//!   argon_2id, sha_1, sha_512, scrypt, phpass, pbkdf_2) and their storage form;
//! - [`StoredHash`]: a member's stored hash, native or imported, and when to upgrade it;
//! - [`lockout`]: failed-login lockout and per-address throttling rules;
//! - [`strength`]: Stytch `passwords/strength_check` (zxcvbn and LUDS policies);
//! - [`reset`]: password reset links, new-password strength and session recency rules.
//!
//! Pure code: no I/O, no clock, no randomness. Salts come in as parameters; breach
//! detection (HaveIBeenPwned) belongs to the caller.

mod digests;
mod encoding;
mod error;
mod kdf;
pub mod lockout;
pub mod migrate;
mod phpass;
pub mod reset;
mod stored;
pub mod strength;

#[cfg(test)]
mod kdf_error_tests;
#[cfg(test)]
mod migrate_error_tests;
#[cfg(test)]
mod migrate_tests;

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};

pub use digests::{Pbkdf2Algorithm, Pbkdf2Hash, SaltedDigest};
pub use error::{HashType, PasswordError};
pub use kdf::{Argon2Hash, Argon2RawParams, ScryptHash, ScryptRawParams};
pub use migrate::{ImportedHash, MigrateConfigs};
pub use phpass::PhpassHash;
pub use stored::{StoredHash, NATIVE_KIND};
pub use strength::{strength_check, LudsConfig, StrengthPolicy, StrengthResult};

/// Argon2id memory cost in KiB (OWASP Password Storage Cheat Sheet: 19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2id time cost (OWASP: 2 iterations at 19 MiB).
pub const ARGON2_ITERATIONS: u32 = 2;
/// Argon2id parallelism (OWASP: 1).
pub const ARGON2_PARALLELISM: u32 = 1;
/// Tag length in bytes.
pub const ARGON2_OUTPUT_LEN: usize = 32;
/// Salt length in bytes; the caller supplies this many random bytes.
pub const SALT_LEN: usize = 16;

/// An argon2id hash at our parameters of a password nobody has, verified in place of a real
/// hash when the email is unknown, so the response time does not reveal which emails exist.
pub const DUMMY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bGF0Y2hrZXktZHVtbXkhIQ$A4rKWPsn6NAFCWuNSd6RVayxFoTKP81oIZiDVYWew+w";

fn native_hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_ITERATIONS,
        ARGON2_PARALLELISM,
        Some(ARGON2_OUTPUT_LEN),
    )
    .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` with argon2id at our parameters, returning a PHC string such as
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>`. `salt` must be fresh random bytes.
pub fn hash_password(password: &str, salt: &[u8; SALT_LEN]) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let hash = native_hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Verifies `password` against an argon2id PHC string, comparing in constant time.
///
/// `Ok(false)` is a wrong password; `Err` means `phc` is not a usable argon2id hash
/// (including parameters above the Argon2 import ceilings).
pub fn verify_password(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let parsed = Argon2Hash::parse_phc(HashType::Argon2id, phc)
        .map_err(|e| PasswordError::MalformedPhc(e.to_string()))?;
    Ok(parsed.verify(HashType::Argon2id, password))
}

/// True unless `phc` is argon2id, version 19, at exactly our parameters, with a
/// 32-byte tag and a salt of at least 16 bytes. Anything unparsable needs a rehash.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let param = |name: &str| parsed.params.get_decimal(name);
    let salt_ok = parsed
        .salt
        .and_then(|s| encoding::decode_phc_b64(s.as_str()))
        .is_some_and(|s| s.len() >= SALT_LEN);
    let current = parsed.algorithm.as_str() == "argon2id"
        && parsed.version == Some(0x13)
        && param("m") == Some(ARGON2_MEMORY_KIB)
        && param("t") == Some(ARGON2_ITERATIONS)
        && param("p") == Some(ARGON2_PARALLELISM)
        && parsed.params.iter().count() == 3
        && parsed.hash.is_some_and(|h| h.len() == ARGON2_OUTPUT_LEN)
        && salt_ok;
    !current
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; SALT_LEN] = *b"0123456789abcdef";

    #[test]
    fn hash_then_verify_round_trips() {
        let phc = hash_password("correct horse battery staple", &SALT).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery staple", &phc).unwrap());
        assert!(!verify_password("correct horse battery stapl", &phc).unwrap());
        assert!(!needs_rehash(&phc));
        // Deterministic given the salt: randomness is the caller's job.
        assert_eq!(
            phc,
            hash_password("correct horse battery staple", &SALT).unwrap()
        );
    }

    #[test]
    fn verifies_reference_argon2id_phc() {
        // phc-winner-argon2 src/test.c (also RustCrypto argon2 tests/kat.rs).
        let phc =
            "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
        assert!(verify_password("password", phc).unwrap());
        assert!(!verify_password("Password", phc).unwrap());
        assert!(needs_rehash(phc));
    }

    #[test]
    fn verify_rejects_non_argon2id_and_garbage() {
        let argon2i =
            "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8";
        assert!(matches!(
            verify_password("password", argon2i),
            Err(PasswordError::MalformedPhc(_))
        ));
        assert!(verify_password("password", "not a hash").is_err());
        assert!(verify_password("password", "").is_err());
    }

    #[test]
    fn dummy_hash_costs_what_a_real_one_does() {
        assert!(!needs_rehash(DUMMY_PHC));
        assert!(!verify_password("", DUMMY_PHC).unwrap());
    }

    #[test]
    fn needs_rehash_flags_everything_else() {
        let ours = hash_password("pw", &SALT).unwrap();
        for other in [
            ours.replace("m=19456", "m=19455"),
            ours.replace("t=2", "t=3"),
            ours.replace("v=19", "v=16"),
            ours.replace("$argon2id$", "$argon2i$"),
            "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm".to_owned(),
            "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0".to_owned(),
            String::new(),
        ] {
            assert!(needs_rehash(&other), "{other}");
        }
    }
}
