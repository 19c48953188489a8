//! Propagation: how long an edit made in QuickBooks takes to reach the
//! local record through the relay, with nobody pressing Sync.
//!
//! The app core runs as the desktop app does (live updates on, the default
//! debounce) with a company connected through a relay that knows only its
//! address; the emulator stands in for Intuit, with its webhook
//! aggregation window at 1 s (Intuit's shortest is a minute; the window is
//! what the relay cannot make shorter, so it is set apart from the rest).
//! 50 invoices are edited one after the other; each is timed from the
//! moment the update is sent to QuickBooks to the moment the local record
//! carries it. Goal: median and p95 at most 2 s.
//!
//! Run: `cargo bench -p app-core --bench live` (or `cargo xtask bench`).

// A benchmark reports on stdout, its ratios are not money, and a failed
// set-up should stop it loudly.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app_core::{AppCore, AppPaths, AppSettings, CoreOptions, LiveUpdates, RecordQuery, RecordSort};
use qbo_emulator::oauth::paths;
use qbo_emulator::{EmulatorConfig, TestServer};
use relay::{RelayConfig, Secret, TestRelay};
use secrets::MemoryVault;
use serde_json::{Value, json};

const EDITS: usize = 50;
const LIMIT_S: f64 = 2.0;
const CLIENT_ID: &str = "ABlivebenchclient";
const CLIENT_SECRET: &str = "live-bench-secret";
const VERIFIER: &str = "live-bench-verifier";

/// "The client in QuickBooks": requests with a token minted for the realm.
struct QuickBooks {
    api: String,
    token: String,
    http: reqwest::Client,
}

