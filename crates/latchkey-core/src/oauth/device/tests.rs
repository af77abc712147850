use super::*;
use crate::clock::OsTokens;

fn record(status: DeviceStatus) -> DeviceRecord {
    DeviceRecord {
        project_id: "p".into(),
        client_id: "c".into(),
        scopes: vec!["openid".into()],
        resources: vec![],
        expires_at: 1_600,
        interval: INTERVAL_SECS,
        last_poll_at: None,
        status,
        consumed: false,
    }
}

fn grant() -> Grant {
    Grant {
        grant_id: "g".into(),
        project_id: "p".into(),
        client_id: "c".into(),
        member_id: "m".into(),
        organization_id: "o".into(),
        member_session_id: None,
        scopes: vec!["openid".into()],
        nonce: None,
        auth_time: 1_000,
        resources: vec![],
    }
}

#[test]
fn user_codes_use_the_alphabet_and_normalize() {
    for _ in 0..50 {
        let c = new_user_code(&OsTokens);
        assert_eq!(c.len(), USER_CODE_LEN);
        assert!(c.bytes().all(|b| ALPHABET.contains(&b)));
        let shown = display(&c);
        assert_eq!(shown.len(), 9);
        assert_eq!(
            normalize(&shown.to_lowercase()).as_deref(),
            Some(c.as_str())
        );
    }
    assert_eq!(normalize(" wdjb-mjht ").as_deref(), Some("WDJBMJHT"));
    assert_eq!(
        normalize("WDJB-MJHA"),
        None,
        "vowels are not in the alphabet"
    );
    assert_eq!(normalize("WDJB-MJH"), None);
}

#[test]
fn polls_pending_then_slow_down() {
    let mut r = record(DeviceStatus::Pending);
    assert_eq!(poll(&r, "c", 1_000).unwrap(), Poll::Pending { interval: 5 });
    r.last_poll_at = Some(1_000);
    assert_eq!(
        poll(&r, "c", 1_002).unwrap(),
        Poll::SlowDown { interval: 10 }
    );
    assert_eq!(poll(&r, "c", 1_005).unwrap(), Poll::Pending { interval: 5 });
    let e = poll_error(&Poll::SlowDown { interval: 10 }).unwrap();
    assert_eq!(e.code, OAuthErrorCode::SlowDown);
}

#[test]
fn expired_denied_reused_other_client_and_approved() {
    let r = record(DeviceStatus::Pending);
    assert_eq!(
        poll(&r, "c", 1_600).unwrap_err().code,
        OAuthErrorCode::ExpiredToken
    );
    assert_eq!(
        poll(&r, "x", 1_000).unwrap_err().code,
        OAuthErrorCode::InvalidGrant
    );
    let d = record(DeviceStatus::Denied);
    assert_eq!(
        poll(&d, "c", 1_000).unwrap_err().code,
        OAuthErrorCode::AccessDenied
    );
    let mut a = record(DeviceStatus::Approved {
        grant: Box::new(grant()),
    });
    assert!(matches!(poll(&a, "c", 1_000).unwrap(), Poll::Issue(_)));
    a.consumed = true;
    assert_eq!(
        poll(&a, "c", 1_000).unwrap_err().code,
        OAuthErrorCode::InvalidGrant
    );
    assert!(check_allowed(false).is_err() && check_allowed(true).is_ok());
}
