//! Scope values: one `Scope` token, an ordered duplicate-free `ScopeSet`, and the built-in
//! scopes Stytch defines for Connected Apps.
//!
//! Grammar from RFC 6749 §3.3 (`scope-token = 1*NQCHAR`, space-delimited, order irrelevant);
//! built-ins from Stytch "OAuth scopes" (spec §14.1,
//! <https://stytch.com/docs/connected-apps/oauth-learn-more/oauth-scopes>). Which scopes a member
//! may grant lives in `rbac.rs`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Scope failures that are not about the RBAC policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// A token with characters outside RFC 6749 §3.3 `NQCHAR` (or an empty array element).
    #[error("malformed scope '{0}'")]
    Malformed(String),
    /// Nothing requested; Stytch answers "empty set of scopes requested".
    #[error("empty set of scopes requested")]
    Empty,
    /// Not a built-in scope and not in the project's RBAC policy.
    #[error("unknown scope '{0}'")]
    Unknown(String),
}

impl ScopeError {
    /// Stytch `error_type` for every variant (spec §2.5; `invalid_scope` in OAuth form).
    pub fn error_type(&self) -> &'static str {
        "oauth_invalid_scope_requested"
    }
}

/// One scope token (RFC 6749 §3.3): 1+ chars of `%x21 / %x23-5B / %x5D-7E`. Serialized as a
/// plain string; deserializing validates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

impl TryFrom<String> for Scope {
    type Error = ScopeError;
    fn try_from(s: String) -> Result<Self, ScopeError> {
        Self::parse(&s)
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.0
    }
}

impl Scope {
    /// Validate one token.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        let nqchar = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
        if !s.is_empty() && s.bytes().all(nqchar) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ScopeError::Malformed(s.to_owned()))
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in scope this is, if any.
    pub fn builtin(&self) -> Option<BuiltinScope> {
        BuiltinScope::parse(&self.0)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A set of scopes: duplicates dropped, first-seen order kept (so `to_string()` is stable and
/// echoes the client's order). Equality ignores order.
#[derive(Debug, Clone, Default)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parse the space-delimited `scope` parameter (RFC 6749 §3.3). Runs of spaces and
    /// leading/trailing spaces are tolerated; tabs and other whitespace are malformed.
    pub fn parse(s: &str) -> Result<Self, ScopeError> {
        Self::from_list(s.split(' ').filter(|t| !t.is_empty()))
    }

    /// From Stytch's `scopes: string[]` (spec §4.1): each element must be exactly one token.
    pub fn from_list<I, S>(items: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::default();
        for item in items {
            set.insert(Scope::parse(item.as_ref())?);
        }
        Ok(set)
    }

    /// Add a scope unless already present.
    pub fn insert(&mut self, scope: Scope) {
        if !self.0.contains(&scope) {
            self.0.push(scope);
        }
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.0 == scope)
    }

    /// Whether the set holds this built-in scope.
    pub fn contains_builtin(&self, scope: BuiltinScope) -> bool {
        self.contains(scope.as_str())
    }

    /// Scopes in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No scopes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every scope of `self` is in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.contains(&s.0))
    }

    /// Scopes of `self` that are also in `other`, in `self`'s order.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(
            self.0
                .iter()
                .filter(|s| other.contains(&s.0))
                .cloned()
                .collect(),
        )
    }

    /// `self` followed by the scopes of `other` not already present.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut out = self.clone();
        for s in other.iter() {
            out.insert(s.clone());
        }
        out
    }

    /// As Stytch's `string[]` form.
    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().map(|s| s.0.clone()).collect()
    }
}

impl PartialEq for ScopeSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.is_subset_of(other)
    }
}

impl Eq for ScopeSet {}

/// Space-joined, the form of the `scope` response member and token claim (RFC 6749 §5.1).
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for s in &self.0 {
            write!(f, "{sep}{s}")?;
            sep = " ";
        }
        Ok(())
    }
}

/// The scopes Stytch defines for every project (spec §14.1). They take precedence over any
/// custom RBAC scope of the same name (Stytch reserves them: `rbac_reserved_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinScope {
    /// `openid`: an ID token is returned (OIDC Core §3.1.2.1).
    OpenId,
    /// `email`: `email`, `email_verified` claims.
    Email,
    /// `profile`: name, picture and locale claims.
    Profile,
    /// `phone`: `phone_number`, `phone_number_verified` claims.
    Phone,
    /// `offline_access`: a refresh token is returned; forces consent (§12.4).
    OfflineAccess,
    /// `full_access`: Stytch platform scope, first-party only; enables Exchange Access Token.
    FullAccess,
}

impl BuiltinScope {
    /// All built-ins, in the order discovery should list them.
    pub const ALL: [BuiltinScope; 6] = [
        Self::OpenId,
        Self::Email,
        Self::Profile,
        Self::Phone,
        Self::OfflineAccess,
        Self::FullAccess,
    ];

    /// The scope token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::Email => "email",
            Self::Profile => "profile",
            Self::Phone => "phone",
            Self::OfflineAccess => "offline_access",
            Self::FullAccess => "full_access",
        }
    }

    /// The built-in named `s`, case-sensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// Fixed consent-screen text (`scope_results[].description`). Stytch's exact wording is
    /// not documented (spec §14.2, inferred); these are ours.
    pub fn description(self) -> &'static str {
        match self {
            Self::OpenId => "Confirm your identity",
            Self::Email => "View your email address",
            Self::Profile => "View your basic profile information",
            Self::Phone => "View your phone number",
            Self::OfflineAccess => "Stay signed in and access your data while you are away",
            Self::FullAccess => "Full access to your account, including acting as you in the app",
        }
    }
}

#[cfg(test)]
mod tests;
