//! `company add quickbooks`, `company connect` and `sync` through a relay,
//! with nothing but the relay's address configured: the relay says which
//! Accounting API its keys belong to (here the emulator standing in for
//! Intuit), and holds the client secret the CLI never sees.
//!
//! Each command is its own process, so the tokens travel between them
//! through the OS keyring, as they do for a user: the test needs a D-Bus
//! session with an unlocked Secret Service, which `cargo xtask test` gives
//! it.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use qbo_emulator::oauth::paths;
use qbo_emulator::{EmulatorConfig, TestServer};
use relay::{RelayConfig, Secret, TestRelay};
use serde_json::{Value, json};

use crate::json;

const CLIENT_ID: &str = "ABclirelayclient";
const CLIENT_SECRET: &str = "cli-relay-client-secret";
const VERIFIER: &str = "cli-relay-verifier";

fn command(data_dir: &Path, relay_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledgerlink"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--json")
        .args(args)
        .env("LEDGERLINK_RELAY_URL", relay_url)
        // Nothing else: the Accounting API comes from the relay.
        .env_remove("LEDGERLINK_QUICKBOOKS_API_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn run(data_dir: &Path, relay_url: &str, args: &[&str]) -> Output {
    let mut command = command(data_dir, relay_url, args);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "keeps tokens in the OS keyring between commands: needs a D-Bus session with an unlocked Secret Service; cargo xtask test runs it with --include-ignored"]
async fn add_connect_and_sync_through_the_relay_with_only_its_address() {
    // Intuit, as the emulator plays it; the consent page approves at once.
    let mut config = EmulatorConfig::default();
    config.oauth.auto_approve = true;
    let emulator = TestServer::start(config).await;
    let (realm, _) =
        qbo_emulator::control::create_company(emulator.emulator(), None, Some((17, 30))).unwrap();
    let company_name = qbo_emulator::seed::company_name(17);
    let relay_dir = tempfile::tempdir().unwrap();
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
        database: relay_dir.path().join("relay.sqlite"),
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
    let relay_url = relay.base_url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();

    let added = json(&run(data, &relay_url, &["company", "add", "quickbooks"]).await);
    assert_eq!(added["kind"], "relay");
    assert_eq!(added["connection"], "not_connected");
    let id = added["id"].as_str().unwrap().to_owned();

    // `company connect` prints the relay's start address and waits for the
    // browser; a plain HTTP client plays the browser and follows the
    // redirects: relay, consent page, relay, the CLI's loopback listener.
    let mut child = command(data, &relay_url, &["company", "connect", &id])
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let address = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.starts_with("http"))
    })
    .await
    .unwrap()
    .expect("`company connect` printed the address to open");
    assert!(
        address.starts_with(&format!("{relay_url}/connect/start?")),
        "{address}"
    );
    let landed = reqwest::get(&address).await.unwrap();
    assert!(landed.status().is_success(), "{}", landed.status());
    assert!(
        landed
            .text()
            .await
            .unwrap()
            .contains("You can close this tab"),
        "the browser ends at the CLI's listener"
    );
    let connected = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
    )
    .await
    .expect("`company connect` finished")
    .unwrap();
    let connected = json(&connected);
    assert_eq!(connected["connection"], "connected");
    // QuickBooks named the company; the relay named the environment.
    assert_eq!(connected["name"], company_name.as_str());
    assert_eq!(connected["realmId"], realm.as_str());
    assert_eq!(connected["environment"], "sandbox");

    // A new process: the tokens come from the keyring, the API from the row.
    let synced = json(&run(data, &relay_url, &["sync", &id]).await);
    assert!(synced["report"]["pulled"].as_u64().unwrap() > 0, "{synced}");
    let listed = json(
        &run(
            data,
            &relay_url,
            &["records", "list", &id, "--type", "Invoice", "--limit", "1"],
        )
        .await,
    );
    assert!(listed["total"].as_u64().unwrap() > 0, "{listed}");

    // A change in QuickBooks reaches the CLI's next sync through the same
    // tokens (refreshed or not, through the relay).
    let minted: Value = http
        .post(format!("{}/_emulator/tokens", emulator.base_url()))
        .json(&json!({ "realm_id": realm }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["access_token"].as_str().unwrap();
    let api = format!("{}/v3/company/{realm}", emulator.base_url());
    let found: Value = http
        .post(format!("{api}/query?minorversion=75"))
        .bearer_auth(token)
        .header("Content-Type", "application/text")
        .header("Accept", "application/json")
        .body("select * from Invoice maxresults 1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invoice = &found["QueryResponse"]["Invoice"][0];
    let edited: Value = http
        .post(format!("{api}/invoice?minorversion=75"))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .json(&json!({
            "Id": invoice["Id"],
            "SyncToken": invoice["SyncToken"],
            "sparse": true,
            "DocNumber": "CLI-RELAY-1",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["Invoice"]["DocNumber"], "CLI-RELAY-1", "{edited}");
    let synced = json(&run(data, &relay_url, &["sync", &id]).await);
    assert!(
        synced["report"]["pulled"].as_u64().unwrap() >= 1,
        "{synced}"
    );
    let found = json(
        &run(
            data,
            &relay_url,
            &[
                "records",
                "list",
                &id,
                "--type",
                "Invoice",
                "--search",
                "CLI-RELAY-1",
            ],
        )
        .await,
    );
    assert_eq!(found["total"], 1, "{found}");

    // Removing the company takes its tokens out of the keyring again.
    let removed = run(data, &relay_url, &["company", "remove", &id]).await;
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    relay.stop().await;
}
