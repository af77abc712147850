//! The OpenID Connect interaction parameters of the hosted authorization page: `prompt`
//! (`none`, `login`, `consent`, `select_account`) and `max_age` (OIDC Core §3.1.2.1), and
//! the step the page takes next once it knows the browser's member session.
//!
//! Stytch's Start / Submit API accepts only `prompt=consent` ([`Prompt::parse`]): its caller's
//! own page does the login. latchkey's hosted page does the login itself, so it can honour
//! silent authentication (`none`) and re-authentication (`login`, `max_age`); it passes only
//! the consent part on to Start / Submit.

use super::authorize::Prompt;
use super::error::{OAuthError, OAuthErrorCode};

/// What the client asked of the person's interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interaction {
    /// The consent part, for Start / Submit.
    pub prompt: Prompt,
    /// `prompt=none`: no page may be shown; fail with `login_required` / `consent_required`.
    pub silent: bool,
    /// `prompt=login` or `select_account`: an existing session is not enough, the person signs
    /// in again (and may choose another account or organization while doing so).
    pub force_login: bool,
    /// `max_age` in seconds: a session authenticated longer ago must sign in again.
    pub max_age: Option<u64>,
}

/// The next step of the hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Show the login steps.
    Login,
    /// Show the consent page.
    Consent,
    /// Issue the code (Submit with consent).
    Complete,
}

impl Interaction {
    /// Parses `prompt` and `max_age`. `none` with any other value is an error (OIDC Core
    /// §3.1.2.1), as are unknown values: ignoring one would silently break what the client
    /// asked for.
    pub fn parse(prompt: Option<&str>, max_age: Option<&str>) -> Result<Self, OAuthError> {
        let mut out = Self::default();
        let values: Vec<&str> = prompt
            .unwrap_or("")
            .split(' ')
            .filter(|v| !v.is_empty())
            .collect();
        for value in &values {
            match *value {
                "consent" => out.prompt = Prompt::Consent,
                "none" => out.silent = true,
                "login" | "select_account" => out.force_login = true,
                other => {
                    return Err(OAuthError::invalid_request(format!(
                        "unsupported prompt value '{other}'; supported: none, login, consent, select_account"
                    )))
                }
            }
        }
        if out.silent && values.iter().any(|v| *v != "none") {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with other prompt values",
            ));
        }
        out.max_age = match max_age.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
                OAuthError::invalid_request("max_age must be a whole number of seconds")
            })?),
        };
        Ok(out)
    }

    /// Whether a member session authenticated at `auth_time` (Unix seconds) satisfies the
    /// request at `now`. A login performed within this very request always does, so
    /// `max_age=0` or `prompt=login` cannot send the person round in circles.
    pub fn session_fresh(&self, auth_time: i64, now: i64, logged_in_here: bool) -> bool {
        if logged_in_here {
            return true;
        }
        if self.force_login {
            return false;
        }
        match self.max_age {
            Some(max) => now.saturating_sub(auth_time) <= i64::try_from(max).unwrap_or(i64::MAX),
            None => true,
        }
    }

    /// The next step, given whether the browser has a session that satisfies the request
    /// ([`Self::session_fresh`]) and, if so, whether the consent rules require the page.
    /// Under `prompt=none` a step that needs the person is an error for the client
    /// (OIDC Core §3.1.2.6).
    pub fn next(&self, fresh_session: bool, consent_required: bool) -> Result<Next, OAuthError> {
        let next = match (fresh_session, consent_required) {
            (false, _) => Next::Login,
            (true, true) => Next::Consent,
            (true, false) => Next::Complete,
        };
        match (self.silent, next) {
            (true, Next::Login) => Err(OAuthError::new(
                OAuthErrorCode::LoginRequired,
                "the member is not signed in, or not recently enough",
            )),
            (true, Next::Consent) => Err(OAuthError::new(
                OAuthErrorCode::ConsentRequired,
                "the member has not consented to these scopes for this app",
            )),
            (_, next) => Ok(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = |p: Option<&str>, m: Option<&str>| Interaction::parse(p, m).unwrap();
        assert_eq!(ok(None, None), Interaction::default());
        assert_eq!(ok(Some("  "), Some("")), Interaction::default());
        let c = ok(Some("consent"), None);
        assert_eq!(
            (c.prompt, c.silent, c.force_login),
            (Prompt::Consent, false, false)
        );
        assert!(ok(Some("none"), None).silent);
        assert!(ok(Some("none none"), None).silent);
        assert!(ok(Some("login"), None).force_login);
        assert!(ok(Some("select_account"), None).force_login);
        let both = ok(Some("login consent"), Some("300"));
        assert_eq!(
            (both.prompt, both.force_login, both.max_age),
            (Prompt::Consent, true, Some(300))
        );
        assert_eq!(ok(None, Some("0")).max_age, Some(0));
        for (p, m) in [
            (Some("none consent"), None),
            (Some("login none"), None),
            (Some("create"), None),
            (Some("Consent"), None),
            (None, Some("-1")),
            (None, Some("1.5")),
            (None, Some("soon")),
        ] {
            let e = Interaction::parse(p, m).unwrap_err();
            assert_eq!(e.code, OAuthErrorCode::InvalidRequest, "{p:?} {m:?}");
        }
    }

    #[test]
    fn freshness() {
        let plain = Interaction::default();
        assert!(plain.session_fresh(0, 1_000_000, false));
        let max = Interaction {
            max_age: Some(60),
            ..Default::default()
        };
        assert!(max.session_fresh(1000, 1060, false));
        assert!(!max.session_fresh(1000, 1061, false));
        assert!(max.session_fresh(1000, 5000, true));
        let zero = Interaction {
            max_age: Some(0),
            ..Default::default()
        };
        assert!(!zero.session_fresh(1000, 1001, false));
        assert!(zero.session_fresh(1000, 1001, true));
        let login = Interaction {
            force_login: true,
            ..Default::default()
        };
        assert!(!login.session_fresh(1000, 1000, false));
        assert!(login.session_fresh(1000, 1000, true));
    }

    #[test]
    fn next_table() {
        let normal = Interaction::default();
        assert_eq!(normal.next(false, false), Ok(Next::Login));
        assert_eq!(normal.next(false, true), Ok(Next::Login));
        assert_eq!(normal.next(true, true), Ok(Next::Consent));
        assert_eq!(normal.next(true, false), Ok(Next::Complete));
        let silent = Interaction {
            silent: true,
            ..Default::default()
        };
        let code = |r: Result<Next, OAuthError>| r.map_err(|e| e.code);
        assert_eq!(
            code(silent.next(false, false)),
            Err(OAuthErrorCode::LoginRequired)
        );
        assert_eq!(
            code(silent.next(true, true)),
            Err(OAuthErrorCode::ConsentRequired)
        );
        assert_eq!(code(silent.next(true, false)), Ok(Next::Complete));
    }
}
