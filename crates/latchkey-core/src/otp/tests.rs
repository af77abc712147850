use super::*;

struct Fixed(std::sync::Mutex<Vec<[u8; 4]>>);

impl TokenGenerator for Fixed {
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::nil()
    }
    fn fill(&self, out: &mut [u8]) {
        let next = self.0.lock().unwrap().remove(0);
        out.copy_from_slice(&next);
    }
}

fn stored(key: &[u8], code: &str) -> StoredCode {
    StoredCode {
        code_id: "otp-1".into(),
        project_id: "p".into(),
        organization_id: "o".into(),
        member_id: "m".into(),
        channel: "sms".into(),
        destination: "+12025550123".into(),
        code_hash: code_hash(key, "otp-1", code),
        attempts: 1,
        expires_at: 200,
        used_at: None,
        created_at: 80,
    }
}

#[test]
fn codes_are_six_digits_without_modulo_bias() {
    // u32::MAX is rejected (above the last whole multiple of a million); 42 is kept.
    let t = Fixed(std::sync::Mutex::new(vec![
        u32::MAX.to_be_bytes(),
        42u32.to_be_bytes(),
    ]));
    let c = OtpCode::generate(&t);
    assert_eq!(c.expose_secret(), "000042");
    assert_eq!(format!("{c:?}"), "OtpCode(<redacted>)");
    let c = OtpCode::generate(&crate::clock::OsTokens);
    assert_eq!(c.expose_secret().len(), 6);
}

#[test]
fn the_hash_is_keyed_and_bound_to_the_row() {
    let a = code_hash(b"k1", "otp-1", "123456");
    assert_eq!(a.len(), 64);
    assert_ne!(a, code_hash(b"k2", "otp-1", "123456"));
    assert_ne!(a, code_hash(b"k1", "otp-2", "123456"));
    assert_ne!(a, code_hash(b"k1", "otp-1", "123457"));
}

#[test]
fn verdicts() {
    let key = b"key";
    let s = stored(key, "123456");
    assert_eq!(verify(key, &s, "123456", 100), Ok(()));
    assert_eq!(verify(key, &s, " 123456 ", 100), Ok(()));
    assert_eq!(verify(key, &s, "654321", 100), Err(Refusal::Wrong));
    assert_eq!(verify(key, &s, "12345", 100), Err(Refusal::Wrong));
    assert_eq!(verify(b"other", &s, "123456", 100), Err(Refusal::Wrong));
    assert_eq!(verify(key, &s, "123456", 200), Err(Refusal::Expired));
    let used = StoredCode {
        used_at: Some(90),
        ..s.clone()
    };
    assert_eq!(verify(key, &used, "123456", 100), Err(Refusal::AlreadyUsed));
    let spent = StoredCode {
        attempts: MAX_ATTEMPTS + 1,
        ..s
    };
    assert_eq!(
        verify(key, &spent, "123456", 100),
        Err(Refusal::TooManyAttempts)
    );
    assert_eq!(Refusal::TooManyAttempts.to_api().status, 429);
    assert_eq!(Refusal::Wrong.to_api().status, 401);
    assert_eq!(
        Refusal::Wrong.to_api().error_type,
        Refusal::NotFound.to_api().error_type
    );
}

#[test]
fn email_minutes_and_phone_rules() {
    assert_eq!(email_minutes("f", None).unwrap(), 10);
    assert_eq!(email_minutes("f", Some(2)).unwrap(), 2);
    assert!(email_minutes("f", Some(1)).is_err());
    assert!(email_minutes("f", Some(16)).is_err());
    assert_eq!(
        sms_destination("+12025550123", None).unwrap(),
        ("+12025550123".into(), false)
    );
    assert_eq!(
        sms_destination("+12025550123", Some("+12025550123")).unwrap(),
        ("+12025550123".into(), false)
    );
    assert_eq!(
        sms_destination("+12025550123", Some("+12025550199"))
            .unwrap_err()
            .error_type,
        "mfa_phone_number_mismatch"
    );
    assert_eq!(
        sms_destination("", Some("+447700900123")).unwrap(),
        ("+447700900123".into(), true)
    );
    assert_eq!(
        sms_destination("", Some("555")).unwrap_err().error_type,
        "invalid_phone_number"
    );
    assert_eq!(
        sms_destination("", None).unwrap_err().error_type,
        "no_mfa_phone_number"
    );
}

#[test]
fn webhook_signature_is_hmac_of_timestamp_dot_body() {
    // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    let sig = webhook_signature(b"secret", 1_700_000_000, br#"{"a":1}"#);
    assert_eq!(
        sig,
        "v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
    );
    assert_ne!(
        sig,
        webhook_signature(b"secret", 1_700_000_001, br#"{"a":1}"#)
    );
}
