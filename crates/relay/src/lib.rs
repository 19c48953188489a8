//! `ledgerlink-relay`: the small server between Ledgerlink apps and Intuit.
//!
//! It holds the Intuit app's client secret, so the desktop app never does:
//! it runs the OAuth hand-off with a PKCE-bound signed state and forwards
//! token, refresh and revoke requests to Intuit with the app's client
//! credentials, returning Intuit's answers unchanged. It receives Intuit's
//! webhooks (signature checked on the raw body), stores each change durably
//! before acknowledging it, and streams each realm's changes to the apps
//! that proved they can read that company, from a resumable cursor.
//!
//! It never stores a customer's tokens. See the crate's README for the
//! HTTP contract, the settings and deployment.

pub mod config;
pub mod connect;
pub mod error;
pub mod events;
pub mod intake;
pub mod ratelimit;
pub mod server;
pub mod signing;
pub mod store;
pub mod upstream;
pub mod webhooks;

pub use config::{Environment, RelayConfig, Secret, SecretBytes};
pub use server::{Relay, RelayError, TestRelay, router, serve, serve_relay};
pub use store::{Store, StoredEvent};
