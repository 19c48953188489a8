//! The relay's shared state, its routes, serving, and a test server on a
//! free local port.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{ConfigError, RelayConfig};
use crate::intake::Intake;
use crate::ratelimit::RateLimiter;
use crate::signing::SigningKey;
use crate::store::{Store, StoreError};
use crate::upstream::Intuit;

/// The settings row of the generated signing key.
const STATE_KEY_SETTING: &str = "state_key";

/// Token checks remembered before expired ones are forgotten.
const TOKEN_CACHE_PRUNE_ABOVE: usize = 10_000;

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// A setting is missing or wrong.
    #[error("bad setting {0}")]
    Config(#[from] ConfigError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Serving failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Unix seconds now.
pub(crate) fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Unix milliseconds now.
pub(crate) fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The relay: configuration, store, signing key, Intuit client, limiter and
/// the live-event signal. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: RelayConfig,
    public_url: String,
    store: Store,
    intake: Intake,
    key: SigningKey,
    intuit: Intuit,
    limiter: RateLimiter,
    /// SHA-256 of (token, realm) → when the successful check stops counting.
    /// Only the hash is kept: the token itself never stays in memory.
    token_checks: Mutex<HashMap<[u8; 32], Instant>>,
    /// The highest seq stored so far.
    latest: watch::Sender<i64>,
    /// The highest seq stored so far per realm; each event stream waits on
    /// its realm's only, so a change wakes the apps of its company and no
    /// others (each woken stream reads the database).
    realms: Mutex<HashMap<String, watch::Sender<i64>>>,
    /// Set when the server shuts down, so open event streams end and a
    /// graceful shutdown does not wait for them forever.
    closing: watch::Sender<bool>,
}

