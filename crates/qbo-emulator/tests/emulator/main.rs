//! The one integration-test binary of the emulator; each area is a module.

mod api;
mod api_client;
mod batch;
mod cdc;
mod oauth;
mod query;
mod webhooks;
