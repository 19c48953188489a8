//! The one harness every engine test shares (scenarios, cycles, products and
//! the simulation): a real emulator on a local port with one company, real
//! SQLite books in a temporary folder, engines over both, and a client that
//! plays "someone working in QuickBooks". An optional front server adds the
//! one fault the emulator cannot inject by itself: a batch item QuickBooks
//! committed but answered with a `SystemFault`.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use local_store::{CompanyStore, RecordFilter, RecordRow, RecordState};
use qbo_client::{ClientConfig, PacerConfig, QboClient, QboError, RequestId, TokenSource};
use qbo_emulator::clock::Clock;
use qbo_emulator::{EmulatorConfig, TestServer};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::stock::{ProductMaster, ProductRules};
use sync_engine::{CancelFlag, Engine, EngineConfig, SyncReport};

/// The OAuth client the emulator mints test tokens for.
const CLIENT_ID: &str = "test-client";

/// One access token, as if the user had just connected. A refused token is
/// not refreshed: tests that jump the clock past its hour mint a new one.
#[derive(Debug, Clone)]
pub struct StaticToken(pub String);

impl TokenSource for StaticToken {
    async fn access_token(&self) -> Result<String, QboError> {
        Ok(self.0.clone())
    }

    async fn refresh_after_unauthorized(&self, _rejected: &str) -> Result<(), QboError> {
        Ok(())
    }
}

/// The engine the tests drive.
pub type TestEngine = Engine<StaticToken>;

/// One company on a running emulator and the folder its books live in.
pub struct Harness {
    pub server: TestServer,
    pub realm: String,
    pub token: String,
    pub http: reqwest::Client,
    pub folder: Arc<tempfile::TempDir>,
    /// Where engines send their requests: the emulator, or the front server
    /// of [`Harness::with_item_faults`].
    pub engine_url: String,
    /// The client settings engines use.
    pub engine_client: ClientConfig,
    /// The front server, when there is one (stopped when dropped).
    pub front: Option<Arc<Front>>,
}

/// A moment to start a frozen emulator clock at (whole seconds, now).
pub fn start_time() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// Request limits the simulations' engines pace themselves by: far above
/// what a seed sends in a minute, so that a seed never waits out Intuit's
/// 40 batches a minute (the pacer has tests of its own, and the emulator
/// enforces no limits here).
pub const UNPACED: PacerConfig = PacerConfig {
    requests_per_window: 100_000,
    batches_per_window: 100_000,
    max_in_flight: 10,
    window: Duration::from_secs(60),
};

/// Client settings for tests: short backoff and throttle waits, one retry
/// of a transient failure, a fixed jitter seed.
pub fn client_config() -> ClientConfig {
    ClientConfig {
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        default_throttle_wait: Duration::from_millis(200),
        request_timeout: Duration::from_secs(5),
        max_transient_retries: 1,
        jitter_seed: Some(7),
        ..ClientConfig::default()
    }
}

impl Harness {
    /// An emulator with the real clock and one company: seeded with
    /// `(seed, transactions)` when given, else empty but for QBO's default
    /// accounts.
    pub async fn start(seed: Option<(u64, usize)>) -> Harness {
        Harness::start_with(EmulatorConfig::default(), seed, None).await
    }

    /// Like [`Harness::start`] with emulator settings and, when given, a
    /// clock frozen at `start` that moves only when advanced.
    pub async fn start_with(
        config: EmulatorConfig,
        seed: Option<(u64, usize)>,
        start: Option<DateTime<Utc>>,
    ) -> Harness {
        let server = match start {
            Some(start) => TestServer::start_with_clock(config, Clock::fixed(start)).await,
            None => TestServer::start(config).await,
        };
        let http = reqwest::Client::new();
        let company = match seed {
            Some((seed, size)) => json!({ "seed": seed, "size": size }),
            None => json!({ "name": "Test Books Ltd" }),
        };
        let created: Value = http
            .post(format!("{}/_emulator/companies", server.base_url()))
            .json(&company)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let realm = created["realm_id"].as_str().unwrap().to_owned();
        let engine_url = server.base_url();
        let mut harness = Harness {
            server,
            realm,
            token: String::new(),
            http,
            folder: Arc::new(tempfile::tempdir().unwrap()),
            engine_url,
            engine_client: client_config(),
            front: None,
        };
        harness.token = harness.mint().await;
        harness
    }

