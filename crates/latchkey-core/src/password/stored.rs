//! A member's stored password hash: our argon2id PHC string, or a hash imported by
//! `passwords/migrate` that is verified as-is until the first successful login replaces it.

use super::{needs_rehash, verify_password, ImportedHash, PasswordError};

/// The `kind` stored beside a native (argon2id) hash; imported hashes store their `hash_type`.
pub const NATIVE_KIND: &str = "native";

/// A stored hash, loaded and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash {
    /// An argon2id PHC string.
    Native(String),
    Imported(ImportedHash),
}

impl StoredHash {
    /// Loads the stored `(kind, hash)` pair. A row that does not parse is an error, never a hash
    /// that accepts anything.
    pub fn load(kind: &str, hash: &str) -> Result<StoredHash, PasswordError> {
        if kind == NATIVE_KIND {
            return Ok(StoredHash::Native(hash.to_owned()));
        }
        let imported = ImportedHash::from_storage_json(hash)?;
        if imported.hash_type().as_str() != kind {
            return Err(PasswordError::Storage(format!(
                "stored kind {kind} does not match the hash's {}",
                imported.hash_type()
            )));
        }
        Ok(StoredHash::Imported(imported))
    }

    /// The `(kind, hash)` pair to store.
    pub fn to_storage(&self) -> Result<(String, String), PasswordError> {
        Ok(match self {
            StoredHash::Native(phc) => (NATIVE_KIND.to_owned(), phc.clone()),
            StoredHash::Imported(h) => (h.hash_type().as_str().to_owned(), h.to_storage_json()?),
        })
    }

    /// True when `password` matches (slow: call it off the async runtime).
    pub fn verify(&self, password: &str) -> Result<bool, PasswordError> {
        match self {
            StoredHash::Native(phc) => verify_password(password, phc),
            StoredHash::Imported(h) => Ok(h.verify(password)),
        }
    }

    /// True when a successful login should replace the hash with a fresh argon2id one: every
    /// imported hash, and native hashes at other parameters than ours.
    pub fn needs_upgrade(&self) -> bool {
        match self {
            StoredHash::Native(phc) => needs_rehash(phc),
            StoredHash::Imported(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::{hash_password, MigrateConfigs};

    #[test]
    fn native_and_imported_round_trip() {
        let phc = hash_password("pw", b"0123456789abcdef").unwrap();
        let native = StoredHash::Native(phc);
        let (kind, hash) = native.to_storage().unwrap();
        let loaded = StoredHash::load(&kind, &hash).unwrap();
        assert!(loaded.verify("pw").unwrap() && !loaded.verify("px").unwrap());
        assert!(!loaded.needs_upgrade());

        let imported = ImportedHash::parse(
            "phpass",
            "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0",
            &MigrateConfigs::default(),
        )
        .unwrap();
        let (kind, hash) = StoredHash::Imported(imported).to_storage().unwrap();
        assert_eq!(kind, "phpass");
        let loaded = StoredHash::load(&kind, &hash).unwrap();
        assert!(loaded.verify("test12345").unwrap());
        assert!(loaded.needs_upgrade());
        assert!(StoredHash::load("bcrypt", &hash).is_err(), "kind mismatch");
        assert!(StoredHash::load("md_5", "{}").is_err(), "corrupt row");
    }
}
