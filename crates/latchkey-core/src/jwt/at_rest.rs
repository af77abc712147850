//! Private signing keys at rest: PKCS#8 DER sealed with a 32-byte master key.
//!
//! Stored forms (ASCII, safe in a TEXT column):
//! - `v1.<base64url nonce>.<base64url ciphertext‖tag>`: AES-256-GCM with a 96-bit nonce and
//!   AAD `latchkey/jwt-signing-key/v1:<kid>`, so a ciphertext moved to another key's row
//!   fails to decrypt.
//! - `plain.<base64url DER>`: only when no master key is configured.
//!
//! [`open_private_key`] is strict: with a master key it accepts only `v1.`, without one only
//! `plain.`, so someone able to write the database but not holding the master key cannot
//! plant a plaintext signing key. To migrate, open a `plain.` key with `None` explicitly and
//! re-seal it with the master key.
//!
//! Nonces: [`seal_private_key`] draws a fresh random nonce from aws-lc-rs's system RNG
//! (`aws_lc_rs::rand::fill`); [`seal_private_key_with_nonce`] takes one from the caller, who
//! must never reuse a nonce under the same master key. Keys are sealed rarely (on creation),
//! so random nonces are far below GCM's 2^32-message limit.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use zeroize::{Zeroize, Zeroizing};

use super::{b64url, b64url_decode, JwtError};

const V1_PREFIX: &str = "v1.";
const PLAIN_PREFIX: &str = "plain.";
const AAD_PREFIX: &str = "latchkey/jwt-signing-key/v1:";

/// A 256-bit master key for sealing private keys. Redacted in `Debug`, zeroized on drop.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Parses 64 hex characters, or base64 (standard or url-safe, padded or not) of exactly
    /// 32 bytes. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, JwtError> {
        let text = text.trim();
        let mut key = Zeroizing::new([0u8; 32]);
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
                key[i] = (hex_val(pair[0]) << 4) | hex_val(pair[1]);
            }
            return Ok(Self(key));
        }
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            if let Ok(bytes) = engine.decode(text) {
                let mut bytes = Zeroizing::new(bytes);
                if bytes.len() == 32 {
                    key.copy_from_slice(&bytes);
                    return Ok(Self(key));
                }
                bytes.zeroize();
            }
        }
        Err(JwtError::InvalidMasterKey)
    }

    fn aead_key(&self) -> Result<LessSafeKey, JwtError> {
        let unbound = UnboundKey::new(&AES_256_GCM, self.0.as_slice())
            .map_err(|_| JwtError::InvalidMasterKey)?;
        Ok(LessSafeKey::new(unbound))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Decrypted PKCS#8 DER of a private key. Redacted in `Debug`, zeroized on drop.
pub struct PrivateKeyDer(Zeroizing<Vec<u8>>);

impl PrivateKeyDer {
    /// The DER bytes (pass to [`super::SigningKey::from_pkcs8_der`]).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKeyDer(<redacted {} bytes>)", self.0.len())
    }
}

fn aad_for(kid: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + kid.len());
    aad.extend_from_slice(AAD_PREFIX.as_bytes());
    aad.extend_from_slice(kid.as_bytes());
    aad
}

/// Seals `pkcs8_der` for storage: `v1.` with a fresh random nonce when `master` is given,
/// `plain.` otherwise. `kid` is bound as AAD.
pub fn seal_private_key(
    master: Option<&MasterKey>,
    kid: &str,
    pkcs8_der: &[u8],
) -> Result<String, JwtError> {
    let mut nonce = [0u8; NONCE_LEN];
    if master.is_some() {
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| JwtError::Random)?;
    }
    seal_private_key_with_nonce(master, kid, pkcs8_der, nonce)
}

/// Like [`seal_private_key`] with a caller-supplied 96-bit nonce (ignored for `plain.`).
/// A nonce must never be reused with the same master key.
pub fn seal_private_key_with_nonce(
    master: Option<&MasterKey>,
    kid: &str,
    pkcs8_der: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<String, JwtError> {
    seal_with_aad(master, &aad_for(kid), pkcs8_der, nonce)
}

/// Seals another secret that must be recovered later (a TOTP seed, a recovery code: issue 13)
/// exactly as private keys are sealed, with AAD `latchkey/<purpose>/v1:<id>` so that a
/// ciphertext copied to another row, or used for another purpose, fails to open.
pub fn seal_secret(
    master: Option<&MasterKey>,
    purpose: &str,
    id: &str,
    plain: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<String, JwtError> {
    seal_with_aad(master, &secret_aad(purpose, id), plain, nonce)
}

/// Opens what [`seal_secret`] sealed (as strict as [`open_private_key`]).
pub fn open_secret(
    master: Option<&MasterKey>,
    purpose: &str,
    id: &str,
    stored: &str,
) -> Result<Zeroizing<Vec<u8>>, JwtError> {
    open_with_aad(master, &secret_aad(purpose, id), stored)
}

fn secret_aad(purpose: &str, id: &str) -> Vec<u8> {
    format!("latchkey/{purpose}/v1:{id}").into_bytes()
}

fn seal_with_aad(
    master: Option<&MasterKey>,
    aad: &[u8],
    plain: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<String, JwtError> {
    let Some(master) = master else {
        return Ok(format!("{PLAIN_PREFIX}{}", b64url(plain)));
    };
    let key = master.aead_key()?;
    // Sealed in place: after sealing, the buffer holds only ciphertext; zeroized regardless.
    let mut buf = Zeroizing::new(plain.to_vec());
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut *buf,
    )
    .map_err(|_| JwtError::Encrypt)?;
    Ok(format!("{V1_PREFIX}{}.{}", b64url(&nonce), b64url(&buf)))
}

/// Opens a stored private key. With `master`, only `v1.` is accepted; without, only
/// `plain.` (see the module docs). `kid` must be the one it was sealed with.
pub fn open_private_key(
    master: Option<&MasterKey>,
    kid: &str,
    stored: &str,
) -> Result<PrivateKeyDer, JwtError> {
    open_with_aad(master, &aad_for(kid), stored).map(PrivateKeyDer)
}

fn open_with_aad(
    master: Option<&MasterKey>,
    aad: &[u8],
    stored: &str,
) -> Result<Zeroizing<Vec<u8>>, JwtError> {
    if let Some(rest) = stored.strip_prefix(PLAIN_PREFIX) {
        if master.is_some() {
            return Err(JwtError::PlaintextNotAllowed);
        }
        let der = b64url_decode(rest).ok_or(JwtError::MalformedStoredKey)?;
        return Ok(Zeroizing::new(der));
    }
    let rest = stored
        .strip_prefix(V1_PREFIX)
        .ok_or(JwtError::MalformedStoredKey)?;
    let master = master.ok_or(JwtError::MasterKeyRequired)?;
    let (nonce_b64, ct_b64) = rest.split_once('.').ok_or(JwtError::MalformedStoredKey)?;
    let nonce_bytes = b64url_decode(nonce_b64).ok_or(JwtError::MalformedStoredKey)?;
    let nonce =
        Nonce::try_assume_unique_for_key(&nonce_bytes).map_err(|_| JwtError::MalformedStoredKey)?;
    let mut buf = Zeroizing::new(b64url_decode(ct_b64).ok_or(JwtError::MalformedStoredKey)?);
    let key = master.aead_key()?;
    let plain_len = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| JwtError::Decrypt)?
        .len();
    buf.truncate(plain_len);
    Ok(buf)
}
