//! The `ledgerlink` binary as a script would use it: JSON out, JSON in,
//! exit codes.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod busy;
mod statements;

fn ledgerlink(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ledgerlink"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--json")
        .args(args)
        .env("LEDGERLINK_DEMO_SIZE", "25")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_script_adds_the_demo_syncs_edits_and_reads_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let added = json(&ledgerlink(data, &["company", "add", "demo"], None));
    assert_eq!(added["kind"], "demo");
    assert_eq!(added["connection"], "connected");
    let synced = json(&ledgerlink(data, &["sync", "Demo"], None));
    assert!(synced["report"]["pulled"].as_u64().unwrap() > 0);

    let list = json(&ledgerlink(
        data,
        &[
            "records", "list", "Demo", "--type", "Invoice", "--limit", "3",
        ],
        None,
    ));
    let first = &list["rows"][0];
    let local_id = first["localId"].as_str().unwrap();
    let shown = json(&ledgerlink(
        data,
        &["records", "show", "Demo", local_id],
        None,
    ));
    let mut object = shown["local"].clone();
    object["PrivateNote"] = Value::from("edited from a script");
    let saved = json(&ledgerlink(
        data,
        &["records", "edit", "Demo", local_id],
        Some(&object.to_string()),
    ));
    assert_eq!(saved["record"]["row"]["state"], "pending");
    let dry_run = json(&ledgerlink(data, &["dry-run", "Demo"], None));
    assert_eq!(dry_run["operations"][0]["operation"], "update");
    assert_eq!(dry_run["operations"][0]["fields"][0], "PrivateNote");
    let synced = json(&ledgerlink(data, &["sync", "Demo"], None));
    assert_eq!(synced["report"]["pushed"], 1);
    let history = json(&ledgerlink(
        data,
        &["history", "Demo", "--record", local_id],
        None,
    ));
    let directions: Vec<&str> = history["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["direction"].as_str().unwrap())
        .collect();
    assert!(directions.contains(&"push"), "{directions:?}");
    let status = json(&ledgerlink(data, &["status", "Demo"], None));
    assert_eq!(status["pendingChanges"], 0);
    assert_eq!(
        json(&ledgerlink(data, &["conflicts", "list", "Demo"], None)),
        Value::Array(Vec::new())
    );
}

#[test]
fn mistakes_get_a_message_and_an_exit_code_scripts_can_rely_on() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = ledgerlink(dir.path(), &["status", "Nobody"], None);
    assert_eq!(unknown.status.code(), Some(2));
    let error: Value = serde_json::from_slice(&unknown.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "invalid");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("company list"));

    json(&ledgerlink(dir.path(), &["company", "add", "demo"], None));
    let broken = ledgerlink(
        dir.path(),
        &["records", "create", "Demo", "--type", "Invoice"],
        Some("{not json"),
    );
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("cannot be read"));
    let no_secret = ledgerlink(
        dir.path(),
        &[
            "company",
            "add",
            "sandbox",
            "--client-id",
            "x",
            "--client-secret-env",
            "LEDGERLINK_TEST_NO_SUCH_VARIABLE",
        ],
        None,
    );
    assert_eq!(no_secret.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&no_secret.stderr).contains("LEDGERLINK_TEST_NO_SUCH_VARIABLE")
    );
}

/// A demo company, synced once, and the local id of one of its invoices.
fn synced_demo(data: &Path) -> String {
    json(&ledgerlink(data, &["company", "add", "demo"], None));
    json(&ledgerlink(data, &["sync", "Demo"], None));
    let list = json(&ledgerlink(
        data,
        &[
            "records", "list", "Demo", "--type", "Invoice", "--limit", "1",
        ],
        None,
    ));
    list["rows"][0]["localId"].as_str().unwrap().to_owned()
}

#[test]
fn a_sync_that_holds_records_back_exits_6_with_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    synced_demo(data);
    // An invoice for a customer and an item QuickBooks does not have: the
    // push holds it back until the references are fixed.
    let invoice = serde_json::json!({
        "CustomerRef": { "value": "99999" },
        "Line": [{
            "Amount": 10,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": { "ItemRef": { "value": "99999" } }
        }]
    });
    json(&ledgerlink(
        data,
        &["records", "create", "Demo", "--type", "Invoice"],
        Some(&invoice.to_string()),
    ));
    let synced = ledgerlink(data, &["sync", "Demo"], None);
    assert_eq!(
        synced.status.code(),
        Some(6),
        "stderr: {}",
        String::from_utf8_lossy(&synced.stderr)
    );
    let report: Value = serde_json::from_slice(&synced.stdout).unwrap();
    assert_eq!(report["report"]["failed"].as_array().unwrap().len(), 1);
    // Held back is not open conflicts: 6 even without --fail-on-conflicts.
    assert_eq!(report["company"]["openConflicts"], 0);
}

