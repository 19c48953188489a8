//! Intuit's wire format: OAuth, tokens, pacing, retries, entities, query, CDC, batch and webhooks.
//!
//! So far: the error taxonomy and fault parser ([`error`]), the per-company
//! pacer ([`pacer`]), the HTTP transport with retries ([`transport`]) and the
//! query builder with paging ([`query`]).

pub mod batch;
pub mod cdc;
pub mod connect;
pub mod error;
pub mod model;
pub mod pacer;
pub mod query;
pub mod tokens;
pub mod transport;
pub mod webhooks;

pub use batch::{BatchAnswer, BatchItem, BatchItemResult, BatchRequest};
pub use cdc::{CdcOutcome, CdcResult, Change, EntityChanges};
pub use connect::{
    AppCredentials, ConnectError, ConnectOptions, Connection, Discovery, LoopbackListener,
    OAuthApp, RedirectMode,
};
pub use error::parse_fault_body;
pub use error::{ErrorKind, QboError};
pub use pacer::{Pacer, PacerConfig, PacerPermit, RequestClass};
pub use query::{Comparison, Page, Query, QueryValue};
pub use tokens::{Clock, SystemClock, TokenManager, TokenManagerConfig};
pub use transport::{ClientConfig, ClientSetupError, QboClient, RequestId, TokenSource};
pub use webhooks::{ChangeNotice, Operation, WebhookError, parse_notification, verify_signature};

/// The response header with Intuit's transaction id, which Intuit support
/// asks for (API.md §1.4).
pub const INTUIT_TID_HEADER: &str = "intuit_tid";
