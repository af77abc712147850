//! phpass "portable" hashes (`$P$` WordPress, `$H$` phpBB3): iterated MD5 encoded
//! with phpass's own base64 alphabet. Implemented here from Openwall's PasswordHash.php
//! because no maintained Rust crate provides it.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::error::{HashType, PasswordError};

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// `$P$` + cost char + 8 salt chars + 22 checksum chars.
const HASH_LEN: usize = 34;
/// phpass refuses iteration counts outside `2^7..=2^30`.
const MIN_COUNT_LOG2: u8 = 7;
const MAX_COUNT_LOG2: u8 = 30;

/// A parsed portable phpass hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhpassHash {
    /// `P` (WordPress, Drupal 6 ports) or `H` (phpBB3); the algorithm is the same.
    pub marker: char,
    /// Iterations are `2^count_log2`.
    pub count_log2: u8,
    /// The 8-character salt exactly as it appears in the hash.
    pub salt: String,
    /// The 22-character encoded MD5 checksum.
    pub checksum: String,
}

impl PhpassHash {
    /// Parses `$P$<cost><salt:8><checksum:22>` (or `$H$...`).
    pub fn parse(hash: &str) -> Result<PhpassHash, PasswordError> {
        let invalid = |reason: String| PasswordError::InvalidHash {
            hash_type: HashType::Phpass,
            reason,
        };
        let marker = match hash.get(..3) {
            Some("$P$") => 'P',
            Some("$H$") => 'H',
            _ => {
                return Err(invalid(
                    "expected the portable prefix `$P$` or `$H$` (bcrypt-style `$2y$` \
                     hashes go in as hash_type `bcrypt`)"
                        .to_owned(),
                ))
            }
        };
        if hash.len() != HASH_LEN || !hash.bytes().all(|b| b == b'$' || itoa64_index(b).is_some()) {
            return Err(invalid(format!(
                "expected {HASH_LEN} characters (`$P$`, a cost character, 8 salt and 22 checksum \
                 characters from `./0-9A-Za-z`), got {}",
                hash.len()
            )));
        }
        let parsed = PhpassHash {
            marker,
            count_log2: hash
                .as_bytes()
                .get(3)
                .copied()
                .and_then(itoa64_index)
                .unwrap_or(0),
            salt: hash.get(4..12).unwrap_or_default().to_owned(),
            checksum: hash.get(12..).unwrap_or_default().to_owned(),
        };
        parsed.validate()?;
        Ok(parsed)
    }

    /// Checks the invariants `parse` establishes (also run on values loaded from storage).
    pub fn validate(&self) -> Result<(), PasswordError> {
        let invalid = |reason: String| PasswordError::InvalidHash {
            hash_type: HashType::Phpass,
            reason,
        };
        if self.marker != 'P' && self.marker != 'H' {
            return Err(invalid(format!("unknown prefix marker `{}`", self.marker)));
        }
        if !(MIN_COUNT_LOG2..=MAX_COUNT_LOG2).contains(&self.count_log2) {
            return Err(invalid(format!(
                "iteration count 2^{} is outside phpass's range 2^{MIN_COUNT_LOG2}..=2^{MAX_COUNT_LOG2}",
                self.count_log2
            )));
        }
        let well_formed =
            |s: &str, len: usize| s.len() == len && s.bytes().all(|b| itoa64_index(b).is_some());
        if !well_formed(&self.salt, 8) || !well_formed(&self.checksum, 22) {
            return Err(invalid("salt or checksum is malformed".to_owned()));
        }
        Ok(())
    }

    /// Recomputes the checksum for `password` and compares in constant time.
    pub fn verify(&self, password: &str) -> bool {
        let mut digest = Md5::new()
            .chain_update(self.salt.as_bytes())
            .chain_update(password.as_bytes())
            .finalize();
        for _ in 0..(1u64 << self.count_log2) {
            digest = Md5::new()
                .chain_update(digest)
                .chain_update(password.as_bytes())
                .finalize();
        }
        let computed = encode64(&digest);
        computed.as_bytes().ct_eq(self.checksum.as_bytes()).into()
    }

    /// The hash in its original `$P$...` form.
    pub fn to_hash_string(&self) -> String {
        let cost = ITOA64
            .get(usize::from(self.count_log2))
            .copied()
            .map(char::from)
            .unwrap_or('.');
        format!("${}${cost}{}{}", self.marker, self.salt, self.checksum)
    }
}

fn itoa64_index(byte: u8) -> Option<u8> {
    ITOA64
        .iter()
        .position(|&c| c == byte)
        .and_then(|i| u8::try_from(i).ok())
}

fn itoa64_char(value: u32) -> char {
    // `value & 0x3f` is always < 64, so the lookup cannot miss.
    ITOA64
        .get((value & 0x3f) as usize)
        .copied()
        .map(char::from)
        .unwrap_or('.')
}

/// phpass `encode64`: little-endian 24-bit groups, 6 bits per output character.
fn encode64(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let mut value = 0u32;
        for (i, byte) in chunk.iter().enumerate() {
            value |= u32::from(*byte) << (8 * i);
        }
        // A group of n input bytes yields n + 1 output characters.
        for i in 0..=chunk.len() {
            out.push(itoa64_char(value >> (6 * i)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Openwall phpass test.php, passlib's phpass test case, hashcat's example hashes
    // (mode 400, password "hashcat"), and FusionAuth's WordPress import examples.
    const VECTORS: &[(&str, &str)] = &[
        ("test12345", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"),
        ("test1", "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00"),
        ("123456", "$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1"),
        ("123456", "$H$9pdx7dbOW3Nnt32sikrjAxYFjX8XoK1"),
        ("hashcat", "$P$984478476IagS59wHZvyQMArzfx58u."),
        ("hashcat", "$H$984478476IagS59wHZvyQMArzfx58u."),
        ("!?!#?#?#$&@&@!&@", "$P$Buvd5FQxkeXJnDarN7..wRMwRKJeZ40"),
        ("ąćęłóńśźż", "$P$ByXWbzDvVAJ0jxvNp5sv4xYPIRXJJ1."),
    ];

    #[test]
    fn published_vectors_verify() {
        for (password, hash) in VECTORS {
            let parsed = PhpassHash::parse(hash).unwrap();
            assert!(parsed.verify(password), "{hash} should accept {password}");
            assert!(
                !parsed.verify("test12346"),
                "{hash} accepted a wrong password"
            );
            assert_eq!(parsed.to_hash_string(), *hash);
        }
    }

    #[test]
    fn encode64_matches_phpass_group_layout() {
        assert_eq!(encode64(&[0]), "..");
        assert_eq!(encode64(&[0xff, 0xff, 0xff]), "zzzz");
        assert_eq!(encode64(&[0u8; 16]).len(), 22);
    }

    #[test]
    fn parse_errors() {
        let prefix = PhpassHash::parse("$1$abcdefgh$0123456789012345678901").unwrap_err();
        assert_eq!(prefix.stytch_error_type(), "invalid_phpass_hash_prefix");
        assert!(PhpassHash::parse("$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L").is_err());
        assert!(PhpassHash::parse("$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0").is_err());
        // cost character `3` means 2^5, below phpass's minimum of 2^7.
        let low = PhpassHash::parse("$P$3IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0").unwrap_err();
        assert!(low.to_string().contains("2^5"), "{low}");
    }
}
