//! Private keys at rest: sealing, opening, master key parsing, redaction.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

use super::super::{
    open_private_key, seal_private_key, seal_private_key_with_nonce, JwtError, MasterKey,
    SigningKey,
};
use super::{key_ders, KID_A, KID_B};

const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn master() -> MasterKey {
    MasterKey::parse(HEX).unwrap()
}

#[test]
fn sealed_round_trip_loads_as_signing_key() {
    let der = &key_ders()[0];
    let stored = seal_private_key(Some(&master()), KID_A, der).unwrap();
    let mut fields = stored.split('.');
    assert_eq!(fields.next(), Some("v1"));
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(fields.next().unwrap())
            .unwrap()
            .len(),
        12
    );
    let ct = URL_SAFE_NO_PAD.decode(fields.next().unwrap()).unwrap();
    assert_eq!(ct.len(), der.len() + 16);
    assert!(fields.next().is_none());

    let opened = open_private_key(Some(&master()), KID_A, &stored).unwrap();
    assert_eq!(opened.as_bytes(), der.as_slice());
    assert!(SigningKey::from_pkcs8_der(KID_A, opened.as_bytes()).is_ok());

    let again = seal_private_key(Some(&master()), KID_A, der).unwrap();
    assert_ne!(stored, again, "fresh nonce per seal");
}

#[test]
fn caller_nonce_is_used() {
    let stored = seal_private_key_with_nonce(Some(&master()), KID_A, b"secret", [7u8; 12]).unwrap();
    assert!(stored.starts_with(&format!("v1.{}.", URL_SAFE_NO_PAD.encode([7u8; 12]))));
    let opened = open_private_key(Some(&master()), KID_A, &stored).unwrap();
    assert_eq!(opened.as_bytes(), b"secret");
}

#[test]
fn wrong_master_key_swapped_kid_and_tampering_fail() {
    let stored = seal_private_key(Some(&master()), KID_A, b"secret").unwrap();
    let other = MasterKey::from_bytes([9u8; 32]);
    assert!(matches!(
        open_private_key(Some(&other), KID_A, &stored),
        Err(JwtError::Decrypt)
    ));
    assert!(matches!(
        open_private_key(Some(&master()), KID_B, &stored),
        Err(JwtError::Decrypt)
    ));

    let (head, ct) = stored.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(ct).unwrap();
    bytes[0] ^= 1;
    let tampered = format!("{head}.{}", URL_SAFE_NO_PAD.encode(bytes));
    assert!(matches!(
        open_private_key(Some(&master()), KID_A, &tampered),
        Err(JwtError::Decrypt)
    ));
}

#[test]
fn plaintext_form_and_strictness() {
    let stored = seal_private_key(None, KID_A, b"secret").unwrap();
    assert_eq!(
        stored,
        format!("plain.{}", URL_SAFE_NO_PAD.encode(b"secret"))
    );
    assert_eq!(
        open_private_key(None, KID_A, &stored).unwrap().as_bytes(),
        b"secret"
    );
    assert!(matches!(
        open_private_key(Some(&master()), KID_A, &stored),
        Err(JwtError::PlaintextNotAllowed)
    ));
    let sealed = seal_private_key(Some(&master()), KID_A, b"secret").unwrap();
    assert!(matches!(
        open_private_key(None, KID_A, &sealed),
        Err(JwtError::MasterKeyRequired)
    ));
    assert!(matches!(
        open_private_key(None, KID_A, "plain.!!"),
        Err(JwtError::MalformedStoredKey)
    ));
    for bad in ["", "v2.a.b", "v1.", "v1.AAAA", "v1.AAAA.AAAA", "v1.!.AAAA"] {
        assert!(
            matches!(
                open_private_key(Some(&master()), KID_A, bad),
                Err(JwtError::MalformedStoredKey)
            ),
            "{bad}"
        );
    }
}

#[test]
fn master_key_parsing() {
    let expected: Vec<u8> = (0u8..32).collect();
    let probe = |k: &MasterKey| seal_private_key_with_nonce(Some(k), KID_A, b"x", [0; 12]).unwrap();
    let reference = probe(&MasterKey::from_bytes(expected.clone().try_into().unwrap()));
    for text in [
        HEX.to_owned(),
        HEX.to_uppercase(),
        format!("  {HEX}\n"),
        STANDARD.encode(&expected),
        URL_SAFE_NO_PAD.encode(&expected),
    ] {
        assert_eq!(
            probe(&MasterKey::parse(&text).unwrap()),
            reference,
            "{text}"
        );
    }
    assert!(matches!(
        open_private_key(None, KID_A, "plain.!!"),
        Err(JwtError::MalformedStoredKey)
    ));
    for bad in [
        "",
        "00",
        &HEX[..62],
        &format!("{HEX}00"),
        &STANDARD.encode([1u8; 31]),
        "zz",
    ] {
        assert!(
            matches!(MasterKey::parse(bad), Err(JwtError::InvalidMasterKey)),
            "{bad}"
        );
    }
}

#[test]
fn secrets_are_redacted_in_debug() {
    let m = format!("{:?}", master());
    assert_eq!(m, "MasterKey(<redacted>)");
    let stored = seal_private_key(Some(&master()), KID_A, b"secret").unwrap();
    let opened = format!(
        "{:?}",
        open_private_key(Some(&master()), KID_A, &stored).unwrap()
    );
    assert!(
        !opened.contains("secret") && opened.contains("redacted"),
        "{opened}"
    );
}
