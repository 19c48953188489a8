//! The harness the engine tests share: a real emulator on a local port with
//! one company, real SQLite books in a temporary folder, engines over both,
//! and a client that plays "someone working in QuickBooks".

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use local_store::{CompanyStore, RecordFilter, RecordRow, RecordState};
use qbo_client::{ClientConfig, QboClient, QboError, RequestId, TokenSource};
use qbo_emulator::clock::Clock;
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};
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
}

/// A moment to start a frozen emulator clock at (whole seconds, now).
pub fn start_time() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

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
        let mut harness = Harness {
            server,
            realm,
            token: String::new(),
            http,
            folder: Arc::new(tempfile::tempdir().unwrap()),
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

    /// An engine over the books named `name` (opened, or created on first
    /// use, in the harness's folder); opening the same name again is a
    /// restart of the app over the same books.
    pub async fn engine(&self, name: &str) -> TestEngine {
        self.engine_with(name, EngineConfig::default()).await
    }

    /// [`Harness::engine`] with engine settings.
    pub async fn engine_with(&self, name: &str, config: EngineConfig) -> TestEngine {
        let path = self.folder.path().join(format!("{name}.sqlite"));
        let store = CompanyStore::open(&path).await.unwrap();
        // The engine reads the emulator's clock, so a jump of it is a jump
        // of "now" on both sides.
        let clock = self.server.emulator().clock().clone();
        Engine::new(store, self.client(), Arc::new(move || clock.now()), config)
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
