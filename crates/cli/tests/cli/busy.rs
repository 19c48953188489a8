//! A company another process is syncing: `sync` says so and exits 4.

use serde_json::Value;

use super::{json, ledgerlink};

#[test]
fn a_sync_while_another_process_syncs_the_company_exits_busy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    json(&ledgerlink(data, &["company", "add", "demo"], None));
    let companies = json(&ledgerlink(data, &["company", "list"], None));
    let id = companies
        .as_array()
        .and_then(|rows| rows.first())
        .and_then(|row| row["id"].as_str())
        .unwrap()
        .to_owned();
    // This test process holds the company's sync lock, as the app would
    // while it syncs.
    let database = local_store::company_database_path(data, &id);
    let held = local_store::try_lock_sync(&database).unwrap().unwrap();
    let busy = ledgerlink(data, &["sync", "Demo"], None);
    assert_eq!(
        busy.status.code(),
        Some(4),
        "stderr: {}",
        String::from_utf8_lossy(&busy.stderr)
    );
    let error: Value = serde_json::from_slice(&busy.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "already_syncing");
    drop(held);
    let synced = json(&ledgerlink(data, &["sync", "Demo"], None));
    assert!(synced["report"]["pulled"].as_u64().unwrap() > 0);
}
