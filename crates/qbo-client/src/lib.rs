//! Intuit's wire format: OAuth, tokens, pacing, retries, entities, query, CDC, batch and webhooks.
//!
//! So far: the error taxonomy and fault parser ([`error`]), the per-company
//! pacer ([`pacer`]), the HTTP transport with retries ([`transport`]) and the
//! query builder with paging ([`query`]).

pub mod error;
pub mod pacer;
pub mod query;
pub mod transport;

pub use error::{ErrorKind, QboError};
pub use pacer::{Pacer, PacerConfig, PacerPermit, RequestClass};
pub use query::{Comparison, Page, Query, QueryValue};
pub use transport::{ClientConfig, ClientSetupError, QboClient, RequestId, TokenSource};

/// The response header with Intuit's transaction id, which Intuit support
/// asks for (API.md §1.4).
pub const INTUIT_TID_HEADER: &str = "intuit_tid";
