//! Signing-key rotation as pure functions over stored [`KeyRecord`]s; the clock is a parameter.
//!
//! Lifecycle: `Next` (published in the JWKS, not yet signing) → `Active` (signs new tokens)
//! → `Retired` (still published so tokens it signed keep verifying) → dropped once every
//! token it signed has expired (`retired_at + max_token_lifetime`).
//!
//! Rules applied by [`plan_rotation_with`]:
//! 1. Several `Active` records: the most recently activated stays, the others are retired.
//! 2. No `Active` record: promote the oldest `Next` at once, or create an `Active` key
//!    (bootstrap — nothing can be signed until one exists, so no publish-ahead delay).
//! 3. The active key is due when `activated_at + rotation_period <= now`. A due key is
//!    replaced by the oldest `Next` that has been published for `publish_ahead_secs`
//!    (so relying parties' JWKS caches have seen it); if there is none, rotation waits.
//! 4. If no `Next` remains and the (new) active key is within `publish_ahead_secs` of being
//!    due, create a `Next` key.
//! 5. `Retired` keys with `retired_at + max_token_lifetime <= now` are dropped; a retired
//!    record without `retired_at` is kept (its last signature time is unknown).

use serde::{Deserialize, Serialize};

use super::Jwk;

/// Default publish-ahead time of a `Next` key (capped at half the rotation period).
pub const DEFAULT_PUBLISH_AHEAD_SECS: i64 = 24 * 3600;

/// Where a key is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not yet signing.
    Next,
    /// Signing new tokens (and published).
    Active,
    /// No longer signing; published until its tokens have expired.
    Retired,
}

/// One stored signing key as the rotation rules see it (no private material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Key id.
    pub kid: String,
    /// Lifecycle state.
    pub state: KeyState,
    /// Unix time the key was created (and published, for `Next` keys).
    pub created_at: i64,
    /// Unix time it became `Active` (falls back to `created_at` if unknown).
    pub activated_at: Option<i64>,
    /// Unix time it was `Retired`.
    pub retired_at: Option<i64>,
    /// Published public key.
    pub public_jwk: Jwk,
}

/// Rotation timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// How long a key signs before it is replaced (Stytch: about 6 months).
    pub rotation_period_secs: i64,
    /// Longest lifetime of any token signed (session JWTs, access and ID tokens), plus any
    /// verification leeway; retired keys are kept this long.
    pub max_token_lifetime_secs: i64,
    /// How long a `Next` key is published before it may start signing.
    pub publish_ahead_secs: i64,
}

impl RotationPolicy {
    /// Policy with `publish_ahead_secs = min(DEFAULT_PUBLISH_AHEAD_SECS, period / 2)`.
    pub fn new(rotation_period_secs: i64, max_token_lifetime_secs: i64) -> Self {
        let period = rotation_period_secs.max(1);
        Self {
            rotation_period_secs: period,
            max_token_lifetime_secs: max_token_lifetime_secs.max(0),
            publish_ahead_secs: DEFAULT_PUBLISH_AHEAD_SECS.min(period / 2),
        }
    }
}

/// What to do now. Apply in order: create keys, promote/retire (timestamps = `now`), drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationPlan {
    /// Kid that signs after the plan is applied (`None` when `create_active` is set).
    pub active: Option<String>,
    /// `Next` key to mark `Active` with `activated_at = now`.
    pub promote: Option<String>,
    /// `Active` keys to mark `Retired` with `retired_at = now`.
    pub retire: Vec<String>,
    /// No key can sign: generate one and store it directly as `Active`.
    pub create_active: bool,
    /// Generate a key and store it as `Next`.
    pub create_next: bool,
    /// `Retired` keys to delete: every token they signed has expired.
    pub drop: Vec<String>,
}

impl RotationPlan {
    /// True if nothing needs to change.
    pub fn is_noop(&self) -> bool {
        self.promote.is_none()
            && self.retire.is_empty()
            && !self.create_active
            && !self.create_next
            && self.drop.is_empty()
    }
}

/// [`plan_rotation_with`] using [`RotationPolicy::new`].
pub fn plan_rotation(
    records: &[KeyRecord],
    now: i64,
    rotation_period_secs: i64,
    max_token_lifetime_secs: i64,
) -> RotationPlan {
    let policy = RotationPolicy::new(rotation_period_secs, max_token_lifetime_secs);
    plan_rotation_with(records, now, &policy)
}

fn activated(r: &KeyRecord) -> i64 {
    r.activated_at.unwrap_or(r.created_at)
}

/// Applies the module's rotation rules to `records` at time `now`.
pub fn plan_rotation_with(
    records: &[KeyRecord],
    now: i64,
    policy: &RotationPolicy,
) -> RotationPlan {
    let period = policy.rotation_period_secs.max(1);
    let ahead = policy.publish_ahead_secs.clamp(0, period);
    let mut plan = RotationPlan::default();

    let mut actives: Vec<&KeyRecord> = records
        .iter()
        .filter(|r| r.state == KeyState::Active)
        .collect();
    actives.sort_by(|a, b| {
        activated(b)
            .cmp(&activated(a))
            .then_with(|| a.kid.cmp(&b.kid))
    });
    let mut nexts: Vec<&KeyRecord> = records
        .iter()
        .filter(|r| r.state == KeyState::Next)
        .collect();
    nexts.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.kid.cmp(&b.kid))
    });

    plan.retire = actives.iter().skip(1).map(|r| r.kid.clone()).collect();

    let rotation_start = match actives.first() {
        None => {
            if nexts.is_empty() {
                plan.create_active = true;
            } else {
                let promoted = nexts.remove(0);
                plan.promote = Some(promoted.kid.clone());
                plan.active = Some(promoted.kid.clone());
            }
            now
        }
        Some(current) => {
            let since = activated(current);
            let ready = nexts
                .iter()
                .position(|n| now >= n.created_at.saturating_add(ahead));
            match ready {
                Some(i) if now >= since.saturating_add(period) => {
                    let promoted = nexts.remove(i);
                    plan.promote = Some(promoted.kid.clone());
                    plan.active = Some(promoted.kid.clone());
                    plan.retire.insert(0, current.kid.clone());
                    now
                }
                _ => {
                    plan.active = Some(current.kid.clone());
                    since
                }
            }
        }
    };

    plan.create_next = nexts.is_empty() && now >= rotation_start.saturating_add(period - ahead);

    let lifetime = policy.max_token_lifetime_secs.max(0);
    plan.drop = records
        .iter()
        .filter(|r| r.state == KeyState::Retired)
        .filter(|r| {
            r.retired_at
                .is_some_and(|t| now >= t.saturating_add(lifetime))
        })
        .map(|r| r.kid.clone())
        .collect();
    plan
}
