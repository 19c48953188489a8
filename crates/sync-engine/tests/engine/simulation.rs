//! A seeded, replayable simulation of both sides: random local and remote
//! edits, creates and deletes, sync cycles with injected faults (429, 5xx,
//! answers lost after QuickBooks committed, crashes between steps), then
//! checks that both sides agree field for field, nothing was created twice,
//! every local create arrived, and totals agree to the cent.
//!
//! `LEDGERLINK_SIM_SEEDS=N` runs N seeds (200 by default);
//! `LEDGERLINK_SIM_SEED=S` replays one. A failure names its seed.

use std::collections::{BTreeMap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::{CancelFlag, Engine, Resolution};

use harness::{Harness, StaticToken, local_rows};

const DEFAULT_SEEDS: u64 = 200;
const STEPS: usize = 14;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_on_both_sides_with_faults_converge() {
    let seeds: Vec<u64> = match std::env::var("LEDGERLINK_SIM_SEED") {
        Ok(seed) => vec![seed.parse().expect("LEDGERLINK_SIM_SEED is a number")],
        Err(_) => {
            let count = std::env::var("LEDGERLINK_SIM_SEEDS")
                .ok()
                .and_then(|count| count.parse().ok())
                .unwrap_or(DEFAULT_SEEDS);
            (0..count).collect()
        }
    };
    let mut failures = Vec::new();
    for chunk in seeds.chunks(4) {
        let runs = chunk.iter().map(|seed| {
            let seed = *seed;
            tokio::spawn(async move { (seed, run(seed).await) })
        });
        for run in futures::future::join_all(runs).await {
            let (seed, outcome) = run.expect("a simulation task ran to its end");
            if let Err(problem) = outcome {
                failures.push(format!(
                    "seed {seed}: {problem} (replay with LEDGERLINK_SIM_SEED={seed})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The world of one seed.
struct World {
    harness: Harness,
    engine: Option<Engine<StaticToken>>,
    rng: ChaCha8Rng,
    seed: u64,
    created_markers: Vec<String>,
    deleted_markers: HashSet<String>,
    customer: Value,
}

async fn run(seed: u64) -> Result<(), String> {
    let harness = Harness::start(None).await;
    let customer = harness
        .remote_create(
            "Customer",
            json!({"DisplayName": format!("Sim Customer {seed}")}),
        )
        .await;
    harness
        .remote_create("Account", json!({"Name": "Sales", "AccountType": "Income"}))
        .await;
    let engine = harness.engine("books").await;
    let mut world = World {
        harness,
        engine: Some(engine),
        rng: ChaCha8Rng::seed_from_u64(seed),
        seed,
        created_markers: Vec::new(),
        deleted_markers: HashSet::new(),
        customer,
    };
    world.cycle().await;
    for step in 0..STEPS {
        let action = world.rng.random_range(0..10);
        match action {
            0 | 1 => world.local_create(step).await,
            2 | 3 => world.local_edit().await?,
            4 => world.local_delete().await?,
            5 => world.remote_create(step).await,
            6 | 7 => world.remote_edit().await,
            8 => world.remote_delete().await,
            _ => world.faulty_cycle().await,
        }
        if world.rng.random_bool(0.3) {
            world.cycle().await;
        }
        if world.rng.random_bool(0.1) {
            world.crash().await;
        }
    }
    world.harness.clear_faults().await;
    for _ in 0..4 {
        world.resolve_all().await?;
        world.cycle().await;
    }
    world.check().await
}

impl World {
    fn engine(&self) -> &Engine<StaticToken> {
        self.engine
            .as_ref()
            .expect("the engine is open between steps")
    }

    /// A sync that may fail on an injected fault; the next one must recover.
    async fn cycle(&mut self) {
        let _ = self.engine().sync(&|_| {}, &CancelFlag::new()).await;
    }

    async fn faulty_cycle(&mut self) {
        let fault = match self.rng.random_range(0..4) {
            0 => json!({"kind": "throttle", "method": "POST", "path": "*/batch", "count": 1}),
            1 => json!({"kind": "internal_error", "method": "POST", "path": "*/batch", "count": 1}),
            2 => {
                json!({"kind": "drop_after_commit", "method": "POST", "path": "*/batch", "count": 5})
            }
            _ => json!({"kind": "internal_error", "method": "GET", "path": "*/cdc", "count": 5}),
        };
        self.harness.arm(fault).await;
        self.cycle().await;
        self.harness.clear_faults().await;
    }

    /// The app is killed between steps and started again over the same books.
    async fn crash(&mut self) {
        self.engine = None;
        self.engine = Some(self.harness.engine("books").await);
    }

    async fn live_invoices(&self) -> Vec<local_store::RecordRow> {
        local_rows(self.engine(), "Invoice")
            .await
            .into_iter()
            .filter(|row| {
                row.state != local_store::RecordState::Deleted
                    && row.state != local_store::RecordState::Conflict
                    && row.intent == local_store::Intent::None
            })
            .collect()
    }

    async fn local_create(&mut self, step: usize) {
        let marker = format!("sim-{}-{step}", self.seed);
        let cents: i64 = self.rng.random_range(100..100_000);
        let amount = Decimal::new(cents, 2);
        let invoice = json!({
            "CustomerRef": {"value": self.customer["Id"]},
            "DocNumber": format!("S{step}"),
            "PrivateNote": marker,
            "Line": [{"Amount": amount, "DetailType": "DescriptionOnly", "Description": "work", "DescriptionLineDetail": {}}]
        });
        if self.engine().create_local("Invoice", invoice).await.is_ok() {
            self.created_markers.push(marker);
        }
    }

    async fn local_edit(&mut self) -> Result<(), String> {
        let rows = self.live_invoices().await;
        if rows.is_empty() {
            return Ok(());
        }
        let row = &rows[self.rng.random_range(0..rows.len())];
        let mut object = row.local.clone().unwrap_or_default();
        let field = if self.rng.random_bool(0.5) {
            "DocNumber"
        } else {
            "TxnDate"
        };
        object[field] = if field == "DocNumber" {
            json!(format!("L{}", self.rng.random_range(0..1000)))
        } else {
            json!(format!("2026-02-{:02}", self.rng.random_range(1..28)))
        };
        self.engine()
            .edit_local(&row.local_id, object)
            .await
            .map_err(|error| format!("a local edit failed: {error}"))?;
        Ok(())
    }

    async fn local_delete(&mut self) -> Result<(), String> {
        let rows = self.live_invoices().await;
        if rows.is_empty() {
            return Ok(());
        }
        let row = rows[self.rng.random_range(0..rows.len())].clone();
        if let Some(marker) = row
            .local
            .as_ref()
            .and_then(|local| local["PrivateNote"].as_str())
        {
            self.deleted_markers.insert(marker.to_owned());
        }
        self.engine()
            .delete_local(&row.local_id)
            .await
            .map_err(|error| format!("a local delete failed: {error}"))?;
        Ok(())
    }

    async fn remote_invoices(&self) -> Vec<Value> {
        self.harness
            .remote_rows("SELECT * FROM Invoice MAXRESULTS 1000", "Invoice")
            .await
    }

    async fn remote_create(&mut self, step: usize) {
        let cents: i64 = self.rng.random_range(100..100_000);
        self.harness
            .remote_create(
                "Invoice",
                json!({
                    "CustomerRef": {"value": self.customer["Id"]},
                    "DocNumber": format!("R{step}"),
                    "PrivateNote": format!("remote-{}-{step}", self.seed),
                    "Line": [{"Amount": Decimal::new(cents, 2), "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}]
                }),
            )
            .await;
    }

    async fn remote_edit(&mut self) {
        let rows = self.remote_invoices().await;
        if rows.is_empty() {
            return;
        }
        let row = &rows[self.rng.random_range(0..rows.len())];
        let id = row["Id"].as_str().unwrap_or_default().to_owned();
        let field = if self.rng.random_bool(0.5) {
            "DocNumber"
        } else {
            "TxnDate"
        };
        let value = if field == "DocNumber" {
            json!(format!("Q{}", self.rng.random_range(0..1000)))
        } else {
            json!(format!("2026-01-{:02}", self.rng.random_range(1..28)))
        };
        self.harness
            .remote_edit(
                "Invoice",
                &id,
                json!({ field: value, "CustomerRef": row["CustomerRef"] }),
            )
            .await;
    }

    async fn remote_delete(&mut self) {
        let rows = self.remote_invoices().await;
        if rows.is_empty() {
            return;
        }
        let row = &rows[self.rng.random_range(0..rows.len())];
        if let Some(marker) = row["PrivateNote"].as_str() {
            self.deleted_markers.insert(marker.to_owned());
        }
        let _ = self
            .harness
            .client()
            .delete(
                "Invoice",
                row["Id"].as_str().unwrap_or_default(),
                row["SyncToken"].as_str().unwrap_or_default(),
                &qbo_client::RequestId::new(),
            )
            .await;
    }

    async fn resolve_all(&mut self) -> Result<(), String> {
        let conflicts = self
            .engine()
            .store()
            .open_conflicts()
            .await
            .map_err(|error| error.to_string())?;
        for conflict in conflicts {
            let resolution = match (conflict.kind, self.rng.random_bool(0.5)) {
                (local_store::ConflictKind::EditEdit, true) => Resolution::TakeLocal,
                (local_store::ConflictKind::EditEdit, false) => Resolution::TakeRemote,
                (_, true) => Resolution::KeepLocalVersion,
                (_, false) => Resolution::AcceptDelete,
            };
            if let Some(marker) = conflict
                .local
                .as_ref()
                .or(conflict.remote.as_ref())
                .and_then(|object| object["PrivateNote"].as_str())
            {
                // Either choice may end in a deletion; the check allows it.
                self.deleted_markers.insert(marker.to_owned());
            }
            self.engine()
                .resolve_conflict(conflict.id, resolution)
                .await
                .map_err(|error| format!("resolving conflict {} failed: {error}", conflict.id))?;
        }
        Ok(())
    }

    async fn check(&self) -> Result<(), String> {
        let open = self
            .engine()
            .store()
            .open_conflicts()
            .await
            .map_err(|error| error.to_string())?;
        let outbox = self
            .engine()
            .store()
            .outbox()
            .await
            .map_err(|error| error.to_string())?;
        if !outbox.is_empty() {
            return Err(format!(
                "{} operations are still in the outbox",
                outbox.len()
            ));
        }
        let conflicted: HashSet<String> = open
            .iter()
            .map(|conflict| conflict.local_id.clone())
            .collect();
        let remote = self.remote_invoices().await;
        let remote_by_id: BTreeMap<String, &Value> = remote
            .iter()
            .map(|invoice| {
                (
                    invoice["Id"].as_str().unwrap_or_default().to_owned(),
                    invoice,
                )
            })
            .collect();
        let local = local_rows(self.engine(), "Invoice").await;
        let mut local_total = Decimal::ZERO;
        let mut seen_remote = HashSet::new();
        for row in &local {
            if conflicted.contains(&row.local_id) || row.state == local_store::RecordState::Deleted
            {
                continue;
            }
            if row.state != local_store::RecordState::Synced {
                return Err(format!(
                    "record {} is {:?} after the final syncs: {:?}",
                    row.local_id, row.state, row.error
                ));
            }
            let qbo_id = row
                .qbo_id
                .clone()
                .ok_or_else(|| format!("record {} never reached QuickBooks", row.local_id))?;
            let theirs = remote_by_id
                .get(&qbo_id)
                .ok_or_else(|| format!("invoice {qbo_id} is here but not in QuickBooks"))?;
            seen_remote.insert(qbo_id.clone());
            let ours = row.local.clone().unwrap_or_default();
            for field in ["DocNumber", "TxnDate", "PrivateNote", "CustomerRef", "Line"] {
                if !sync_engine::merge::same(&ours[field], &theirs[field]) {
                    return Err(format!(
                        "invoice {qbo_id} differs in {field}: here {} there {}",
                        ours[field], theirs[field]
                    ));
                }
            }
            local_total += sync_engine::entities::decimal(&theirs["TotalAmt"]).unwrap_or_default();
        }
        let mut remote_total = Decimal::ZERO;
        for (id, invoice) in &remote_by_id {
            let in_conflict = local.iter().any(|row| {
                row.qbo_id.as_deref() == Some(id.as_str()) && conflicted.contains(&row.local_id)
            });
            if in_conflict {
                continue;
            }
            if !seen_remote.contains(id) {
                return Err(format!("invoice {id} is in QuickBooks but not synced here"));
            }
            remote_total +=
                sync_engine::entities::decimal(&invoice["TotalAmt"]).unwrap_or_default();
        }
        if local_total != remote_total {
            return Err(format!(
                "totals differ: here {local_total}, in QuickBooks {remote_total}"
            ));
        }
        for marker in &self.created_markers {
            let copies = remote
                .iter()
                .filter(|invoice| invoice["PrivateNote"].as_str() == Some(marker.as_str()))
                .count();
            if copies > 1 {
                return Err(format!(
                    "the invoice \"{marker}\" was created {copies} times"
                ));
            }
            if copies == 0 && !self.deleted_markers.contains(marker) {
                return Err(format!("the invoice \"{marker}\" never reached QuickBooks"));
            }
        }
        Ok(())
    }
}

/// The simulation's own harness: an emulator, real books, a second client.
#[allow(clippy::unwrap_used, dead_code)]
pub mod harness {

    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::{DateTime, TimeZone, Utc};
    use local_store::{CompanyStore, RecordFilter, RecordRow};
    use qbo_client::{ClientConfig, QboClient, QboError, RequestId, TokenSource};
    use qbo_emulator::clock::Clock as EmulatorClock;
    use qbo_emulator::{EmulatorConfig, TestServer};
    use serde_json::{Value, json};
    use sync_engine::{CancelFlag, Engine, EngineConfig, SyncReport};
    use tempfile::TempDir;

    /// A token minted through the control API; the emulator never expires it
    /// within a test unless its clock is moved.
    #[derive(Debug, Clone)]
    pub struct StaticToken(pub String);

    impl TokenSource for StaticToken {
        async fn access_token(&self) -> Result<String, QboError> {
            Ok(self.0.clone())
        }

        async fn refresh_after_unauthorized(&self, _rejected: &str) -> Result<(), QboError> {
            Err(QboError::ReconnectNeeded {
                message: "the test token was refused".to_owned(),
                intuit_tid: None,
            })
        }
    }

    /// One emulated company, and the folder the local books live in.
    pub struct Harness {
        pub server: TestServer,
        pub realm: String,
        pub token: String,
        pub dir: TempDir,
        pub http: reqwest::Client,
    }

    pub fn start_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0).single().unwrap()
    }

    impl Harness {
        /// An emulator with one company: seeded (`size` transactions) or empty.
        pub async fn start(seed: Option<(u64, usize)>) -> Harness {
            Harness::start_with(EmulatorConfig::default(), seed, None).await
        }

        /// Same, on a fixed clock a test can move.
        pub async fn start_with(
            config: EmulatorConfig,
            seed: Option<(u64, usize)>,
            fixed: Option<DateTime<Utc>>,
        ) -> Harness {
            let clock = fixed.map_or_else(EmulatorClock::real, EmulatorClock::fixed);
            let server = TestServer::start_with_clock(config, clock).await;
            let http = reqwest::Client::new();
            let body = match seed {
                Some((seed, size)) => json!({ "seed": seed, "size": size }),
                None => json!({ "name": "Scenario Books Ltd" }),
            };
            let created: Value = http
                .post(format!("{}/_emulator/companies", server.base_url()))
                .json(&body)
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
                dir: tempfile::tempdir().unwrap(),
                http,
            };
            harness.token = harness.mint().await;
            harness
        }

        /// A fresh access token (after the clock moved past the old one's hour).
        pub async fn mint(&self) -> String {
            let minted: Value = self
                .http
                .post(self.control("tokens"))
                .json(&json!({ "realm_id": self.realm, "client_id": "test-client" }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            minted["access_token"].as_str().unwrap().to_owned()
        }

        pub fn control(&self, path: &str) -> String {
            format!("{}/_emulator/{path}", self.server.base_url())
        }

        pub fn config() -> ClientConfig {
            ClientConfig {
                backoff_base: Duration::from_millis(5),
                backoff_max: Duration::from_millis(40),
                default_throttle_wait: Duration::from_millis(200),
                request_timeout: Duration::from_secs(3),
                max_transient_retries: 2,
                jitter_seed: Some(7),
                ..ClientConfig::default()
            }
        }

        /// A client for the company ("the client in QuickBooks" uses one too).
        pub fn client(&self) -> QboClient<StaticToken> {
            QboClient::new(
                &self.server.base_url(),
                &self.realm,
                StaticToken(self.token.clone()),
                Harness::config(),
            )
            .unwrap()
        }

        pub fn database(&self, name: &str) -> PathBuf {
            self.dir.path().join(format!("{name}.sqlite"))
        }

        /// An engine over the local books called `name` (the same name reopens them).
        pub async fn engine(&self, name: &str) -> Engine<StaticToken> {
            self.engine_with(name, EngineConfig::default()).await
        }

        pub async fn engine_with(&self, name: &str, config: EngineConfig) -> Engine<StaticToken> {
            let store = CompanyStore::open(&self.database(name)).await.unwrap();
            let emulator = self.server.emulator().clone();
            let clock = Arc::new(move || emulator.clock().now());
            Engine::new(store, self.client(), clock, config)
        }

        pub async fn arm(&self, plan: Value) {
            let response = self
                .http
                .post(self.control("faults"))
                .json(&plan)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201, "{plan}");
        }

        pub async fn clear_faults(&self) {
            self.http
                .delete(self.control("faults"))
                .send()
                .await
                .unwrap();
        }

        pub async fn counters(&self) -> Value {
            self.http
                .get(self.control(&format!("counters?realm_id={}", self.realm)))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        }

        pub async fn advance_days(&self, days: i64) {
            self.http
                .post(self.control("clock/advance"))
                .json(&json!({ "days": days }))
                .send()
                .await
                .unwrap();
        }

        /// All rows of a query, as "the client in QuickBooks" sees them.
        pub async fn remote_rows(&self, statement: &str, entity: &str) -> Vec<Value> {
            let answer = self.client().query(statement).await.unwrap();
            answer
                .get(entity)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        }

        pub async fn remote(&self, entity: &str, id: &str) -> Value {
            self.client().get_entity(entity, id).await.unwrap()
        }

        /// An edit made in QuickBooks by someone else (sparse).
        pub async fn remote_edit(&self, entity: &str, id: &str, fields: Value) -> Value {
            let current = self.remote(entity, id).await;
            let mut body = fields;
            body["Id"] = current["Id"].clone();
            body["SyncToken"] = current["SyncToken"].clone();
            self.client()
                .sparse_update(entity, &body, &RequestId::new())
                .await
                .unwrap()
        }

        pub async fn remote_create(&self, entity: &str, body: Value) -> Value {
            self.client()
                .create(entity, &body, &RequestId::new())
                .await
                .unwrap()
        }
    }

    pub async fn sync(engine: &Engine<StaticToken>) -> SyncReport {
        engine.sync(&|_| {}, &CancelFlag::new()).await.unwrap()
    }

    /// Every local record of a type.
    pub async fn local_rows(engine: &Engine<StaticToken>, entity: &str) -> Vec<RecordRow> {
        engine
            .store()
            .records(&RecordFilter {
                entity_type: Some(entity.to_owned()),
                include_deleted: true,
                limit: 1_000_000,
                ..RecordFilter::default()
            })
            .await
            .unwrap()
    }

    pub async fn local_by_qbo_id(
        engine: &Engine<StaticToken>,
        entity: &str,
        id: &str,
    ) -> RecordRow {
        engine
            .store()
            .record_by_qbo_id(entity, id)
            .await
            .unwrap()
            .unwrap()
    }

    /// The first active record of a list (an account of a type, a customer…).
    pub async fn first_active(
        engine: &Engine<StaticToken>,
        entity: &str,
        pick: impl Fn(&Value) -> bool,
    ) -> RecordRow {
        local_rows(engine, entity)
            .await
            .into_iter()
            .find(|row| row.active && row.local.as_ref().is_some_and(&pick))
            .unwrap()
    }
}
