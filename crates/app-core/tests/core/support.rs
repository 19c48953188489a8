//! Opening a core over a temporary data folder.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use app_core::{AppCore, AppPaths, CoreOptions, DemoOptions, RecordQuery, RecordSort};
use secrets::MemoryVault;
use tempfile::TempDir;

/// A core and the folder it lives in (removed when dropped).
pub struct Core {
    pub core: AppCore,
    pub dir: TempDir,
    pub vault: Arc<MemoryVault>,
}

pub async fn open() -> Core {
    let dir = tempfile::tempdir().unwrap();
    open_in(dir).await
}

pub async fn open_in(dir: TempDir) -> Core {
    open_in_with(dir, |_| {}).await
}

/// A core whose options `adjust` changes first (timers, say).
pub async fn open_with(adjust: impl FnOnce(&mut CoreOptions)) -> Core {
    open_in_with(tempfile::tempdir().unwrap(), adjust).await
}

async fn open_in_with(dir: TempDir, adjust: impl FnOnce(&mut CoreOptions)) -> Core {
    let vault = Arc::new(MemoryVault::new());
    let mut options = CoreOptions::with_vault(vault.clone());
    options.demo = DemoOptions { seed: 7, size: 30 };
    adjust(&mut options);
    let paths = AppPaths {
        data_dir: dir.path().join("data"),
        log_dir: dir.path().join("logs"),
    };
    let core = AppCore::open(paths, options).await.unwrap();
    Core { core, dir, vault }
}

/// An access token for the demo emulator, as "the client in QuickBooks".
async fn demo_token(base: &str, realm: &str) -> String {
    let minted: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/_emulator/tokens"))
        .json(&serde_json::json!({ "realm_id": realm }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    minted["access_token"].as_str().unwrap().to_owned()
}

/// Writes to the demo emulator as "the client in QuickBooks": a POST of
/// `body` to the entity's endpoint (a sparse update, say).
pub async fn demo_write(
    core: &AppCore,
    realm: &str,
    entity_path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let base = core.demo_address().await.unwrap();
    let token = demo_token(&base, realm).await;
    let answer = reqwest::Client::new()
        .post(format!(
            "{base}/v3/company/{realm}/{entity_path}?minorversion=75"
        ))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    answer.json().await.unwrap()
}

/// Reads from the demo emulator as "the client in QuickBooks".
pub async fn demo_query(core: &AppCore, realm: &str, statement: &str) -> serde_json::Value {
    let base = core.demo_address().await.unwrap();
    let http = reqwest::Client::new();
    let token = demo_token(&base, realm).await;
    http.post(format!("{base}/v3/company/{realm}/query?minorversion=75"))
        .bearer_auth(token)
        .header("Content-Type", "application/text")
        .header("Accept", "application/json")
        .body(statement.to_owned())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The newest invoices, a page of 50.
pub fn invoices() -> RecordQuery {
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
        limit: 50,
    }
}
