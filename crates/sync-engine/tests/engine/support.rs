//! The scenario harness: a real emulator on a local port with one company,
//! a real SQLite file in a temporary folder, an engine over both, and a
//! second client that plays "someone working in QuickBooks".

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use local_store::{CompanyStore, RecordFilter, RecordRow};
use qbo_client::{ClientConfig, QboClient, QboError, Query, RequestId, TokenSource};
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};
use sync_engine::{CancelFlag, Engine, EngineConfig, EngineError, SyncProgress, SyncReport};

/// The OAuth client the emulator mints test tokens for.
const CLIENT_ID: &str = "test-client";

/// Access tokens minted through the control API, as if the user had just
/// connected; a refused token is replaced by a freshly minted one (the
/// emulator's clock may jump past an hour's expiry).
#[derive(Debug)]
pub struct EmulatorTokens {
    http: reqwest::Client,
    base_url: String,
    realm_id: String,
    current: Mutex<String>,
}

impl EmulatorTokens {
    async fn mint(
        http: &reqwest::Client,
        base_url: &str,
        realm_id: &str,
    ) -> Result<String, QboError> {
        let minted: Value = http
            .post(format!("{base_url}/_emulator/tokens"))
            .json(&json!({ "realm_id": realm_id, "client_id": CLIENT_ID }))
            .send()
            .await
            .map_err(|error| QboError::transient(error.to_string()))?
            .json()
            .await
            .map_err(|error| QboError::transient(error.to_string()))?;
        Ok(minted["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

impl TokenSource for EmulatorTokens {
    async fn access_token(&self) -> Result<String, QboError> {
        Ok(self.current.lock().unwrap().clone())
    }

    async fn refresh_after_unauthorized(&self, rejected: &str) -> Result<(), QboError> {
        if *self.current.lock().unwrap() != rejected {
            return Ok(());
        }
        let token = EmulatorTokens::mint(&self.http, &self.base_url, &self.realm_id).await?;
        *self.current.lock().unwrap() = token;
        Ok(())
    }
}

/// The engine type the scenarios drive.
pub type TestEngine = Engine<EmulatorTokens>;

/// One company on a running emulator, its local books, and an engine.
pub struct Harness {
    pub server: TestServer,
    pub realm: String,
    pub http: reqwest::Client,
    /// Someone editing the company directly in QuickBooks.
    pub remote: QboClient<EmulatorTokens>,
    pub engine: Option<TestEngine>,
    pub config: EngineConfig,
    database: PathBuf,
    _folder: tempfile::TempDir,
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

/// A small seeded company: a chart of accounts, a dozen customers, eight
/// vendors, some items and `transactions` documents.
pub fn seeded(transactions: usize) -> Value {
    json!({ "seed": 7, "size": transactions })
}

impl Harness {
    /// A harness over a seeded company with default settings.
    pub async fn seeded(transactions: usize) -> Harness {
        Harness::start(
            seeded(transactions),
            EmulatorConfig::default(),
            EngineConfig::default(),
        )
        .await
    }

    /// A harness over a company made from `company` (a control-API body).
    pub async fn start(company: Value, emulator: EmulatorConfig, config: EngineConfig) -> Harness {
        let server = TestServer::start(emulator).await;
        let http = reqwest::Client::new();
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
        let folder = tempfile::tempdir().unwrap();
        let database = folder.path().join("company.sqlite");
        let remote = QboClient::new(
            &server.base_url(),
            &realm,
            tokens(&http, &server, &realm).await,
            client_config(),
        )
        .unwrap();
        let mut harness = Harness {
            server,
            realm,
            http,
            remote,
            engine: None,
            config,
            database,
            _folder: folder,
        };
        harness.engine = Some(harness.open_engine().await);
        harness
    }

    async fn open_engine(&self) -> TestEngine {
        let store = CompanyStore::open(&self.database).await.unwrap();
        let client = QboClient::new(
            &self.server.base_url(),
            &self.realm,
            tokens(&self.http, &self.server, &self.realm).await,
            client_config(),
        )
        .unwrap();
        let clock = self.server.emulator().clock().clone();
        Engine::new(
            store,
            client,
            Arc::new(move || clock.now()),
            self.config.clone(),
        )
    }

    /// The engine.
    pub fn engine(&self) -> &TestEngine {
        self.engine.as_ref().unwrap()
    }

    /// The app quits (mid-work or not) and starts again: the engine and
    /// its store are dropped and opened anew from the same file.
    pub async fn restart(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.store().clone().close().await;
            drop(engine);
        }
        self.engine = Some(self.open_engine().await);
    }

    /// One sync that must succeed.
    pub async fn sync(&self) -> SyncReport {
        self.try_sync().await.unwrap()
    }

    /// One sync.
    pub async fn try_sync(&self) -> Result<SyncReport, EngineError> {
        self.engine()
            .sync(&|_progress| {}, &CancelFlag::new())
            .await
    }

    /// One sync reporting progress to `progress`.
    pub async fn sync_with(
        &self,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
        cancel: &CancelFlag,
    ) -> Result<SyncReport, EngineError> {
        self.engine().sync(progress, cancel).await
    }

    /// Every local record of a type, deleted ones included.
    pub async fn records(&self, entity: &str) -> Vec<RecordRow> {
        let filter = RecordFilter {
            entity_type: Some(entity.to_owned()),
            include_deleted: true,
            limit: 100_000,
            ..RecordFilter::default()
        };
        self.engine().store().records(&filter).await.unwrap()
    }

    /// The local record of a QuickBooks object.
    pub async fn local(&self, entity: &str, qbo_id: &str) -> RecordRow {
        self.engine()
            .store()
            .record_by_qbo_id(entity, qbo_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no local {entity} {qbo_id}"))
    }

    /// A local record by local id.
    pub async fn record(&self, local_id: &str) -> RecordRow {
        self.engine()
            .store()
            .record(local_id)
            .await
            .unwrap()
            .unwrap()
    }

    /// Every object of a type in QuickBooks (inactive list entries too).
    pub async fn remote_all(&self, entity: &str) -> Vec<Value> {
        let mut query = Query::select(entity);
        if sync_engine::entities::is_master(entity) {
            query = query.one_of("Active", [true, false]);
        }
        let statement = query.statement(None, Some(1000)).unwrap();
        let answer = self.remote.query(&statement).await.unwrap();
        answer[entity].as_array().cloned().unwrap_or_default()
    }

    /// How many objects of a type the emulator holds.
    pub fn emulator_count(&self, entity: &str) -> usize {
        self.server
            .emulator()
            .with_company(&self.realm, |company| company.all(entity).count())
            .unwrap()
    }

    /// Reads one object from QuickBooks.
    pub async fn remote_get(&self, entity: &str, id: &str) -> Result<Value, QboError> {
        self.remote.get_entity(entity, id).await
    }

    /// A sparse update made in QuickBooks; returns the new version.
    pub async fn remote_edit(&self, entity: &str, id: &str, fields: Value) -> Value {
        let current = self.remote.get_entity(entity, id).await.unwrap();
        let mut body = fields;
        body["Id"] = current["Id"].clone();
        body["SyncToken"] = current["SyncToken"].clone();
        for required in [
            "DisplayName",
            "Name",
            "AccountType",
            "VendorRef",
            "CustomerRef",
            "Type",
        ] {
            if body.get(required).is_none() {
                if let Some(value) = current.get(required) {
                    body[required] = value.clone();
                }
            }
        }
        self.remote
            .sparse_update(entity, &body, &RequestId::new())
            .await
            .unwrap()
    }

    /// The same edit made directly in the emulator's state, without a
    /// request (usable from inside a synchronous progress callback).
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

    /// A create made in QuickBooks.
    pub async fn remote_create(&self, entity: &str, body: Value) -> Value {
        self.remote
            .create(entity, &body, &RequestId::new())
            .await
            .unwrap()
    }

    /// A delete made in QuickBooks.
    pub async fn remote_delete(&self, entity: &str, id: &str) {
        let current = self.remote.get_entity(entity, id).await.unwrap();
        self.remote
            .delete(
                entity,
                id,
                current["SyncToken"].as_str().unwrap(),
                &RequestId::new(),
            )
            .await
            .unwrap();
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
    pub async fn disarm(&self) {
        self.http
            .delete(format!("{}/_emulator/faults", self.server.base_url()))
            .send()
            .await
            .unwrap();
    }

    /// Moves the emulator's clock (and so the engine's) forward.
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

    /// The company's request counters.
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

    /// Requests one endpoint received, e.g. "POST batch".
    pub async fn requests_to(&self, endpoint: &str) -> u64 {
        self.counters().await["endpoints"][endpoint]["requests"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Write requests received (every POST but queries).
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

    /// The first QuickBooks object of a type matching `predicate`.
    pub async fn find_remote(&self, entity: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        self.remote_all(entity)
            .await
            .into_iter()
            .find(|object| predicate(object))
            .unwrap_or_else(|| panic!("the company has no such {entity}"))
    }

    /// An active expense account's id and name.
    pub async fn expense_account(&self, skip: usize) -> (String, String) {
        let accounts: Vec<Value> = self
            .remote_all("Account")
            .await
            .into_iter()
            .filter(|account| {
                account["AccountType"] == json!("Expense") && account["Active"] != json!(false)
            })
            .collect();
        let account = &accounts[skip % accounts.len()];
        (
            account["Id"].as_str().unwrap().to_owned(),
            account["Name"].as_str().unwrap().to_owned(),
        )
    }

    /// An active vendor's id and display name.
    pub async fn vendor(&self, skip: usize) -> (String, String) {
        let vendors: Vec<Value> = self
            .remote_all("Vendor")
            .await
            .into_iter()
            .filter(|vendor| vendor["Active"] != json!(false))
            .collect();
        let vendor = &vendors[skip % vendors.len()];
        (
            vendor["Id"].as_str().unwrap().to_owned(),
            vendor["DisplayName"].as_str().unwrap().to_owned(),
        )
    }

    /// An active customer's id and display name.
    pub async fn customer(&self, skip: usize) -> (String, String) {
        let customers: Vec<Value> = self
            .remote_all("Customer")
            .await
            .into_iter()
            .filter(|customer| customer["Active"] != json!(false))
            .collect();
        let customer = &customers[skip % customers.len()];
        (
            customer["Id"].as_str().unwrap().to_owned(),
            customer["DisplayName"].as_str().unwrap().to_owned(),
        )
    }

    /// A bill body: one expense line on `account` for `amount`.
    pub fn bill(
        vendor: &(String, String),
        account: &(String, String),
        amount: &str,
        note: &str,
    ) -> Value {
        json!({
            "VendorRef": {"value": vendor.0, "name": vendor.1},
            "PrivateNote": note,
            "Line": [{
                "Amount": amount.parse::<serde_json::Number>().unwrap(),
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account.0, "name": account.1}}
            }]
        })
    }

    /// A bill created in QuickBooks and pulled, returning its QBO id.
    pub async fn pulled_bill(&self, note: &str) -> String {
        let vendor = self.vendor(0).await;
        let account = self.expense_account(0).await;
        let created = self
            .remote_create("Bill", Harness::bill(&vendor, &account, "120.50", note))
            .await;
        self.sync().await;
        created["Id"].as_str().unwrap().to_owned()
    }
}

async fn tokens(http: &reqwest::Client, server: &TestServer, realm: &str) -> EmulatorTokens {
    let token = EmulatorTokens::mint(http, &server.base_url(), realm)
        .await
        .unwrap();
    EmulatorTokens {
        http: http.clone(),
        base_url: server.base_url(),
        realm_id: realm.to_owned(),
        current: Mutex::new(token),
    }
}
