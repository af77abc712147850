//! Wire types: the JSON shapes of Stytch's B2B API exactly as the official SDKs send and read
//! them (field names and required flags from Stytch's OpenAPI document), and the OAuth bodies.
//!
//! Request structs are "raw": every field optional where Stytch's schema allows it, unknown
//! fields ignored (the Python SDK repeats path parameters in bodies). The server turns them into
//! typed requests once, at the edge.
#![forbid(unsafe_code)]

pub mod audit;
pub mod connected_app;
pub mod identity_assertion;
pub mod idp;
pub mod m2m;
pub mod magic_link;
pub mod member;
pub mod mfa;
pub mod organization;
pub mod otp;
pub mod password;
pub mod registration;
pub mod resource;
pub mod search;
pub mod session;

pub use audit::*;
pub use connected_app::*;
pub use identity_assertion::*;
pub use idp::*;
pub use m2m::*;
pub use magic_link::*;
pub use member::*;
pub use mfa::*;
pub use organization::*;
pub use otp::*;
pub use password::*;
pub use registration::*;
pub use resource::*;
pub use search::*;
pub use session::*;
