//! The HTTP transport to one company's Accounting API: every request paced,
//! authenticated, versioned and retried the way Intuit asks (API.md §1, §8, §9).
//!
//! - Every request carries `minorversion`, `Accept: application/json` and a
//!   `User-Agent`; the `intuit_tid` of each answer goes into the tracing span
//!   and into any error.
//! - 5xx answers, timeouts and dropped connections are retried a bounded
//!   number of times with exponential backoff and jitter; a 429 pauses the
//!   whole company (through the [`Pacer`]) and is retried.
//! - Every write carries a caller-chosen [`RequestId`] as `requestid`, the same
//!   on every retry, so QBO answers a retry of a committed write with the
//!   first answer instead of doing it twice (API.md §1.5).
//! - A 401 makes the [`TokenSource`] refresh once and the request is retried
//!   once; a second 401 is returned as [`QboError::AuthExpired`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tracing::Instrument;
use url::Url;

use crate::error::{
    QboError, classify_fault, error_from_response, parse_json_fault, parse_retry_after,
};
use crate::pacer::{Pacer, PacerConfig, RequestClass, SentMark};

/// The minor version every request asks for; QBO serves nothing lower since
/// August 2025 (API.md §1.3).
pub const MINOR_VERSION: u32 = 75;

/// Where access tokens come from. The token manager implements it for real
/// companies; tests implement it over the emulator.
pub trait TokenSource: Send + Sync {
    /// A current access token for the company.
    fn access_token(&self) -> impl Future<Output = Result<String, QboError>> + Send;

    /// QBO refused `rejected` with a 401: get a new access token (refreshing
    /// unless another caller already did). An `invalid_grant` while refreshing
    /// is [`QboError::ReconnectNeeded`].
    fn refresh_after_unauthorized(
        &self,
        rejected: &str,
    ) -> impl Future<Output = Result<(), QboError>> + Send;
}

impl<T: TokenSource> TokenSource for Arc<T> {
    fn access_token(&self) -> impl Future<Output = Result<String, QboError>> + Send {
        T::access_token(self)
    }

    fn refresh_after_unauthorized(
        &self,
        rejected: &str,
    ) -> impl Future<Output = Result<(), QboError>> + Send {
        T::refresh_after_unauthorized(self, rejected)
    }
}

/// The caller-chosen id of one logical write, sent as `requestid` and reused
/// on every retry of that write. The sync engine stores it before the first
/// send so that even a retry after a crash cannot duplicate the write.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestId(String);

/// A string that cannot be a `requestid`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a requestid must be 1 to {max} printable ASCII characters without spaces, got {length} characters",
    max = RequestId::MAX_LEN
)]
pub struct InvalidRequestId {
    length: usize,
}

impl RequestId {
    /// The longest `requestid` QBO accepts (API.md §1.5).
    pub const MAX_LEN: usize = 50;

    /// A fresh random id (a UUID v4 without dashes, 32 characters).
    pub fn new() -> RequestId {
        RequestId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Checks a stored id: 1 to 50 printable ASCII characters, no spaces.
    pub fn parse(text: impl Into<String>) -> Result<RequestId, InvalidRequestId> {
        let text = text.into();
        let valid = !text.is_empty()
            && text.len() <= RequestId::MAX_LEN
            && text.bytes().all(|byte| byte.is_ascii_graphic());
        if valid {
            Ok(RequestId(text))
        } else {
            Err(InvalidRequestId {
                length: text.chars().count(),
            })
        }
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl TryFrom<String> for RequestId {
    type Error = InvalidRequestId;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        RequestId::parse(text)
    }
}

impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.0
    }
}

/// How a [`QboClient`] behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// The `minorversion` sent on every request.
    pub minor_version: u32,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// How long one attempt may take before it counts as a timeout. QBO
    /// itself gives up on requests after 120 s (API.md §8).
    pub request_timeout: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Retries after a 5xx, a timeout or a dropped connection.
    pub max_transient_retries: u32,
    /// Retries after a 429.
    pub max_throttle_retries: u32,
    /// The first backoff delay; it doubles with every retry.
    pub backoff_base: Duration,
    /// The longest backoff delay.
    pub backoff_max: Duration,
    /// How long a 429 without `Retry-After` pauses the company; Intuit says
    /// 60 s (API.md §8).
    pub default_throttle_wait: Duration,
    /// Seeds the backoff jitter, for replayable tests; random when `None`.
    pub jitter_seed: Option<u64>,
    /// The company's request limits.
    pub pacer: PacerConfig,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            minor_version: MINOR_VERSION,
            user_agent: format!("Ledgerlink/{} qbo-client", env!("CARGO_PKG_VERSION")),
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(15),
            max_transient_retries: 4,
            max_throttle_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            default_throttle_wait: crate::error::DEFAULT_THROTTLE_WAIT,
            jitter_seed: None,
            pacer: PacerConfig::INTUIT,
        }
    }
}

