//! The `ledgerlink-relay` binary: settings from the environment, one JSON
//! ready line on stdout, a clear failure on a missing setting.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Kills the child when the test ends, pass or fail.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn relay_command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledgerlink-relay"));
    command
        .env_clear()
        .env("RELAY_LISTEN", "127.0.0.1:0")
        .env("RELAY_PUBLIC_URL", "https://relay.example.com/")
        .env("INTUIT_CLIENT_ID", "ABclient")
        .env("INTUIT_CLIENT_SECRET", "binary-test-secret")
        .env("INTUIT_WEBHOOK_VERIFIER", "verifier")
        .env("RELAY_DB", dir.join("relay.sqlite"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test]
async fn the_binary_prints_one_ready_line_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Running(relay_command(dir.path()).spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["public_url"], "https://relay.example.com");
    assert_eq!(
        ready["callback_url"],
        "https://relay.example.com/connect/callback"
    );
    assert_eq!(ready["webhook_url"], "https://relay.example.com/webhooks");
    let base_url = ready["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"));
    let health = reqwest::get(format!("{base_url}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    // Production keys by default: apps take Intuit's production API from here.
    let metadata: Value = reqwest::get(format!("{base_url}/metadata"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["environment"], "production");
    assert_eq!(
        metadata["quickbooks_api_base"],
        "https://quickbooks.api.intuit.com"
    );
    assert!(dir.path().join("relay.sqlite").exists());
    drop(child);
}

#[tokio::test]
async fn a_missing_setting_is_named_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking(move || {
        relay_command(dir.path())
            .env_remove("INTUIT_WEBHOOK_VERIFIER")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INTUIT_WEBHOOK_VERIFIER"), "{stderr}");
    assert!(!stderr.contains("binary-test-secret"));
}
