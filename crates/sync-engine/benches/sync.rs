//! Sync benchmarks against the emulator, each reported as a ratio to its
//! limit measured in the same run (never asserted as a time in tests):
//!
//! 1. the first pull of a company with 100k transactions, against a raw
//!    fetch of the same pages over HTTP (limit: 3× the raw fetch);
//! 2. a push of 5,000 creates with Intuit's limits on (windows scaled down
//!    60×), against the ceiling the limits allow (limit: 1.5× the ceiling);
//! 3. the requests of an idle cycle (limit: 1);
//! 4. the records list at that size: the slowest of the pages the Records
//!    screen asks for while scrolling, sorted by date or amount or
//!    searched, with the total (limit: 50 ms a page, within the 60 ms the
//!    table waits before fetching the rows in view);
//!
//! Run: `cargo xtask bench` (or `cargo bench -p sync-engine --bench sync`).
//! `LEDGERLINK_BENCH_TRANSACTIONS` changes the company size.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use local_store::CompanyStore;
use qbo_client::{ClientConfig, PacerConfig, QboClient, QboError, Query, TokenSource};
use qbo_emulator::limits::LimitSettings;
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};
use sync_engine::{CancelFlag, Engine, EngineConfig};

#[derive(Debug, Clone)]
struct Token(String);

impl TokenSource for Token {
    async fn access_token(&self) -> Result<String, QboError> {
        Ok(self.0.clone())
    }

    async fn refresh_after_unauthorized(&self, _rejected: &str) -> Result<(), QboError> {
        Err(QboError::ReconnectNeeded {
            message: "the benchmark token was refused".to_owned(),
            intuit_tid: None,
        })
    }
}