    /// A fresh access token for the company.
    pub async fn mint(&self) -> String {
        let minted: Value = self
            .http
            .post(format!("{}/_emulator/tokens", self.server.base_url()))
            .json(&json!({ "realm_id": self.realm, "client_id": CLIENT_ID }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        minted["access_token"].as_str().unwrap().to_owned()
    }

    /// A client of the company with the current token.
    pub fn client(&self) -> QboClient<StaticToken> {
        QboClient::new(
            &self.server.base_url(),
            &self.realm,
            StaticToken(self.token.clone()),
            client_config(),
        )
        .unwrap()
    }

    /// The database file of the books named `name`.
    pub fn database(&self, name: &str) -> PathBuf {
        self.folder.path().join(format!("{name}.sqlite"))
    }

    /// An engine over the books named `name` (opened, or created on first
    /// use, in the harness's folder); opening the same name again is a
    /// restart of the app over the same books, and opening it while another
    /// engine has it open is a second process on the same data folder.
    pub async fn engine(&self, name: &str) -> TestEngine {
        self.engine_with(name, EngineConfig::default()).await
    }

    /// [`Harness::engine`] with engine settings.
    pub async fn engine_with(&self, name: &str, config: EngineConfig) -> TestEngine {
        let store = CompanyStore::open(&self.database(name)).await.unwrap();
        let client = QboClient::new(
            &self.engine_url,
            &self.realm,
            StaticToken(self.token.clone()),
            self.engine_client.clone(),
        )
        .unwrap();
        // The engine reads the emulator's clock, so a jump of it is a jump
        // of "now" on both sides.
        let clock = self.server.emulator().clock().clone();
        Engine::new(store, client, Arc::new(move || clock.now()), config)
    }

    /// Puts a front server between the engines and the emulator that can
    /// answer a committed batch item with a `SystemFault` (see
    /// [`Front::fail_items`]); the "client in QuickBooks" still goes direct.
    pub async fn with_item_faults(mut self) -> Harness {
        let front = Front::start(self.server.emulator().clone()).await;
        self.engine_url = front.base_url();
        self.front = Some(Arc::new(front));
        self
    }

    /// The company's request counters, with `endpoints` keyed like
    /// "POST batch" or "GET cdc".
    pub async fn counters(&self) -> Value {
        self.http
            .get(format!(
                "{}/_emulator/counters?realm_id={}",
                self.server.base_url(),
                self.realm
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Requests one endpoint received, e.g. "GET cdc".
    pub async fn requests_to(&self, endpoint: &str) -> u64 {
        self.counters().await["endpoints"][endpoint]["requests"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Write requests received: every POST but queries.
    pub async fn writes(&self) -> u64 {
        let counters = self.counters().await;
        counters["endpoints"]
            .as_object()
            .map(|endpoints| {
                endpoints
                    .iter()
                    .filter(|(name, _)| name.starts_with("POST ") && name.as_str() != "POST query")
                    .map(|(_, counts)| counts["requests"].as_u64().unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    }

    /// One object as QuickBooks holds it.
    pub async fn remote(&self, entity: &str, id: &str) -> Value {
        self.client().get_entity(entity, id).await.unwrap()
    }

    /// A create made in QuickBooks.
    pub async fn remote_create(&self, entity: &str, body: Value) -> Value {
        self.client()
            .create(entity, &body, &RequestId::new())
            .await
            .unwrap()
    }

    /// A sparse update made in QuickBooks (its `Id` and current
    /// `SyncToken` are added); returns the new version.
    pub async fn remote_edit(&self, entity: &str, id: &str, fields: Value) -> Value {
        let client = self.client();
        let current = client.get_entity(entity, id).await.unwrap();
        let mut body = fields;
        body["Id"] = current["Id"].clone();
        body["SyncToken"] = current["SyncToken"].clone();
        client
            .sparse_update(entity, &body, &RequestId::new())
            .await
            .unwrap()
    }

    /// The same edit made in the emulator's state directly, without a
    /// request, so that it can happen inside a synchronous progress
    /// callback (between a pull and a push).
    pub fn remote_edit_now(&self, entity: &str, id: &str, fields: Value) -> Value {
        let now = self.server.emulator().clock().now();
        self.server
            .emulator()
            .with_company(&self.realm, |company| {
                let current = company.read(entity, id).unwrap();
                let mut body = fields;
                body["Id"] = current["Id"].clone();
                body["SyncToken"] = current["SyncToken"].clone();
                company.sparse_update(entity, body, now).unwrap()
            })
            .unwrap()
    }

    /// A delete made in QuickBooks.
    pub async fn remote_delete(&self, entity: &str, id: &str) {
        let client = self.client();
        let current = client.get_entity(entity, id).await.unwrap();
        client
            .delete(
                entity,
                id,
                current["SyncToken"].as_str().unwrap(),
                &RequestId::new(),
            )
            .await
            .unwrap();
    }

    /// A void made in QuickBooks.
    pub async fn remote_void(&self, entity: &str, id: &str) {
        let client = self.client();
        let current = client.get_entity(entity, id).await.unwrap();
        client
            .void(
                entity,
                id,
                current["SyncToken"].as_str().unwrap(),
                &RequestId::new(),
            )
            .await
            .unwrap();
    }

    /// The rows a query statement returns.
    pub async fn remote_rows(&self, statement: &str, entity: &str) -> Vec<Value> {
        let answer = self.client().query(statement).await.unwrap();
        answer[entity].as_array().cloned().unwrap_or_default()
    }

    /// How many objects of a type the emulator holds (inactive ones too).
    pub fn emulator_count(&self, entity: &str) -> usize {
        self.server
            .emulator()
            .with_company(&self.realm, |company| company.all(entity).count())
            .unwrap()
    }

    /// Arms a fault, e.g. `{"kind": "drop_after_commit", "method": "POST", "path": "*/batch"}`.
    pub async fn arm(&self, plan: Value) {
        let response = self
            .http
            .post(format!("{}/_emulator/faults", self.server.base_url()))
            .json(&plan)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{plan}");
    }

    /// Clears every armed fault.
    pub async fn clear_faults(&self) {
        self.http
            .delete(format!("{}/_emulator/faults", self.server.base_url()))
            .send()
            .await
            .unwrap();
    }

    /// Moves the emulator's clock (and so every engine's) forward.
    pub async fn advance(&self, by: Value) {
        let response = self
            .http
            .post(format!(
                "{}/_emulator/clock/advance",
                self.server.base_url()
            ))
            .json(&by)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{by}");
    }

    /// Moves the clock forward by whole days.
    pub async fn advance_days(&self, days: i64) {
        self.advance(json!({ "days": days })).await;
    }
}

/// One sync that must succeed.
pub async fn sync(engine: &TestEngine) -> SyncReport {
    engine.sync(&|_| {}, &CancelFlag::new()).await.unwrap()
}

/// A company whose emulator truncates change capture at five objects, an
/// engine whose own cap is five too, after its first sync, and the first
/// `customers` active customers it pulled: the start of every test of
/// reading around the CDC cap.
pub async fn capped_change_capture(
    seed: (u64, usize),
    customers: usize,
) -> (Harness, TestEngine, Vec<RecordRow>) {
    let harness = Harness::start_with(
        EmulatorConfig {
            cdc_max_objects: 5,
            ..EmulatorConfig::default()
        },
        Some(seed),
        Some(start_time()),
    )
    .await;
    // The seeded objects are older than the first sync's bookmark.
    harness.advance(json!({"minutes": 40})).await;
    let engine = harness
        .engine_with(
            "books",
            EngineConfig {
                cdc_cap: 5,
                ..EngineConfig::default()
            },
        )
        .await;
    sync(&engine).await;
    let rows: Vec<RecordRow> = local_rows(&engine, "Customer")
        .await
        .into_iter()
        .filter(|row| row.active)
        .take(customers)
        .collect();
    assert_eq!(rows.len(), customers, "the seed has enough customers");
    (harness, engine, rows)
}

/// Every local record of a type, deleted ones included.
pub async fn local_rows(engine: &TestEngine, entity: &str) -> Vec<RecordRow> {
    let filter = RecordFilter {
        entity_type: Some(entity.to_owned()),
        include_deleted: true,
        limit: 100_000,
        ..RecordFilter::default()
    };
    engine.store().records(&filter).await.unwrap()
}

/// The local record of a QuickBooks object.
pub async fn local_by_qbo_id(engine: &TestEngine, entity: &str, qbo_id: &str) -> RecordRow {
    engine
        .store()
        .record_by_qbo_id(entity, qbo_id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no local {entity} {qbo_id}"))
}

/// A local record by local id.
pub async fn local_record(engine: &TestEngine, local_id: &str) -> RecordRow {
    engine.store().record(local_id).await.unwrap().unwrap()
}

/// The first active, synced record of a type whose local version matches.
pub async fn first_active(
    engine: &TestEngine,
    entity: &str,
    matches: impl Fn(&Value) -> bool,
) -> RecordRow {
    local_rows(engine, entity)
        .await
        .into_iter()
        .find(|row| {
            row.active
                && row.qbo_id.is_some()
                && row.state == RecordState::Synced
                && row.local.as_ref().is_some_and(&matches)
        })
        .unwrap_or_else(|| panic!("the books hold no matching active {entity}"))
}

/// A bill on the first active vendor and expense account of the books.
pub async fn bill_body(engine: &TestEngine, note: &str) -> Value {
    let vendor = first_active(engine, "Vendor", |_| true)
        .await
        .local
        .unwrap();
    let account = first_active(engine, "Account", |account| {
        account["AccountType"] == "Expense"
    })
    .await
    .local
    .unwrap();
    json!({
        "VendorRef": {"value": vendor["Id"], "name": vendor["DisplayName"]},
        "PrivateNote": note,
        "Line": [{"Amount": 75.25, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account["Id"], "name": account["Name"]}}}]
    })
}

/// The id of the account QuickBooks names `name`.
pub async fn account_id(harness: &Harness, name: &str) -> String {
    let rows = harness
        .remote_rows(
            &format!("SELECT * FROM Account WHERE Name = '{name}'"),
            "Account",
        )
        .await;
    rows[0]["Id"].as_str().unwrap().to_owned()
}

/// Engine settings with the product rules the stock tests use: `master`
/// decides where products are made, three units is the minimum.
pub fn product_rules(master: ProductMaster) -> EngineConfig {
    EngineConfig {
        products: ProductRules {
            master,
            default_location: local_store::MAIN_LOCATION_ID.to_owned(),
            minimum_quantity: Decimal::from(3),
            non_inventory_quantity: Decimal::from(25),
        },
        ..EngineConfig::default()
    }
}

/// An item's quantity on hand in QuickBooks.
pub async fn remote_on_hand(harness: &Harness, qbo_id: &str) -> Decimal {
    let item = harness.remote("Item", qbo_id).await;
    item["QtyOnHand"]
        .to_string()
        .trim_matches('"')
        .parse()
        .unwrap()
}

/// An HTTP server over the same emulator with one more fault: after the
/// emulator ran a batch (and remembered its answer under the batch's
/// `requestid`), the first created, updated, deleted or voided item of the
/// answer is replaced by a `SystemFault`, as QuickBooks does when an item
/// fails on its side after the write. Sending the batch again under the same
/// `requestid` gets the emulator's true answer.
pub struct Front {
    address: std::net::SocketAddr,
    item_faults: Arc<AtomicU32>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Front {
    async fn start(emulator: qbo_emulator::Emulator) -> Front {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let item_faults = Arc::new(AtomicU32::new(0));
        let app = qbo_emulator::router(emulator).layer(axum::middleware::from_fn_with_state(
            item_faults.clone(),
            fail_batch_item,
        ));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Front {
            address,
            item_faults,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The next `count` batches that commit an item answer one of them with
    /// a `SystemFault`.
    pub fn fail_items(&self, count: u32) {
        self.item_faults.store(count, Ordering::SeqCst);
    }

    /// Stops failing items.
    pub fn clear(&self) {
        self.item_faults.store(0, Ordering::SeqCst);
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn fail_batch_item(
    axum::extract::State(item_faults): axum::extract::State<Arc<AtomicU32>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_batch =
        request.method() == axum::http::Method::POST && request.uri().path().ends_with("/batch");
    if !is_batch || item_faults.load(Ordering::SeqCst) == 0 {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut answer: Value = match serde_json::from_slice(&bytes) {
        Ok(answer) => answer,
        Err(_) => return axum::response::Response::from_parts(parts, bytes.into()),
    };
    let committed = answer["BatchItemResponse"]
        .as_array_mut()
        .and_then(|items| {
            items
                .iter_mut()
                .find(|item| item.get("Fault").is_none() && item.get("QueryResponse").is_none())
        });
    if let Some(item) = committed {
        let taken = item_faults
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if taken {
            let batch_id = item["bId"].clone();
            *item = json!({
                "bId": batch_id,
                "Fault": {
                    "Error": [{
                        "Message": "An application error has occurred while processing your request",
                        "Detail": "System Failure Error: an injected item fault after the commit",
                        "code": "10000",
                        "element": ""
                    }],
                    "type": "SystemFault"
                }
            });
        }
    }
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    axum::response::Response::from_parts(parts, answer.to_string().into())
}

/// A future dropped after a number of polls, standing in for a process
/// killed at an await point: the wrapped future is never polled again and
/// is dropped where it stood. `None` when it was cut off.
pub struct PollBudget<F> {
    inner: Pin<Box<F>>,
    left: u32,
}

impl<F: Future> PollBudget<F> {
    /// `future`, polled at most `polls` times.
    pub fn new(future: F, polls: u32) -> PollBudget<F> {
        PollBudget {
            inner: Box::pin(future),
            left: polls,
        }
    }
}

impl<F: Future> Future for PollBudget<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        self.left -= 1;
        self.inner.as_mut().poll(context).map(Some)
    }
}
