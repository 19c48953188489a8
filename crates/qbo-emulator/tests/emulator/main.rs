//! The one integration-test binary of the emulator; each area is a module.

mod oauth;
mod query;
mod webhooks;
