//! latchkey-core: the rules of latchkey, free of I/O.
//!
//! Handlers load records, call a synchronous function here with the parsed request, those
//! records, `now` and a token generator, and persist what it decides. Nothing in this crate
//! reads the clock or the random number generator except [`clock`], which wraps both so the
//! server can inject them (and tests can fix them).
#![forbid(unsafe_code)]

pub mod clock;
pub mod connected_app;
pub mod error;
pub mod ids;
pub mod jwt;
pub mod m2m;
pub mod magic_link;
pub mod member;
pub mod mfa;
pub mod oauth;
pub mod organization;
pub mod otp;
pub mod password;
pub mod rbac;
pub mod sdk_origin;
pub mod search;
pub mod secret;
pub mod session;
pub mod validate;

pub use error::ApiError;
