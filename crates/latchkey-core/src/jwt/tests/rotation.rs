//! Rotation planning and building key sets from records.

use super::super::rotation::{plan_rotation_with, RotationPolicy};
use super::super::{plan_rotation, KeyRecord, KeySet, KeyState, RotationPlan};
use super::{key_a, key_b, KID_A, KID_B};

const DAY: i64 = 86_400;
const PERIOD: i64 = 180 * DAY;
const LIFETIME: i64 = 3600;
const T0: i64 = 1_700_000_000;

fn record(kid: &str, state: KeyState, created_at: i64) -> KeyRecord {
    KeyRecord {
        kid: kid.to_owned(),
        state,
        created_at,
        activated_at: (state != KeyState::Next).then_some(created_at),
        retired_at: None,
        public_jwk: key_a().public_jwk().clone(),
    }
}

fn plan(records: &[KeyRecord], now: i64) -> RotationPlan {
    plan_rotation(records, now, PERIOD, LIFETIME)
}

#[test]
fn bootstrap_creates_active_key() {
    let p = plan(&[], T0);
    assert!(p.create_active && !p.create_next && p.active.is_none());
    let p = plan(&[record("n1", KeyState::Next, T0)], T0);
    assert_eq!(p.promote.as_deref(), Some("n1"));
    assert_eq!(p.active.as_deref(), Some("n1"));
    assert!(!p.create_active && !p.create_next);
}

#[test]
fn steady_state_is_noop_then_next_is_published_ahead() {
    let recs = [record("a", KeyState::Active, T0)];
    let p = plan(&recs, T0 + 10 * DAY);
    assert!(p.is_noop());
    assert_eq!(p.active.as_deref(), Some("a"));
    // One day (default publish-ahead) before rotation is due: create the next key.
    let p = plan(&recs, T0 + PERIOD - DAY);
    assert!(p.create_next && p.promote.is_none());
    assert!(plan(&recs, T0 + PERIOD - DAY - 1).is_noop());
}

#[test]
fn due_rotation_promotes_published_next() {
    let recs = [
        record("a", KeyState::Active, T0),
        record("n", KeyState::Next, T0 + PERIOD - DAY),
    ];
    assert!(plan(&recs, T0 + PERIOD - 1).is_noop());
    let p = plan(&recs, T0 + PERIOD);
    assert_eq!(p.promote.as_deref(), Some("n"));
    assert_eq!(p.retire, vec!["a".to_owned()]);
    assert_eq!(p.active.as_deref(), Some("n"));
    assert!(!p.create_next, "the new active key is not near due yet");
}

#[test]
fn due_rotation_waits_for_publish_ahead() {
    let young = [
        record("a", KeyState::Active, T0),
        record("n", KeyState::Next, T0 + PERIOD + 10),
    ];
    let p = plan(&young, T0 + PERIOD + 20);
    assert!(p.is_noop(), "{p:?}");
    assert_eq!(p.active.as_deref(), Some("a"));
    let p = plan(&young, T0 + PERIOD + 10 + DAY);
    assert_eq!(p.promote.as_deref(), Some("n"));
    // Overdue with no next key at all: only publish one.
    let p = plan(&[record("a", KeyState::Active, T0)], T0 + 2 * PERIOD);
    assert!(p.create_next && p.promote.is_none() && p.retire.is_empty());
}

#[test]
fn retired_keys_dropped_after_token_lifetime() {
    let mut r1 = record("r1", KeyState::Retired, T0 - PERIOD);
    r1.retired_at = Some(T0);
    let mut r2 = record("r2", KeyState::Retired, T0 - PERIOD);
    r2.retired_at = Some(T0 - LIFETIME);
    let r3 = record("r3", KeyState::Retired, T0 - 2 * PERIOD); // retired_at unknown: kept
    let recs = [record("a", KeyState::Active, T0), r1, r2, r3];
    assert_eq!(plan(&recs, T0).drop, vec!["r2".to_owned()]);
    assert_eq!(plan(&recs, T0 + LIFETIME - 1).drop, vec!["r2".to_owned()]);
    assert_eq!(
        plan(&recs, T0 + LIFETIME).drop,
        vec!["r1".to_owned(), "r2".to_owned()]
    );
}

#[test]
fn several_actives_keep_newest() {
    let recs = [
        record("old", KeyState::Active, T0),
        record("new", KeyState::Active, T0 + DAY),
    ];
    let p = plan(&recs, T0 + 2 * DAY);
    assert_eq!(p.active.as_deref(), Some("new"));
    assert_eq!(p.retire, vec!["old".to_owned()]);
}

#[test]
fn short_periods_and_custom_policy() {
    let policy = RotationPolicy::new(60, 10);
    assert_eq!(policy.publish_ahead_secs, 30);
    let recs = [record("a", KeyState::Active, T0)];
    assert!(plan_rotation_with(&recs, T0 + 29, &policy).is_noop());
    assert!(plan_rotation_with(&recs, T0 + 30, &policy).create_next);
    let eager = RotationPolicy {
        publish_ahead_secs: 60,
        ..policy
    };
    assert!(plan_rotation_with(&[], T0, &eager).create_next);
}

#[test]
fn keyset_from_records() {
    let mut next = record(KID_B, KeyState::Next, T0);
    next.public_jwk = key_b().public_jwk().clone();
    let mut retired = record("jwk-test-retired", KeyState::Retired, T0 - PERIOD);
    retired.retired_at = Some(T0);
    retired.public_jwk.kid = "jwk-test-retired".to_owned();
    let active = record(KID_A, KeyState::Active, T0);
    let mut set = KeySet::from_records(key_a(), &[active, next, retired], LIFETIME).unwrap();
    let kids: Vec<&str> = set.verification_keys().iter().map(|k| k.kid()).collect();
    assert_eq!(kids, [KID_A, KID_B, "jwk-test-retired"]);
    assert_eq!(
        set.find("jwk-test-retired").unwrap().retire_after(),
        Some(T0 + LIFETIME)
    );
    assert_eq!(set.jwks_json()["keys"].as_array().unwrap().len(), 3);
    assert_eq!(
        set.prune(T0 + LIFETIME),
        vec!["jwk-test-retired".to_owned()]
    );
    assert_eq!(set.active().kid(), KID_A);
}
