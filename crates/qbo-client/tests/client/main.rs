//! The one integration-test binary of qbo-client; each area is a module.

mod faults;
mod query;
mod support;
mod transport;