impl QuickBooks {
    async fn send(&self, path: &str, body: Value) -> Value {
        let request = self
            .http
            .post(format!("{}/{path}?minorversion=75", self.api))
            .bearer_auth(&self.token)
            .header("Accept", "application/json");
        let request = match body {
            Value::String(text) => request
                .header("Content-Type", "application/text")
                .body(text),
            json => request.json(&json),
        };
        request.send().await.unwrap().json().await.unwrap()
    }
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The value at `fraction` of the sorted list (nearest rank).
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    // Intuit: a company, the consent page approving at once, webhooks to
    // the relay gathered for one real second.
    let mut config = EmulatorConfig::default();
    config.oauth.auto_approve = true;
    let emulator = TestServer::start_isolated(config);
    let (realm, _) =
        qbo_emulator::control::create_company(emulator.emulator(), None, Some((31, 400))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let relay = TestRelay::start(RelayConfig {
        client_id: CLIENT_ID.to_owned(),
        client_secret: Secret::new(CLIENT_SECRET),
        webhook_verifier: Secret::new(VERIFIER),
        discovery_url: Some(format!(
            "{}{}",
            emulator.base_url(),
            paths::DISCOVERY_SANDBOX
        )),
        api_base: Some(emulator.base_url()),
        environment: relay::Environment::Sandbox,
        database: dir.path().join("relay.sqlite"),
        ..RelayConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    let base = emulator.base_url();
    let registered = http
        .post(format!("{base}/_emulator/clients"))
        .json(&json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [relay.callback_url()],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let webhooks = http
        .post(format!("{base}/_emulator/webhooks"))
        .json(&json!({
            "endpoint_url": format!("{}/webhooks", relay.base_url()),
            "verifier_token": VERIFIER,
            "format": "legacy",
            "time_scale": 1.0,
            "aggregation_window_ms": 1000,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(webhooks.status(), 200);

    // The app: only the relay's address; live updates as in the desktop app.
    let mut options = CoreOptions::with_vault(Arc::new(MemoryVault::new()));
    options.live_updates = true;
    let debounce = options.live_debounce;
    let core = AppCore::open(
        AppPaths {
            data_dir: dir.path().join("data"),
            log_dir: dir.path().join("logs"),
        },
        options,
    )
    .await
    .unwrap();
    core.save_app_settings(AppSettings {
        relay_url: Some(relay.base_url()),
        ..AppSettings::default()
    })
    .await
    .unwrap();
    let added = core.add_quickbooks_company(None).await.unwrap();
    let id = added.id.clone();
    core.connect_company(&id, |url| {
        let url = url.to_string();
        tokio::spawn(async move {
            let answer = reqwest::get(&url).await.unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
        });
    })
    .await
    .unwrap();
    core.sync_now(&id, |_| {}).await.unwrap();
    wait_until("live updates to connect", async || {
        core.company(&id).await.unwrap().live_updates == LiveUpdates::Connected
    })
    .await;

    let minted: Value = http
        .post(format!("{base}/_emulator/tokens"))
        .json(&json!({ "realm_id": realm }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let quickbooks = QuickBooks {
        api: format!("{base}/v3/company/{realm}"),
        token: minted["access_token"].as_str().unwrap().to_owned(),
        http: http.clone(),
    };
    let found = quickbooks
        .send(
            "query",
            Value::String(format!(
                "SELECT * FROM Invoice ORDERBY Id MAXRESULTS {EDITS}"
            )),
        )
        .await;
    let invoices = found["QueryResponse"]["Invoice"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(invoices.len(), EDITS, "the company has {EDITS} invoices");
    let rows = core
        .list_records(
            &id,
            RecordQuery {
                entity_type: Some("Invoice".to_owned()),
                states: Vec::new(),
                search: None,
                date_from: None,
                date_to: None,
                open_only: None,
                sort: RecordSort::TxnDate,
                descending: true,
                offset: 0,
                limit: 1000,
            },
        )
        .await
        .unwrap()
        .rows;
    let local_ids: HashMap<String, String> = rows
        .into_iter()
        .filter_map(|row| Some((row.qbo_id?, row.local_id)))
        .collect();

    let mut seconds = Vec::with_capacity(EDITS);
    for (number, invoice) in invoices.iter().enumerate() {
        let qbo_id = invoice["Id"].as_str().unwrap();
        let local_id = &local_ids[qbo_id];
        let memo = format!("edit {number} made in QuickBooks");
        let edited = Instant::now();
        let updated = quickbooks
            .send(
                "invoice",
                json!({
                    "Id": qbo_id,
                    "SyncToken": invoice["SyncToken"],
                    "sparse": true,
                    "PrivateNote": memo,
                }),
            )
            .await;
        assert_eq!(
            updated["Invoice"]["PrivateNote"],
            memo.as_str(),
            "{updated}"
        );
        wait_until("the edit to reach the local record", async || {
            let record = core.get_record(&id, local_id).await.unwrap();
            record
                .local
                .as_ref()
                .and_then(|local| local.get("PrivateNote"))
                .and_then(Value::as_str)
                == Some(memo.as_str())
        })
        .await;
        seconds.push(edited.elapsed().as_secs_f64());
    }
    let live_pulls = core.live_pull_count(&id).await;
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = percentile(&sorted, 0.5);
    let p95 = percentile(&sorted, 0.95);
    let worst = sorted.last().copied().unwrap_or(f64::NAN);
    let best = sorted.first().copied().unwrap_or(f64::NAN);
    println!(
        "propagation over {EDITS} edits (webhook window 1 s, debounce {} ms): median {median:.3} s, p95 {p95:.3} s, best {best:.3} s, worst {worst:.3} s (goal ≤ {LIMIT_S} s); {live_pulls} live pulls",
        debounce.as_millis()
    );
    let detail = json!({"edits": EDITS, "window_s": 1.0, "debounce_s": debounce.as_secs_f64(),
                        "best_s": best, "worst_s": worst, "live_pulls": live_pulls});
    println!(
        "BENCH {}",
        json!({"name": "propagation QuickBooks edit to local record, median (1 s webhook window)",
               "value": median, "unit": "s", "compared_to": null, "limit": LIMIT_S,
               "ratio": median / LIMIT_S, "detail": detail})
    );
    println!(
        "BENCH {}",
        json!({"name": "propagation QuickBooks edit to local record, p95 (1 s webhook window)",
               "value": p95, "unit": "s", "compared_to": null, "limit": LIMIT_S,
               "ratio": p95 / LIMIT_S, "detail": detail})
    );
    relay.stop().await;
}
