//! Optional self-signed X.509 certificate for a signing key, published as JWK `x5c` and
//! `x5tS256` (Stytch's JWKS carries both, spec §10.3; the official SDKs verify with `n`/`e`
//! and ignore them).
//!
//! The certificate is signed with the already-parsed aws-lc-rs key pair through rcgen's
//! `SigningKey` trait, so the private key is neither copied nor re-parsed. It is fully
//! deterministic — fixed validity (rcgen's default, 1975-01-01 to 4096-01-01, so no clock
//! read), serial number derived from the public key, PKCS#1 v1.5 signature — so it can be
//! regenerated on every load and always matches what was published.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair, RSA_PKCS1_SHA256};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyUsagePurpose, PublicKeyData, SerialNumber,
    SignatureAlgorithm, PKCS_RSA_SHA256,
};
use sha2::{Digest, Sha256};

use super::{JwtError, SigningKey};

struct RcgenSigner<'a>(&'a RsaKeyPair);

impl PublicKeyData for RcgenSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        // PKCS#1 RSAPublicKey DER, the SubjectPublicKey bit string content.
        self.0.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}

impl rcgen::SigningKey for RcgenSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig)
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(sig)
    }
}

/// DER of a self-signed certificate for `key`, subject `CN=<kid>`.
pub fn self_signed_cert_der(key: &SigningKey) -> Result<Vec<u8>, JwtError> {
    let signer = RcgenSigner(key.keypair());
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, key.kid());
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // Positive 16-byte serial from the public key (RFC 5280 §4.1.2.2: at most 20 octets).
    let digest = Sha256::digest(signer.der_bytes());
    let mut serial = digest[..16].to_vec();
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let cert = params
        .self_signed(&signer)
        .map_err(|e| JwtError::Certificate(e.to_string()))?;
    Ok(cert.der().to_vec())
}

impl SigningKey {
    /// Parses the key like [`SigningKey::from_pkcs8_der`] and attaches a deterministic
    /// self-signed certificate as `x5c`/`x5tS256` to its public JWK. Costs one extra RSA
    /// signature at load time.
    pub fn from_pkcs8_der_with_x5c(kid: &str, pkcs8_der: &[u8]) -> Result<Self, JwtError> {
        let mut key = Self::from_pkcs8_der(kid, pkcs8_der)?;
        let cert = self_signed_cert_der(&key)?;
        key.set_x5c(&[cert]);
        Ok(key)
    }
}
