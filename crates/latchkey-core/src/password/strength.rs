//! `POST /v1/b2b/passwords/strength_check`: zxcvbn scoring and LUDS rules.
//!
//! Assumptions about Stytch's behaviour (its docs leave these open):
//! - LUDS is configurable by minimum length and minimum number of character classes;
//!   latchkey defaults to 8 characters and 3 of the 4 classes.
//! - Length is counted in Unicode scalar values (so an emoji is one character).
//! - Classes: lower = ASCII `a-z`, upper = ASCII `A-Z`, digit = ASCII `0-9`, symbol =
//!   anything else (Stytch: "any UTF8 character outside of a-z or A-Z may count as a
//!   valid symbol"; digits are kept as digits here).
//! - `score` is zxcvbn's 0..=4 whichever policy is active; both feedback objects are
//!   always filled in (zxcvbn's is empty once the score reaches 3).
//! - Breach detection needs a network lookup, so it is the caller's: results leave
//!   here with `breached_password` and `breach_detection_on_create` false, and
//!   [`StrengthResult::with_breach_check`] folds the caller's answer in.
//!
//! zxcvbn only sees the first [`ZXCVBN_MAX_CHARS`] characters: its matching is
//! super-linear and anything longer already scores 4.

use serde::{Deserialize, Serialize};

/// zxcvbn's passing score under the `zxcvbn` policy.
pub const ZXCVBN_MIN_SCORE: u8 = 3;
/// Characters of the password that zxcvbn analyses.
pub const ZXCVBN_MAX_CHARS: usize = 100;

/// LUDS requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LudsConfig {
    /// Minimum length in characters.
    pub min_length: u32,
    /// How many of the four classes (lower, upper, digit, symbol) must appear, 1..=4.
    pub min_complexity: u32,
}

impl Default for LudsConfig {
    fn default() -> Self {
        LudsConfig {
            min_length: 8,
            min_complexity: 3,
        }
    }
}

/// The project's strength policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "strength_policy", rename_all = "lowercase")]
pub enum StrengthPolicy {
    /// Valid when zxcvbn scores the password 3 or more (Stytch's default).
    #[default]
    Zxcvbn,
    /// Valid when the LUDS requirements are met.
    Luds(LudsConfig),
}

impl StrengthPolicy {
    /// The wire value of `strength_policy`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StrengthPolicy::Zxcvbn => "zxcvbn",
            StrengthPolicy::Luds(_) => "luds",
        }
    }
}

/// `zxcvbn_feedback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZxcvbnFeedback {
    pub warning: String,
    pub suggestions: Vec<String>,
}

/// `luds_feedback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LudsFeedback {
    pub has_lower_case: bool,
    pub has_upper_case: bool,
    pub has_digit: bool,
    pub has_symbol: bool,
    /// Classes still needed to reach `min_complexity`.
    pub missing_complexity: u32,
    /// Characters still needed to reach `min_length`.
    pub missing_characters: u32,
}

/// The strength-check response body, minus `request_id` and `status_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrengthResult {
    pub valid_password: bool,
    pub score: u8,
    pub breached_password: bool,
    pub strength_policy: String,
    pub breach_detection_on_create: bool,
    pub zxcvbn_feedback: ZxcvbnFeedback,
    pub luds_feedback: LudsFeedback,
}

impl StrengthResult {
    /// Folds in the caller's breach lookup: with detection on, a breached password is
    /// reported and made invalid; with it off, `breached_password` stays false.
    pub fn with_breach_check(mut self, detection_on: bool, breached: bool) -> StrengthResult {
        self.breach_detection_on_create = detection_on;
        self.breached_password = detection_on && breached;
        if self.breached_password {
            self.valid_password = false;
        }
        self
    }
}

/// Checks `password` under `policy`. `email`'s local part (and its pieces) are given
/// to zxcvbn as user inputs, so a password built from the address scores lower.
pub fn strength_check(
    password: &str,
    email: Option<&str>,
    policy: StrengthPolicy,
) -> StrengthResult {
    let analysed: String = password.chars().take(ZXCVBN_MAX_CHARS).collect();
    let inputs = user_inputs(email);
    let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let entropy = zxcvbn::zxcvbn(&analysed, &input_refs);
    let score = u8::from(entropy.score());
    let zxcvbn_feedback = entropy
        .feedback()
        .map(|f| ZxcvbnFeedback {
            warning: f.warning().map(|w| w.to_string()).unwrap_or_default(),
            suggestions: f.suggestions().iter().map(ToString::to_string).collect(),
        })
        .unwrap_or_default();

    let luds_config = match policy {
        StrengthPolicy::Luds(config) => config,
        StrengthPolicy::Zxcvbn => LudsConfig::default(),
    };
    let luds_feedback = luds(password, luds_config);
    let valid_password = match policy {
        StrengthPolicy::Zxcvbn => score >= ZXCVBN_MIN_SCORE,
        StrengthPolicy::Luds(_) => {
            luds_feedback.missing_complexity == 0 && luds_feedback.missing_characters == 0
        }
    };
    StrengthResult {
        valid_password,
        score,
        breached_password: false,
        strength_policy: policy.as_str().to_owned(),
        breach_detection_on_create: false,
        zxcvbn_feedback,
        luds_feedback,
    }
}

