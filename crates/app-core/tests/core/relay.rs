//! "Connect QuickBooks" through the real relay against the emulator, with
//! nothing but the relay address set (the relay says which Accounting API
//! its keys belong to: here the emulator's); a
//! change made in QuickBooks then reaches the local store by itself, and a
//! burst of changes becomes one pull.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use app_core::{AppCore, AppSettings, LiveUpdates, UNNAMED_COMPANY};
use qbo_emulator::oauth::paths;
use qbo_emulator::{EmulatorConfig, TestServer};
use relay::{RelayConfig, TestRelay};
use serde_json::{Value, json};

use crate::support::{Core, invoices, open_with};

const CLIENT_ID: &str = "ABrelaytestclient";
const CLIENT_SECRET: &str = "relay-test-secret";
const VERIFIER: &str = "relay-test-verifier";

struct Stand {
    emulator: TestServer,
    realm: String,
    company_name: String,
    relay: TestRelay,
    _dir: tempfile::TempDir,
}

/// The emulator (Intuit) with a seeded company and webhooks pointed at a
/// relay that holds the app's keys.
async fn stand() -> Stand {
    let mut config = EmulatorConfig::default();
    config.oauth.auto_approve = true;
    let emulator = TestServer::start(config).await;
    let (realm, _) =
        qbo_emulator::control::create_company(emulator.emulator(), None, Some((11, 30))).unwrap();
    let company_name = qbo_emulator::seed::company_name(11);
    let dir = tempfile::tempdir().unwrap();
    let relay = TestRelay::start(RelayConfig {
        client_id: CLIENT_ID.to_owned(),
        client_secret: relay::Secret::new(CLIENT_SECRET),
        webhook_verifier: relay::Secret::new(VERIFIER),
        discovery_url: Some(format!(
            "{}{}",
            emulator.base_url(),
            paths::DISCOVERY_SANDBOX
        )),
        api_base: Some(emulator.base_url()),
        // Development keys: the app takes the environment from the relay.
        environment: relay::Environment::Sandbox,
        database: dir.path().join("relay.sqlite"),
        ..RelayConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    let registered = http
        .post(format!("{}/_emulator/clients", emulator.base_url()))
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
        .post(format!("{}/_emulator/webhooks", emulator.base_url()))
        .json(&json!({
            "endpoint_url": format!("{}/webhooks", relay.base_url()),
            "verifier_token": VERIFIER,
            "format": "legacy",
            "time_scale": 0.001,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(webhooks.status(), 200);
    Stand {
        emulator,
        realm,
        company_name,
        relay,
        _dir: dir,
    }
}

/// A core that listens to live updates, with only the relay address set.
async fn core_for(stand: &Stand) -> Core {
    let opened = open_with(|options| {
        options.live_updates = true;
        options.live_debounce = Duration::from_millis(300);
    })
    .await;
    opened
        .core
        .save_app_settings(AppSettings {
            relay_url: Some(stand.relay.base_url()),
            ..AppSettings::default()
        })
        .await
        .unwrap();
    opened
}

/// Adds and connects a company through the relay; the consent page approves
/// itself, so a plain HTTP client plays the browser and follows the
/// redirects back to the loopback listener.
async fn connect(core: &AppCore) -> String {
    let added = core.add_quickbooks_company(None).await.unwrap();
    assert_eq!(added.name, UNNAMED_COMPANY);
    assert_eq!(added.kind, app_core::CompanyKind::Relay);
    let connected = core
        .connect_company(&added.id, |url| {
            let url = url.to_string();
            tokio::spawn(async move {
                let answer = reqwest::get(&url).await.unwrap();
                assert!(answer.status().is_success(), "{}", answer.status());
            });
        })
        .await
        .unwrap();
    assert_eq!(connected.connection, app_core::ConnectionState::Connected);
    added.id
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn qbo(stand: &Stand, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let base = stand.emulator.base_url();
    let minted: Value = http
        .post(format!("{base}/_emulator/tokens"))
        .json(&json!({ "realm_id": stand.realm }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["access_token"].as_str().unwrap().to_owned();
    let request = http
        .request(method, format!("{base}/v3/company/{}/{path}", stand.realm))
        .bearer_auth(token)
        .header("Accept", "application/json");
    let request = match body {
        Some(Value::String(text)) => request
            .header("Content-Type", "application/text")
            .body(text),
        Some(json) => request.json(&json),
        None => request,
    };
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn without_a_relay_connect_says_what_is_needed() {
    let opened = open_with(|_| {}).await;
    let error = opened.core.add_quickbooks_company(None).await.unwrap_err();
    assert_eq!(error.kind(), "relay_needed");
    assert!(error.to_string().contains("relay address"));
    assert!(error.to_string().contains("own Intuit app keys"));
    assert!(opened.core.list_companies().await.unwrap().is_empty());
}

#[tokio::test]
async fn connect_through_the_relay_then_a_change_in_quickbooks_arrives_by_itself() {
    let stand = stand().await;
    let opened = core_for(&stand).await;
    let core = &opened.core;
    let id = connect(core).await;
    // The name came from CompanyInfo.
    let summary = core.company(&id).await.unwrap();
    assert_eq!(summary.name, stand.company_name);
    assert_eq!(summary.realm_id.as_deref(), Some(stand.realm.as_str()));
    // The relay announced its keys' environment and API (the emulator's,
    // which nothing else in this app names).
    assert_eq!(summary.environment, "sandbox");
    let report = core.sync_now(&id, |_| {}).await.unwrap();
    assert!(report.pulled > 0);
    wait_for("live updates to connect", async || {
        core.company(&id).await.unwrap().live_updates == LiveUpdates::Connected
    })
    .await;

    // The client edits an invoice in QuickBooks; nobody presses Sync.
    let found = qbo(
        &stand,
        reqwest::Method::POST,
        "query?minorversion=75",
        Some(Value::String(
            "select * from Invoice maxresults 1".to_owned(),
        )),
    )
    .await;
    let invoice = &found["QueryResponse"]["Invoice"][0];
    let qbo_id = invoice["Id"].as_str().unwrap().to_owned();
    let updated = qbo(
        &stand,
        reqwest::Method::POST,
        "invoice?minorversion=75",
        Some(json!({
            "Id": qbo_id,
            "SyncToken": invoice["SyncToken"],
            "sparse": true,
            "PrivateNote": "changed by the client in QuickBooks",
        })),
    )
    .await;
    assert_eq!(
        updated["Invoice"]["PrivateNote"], "changed by the client in QuickBooks",
        "{updated}"
    );
    let mut query = invoices();
    query.limit = 500;
    let local_id = core
        .list_records(&id, query)
        .await
        .unwrap()
        .rows
        .into_iter()
        .find(|row| row.qbo_id.as_deref() == Some(qbo_id.as_str()))
        .unwrap()
        .local_id;
    wait_for("the edit to reach the local store", async || {
        let record = core.get_record(&id, &local_id).await.unwrap();
        record
            .local
            .as_ref()
            .and_then(|local| local.get("PrivateNote"))
            == Some(&Value::from("changed by the client in QuickBooks"))
    })
    .await;
    // The pull writes the record before it returns and is counted, so the
    // count may trail the record by a moment: wait for it too.
    wait_for("the live pull to be counted", async || {
        core.live_pull_count(&id).await >= 1
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_changes_becomes_one_pull() {
    let stand = stand().await;
    let opened = core_for(&stand).await;
    let core = &opened.core;
    let id = connect(core).await;
    core.sync_now(&id, |_| {}).await.unwrap();
    wait_for("live updates to connect", async || {
        core.company(&id).await.unwrap().live_updates == LiveUpdates::Connected
    })
    .await;
    let before = core.live_pull_count(&id).await;
    // Five changes in one delivery: the relay streams five events.
    let notifier = stand.emulator.emulator().notifier();
    for invoice in 1..=5 {
        notifier.record_change(
            &stand.realm,
            "Invoice",
            &invoice.to_string(),
            "Update",
            chrono::Utc::now(),
        );
    }
    notifier.flush();
    wait_for("the pull", async || {
        core.live_pull_count(&id).await > before
    })
    .await;
    // Well past the debounce window: still one pull for the burst.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(core.live_pull_count(&id).await, before + 1);
}

/// Sends one request to the demo emulator as "the client in QuickBooks".
async fn demo_request(core: &AppCore, realm: &str, path: &str, body: Value) -> Value {
    let base = core.demo_address().await.unwrap();
    let http = reqwest::Client::new();
    let minted: Value = http
        .post(format!("{base}/_emulator/tokens"))
        .json(&json!({ "realm_id": realm }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["access_token"].as_str().unwrap().to_owned();
    http.post(format!("{base}/v3/company/{realm}/{path}"))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_goes_through_its_embedded_relay_and_an_edit_in_the_emulator_arrives_by_itself() {
    let opened = open_with(|options| {
        options.live_updates = true;
        options.live_debounce = Duration::from_millis(300);
    })
    .await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    wait_for("the demo's live updates to connect", async || {
        core.company(&demo.id).await.unwrap().live_updates == LiveUpdates::Connected
    })
    .await;
    let mut query = invoices();
    query.limit = 1;
    let row = core.list_records(&demo.id, query).await.unwrap().rows[0].clone();
    let qbo_id = row.qbo_id.clone().unwrap();
    let remote = core.get_record(&demo.id, &row.local_id).await.unwrap();
    let token = remote.remote.as_ref().unwrap()["SyncToken"].clone();
    let updated = demo_request(
        core,
        &realm,
        "invoice?minorversion=75",
        json!({ "Id": qbo_id, "SyncToken": token, "sparse": true, "PrivateNote": "edited in the demo's QuickBooks" }),
    )
    .await;
    assert_eq!(
        updated["Invoice"]["PrivateNote"], "edited in the demo's QuickBooks",
        "{updated}"
    );
    wait_for("the demo edit to reach the local store", async || {
        let record = core.get_record(&demo.id, &row.local_id).await.unwrap();
        record
            .local
            .as_ref()
            .and_then(|local| local.get("PrivateNote"))
            == Some(&Value::from("edited in the demo's QuickBooks"))
    })
    .await;
}
