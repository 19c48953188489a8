//! The one integration-test binary of qbo-client; each area is a module.

mod batch;
mod cdc;
mod connect;
mod faults;
mod fuzz_smoke;
mod model;
mod query;
mod secrecy;
mod support;
mod time_zones;
mod tokens;
mod transport;
mod webhooks;