#[test]
fn an_edit_file_is_a_merge_patch_and_keeps_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let local_id = synced_demo(data);
    let before = json(&ledgerlink(
        data,
        &["records", "show", "Demo", &local_id],
        None,
    ));
    let lines = before["local"]["Line"].clone();
    assert!(!lines.as_array().unwrap().is_empty());

    let saved = json(&ledgerlink(
        data,
        &["records", "edit", "Demo", &local_id],
        Some(r#"{"PrivateNote": "only the memo"}"#),
    ));
    assert_eq!(saved["record"]["row"]["state"], "pending");
    assert_eq!(saved["issues"], Value::Array(Vec::new()));
    let after = json(&ledgerlink(
        data,
        &["records", "show", "Demo", &local_id],
        None,
    ));
    assert_eq!(after["local"]["PrivateNote"], "only the memo");
    assert_eq!(after["local"]["Line"], lines);
    assert_eq!(
        after["local"]["CustomerRef"],
        before["local"]["CustomerRef"]
    );
    let dry_run = json(&ledgerlink(data, &["dry-run", "Demo"], None));
    assert_eq!(
        dry_run["operations"][0]["fields"],
        serde_json::json!(["PrivateNote"])
    );

    // null removes a member, as RFC 7396 says.
    json(&ledgerlink(
        data,
        &["records", "edit", "Demo", &local_id],
        Some(r#"{"PrivateNote": null}"#),
    ));
    let removed = json(&ledgerlink(
        data,
        &["records", "show", "Demo", &local_id],
        None,
    ));
    assert!(removed["local"].get("PrivateNote").is_none());
    assert_eq!(removed["local"]["Line"], lines);

    // --replace takes the file as the whole record.
    let mut whole = removed["local"].clone();
    whole["Line"] = Value::Array(vec![lines[0].clone()]);
    json(&ledgerlink(
        data,
        &["records", "edit", "Demo", &local_id, "--replace"],
        Some(&whole.to_string()),
    ));
    let replaced = json(&ledgerlink(
        data,
        &["records", "show", "Demo", &local_id],
        None,
    ));
    assert_eq!(replaced["local"]["Line"].as_array().unwrap().len(), 1);
}

#[test]
fn unknown_or_misspelt_fields_are_refused_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let local_id = synced_demo(data);
    let count = |data: &Path| {
        json(&ledgerlink(
            data,
            &[
                "records", "list", "Demo", "--type", "Invoice", "--limit", "1",
            ],
            None,
        ))["total"]
            .as_u64()
            .unwrap()
    };
    let invoices = count(data);
    let misspelt = ledgerlink(
        data,
        &["records", "create", "Demo", "--type", "Invoice"],
        Some(r#"{"CustomerRf": {"value": "1"}, "Line": []}"#),
    );
    assert_eq!(misspelt.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&misspelt.stderr);
    assert!(stderr.contains("\"CustomerRf\""), "{stderr}");
    assert_eq!(count(data), invoices);

    let bad_line = ledgerlink(
        data,
        &["records", "create", "Demo", "--type", "Invoice"],
        Some(
            r#"{"CustomerRef": {"value": "1"}, "Line": [{"Amount": 5, "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "UnitPrise": 5}}]}"#,
        ),
    );
    assert_eq!(bad_line.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_line.stderr);
    assert!(
        stderr.contains("Line[1].SalesItemLineDetail.UnitPrise"),
        "{stderr}"
    );
    assert_eq!(count(data), invoices);

    let edit = ledgerlink(
        data,
        &["records", "edit", "Demo", &local_id],
        Some(r#"{"PrivateNot": "typo"}"#),
    );
    assert_eq!(edit.status.code(), Some(2));
    let shown = json(&ledgerlink(
        data,
        &["records", "show", "Demo", &local_id],
        None,
    ));
    assert_eq!(shown["row"]["state"], "synced");
}
