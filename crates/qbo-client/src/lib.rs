//! Intuit's wire format: OAuth, tokens, pacing, retries, entities, query, CDC, batch and webhooks.
//!
//! Connecting ([`connect`]) and keeping tokens fresh ([`tokens`]); the
//! per-company pacer ([`pacer`]) and the HTTP transport with retries
//! ([`transport`]); typed entities ([`model`]); the query builder with paging
//! ([`query`]); change data capture ([`cdc`]); batches ([`batch`]); webhook
//! verification and parsing ([`webhooks`]); a relay's live updates
//! ([`live`]); and one error taxonomy with the fault parser ([`error`]).

pub mod batch;
pub mod cdc;
pub mod connect;
pub mod error;
pub mod live;
pub mod model;
pub mod pacer;
pub mod query;
pub mod refusal;
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
pub use live::{
    ChangeEvent, LiveError, LiveEvent, LiveStream, RelayEvents, RelayMetadata, Subscription,
};
pub use pacer::{Pacer, PacerConfig, PacerPermit, RequestClass, SentMark};
pub use query::{Comparison, Page, Query, QueryValue};
pub use refusal::Refusal;
pub use tokens::{Clock, SystemClock, TokenManager, TokenManagerConfig};
pub use transport::{ClientConfig, ClientSetupError, QboClient, RequestId, TokenSource};
pub use webhooks::{ChangeNotice, Operation, WebhookError, parse_notification, verify_signature};

/// The response header with Intuit's transaction id, which Intuit support
/// asks for (API.md §1.4).
pub const INTUIT_TID_HEADER: &str = "intuit_tid";
