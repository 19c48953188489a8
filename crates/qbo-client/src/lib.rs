//! Intuit's wire format: OAuth, tokens, pacing, retries, entities, query, CDC, batch and webhooks.
//!
//! So far: the error taxonomy and fault parser ([`error`]), the per-company
//! pacer ([`pacer`]) and the HTTP transport with retries ([`transport`]).

pub mod error;

pub use error::{ErrorKind, QboError};