impl Relay {
    /// Opens the store and prepares a relay reachable at `public_url`
    /// (without a trailing slash).
    pub async fn new(config: RelayConfig, public_url: &str) -> Result<Relay, RelayError> {
        config.validate()?;
        let store = Store::open(&config.database).await?;
        let key = match &config.state_key {
            Some(key) => SigningKey::new(key.expose()),
            None => {
                let candidate = STANDARD.encode(rand::random::<[u8; 32]>());
                let stored = store
                    .setting_or_insert(STATE_KEY_SETTING, &candidate)
                    .await?;
                // A row written by hand that is not base64 falls back to
                // its bytes, which still sign consistently.
                let bytes = STANDARD
                    .decode(stored.as_bytes())
                    .unwrap_or_else(|_| stored.into_bytes());
                SigningKey::new(&bytes)
            }
        };
        let intuit = Intuit::new(&config);
        let intake = Intake::start(store.clone());
        let limiter = RateLimiter::new(config.rate_limit_per_minute);
        let (latest, _) = watch::channel(0);
        let (closing, _) = watch::channel(false);
        Ok(Relay {
            inner: Arc::new(Inner {
                public_url: public_url.trim_end_matches('/').to_owned(),
                config,
                store,
                intake,
                key,
                intuit,
                limiter,
                token_checks: Mutex::new(HashMap::new()),
                latest,
                realms: Mutex::new(HashMap::new()),
                closing,
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    /// The public URL, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// `{public}/connect/callback`: the redirect URI registered with Intuit.
    pub fn callback_url(&self) -> String {
        format!("{}/connect/callback", self.inner.public_url)
    }

    /// `{public}/webhooks`: the webhook endpoint registered with Intuit.
    pub fn webhook_url(&self) -> String {
        format!("{}/webhooks", self.inner.public_url)
    }

    /// The event store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The writer that commits webhook deliveries, several at a time.
    pub fn intake(&self) -> &Intake {
        &self.inner.intake
    }

    /// The signing key of states and subscriptions.
    pub fn key(&self) -> &SigningKey {
        &self.inner.key
    }

    /// The Intuit client.
    pub fn intuit(&self) -> &Intuit {
        &self.inner.intuit
    }

    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// A receiver that changes whenever events are stored.
    pub fn watch_latest(&self) -> watch::Receiver<i64> {
        self.inner.latest.subscribe()
    }

    /// A receiver that turns true when the server shuts down.
    pub fn watch_closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Ends every open event stream (the server is shutting down).
    pub fn close_streams(&self) {
        self.inner.closing.send_replace(true);
    }

    /// A receiver that changes whenever events of `realm_id` are stored.
    pub fn watch_realm(&self, realm_id: &str) -> watch::Receiver<i64> {
        let mut realms = self
            .inner
            .realms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        realms
            .entry(realm_id.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Tells event streams of `realm_id` that its events up to `seq` are
    /// stored.
    pub(crate) fn announce(&self, realm_id: &str, seq: i64) {
        let raise = |latest: &mut i64| {
            if seq > *latest {
                *latest = seq;
                true
            } else {
                false
            }
        };
        self.inner.latest.send_if_modified(raise);
        let mut realms = self
            .inner
            .realms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A realm nobody listens to any more is forgotten.
        realms.retain(|_, sender| sender.receiver_count() > 0);
        if let Some(sender) = realms.get(realm_id) {
            sender.send_if_modified(raise);
        }
    }

    fn token_check_key(access_token: &str, realm_id: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(access_token.as_bytes());
        hasher.update([0]);
        hasher.update(realm_id.as_bytes());
        hasher.finalize().into()
    }

    /// Whether a successful check of this token for this realm is remembered.
    pub(crate) fn token_check_cached(
        &self,
        access_token: &str,
        realm_id: &str,
        now: Instant,
    ) -> bool {
        let key = Relay::token_check_key(access_token, realm_id);
        let checks = self
            .inner
            .token_checks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        checks.get(&key).is_some_and(|until| now < *until)
    }

    /// Remembers a successful check.
    pub(crate) fn remember_token_check(&self, access_token: &str, realm_id: &str, now: Instant) {
        let key = Relay::token_check_key(access_token, realm_id);
        let mut checks = self
            .inner
            .token_checks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if checks.len() > TOKEN_CACHE_PRUNE_ABOVE {
            checks.retain(|_, until| now < *until);
        }
        checks.insert(key, now + self.inner.config.token_check_ttl);
    }

    /// Deletes events older than the retention period; returns how many.
    pub async fn prune_now(&self) -> Result<u64, StoreError> {
        let retention_ms =
            i64::try_from(self.inner.config.event_retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = unix_millis().saturating_sub(retention_ms);
        self.inner.store.prune_received_before(cutoff).await
    }
}

/// Every route of the relay.
pub fn router(relay: Relay) -> Router {
    let limited = Router::new()
        .route("/connect/start", get(crate::connect::start))
        .route("/connect/callback", get(crate::connect::callback))
        .route("/oauth/token", post(crate::connect::token))
        .route("/oauth/revoke", post(crate::connect::revoke))
        .route_layer(from_fn_with_state(relay.clone(), crate::ratelimit::limit));
    Router::new()
        .route("/webhooks", post(crate::events::receive_webhook))
        .route("/subscriptions", post(crate::events::subscribe))
        .route("/events", get(crate::events::stream))
        .route("/health", get(health))
        .route("/metadata", get(metadata))
        .merge(limited)
        .with_state(relay)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /metadata`: which Intuit environment the relay's keys belong to and
/// the Accounting API that goes with them, so an app or the CLI needs only
/// the relay's address (tokens of sandbox keys only open sandbox companies).
async fn metadata(
    axum::extract::State(relay): axum::extract::State<Relay>,
) -> axum::Json<serde_json::Value> {
    let config = relay.config();
    axum::Json(serde_json::json!({
        "service": "ledgerlink-relay",
        "environment": config.environment.as_str(),
        "quickbooks_api_base": config.api_base(),
    }))
}

/// Prunes at start and then every `prune_interval` while the relay lives.
fn spawn_pruning(relay: &Relay) -> JoinHandle<()> {
    let weak = Arc::downgrade(&relay.inner);
    let interval = relay
        .inner
        .config
        .prune_interval
        .max(Duration::from_secs(1));
    tokio::spawn(async move {
        loop {
            let Some(inner) = weak.upgrade() else { return };
            let relay = Relay { inner };
            match relay.prune_now().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "pruned expired events"),
                Err(error) => tracing::error!(%error, "pruning expired events failed"),
            }
            drop(relay);
            tokio::time::sleep(interval).await;
        }
    })
}

/// Serves `relay` on `listener` until `shutdown` completes.
pub async fn serve_relay(
    listener: TcpListener,
    relay: Relay,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let pruning = spawn_pruning(&relay);
    let closer = relay.clone();
    let shutdown = async move {
        shutdown.await;
        closer.close_streams();
    };
    let served = axum::serve(
        listener,
        router(relay).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    pruning.abort();
    served
}

/// Opens the store, then serves until `shutdown` completes. Without a
/// configured public URL the listener's address is used.
pub async fn serve(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    let address = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let relay = Relay::new(config, &public_url).await?;
    let store = relay.store().clone();
    let served = serve_relay(listener, relay, shutdown).await;
    store.close().await;
    Ok(served?)
}

/// A relay serving on 127.0.0.1 on a free port, for tests and the demo. It
/// stops when dropped.
#[derive(Debug)]
pub struct TestRelay {
    relay: Relay,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestRelay {
    /// Starts a relay. Without a public URL it is `http://localhost:PORT`
    /// (Intuit accepts plain http only for `localhost`).
    ///
    /// # Panics
    ///
    /// When the relay cannot start (a bad config, an unusable database
    /// file, no free port); [`TestRelay::try_start`] returns the error.
    pub async fn start(config: RelayConfig) -> TestRelay {
        match TestRelay::try_start(config).await {
            Ok(relay) => relay,
            Err(error) => panic!("the test relay could not start: {error}"),
        }
    }

    /// Starts a relay, or says why it cannot.
    pub async fn try_start(config: RelayConfig) -> Result<TestRelay, RelayError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://localhost:{}", address.port()));
        let relay = Relay::new(config, &public_url).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let served = relay.clone();
        let task = tokio::spawn(async move {
            serve_relay(listener, served, async move {
                let _ = stopped.await;
            })
            .await
        });
        Ok(TestRelay {
            relay,
            address,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The socket address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The relay behind the server.
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// The public URL (`http://localhost:PORT` unless configured).
    pub fn public_url(&self) -> &str {
        self.relay.public_url()
    }

    /// `{public}/connect/callback`.
    pub fn callback_url(&self) -> String {
        self.relay.callback_url()
    }

    /// `{public}/webhooks`.
    pub fn webhook_url(&self) -> String {
        self.relay.webhook_url()
    }

    /// The event store.
    pub fn store(&self) -> &Store {
        self.relay.store()
    }

    /// Stops the server, waits for it and closes the database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.relay.store().close().await;
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
