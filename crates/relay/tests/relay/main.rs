//! The one integration-test binary of the relay; each area is a module.
//! Intuit is played by the real QBO emulator on loopback.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod binary;
mod connect;
mod events;
mod secret;
mod support;
mod webhooks;