async fn company(server: &TestServer, body: Value) -> (String, String) {
    let http = reqwest::Client::new();
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
    let minted: Value = http
        .post(format!("{}/_emulator/tokens", server.base_url()))
        .json(&json!({ "realm_id": realm, "client_id": "test-client" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (realm, minted["access_token"].as_str().unwrap().to_owned())
}

fn client(server: &TestServer, realm: &str, token: &str, pacer: PacerConfig) -> QboClient<Token> {
    let config = ClientConfig {
        pacer,
        ..ClientConfig::default()
    };
    QboClient::new(&server.base_url(), realm, Token(token.to_owned()), config).unwrap()
}

async fn engine(
    server: &TestServer,
    realm: &str,
    token: &str,
    pacer: PacerConfig,
    dir: &tempfile::TempDir,
) -> Engine<Token> {
    let store = CompanyStore::open(&dir.path().join("books.sqlite"))
        .await
        .unwrap();
    Engine::new(
        store,
        client(server, realm, token, pacer),
        Arc::new(chrono::Utc::now),
        EngineConfig::default(),
    )
}

fn unlimited() -> PacerConfig {
    PacerConfig {
        requests_per_window: 1_000_000,
        batches_per_window: 1_000_000,
        max_in_flight: 10,
        window: Duration::from_secs(60),
    }
}

#[tokio::main]
async fn main() {
    let transactions: usize = std::env::var("LEDGERLINK_BENCH_TRANSACTIONS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(100_000);

    // 1. The first pull against a raw fetch of the same pages.
    let server = TestServer::start(EmulatorConfig::default()).await;
    let seeding = Instant::now();
    let (realm, token) = company(&server, json!({ "seed": 5, "size": transactions })).await;
    println!(
        "seeded {transactions} transactions in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let raw_client = client(&server, &realm, &token, unlimited());
    let raw_started = Instant::now();
    let mut raw_rows = 0usize;
    for entity in sync_engine::entities::synced_entities() {
        let mut pages = std::pin::pin!(raw_client.pages(Query::select(entity), 1000));
        while let Some(page) = pages.next().await {
            raw_rows += page.unwrap().rows.len();
        }
    }
    let raw = raw_started.elapsed().as_secs_f64();
    let dir = tempfile::tempdir().unwrap();
    let books = engine(&server, &realm, &token, unlimited(), &dir).await;
    let pull_started = Instant::now();
    let report = books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let pull = pull_started.elapsed().as_secs_f64();
    println!(
        "first pull: {} objects in {pull:.1} s; raw fetch of {raw_rows} rows {raw:.1} s; ratio {:.2} (limit 3.00) → {:.2} of the limit",
        report.pulled,
        pull / raw,
        pull / raw / 3.0
    );

    // 3. An idle cycle.
    let requests = |server: &TestServer| {
        server
            .emulator()
            .operations()
            .counters
            .snapshot()
            .total
            .requests
    };
    let before = requests(&server);
    books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let idle = requests(&server) - before;
    println!(
        "idle cycle: {idle} request(s) (limit 1) → {:.2} of the limit",
        idle as f64
    );

    // 4. Pages of the records list over the pulled company.
    let slowest = slowest_page(books.store()).await;
    println!(
        "records list over {} objects: slowest page {:.1} ms (limit 50 ms) → {:.2} of the limit",
        report.pulled,
        slowest * 1000.0,
        slowest / 0.050
    );
    drop(books);
    drop(server);

    // 2. 5,000 creates with the limits on, windows scaled 60× down.
    let window = Duration::from_millis(1000);
    let server = TestServer::start(EmulatorConfig::default()).await;
    let (realm, token) = company(&server, json!({ "name": "Push Bench Ltd" })).await;
    server
        .emulator()
        .operations()
        .limits
        .configure(LimitSettings {
            enabled: true,
            window_ms: u64::try_from(window.as_millis()).unwrap(),
            ..LimitSettings::default()
        })
        .unwrap();
    let pacer = PacerConfig {
        window,
        ..PacerConfig::INTUIT
    };
    let setup = client(&server, &realm, &token, unlimited());
    let customer = setup
        .create(
            "Customer",
            &json!({"DisplayName": "Bench Customer"}),
            &qbo_client::RequestId::new(),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let books = engine(&server, &realm, &token, pacer, &dir).await;
    books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let creates = 5_000usize;
    for index in 0..creates {
        books
            .create_local(
                "Invoice",
                json!({
                    "CustomerRef": {"value": customer["Id"]},
                    "DocNumber": format!("B{index}"),
                    "Line": [{"Amount": 10, "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}]
                }),
            )
            .await
            .unwrap();
    }
    let push_started = Instant::now();
    let report = books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let push = push_started.elapsed().as_secs_f64();
    let batches = creates.div_ceil(30) as f64;
    // The ceiling: batches per window bound the rate (requests per window
    // too, counting a batch as one request).
    let per_window = f64::from(
        PacerConfig::INTUIT
            .batches_per_window
            .min(PacerConfig::INTUIT.requests_per_window),
    );
    let ceiling = (batches / per_window).floor() * window.as_secs_f64();
    let throttled = server
        .emulator()
        .operations()
        .counters
        .snapshot()
        .total
        .throttled;
    println!(
        "push of {creates} creates ({} pushed, {throttled} throttled): {push:.1} s; ceiling {ceiling:.1} s; ratio {:.2} (limit 1.50) → {:.2} of the limit",
        report.pushed,
        push / ceiling.max(f64::EPSILON),
        push / ceiling.max(f64::EPSILON) / 1.5
    );
}

/// The slowest of the pages the Records screen asks for while the user
/// scrolls to the start, the middle and the end, sorted or searched, with
/// the count it shows beside them.
async fn slowest_page(store: &CompanyStore) -> f64 {
    use local_store::{RecordFilter, RecordSort};
    let mut slowest = 0f64;
    for (sort, search) in [
        (RecordSort::TxnDate, None),
        (RecordSort::Amount, None),
        (RecordSort::TxnDate, Some("10".to_owned())),
    ] {
        let base = RecordFilter {
            entity_type: Some("Invoice".to_owned()),
            search: search.clone(),
            sort,
            descending: true,
            limit: 100,
            ..RecordFilter::default()
        };
        let total = store.count_records(&base).await.unwrap();
        for offset in [0, total / 2, total.saturating_sub(100)] {
            let filter = RecordFilter {
                offset,
                ..base.clone()
            };
            let started = Instant::now();
            let rows = store.records(&filter).await.unwrap();
            store.count_records(&filter).await.unwrap();
            slowest = slowest.max(started.elapsed().as_secs_f64());

            assert!(rows.len() <= 100);
        }
    }
    slowest
}
