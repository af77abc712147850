//! Recovery codes (Stytch `/v1/b2b/recovery_codes/*`): ten per TOTP registration, each of the
//! form `xxxx-xxxx-xxxx` over `a-z0-9` (about 62 bits), looked up by SHA-256 hash and spent
//! once. A recovery code stands in for the TOTP it was issued with
//! ([`crate::organization::policy::MfaMethod::of_factor`]).

use crate::clock::TokenGenerator;
use crate::secret::SecretHash;
use crate::ApiError;

/// Codes per registration (Stytch shows ten).
pub const COUNT: usize = 10;
const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const GROUPS: usize = 3;
const GROUP_LEN: usize = 4;
/// Imported codes (`totp/migrate`) may be of another format, within reason.
const MAX_IMPORTED_LEN: usize = 64;

/// A fresh set of [`COUNT`] codes. Uniform over the alphabet (bytes of 252 and above are
/// drawn again, so `% 36` has no bias).
pub fn generate(tokens: &dyn TokenGenerator) -> Vec<String> {
    (0..COUNT).map(|_| one(tokens)).collect()
}

fn one(tokens: &dyn TokenGenerator) -> String {
    let mut out = String::with_capacity(GROUPS * (GROUP_LEN + 1));
    let mut n = 0;
    while n < GROUPS * GROUP_LEN {
        let mut b = [0u8; 16];
        tokens.fill(&mut b);
        for x in b.into_iter().filter(|x| *x < 252) {
            if n == GROUPS * GROUP_LEN {
                break;
            }
            if n > 0 && n % GROUP_LEN == 0 {
                out.push('-');
            }
            out.push(char::from(ALPHABET[usize::from(x % 36)]));
            n += 1;
        }
    }
    out
}

/// The form a presented or imported code is compared in: trimmed and lower-cased, and a
/// twelve-character code typed without hyphens gets them back.
pub fn normalize(code: &str) -> String {
    let c: String = code
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if c.len() == GROUPS * GROUP_LEN && c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return format!("{}-{}-{}", &c[0..4], &c[4..8], &c[8..12]);
    }
    c
}

/// The stored hash of a code, after [`normalize`].
pub fn hash(code: &str) -> SecretHash {
    SecretHash::of(&normalize(code))
}

/// Validates codes brought by `totp/migrate`: 1 to 10 non-empty, distinct codes of at most 64
/// characters; returns them normalized.
pub fn imported(codes: &[String]) -> Result<Vec<String>, ApiError> {
    let bad = |why: &str| ApiError::bad_request("invalid_recovery_codes", why.to_owned());
    if codes.len() > COUNT {
        return Err(bad("At most 10 recovery codes can be imported."));
    }
    let mut out: Vec<String> = Vec::with_capacity(codes.len());
    for c in codes {
        let n = normalize(c);
        if n.is_empty() || n.len() > MAX_IMPORTED_LEN {
            return Err(bad("Each recovery code must have 1 to 64 characters."));
        }
        if out.contains(&n) {
            return Err(bad("Recovery codes must be distinct."));
        }
        out.push(n);
    }
    Ok(out)
}

/// 401 `unauthorized_credentials` for a code that is wrong or already spent (the OpenAPI's 401
/// for `recovery_codes/recover`): one answer for both.
pub fn refused() -> ApiError {
    ApiError::new(
        401,
        "unauthorized_credentials",
        "The recovery code is wrong or was already used.",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::clock::OsTokens;

    #[test]
    fn shape_and_normalization() {
        let codes = generate(&OsTokens);
        assert_eq!(codes.len(), COUNT);
        for c in &codes {
            assert_eq!(c.len(), 14, "{c}");
            assert_eq!(c.matches('-').count(), 2);
            assert_eq!(normalize(&c.to_uppercase().replace('-', "")), *c);
            assert_eq!(hash(&format!(" {} ", c.to_uppercase())), hash(c));
        }
        assert!(imported(&["a".into(), "A".into()]).is_err());
        assert!(imported(&vec!["x".to_string(); 11]).is_err());
        assert_eq!(
            imported(&["CKSS-2skx-ebow".into()]).unwrap(),
            vec!["ckss-2skx-ebow"]
        );
    }
}