/// Why a [`QboClient`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    /// The base URL is not an absolute http(s) URL.
    #[error("the QBO base URL {url:?} is not an absolute http or https URL")]
    BaseUrl {
        /// The URL given.
        url: String,
    },
    /// The realm id is empty or has characters a realm id never has.
    #[error("the realm id {realm_id:?} is not a QBO company id")]
    RealmId {
        /// The id given.
        realm_id: String,
    },
    /// The HTTP client could not be built (no TLS roots, for example).
    #[error("the HTTP client could not be built")]
    Http(#[source] reqwest::Error),
}

/// A request body.
#[derive(Debug)]
enum Body {
    None,
    Json(Bytes),
    /// A query statement, sent as `application/text` (API.md §4.1).
    QueryText(Bytes),
}

/// A request body that tells the pacer when the request left: the HTTP
/// stack takes the body when it writes the request, so the moment it is
/// taken dates the request's arrival at QBO far more closely than the
/// moment the pacer let it start (see [`crate::pacer`]).
struct MarkedBody {
    bytes: Option<Bytes>,
    sent: SentMark,
}

impl http_body::Body for MarkedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let taken = self.bytes.take();
        if taken.is_some() {
            self.sent.mark();
        }
        Poll::Ready(taken.map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.bytes.as_ref().map_or(0, |bytes| bytes.len() as u64))
    }
}

/// One logical call, possibly sent several times.
#[derive(Debug)]
struct Call<'a> {
    method: Method,
    segments: Vec<String>,
    params: Vec<(&'static str, String)>,
    body: Body,
    request_id: Option<&'a RequestId>,
    class: RequestClass,
}

/// A successful answer.
#[derive(Debug)]
struct Answer {
    body: Value,
    intuit_tid: Option<String>,
}

/// The client of one company's Accounting API. Cheap to clone; clones share
/// the pacer, so every piece of work for a company should use clones of one
/// client.
pub struct QboClient<T> {
    inner: Arc<ClientInner<T>>,
}

struct ClientInner<T> {
    http: reqwest::Client,
    company_url: Url,
    realm_id: String,
    tokens: T,
    config: ClientConfig,
    pacer: Pacer,
    jitter: Mutex<ChaCha8Rng>,
}

