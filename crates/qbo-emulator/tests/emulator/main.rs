//! The one integration-test binary of the emulator; each area is a module.

mod api;
mod api_client;
mod batch;
mod cdc;
mod compat;
mod oauth;
mod ops;
mod ops_binary;
mod ops_persist;
mod ops_seed;
mod query;
mod webhooks;
