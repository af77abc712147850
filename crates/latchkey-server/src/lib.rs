//! latchkey-server: the HTTP server (axum), its configuration and command line.
//!
//! Start-up runs in stages: [`config::Config::load`] → [`startup::build_state`] →
//! [`startup::app`] → [`startup::serve`]. Route families each own a `router()`: `api/` for
//! Stytch's management JSON API (one file per Stytch resource group), `oauth/` for the
//! authorization server's endpoints, `ui/` for the hosted login, consent and logout pages;
//! `health`, `openapi` (`/openapi.json`) and `home` (`/`) for operators.
#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod cache;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod envelope;
pub mod family;
pub mod fetch;
pub mod health;
pub mod home;
pub mod issuer;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod mfa;
pub mod middleware;
pub mod oauth;
pub mod openapi;
pub mod qr;
pub mod rbac;
pub mod sdk;
pub mod sessions;
pub mod sms;
pub mod startup;
pub mod state;
pub mod ui;
pub mod warnings;