impl<T> Clone for QboClient<T> {
    fn clone(&self) -> Self {
        QboClient {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for QboClient<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("QboClient")
            .field("company_url", &self.inner.company_url.as_str())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<T: TokenSource> QboClient<T> {
    /// A client for company `realm_id` at `base_url` (e.g.
    /// `https://quickbooks.api.intuit.com`, or the emulator's address).
    pub fn new(
        base_url: &str,
        realm_id: &str,
        token_source: T,
        config: ClientConfig,
    ) -> Result<QboClient<T>, ClientSetupError> {
        let bad_url = || ClientSetupError::BaseUrl {
            url: base_url.to_owned(),
        };
        let mut company_url = Url::parse(base_url).map_err(|_| bad_url())?;
        if !matches!(company_url.scheme(), "http" | "https") || company_url.cannot_be_a_base() {
            return Err(bad_url());
        }
        if realm_id.is_empty()
            || realm_id.len() > 64
            || !realm_id.bytes().all(|byte| byte.is_ascii_alphanumeric())
        {
            return Err(ClientSetupError::RealmId {
                realm_id: realm_id.to_owned(),
            });
        }
        company_url.set_query(None);
        company_url.set_fragment(None);
        company_url
            .path_segments_mut()
            .map_err(|()| bad_url())?
            .pop_if_empty()
            .extend(["v3", "company", realm_id]);
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            // QBO does not redirect API calls; following one would send the
            // bearer token somewhere we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ClientSetupError::Http)?;
        let jitter = match config.jitter_seed {
            Some(seed) => ChaCha8Rng::seed_from_u64(seed),
            // Jitter only spreads retries out, so when the OS has no
            // randomness to give, the clock is a good enough seed.
            None => ChaCha8Rng::try_from_os_rng().unwrap_or_else(|_| {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |since| since.subsec_nanos());
                ChaCha8Rng::seed_from_u64(u64::from(nanos))
            }),
        };
        Ok(QboClient {
            inner: Arc::new(ClientInner {
                http,
                company_url,
                realm_id: realm_id.to_owned(),
                tokens: token_source,
                pacer: Pacer::new(config.pacer.clone()),
                config,
                jitter: Mutex::new(jitter),
            }),
        })
    }

    /// The company's realm id.
    pub fn realm_id(&self) -> &str {
        &self.inner.realm_id
    }

    /// The company's pacer (shared by every clone of this client).
    pub fn pacer(&self) -> &Pacer {
        &self.inner.pacer
    }

    /// The token source.
    pub fn token_source(&self) -> &T {
        &self.inner.tokens
    }

    /// Reads one entity by id: `GET /{entity}/{id}`. Returns the entity
    /// object (the `Invoice` of `{"Invoice": {…}, "time": …}`).
    pub async fn get_entity(&self, entity: &str, id: &str) -> Result<Value, QboError> {
        let call = Call {
            method: Method::GET,
            segments: vec![entity_path(entity), id.to_owned()],
            params: Vec::new(),
            body: Body::None,
            request_id: None,
            class: RequestClass::Single,
        };
        let answer = self.execute(&call).await?;
        entity_object(answer, entity)
    }

    /// Creates an entity: `POST /{entity}` with `body` (no `Id`). Returns the
    /// created object.
    pub async fn create(
        &self,
        entity: &str,
        body: &Value,
        request_id: &RequestId,
    ) -> Result<Value, QboError> {
        self.write(entity, body.clone(), Vec::new(), request_id)
            .await
    }

    /// A full update: the body (with `Id` and `SyncToken`) replaces the whole
    /// entity, and writable fields it leaves out are cleared (API.md §3.3).
    /// Sends `"sparse": false` whatever the body said.
    pub async fn update(
        &self,
        entity: &str,
        body: &Value,
        request_id: &RequestId,
    ) -> Result<Value, QboError> {
        self.write(entity, with_sparse(body, false), Vec::new(), request_id)
            .await
    }

    /// A sparse update: only the fields in the body (with `Id` and
    /// `SyncToken`) change. Sends `"sparse": true`.
    pub async fn sparse_update(
        &self,
        entity: &str,
        body: &Value,
        request_id: &RequestId,
    ) -> Result<Value, QboError> {
        self.write(entity, with_sparse(body, true), Vec::new(), request_id)
            .await
    }

    /// Deletes a transaction: `POST /{entity}?operation=delete` with `Id` and
    /// `SyncToken`. Returns QBO's answer object (`{"status": "Deleted", "Id": …}`).
    pub async fn delete(
        &self,
        entity: &str,
        id: &str,
        sync_token: &str,
        request_id: &RequestId,
    ) -> Result<Value, QboError> {
        let body = json!({ "Id": id, "SyncToken": sync_token });
        let params = vec![("operation", "delete".to_owned())];
        self.write(entity, body, params, request_id).await
    }

    /// Voids a transaction. An Invoice is voided with `operation=void`; the
    /// others QBO can void through the API (Payment, SalesReceipt,
    /// BillPayment) with a sparse `operation=update&include=void` (API.md §1.2).
    pub async fn void(
        &self,
        entity: &str,
        id: &str,
        sync_token: &str,
        request_id: &RequestId,
    ) -> Result<Value, QboError> {
        let (body, params) = if entity.eq_ignore_ascii_case("invoice") {
            (
                json!({ "Id": id, "SyncToken": sync_token }),
                vec![("operation", "void".to_owned())],
            )
        } else {
            (
                json!({ "Id": id, "SyncToken": sync_token, "sparse": true }),
                vec![
                    ("operation", "update".to_owned()),
                    ("include", "void".to_owned()),
                ],
            )
        };
        self.write(entity, body, params, request_id).await
    }

    /// Runs a query statement (`POST /query`, the statement as
    /// `application/text`). Returns the `QueryResponse` object: the rows
    /// under the entity's name, `startPosition`, `maxResults`, `totalCount`.
    pub async fn query(&self, statement: &str) -> Result<Value, QboError> {
        let answer = self.execute(&query_call(statement)).await?;
        entity_object(answer, "QueryResponse")
    }

    /// Runs a query statement like [`Self::query`] and returns the rows of
    /// `entity` as the JSON text of each, without parsing them into values
    /// (an answer without such rows has none).
    pub(crate) async fn query_raw_rows(
        &self,
        statement: &str,
        entity: &str,
    ) -> Result<Vec<Box<RawValue>>, QboError> {
        let (members, intuit_tid) = self
            .execute_parsed(&query_call(statement), parse_raw_query)
            .await?;
        let Some((_, rows)) = members
            .into_iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(entity))
        else {
            return Ok(Vec::new());
        };
        match rows {
            RawMember::Rows(rows) => Ok(rows),
            RawMember::Other => Err(QboError::protocol(
                Some(200),
                format!("the {entity} rows of the answer are not a list"),
                intuit_tid.as_deref(),
            )),
        }
    }

    /// Sends one call built by another module of this crate (CDC, batch) and
    /// returns the whole answer body with its `intuit_tid`. `json_body`, when
    /// given, is sent as `application/json`.
    pub(crate) async fn send_json(
        &self,
        method: Method,
        segments: Vec<String>,
        params: Vec<(&'static str, String)>,
        json_body: Option<&Value>,
        request_id: Option<&RequestId>,
        class: RequestClass,
    ) -> Result<(Value, Option<String>), QboError> {
        let body = match json_body {
            None => Body::None,
            Some(value) => Body::Json(Bytes::from(serde_json::to_vec(value).map_err(|error| {
                QboError::protocol(
                    None,
                    format!("the request body could not be encoded: {error}"),
                    None,
                )
            })?)),
        };
        let call = Call {
            method,
            segments,
            params,
            body,
            request_id,
            class,
        };
        let answer = self.execute(&call).await?;
        Ok((answer.body, answer.intuit_tid))
    }

    async fn write(
        &self,
        entity: &str,
        body: Value,
        params: Vec<(&'static str, String)>,
        request_id: &RequestId,
    ) -> Result<Value, QboError> {
        let bytes = serde_json::to_vec(&body).map_err(|error| {
            QboError::protocol(
                None,
                format!("the request body could not be encoded: {error}"),
                None,
            )
        })?;
        let call = Call {
            method: Method::POST,
            segments: vec![entity_path(entity)],
            params,
            body: Body::Json(Bytes::from(bytes)),
            request_id: Some(request_id),
            class: RequestClass::Single,
        };
        let answer = self.execute(&call).await?;
        entity_object(answer, entity)
    }

    fn url(&self, call: &Call<'_>) -> Url {
        let mut url = self.inner.company_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.extend(&call.segments);
        }
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in &call.params {
                query.append_pair(name, value);
            }
            if let Some(request_id) = call.request_id {
                query.append_pair("requestid", request_id.as_str());
            }
            query.append_pair("minorversion", &self.inner.config.minor_version.to_string());
        }
        url
    }

    /// Sends a call until it succeeds or fails for good: one refresh after a
    /// 401, pauses after 429s, backoff after transient failures.
    async fn execute(&self, call: &Call<'_>) -> Result<Answer, QboError> {
        self.execute_parsed(call, parse_answer).await
    }

    /// [`Self::execute`] with the answer's body read by `parse`, which
    /// sees the bytes of a 2xx answer and its `intuit_tid`. A failure it
    /// reports (a Fault in a 200, say) is retried like one in the status.
    async fn execute_parsed<A>(
        &self,
        call: &Call<'_>,
        parse: fn(&[u8], Option<String>) -> Result<A, QboError>,
    ) -> Result<A, QboError> {
        let url = self.url(call);
        let span = tracing::info_span!(
            "qbo_request",
            realm_id = %self.inner.realm_id,
            method = %call.method,
            path = %url.path(),
            request_id = call.request_id.map(RequestId::as_str),
            intuit_tid = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        async move {
            let config = &self.inner.config;
            let mut refreshed = false;
            let mut throttled: u32 = 0;
            let mut transient: u32 = 0;
            let mut attempts: u32 = 0;
            loop {
                let token = self.inner.tokens.access_token().await?;
                attempts += 1;
                tracing::Span::current().record("attempts", attempts);
                match self.attempt(call, &url, &token, parse).await {
                    Ok(answer) => return Ok(answer),
                    Err(QboError::AuthExpired { .. }) if !refreshed => {
                        refreshed = true;
                        tracing::info!("access token refused; refreshing once");
                        self.inner.tokens.refresh_after_unauthorized(&token).await?;
                    }
                    Err(QboError::Throttled {
                        retry_after,
                        intuit_tid,
                        ..
                    }) if throttled < config.max_throttle_retries => {
                        throttled += 1;
                        tracing::warn!(
                            ?retry_after,
                            intuit_tid = intuit_tid.as_deref(),
                            "throttled by QBO; pausing the company"
                        );
                        self.inner.pacer.pause_for(retry_after);
                    }
                    Err(error @ QboError::Transient { .. })
                        if transient < config.max_transient_retries =>
                    {
                        let delay = self.backoff(transient);
                        transient += 1;
                        tracing::warn!(%error, ?delay, "transient failure; retrying");
                        tokio::time::sleep(delay).await;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One send: waits for the pacer, sends, reads the whole answer.
    async fn attempt<A>(
        &self,
        call: &Call<'_>,
        url: &Url,
        token: &str,
        parse: fn(&[u8], Option<String>) -> Result<A, QboError>,
    ) -> Result<A, QboError> {
        let permit = self.inner.pacer.acquire(call.class).await;
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url.clone())
            .bearer_auth(token)
            .header(ACCEPT, "application/json");
        let content = match &call.body {
            Body::None => None,
            Body::Json(bytes) => Some(("application/json", bytes.clone())),
            Body::QueryText(text) => Some(("application/text", text.clone())),
        };
        if let Some((content_type, bytes)) = content {
            request = request
                .header(CONTENT_TYPE, content_type)
                .header(CONTENT_LENGTH, bytes.len())
                .body(reqwest::Body::wrap(MarkedBody {
                    bytes: Some(bytes),
                    sent: permit.sent(),
                }));
        }
        let response = request
            .send()
            .await
            .map_err(|error| network_error(&error, None))?;
        let status = response.status().as_u16();
        let intuit_tid = response
            .headers()
            .get(crate::INTUIT_TID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if let Some(tid) = &intuit_tid {
            tracing::Span::current().record("intuit_tid", tid.as_str());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = response
            .bytes()
            .await
            .map_err(|error| network_error(&error, intuit_tid.as_deref()))?;
        drop(permit);
        tracing::debug!(status, bytes = bytes.len(), "answer received");
        let tid = intuit_tid.as_deref();
        if !(200..300).contains(&status) {
            let retry_after = retry_after.or(Some(self.inner.config.default_throttle_wait));
            return Err(error_from_response(status, &bytes, tid, retry_after));
        }
        parse(&bytes, intuit_tid)
    }

    /// The wait before retry number `retry + 1`: the base doubled per retry,
    /// capped, then drawn uniformly from its upper half so that many clients
    /// failing together do not retry together.
    fn backoff(&self, retry: u32) -> Duration {
        let mut rng = self
            .inner
            .jitter
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        backoff_delay(&self.inner.config, retry, &mut *rng)
    }
}

/// The backoff before retry number `retry + 1` (see [`QboClient`]'s retries):
/// `backoff_base` doubled `retry` times, capped at `backoff_max`, then drawn
/// uniformly from its upper half.
fn backoff_delay(config: &ClientConfig, retry: u32, rng: &mut impl Rng) -> Duration {
    let base = u64::try_from(config.backoff_base.as_millis()).unwrap_or(u64::MAX);
    let max = u64::try_from(config.backoff_max.as_millis()).unwrap_or(u64::MAX);
    let full = base
        .checked_shl(retry)
        .filter(|delay| delay >> retry == base)
        .unwrap_or(u64::MAX)
        .min(max);
    Duration::from_millis(rng.random_range(full / 2..=full))
}

/// The path segment of an entity: its name in lower case (API.md §1.2).
fn entity_path(entity: &str) -> String {
    entity.to_ascii_lowercase()
}

fn with_sparse(body: &Value, sparse: bool) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.insert("sparse".to_owned(), Value::Bool(sparse));
    }
    body
}

/// Takes the object named `name` (any case) out of an answer.
/// `POST /query` with the statement as `application/text`.
fn query_call(statement: &str) -> Call<'static> {
    Call {
        method: Method::POST,
        segments: vec!["query".to_owned()],
        params: Vec::new(),
        body: Body::QueryText(Bytes::copy_from_slice(statement.as_bytes())),
        request_id: None,
        class: RequestClass::Single,
    }
}

/// A 2xx answer's body read whole.
fn parse_answer(bytes: &[u8], intuit_tid: Option<String>) -> Result<Answer, QboError> {
    let tid = intuit_tid.as_deref();
    let body: Value = serde_json::from_slice(bytes).map_err(|error| invalid_json(&error, tid))?;
    if let Some(fault) = parse_json_fault(&body) {
        // QBO can answer 200 with a Fault body; it is still a failure.
        return Err(classify_fault(400, &fault, tid, None));
    }
    Ok(Answer { body, intuit_tid })
}

fn invalid_json(error: &serde_json::Error, intuit_tid: Option<&str>) -> QboError {
    QboError::protocol(
        Some(200),
        format!("the answer is not valid JSON ({error})"),
        intuit_tid,
    )
}

/// A query's answer with its rows kept as the JSON text QuickBooks sent:
/// the `QueryResponse` members, each as its text.
#[derive(Deserialize)]
struct RawQueryAnswer {
    #[serde(rename = "QueryResponse", alias = "queryResponse")]
    response: Option<RawMembers>,
    #[serde(rename = "Fault", alias = "fault")]
    fault: Option<Value>,
}

/// The `QueryResponse` members of a query's answer.
type RawMembers = HashMap<String, RawMember>;

/// A `QueryResponse` member: a list, such as the rows under the entity's
/// name, each kept as the text QuickBooks sent; or anything else
/// (`startPosition`, `maxResults`, `totalCount`), which paging does not read.
/// The rows are cut out of the answer in the one pass that reads it, not
/// read again from a copy of the whole list.
enum RawMember {
    Rows(Vec<Box<RawValue>>),
    Other,
}

impl<'de> Deserialize<'de> for RawMember {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Member;
        impl<'de> serde::de::Visitor<'de> for Member {
            type Value = RawMember;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a member of QueryResponse")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawMember, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(row) = seq.next_element::<Box<RawValue>>()? {
                    rows.push(row);
                }
                Ok(RawMember::Rows(rows))
            }
            // A number arrives here too: exact numbers are read as a map.
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawMember, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(RawMember::Other)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<RawMember, E> {
                Ok(RawMember::Other)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<RawMember, E> {
                Ok(RawMember::Other)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<RawMember, E> {
                Ok(RawMember::Other)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<RawMember, E> {
                Ok(RawMember::Other)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<RawMember, E> {
                Ok(RawMember::Other)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<RawMember, E> {
                Ok(RawMember::Other)
            }
        }
        deserializer.deserialize_any(Member)
    }
}

/// A 2xx answer to a query, its members unparsed, with its `intuit_tid`.
fn parse_raw_query(
    bytes: &[u8],
    intuit_tid: Option<String>,
) -> Result<(RawMembers, Option<String>), QboError> {
    let tid = intuit_tid.as_deref();
    let answer: RawQueryAnswer =
        serde_json::from_slice(bytes).map_err(|error| invalid_json(&error, tid))?;
    if let Some(fault) = answer.fault {
        let body = json!({ "Fault": fault });
        if let Some(fault) = parse_json_fault(&body) {
            return Err(classify_fault(400, &fault, tid, None));
        }
    }
    match answer.response {
        Some(members) => Ok((members, intuit_tid)),
        None => Err(QboError::protocol(
            Some(200),
            "the answer has no QueryResponse object",
            tid,
        )),
    }
}

fn entity_object(answer: Answer, name: &str) -> Result<Value, QboError> {
    let Answer { body, intuit_tid } = answer;
    let Value::Object(members) = body else {
        return Err(QboError::protocol(
            Some(200),
            "the answer is not a JSON object",
            intuit_tid.as_deref(),
        ));
    };
    members
        .into_iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
        .ok_or_else(|| {
            QboError::protocol(
                Some(200),
                format!("the answer has no {name} object"),
                intuit_tid.as_deref(),
            )
        })
}

/// A failure below HTTP: the message names the kind and the cause chain.
fn network_error(error: &reqwest::Error, intuit_tid: Option<&str>) -> QboError {
    let what = if error.is_timeout() {
        "the request timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the connection failed while the answer was read"
    } else if error.is_builder() {
        return QboError::protocol(
            None,
            format!("the request could not be built: {error}"),
            intuit_tid,
        );
    } else {
        "the connection failed"
    };
    let mut message = format!("{what}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    QboError::Transient {
        status: None,
        message,
        intuit_tid: intuit_tid.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        let fresh = RequestId::new();
        assert_eq!(fresh.as_str().len(), 32);
        assert_ne!(fresh, RequestId::new());
        assert!(RequestId::parse("a".repeat(50)).is_ok());
        assert!(RequestId::parse("a".repeat(51)).is_err());
        assert!(RequestId::parse("").is_err());
        assert!(RequestId::parse("has space").is_err());
        assert!(RequestId::parse("é").is_err());
        let json = serde_json::to_string(&fresh).unwrap_or_default();
        let back: Result<RequestId, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(fresh));
        assert!(serde_json::from_str::<RequestId>("\"\"").is_err());
    }

    #[test]
    fn backoff_doubles_is_capped_and_replays_from_a_seed() {
        let config = ClientConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            ..ClientConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let delays: Vec<Duration> = (0..8)
            .map(|retry| backoff_delay(&config, retry, &mut rng))
            .collect();
        for (retry, delay) in delays.iter().enumerate() {
            let full = Duration::from_millis(100 << retry).min(Duration::from_secs(2));
            assert!(
                *delay >= full / 2 && *delay <= full,
                "retry {retry}: {delay:?}"
            );
        }
        let mut again = ChaCha8Rng::seed_from_u64(1);
        let replayed: Vec<Duration> = (0..8)
            .map(|retry| backoff_delay(&config, retry, &mut again))
            .collect();
        assert_eq!(delays, replayed);
        // Huge retry counts saturate instead of overflowing.
        assert!(backoff_delay(&config, 200, &mut rng) <= Duration::from_secs(2));
    }

    /// The rows are cut out of the answer as sent, beside the paging
    /// numbers, and a member that is not a list is told apart.
    #[test]
    fn a_query_answer_keeps_each_row_as_sent() {
        let body = br#"{"QueryResponse":{"Invoice":[{"Id":"1","TotalAmt":10.50},
            {"Id":"2","Line":[{"Amount":1e2}],"Memo":"a \"quoted\" word"}],
            "startPosition":1,"maxResults":2,"totalCount":2.0},"time":"2026-12-08T00:00:00Z"}"#;
        let (members, tid) =
            parse_raw_query(body, Some("tid-1".to_owned())).expect("the answer reads");
        assert_eq!(tid.as_deref(), Some("tid-1"));
        let rows: Vec<&str> = match members.get("Invoice") {
            Some(RawMember::Rows(rows)) => rows.iter().map(|row| row.get()).collect(),
            _ => Vec::new(),
        };
        assert_eq!(
            rows,
            [
                r#"{"Id":"1","TotalAmt":10.50}"#,
                r#"{"Id":"2","Line":[{"Amount":1e2}],"Memo":"a \"quoted\" word"}"#
            ]
        );
        for paging in ["startPosition", "maxResults", "totalCount"] {
            assert!(
                matches!(members.get(paging), Some(RawMember::Other)),
                "{paging}"
            );
        }

        let odd = br#"{"QueryResponse":{"Invoice":{"Id":"1"},"note":"x","flag":true,"gone":null}}"#;
        let (members, _) = parse_raw_query(odd, None).expect("the answer reads");
        assert!(matches!(members.get("Invoice"), Some(RawMember::Other)));
        assert_eq!(members.len(), 4);
        assert!(parse_raw_query(br#"{"QueryResponse":{"Invoice":[{"Id":}]}}"#, None).is_err());
    }

    #[test]
    fn sparse_flag_is_forced() {
        let body = json!({"Id": "1", "SyncToken": "0", "sparse": true});
        assert_eq!(with_sparse(&body, false)["sparse"], json!(false));
        assert_eq!(with_sparse(&body, true)["sparse"], json!(true));
    }
}