/// The email's local part, plus its pieces split on punctuation (`jane.doe+x` gives
/// `jane.doe+x`, `jane`, `doe`, `x`), lowercased.
fn user_inputs(email: Option<&str>) -> Vec<String> {
    let Some(local) = email
        .and_then(|e| e.rsplit_once('@').map(|(local, _)| local).or(Some(e)))
        .map(str::to_lowercase)
        .filter(|l| !l.is_empty())
    else {
        return Vec::new();
    };
    let mut inputs = vec![local.clone()];
    for piece in local.split(|c: char| !c.is_alphanumeric()) {
        if piece.chars().count() >= 2 && piece != local {
            inputs.push(piece.to_owned());
        }
    }
    inputs
}

/// Evaluates LUDS requirements.
pub fn luds(password: &str, config: LudsConfig) -> LudsFeedback {
    let mut feedback = LudsFeedback::default();
    let mut length: u32 = 0;
    for c in password.chars() {
        length = length.saturating_add(1);
        match c {
            'a'..='z' => feedback.has_lower_case = true,
            'A'..='Z' => feedback.has_upper_case = true,
            '0'..='9' => feedback.has_digit = true,
            _ => feedback.has_symbol = true,
        }
    }
    let classes = [
        feedback.has_lower_case,
        feedback.has_upper_case,
        feedback.has_digit,
        feedback.has_symbol,
    ]
    .iter()
    .map(|&b| u32::from(b))
    .sum::<u32>();
    feedback.missing_complexity = config.min_complexity.min(4).saturating_sub(classes);
    feedback.missing_characters = config.min_length.saturating_sub(length);
    feedback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_password_fails_zxcvbn_with_feedback() {
        let result = strength_check("password", None, StrengthPolicy::Zxcvbn);
        assert_eq!(result.score, 0);
        assert!(!result.valid_password);
        assert_eq!(result.strength_policy, "zxcvbn");
        assert!(!result.zxcvbn_feedback.warning.is_empty());
        assert!(!result.zxcvbn_feedback.suggestions.is_empty());
    }

    #[test]
    fn random_password_passes_zxcvbn_without_feedback() {
        let result = strength_check("x7#Qp!vR2zLm@9wT", None, StrengthPolicy::Zxcvbn);
        assert_eq!(result.score, 4);
        assert!(result.valid_password);
        assert_eq!(result.zxcvbn_feedback, ZxcvbnFeedback::default());
    }

    #[test]
    fn email_local_part_lowers_the_score() {
        let password = "quintessa.mcgillicuddy";
        let email = "Quintessa.McGillicuddy@example.com";
        let without = strength_check(password, None, StrengthPolicy::Zxcvbn);
        let with = strength_check(password, Some(email), StrengthPolicy::Zxcvbn);
        assert!(
            with.score < without.score,
            "{} !< {}",
            with.score,
            without.score
        );
        assert_eq!(
            user_inputs(Some(email)),
            vec!["quintessa.mcgillicuddy", "quintessa", "mcgillicuddy"]
        );
        assert!(user_inputs(None).is_empty());
    }

    #[test]
    fn luds_default_needs_8_chars_and_3_classes() {
        let policy = StrengthPolicy::Luds(LudsConfig::default());
        let short = strength_check("abc", None, policy);
        assert!(!short.valid_password);
        assert_eq!(short.strength_policy, "luds");
        assert_eq!(
            short.luds_feedback,
            LudsFeedback {
                has_lower_case: true,
                missing_complexity: 2,
                missing_characters: 5,
                ..LudsFeedback::default()
            }
        );
        assert!(strength_check("Abcdefg1", None, policy).valid_password);
        let two_classes = strength_check("Abcdefgh", None, policy);
        assert!(!two_classes.valid_password);
        assert_eq!(two_classes.luds_feedback.missing_complexity, 1);
    }

    #[test]
    fn luds_counts_unicode_as_symbols_and_chars_not_bytes() {
        let f = luds("ééééééé1", LudsConfig::default());
        assert!(f.has_symbol && f.has_digit && !f.has_lower_case);
        assert_eq!(f.missing_characters, 0);
        assert_eq!(f.missing_complexity, 1);
        let emoji = luds("🔒🔒🔒🔒🔒🔒🔒", LudsConfig::default());
        assert_eq!(emoji.missing_characters, 1);
    }

    #[test]
    fn luds_custom_config() {
        let strict = LudsConfig {
            min_length: 12,
            min_complexity: 4,
        };
        let f = luds("Abcdefg1!", strict);
        assert_eq!((f.missing_characters, f.missing_complexity), (3, 0));
        let policy = StrengthPolicy::Luds(strict);
        assert!(strength_check("Abcdefg1!xyz", None, policy).valid_password);
    }

    #[test]
    fn breach_result_folds_in() {
        let base = strength_check("x7#Qp!vR2zLm@9wT", None, StrengthPolicy::Zxcvbn);
        let breached = base.clone().with_breach_check(true, true);
        assert!(breached.breached_password && !breached.valid_password);
        let off = base.with_breach_check(false, true);
        assert!(!off.breached_password && off.valid_password);
    }

    #[test]
    fn very_long_password_is_bounded() {
        let long = "ab".repeat(50_000);
        let result = strength_check(&long, None, StrengthPolicy::Zxcvbn);
        assert_eq!(result.luds_feedback.missing_characters, 0);
    }

    #[test]
    fn result_serializes_with_stytch_field_names() {
        let json = serde_json::to_value(strength_check("abc", None, StrengthPolicy::Zxcvbn))
            .unwrap_or_default();
        for key in [
            "valid_password",
            "score",
            "breached_password",
            "strength_policy",
            "breach_detection_on_create",
            "zxcvbn_feedback",
            "luds_feedback",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
    }
}
