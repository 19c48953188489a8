//! The `ledgerlink` binary as a script would use it: JSON out, JSON in,
//! exit codes.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod busy;

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
