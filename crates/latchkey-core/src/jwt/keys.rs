//! RSA signing keys: PKCS#8 DER parsed once into an aws-lc-rs [`RsaKeyPair`], RSA-2048
//! generation, and public JWK export in the shape Stytch publishes (spec §10.3).
//!
//! The JWS header of a key never changes, so [`SigningKey`] serializes and base64url-encodes
//! it once at load time; signing a token then costs one JSON serialization of the claims plus
//! one RSA signature.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{b64url, JwtError};

/// The only JWS algorithm latchkey signs or accepts.
pub const RS256: &str = "RS256";

/// Longest key id accepted (Stytch's are `jwk-test-<uuid>`, 45 characters).
pub const MAX_KID_LEN: usize = 128;

/// Smallest RSA modulus accepted, in bytes (2048 bits).
pub const MIN_MODULUS_BYTES: usize = 256;

/// A public RSA JSON Web Key as published in the JWKS (`x5c`/`x5tS256` only when a
/// certificate was attached; note Stytch spells it `x5tS256`, not `x5t#S256`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `RSA`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Always `["verify"]`.
    pub key_ops: Vec<String>,
    /// Always `RS256`.
    pub alg: String,
    /// Key id, e.g. `jwk-test-<uuid>`.
    pub kid: String,
    /// Certificate chain, standard base64 DER (RFC 7517 §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// base64url SHA-256 thumbprint of the first certificate.
    #[serde(rename = "x5tS256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
    /// Modulus, base64url big-endian without leading zeros.
    pub n: String,
    /// Public exponent, base64url big-endian without leading zeros (`AQAB`).
    pub e: String,
}

impl Jwk {
    /// Builds the public JWK for RSA modulus `n` and exponent `e` (big-endian bytes).
    pub fn rsa_public(kid: &str, n: &[u8], e: &[u8]) -> Self {
        Self {
            kty: "RSA".to_owned(),
            use_: "sig".to_owned(),
            key_ops: vec!["verify".to_owned()],
            alg: RS256.to_owned(),
            kid: kid.to_owned(),
            x5c: None,
            x5t_s256: None,
            n: b64url(strip_leading_zeros(n)),
            e: b64url(strip_leading_zeros(e)),
        }
    }

    /// Attaches an X.509 chain (DER, leaf first) as `x5c`, and `x5tS256` of the leaf.
    /// Certificates are produced elsewhere; this only encodes them.
    pub fn with_x5c(mut self, chain_der: &[Vec<u8>]) -> Self {
        match chain_der.first() {
            Some(leaf) => {
                self.x5t_s256 = Some(b64url(&Sha256::digest(leaf)));
                self.x5c = Some(chain_der.iter().map(|c| STANDARD.encode(c)).collect());
            }
            None => {
                self.x5c = None;
                self.x5t_s256 = None;
            }
        }
        self
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Checks a key id: 1..=128 visible ASCII characters (it goes into headers and URLs).
pub fn validate_kid(kid: &str) -> Result<(), JwtError> {
    if kid.is_empty() {
        return Err(JwtError::InvalidKid("empty"));
    }
    if kid.len() > MAX_KID_LEN {
        return Err(JwtError::InvalidKid("longer than 128 characters"));
    }
    if !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(JwtError::InvalidKid("characters outside visible ASCII"));
    }
    Ok(())
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// An RSA private key ready to sign: parsed once, with its public JWK and cached JWS header.
pub struct SigningKey {
    kid: String,
    keypair: RsaKeyPair,
    public_jwk: Jwk,
    /// base64url of `{"alg":"RS256","kid":…,"typ":"JWT"}`.
    header_b64: String,
}

impl SigningKey {
    /// Parses an unencrypted PKCS#8 DER RSA private key (at least 2048 bits).
    pub fn from_pkcs8_der(kid: &str, pkcs8_der: &[u8]) -> Result<Self, JwtError> {
        validate_kid(kid)?;
        let keypair =
            RsaKeyPair::from_pkcs8(pkcs8_der).map_err(|e| JwtError::KeyRejected(e.to_string()))?;
        if keypair.public_modulus_len() < MIN_MODULUS_BYTES {
            return Err(JwtError::KeyRejected(
                "modulus shorter than 2048 bits".to_owned(),
            ));
        }
        let components = PublicKeyComponents::<Vec<u8>>::from(keypair.public_key());
        let public_jwk = Jwk::rsa_public(kid, &components.n, &components.e);
        let header = serde_json::to_vec(&Header {
            alg: RS256,
            kid,
            typ: "JWT",
        })?;
        Ok(Self {
            kid: kid.to_owned(),
            keypair,
            public_jwk,
            header_b64: b64url(&header),
        })
    }

    /// The key id placed in every header this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK to publish.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }

    /// Attaches an X.509 chain to the published JWK (see [`Jwk::with_x5c`]).
    pub fn set_x5c(&mut self, chain_der: &[Vec<u8>]) {
        self.public_jwk = self.public_jwk.clone().with_x5c(chain_der);
    }

    /// Signature length in bytes (= modulus length).
    pub fn signature_len(&self) -> usize {
        self.keypair.public_modulus_len()
    }

    pub(crate) fn header_b64(&self) -> &str {
        &self.header_b64
    }

    pub(crate) fn keypair(&self) -> &RsaKeyPair {
        &self.keypair
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// Generates a fresh RSA-2048 key with aws-lc-rs's own RNG and returns it as PKCS#8 v1 DER,
/// zeroized on drop. Takes tens to hundreds of milliseconds: call it off the request path.
pub fn generate_rsa_2048_pkcs8() -> Result<Zeroizing<Vec<u8>>, JwtError> {
    let keypair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| JwtError::KeyGeneration)?;
    let der = keypair.as_der().map_err(|_| JwtError::KeyGeneration)?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}
