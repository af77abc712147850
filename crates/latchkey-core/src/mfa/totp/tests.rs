use super::*;

/// RFC 6238 appendix B's SHA-1 secret; the 6-digit codes are the low six digits of its
/// 8-digit test values (RFC 4226 §5.3 truncation is modulo 10^digits).
fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(b"12345678901234567890".to_vec())
}

#[test]
fn rfc6238_vectors() {
    let s = rfc_secret();
    for (t, code) in [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
    ] {
        assert_eq!(s.code_at(t), code, "t = {t}");
    }
}

#[test]
fn one_step_either_way_and_single_use() {
    let s = rfc_secret();
    let t = 1_234_567_890;
    let code = s.code_at(t);
    let step = t / 30;
    assert_eq!(verify(&s, &code, t, -1), Ok(step));
    assert_eq!(verify(&s, &code, t + 30, -1), Ok(step));
    assert_eq!(verify(&s, &code, t - 30, -1), Ok(step));
    assert_eq!(verify(&s, &code, t + 90, -1), Err(CodeRefused::Wrong));
    assert_eq!(verify(&s, &code, t, step), Err(CodeRefused::Reused));
    assert_eq!(verify(&s, "12345", t, -1), Err(CodeRefused::Wrong));
    assert_eq!(verify(&s, "abcdef", t, -1), Err(CodeRefused::Wrong));
    assert_eq!(
        CodeRefused::Reused.to_api().error_type,
        "otp_code_not_found"
    );
}

#[test]
fn base32_round_trip_and_uri() {
    let s = rfc_secret();
    let b32 = s.to_base32();
    assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    let back = TotpSecret::from_base32(&b32.to_lowercase()).unwrap();
    assert_eq!(back.expose_secret(), s.expose_secret());
    assert!(TotpSecret::from_base32("not base32!").is_err());
    assert!(TotpSecret::from_base32("GEZDGNBV").is_err());
    let uri = otpauth_uri(&s, "Acme Corp", "a@acme.com");
    assert!(
        uri.starts_with("otpauth://totp/Acme%20Corp%3Aa%40acme.com?secret=GEZD"),
        "{uri}"
    );
    assert!(uri.contains("issuer=Acme+Corp"));
    assert!(format!("{s:?}").contains("redacted"));
}

#[test]
fn expiration_bounds() {
    assert_eq!(expiration_minutes(None).unwrap(), 60);
    assert!(expiration_minutes(Some(4)).is_err());
    assert!(expiration_minutes(Some(1441)).is_err());
    assert_eq!(expiration_minutes(Some(5)).unwrap(), 5);
}
