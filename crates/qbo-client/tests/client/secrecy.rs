//! No token or secret reaches a log line, an error message or Debug output.
//!
//! Every event of every target (the client, the vault and what they call),
//! at TRACE level, is captured while a company is connected, its access
//! token refused and refreshed, and its grant revoked; then every token and
//! the client secret seen on the way is looked for in the log and in the
//! Debug and Display forms of what the caller holds.

// The log sink's helpers unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use qbo_client::QboError;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::connect::{CLIENT_SECRET, Harness, read_company_info};

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn tokens_and_secrets_never_reach_logs_errors_or_debug_output() {
    let log = CapturedLog::default();
    // Global, because the vault runs on blocking threads; no other test in
    // this binary installs a subscriber.
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            // Every target, not only this crate's and the vault's: a token
            // passed to a dependency (the HTTP stack, the OAuth library)
            // must not show up in its events either.
            .with_env_filter(EnvFilter::new("trace"))
            .with_writer(log.clone())
            .with_ansi(false)
            .finish(),
    )
    .expect("the only subscriber in this test binary");

    let harness = Harness::start(true).await;
    let connection = harness.connect().await;
    let vault = harness.vault_with(&connection);
    let manager = Arc::new(harness.manager(&vault).await);
    let client = harness.client(Arc::clone(&manager));
    read_company_info(&client).await.unwrap();

    // QBO refuses the token; the client refreshes and retries.
    harness
        .server
        .emulator()
        .oauth()
        .expire_access_tokens(Some(&harness.realm));
    read_company_info(&client).await.unwrap();
    let refreshed = manager.tokens();
    assert_ne!(
        refreshed.access_token.expose(),
        connection.tokens.access_token.expose(),
        "the scenario really refreshed"
    );

    // The grant is revoked: the next call fails and the error is shown.
    harness.app.revoke(&refreshed.refresh_token).await.unwrap();
    harness
        .server
        .emulator()
        .oauth()
        .expire_access_tokens(Some(&harness.realm));
    let failure = read_company_info(&client)
        .await
        .expect_err("a revoked grant cannot be used");
    assert!(
        matches!(failure, QboError::ReconnectNeeded { .. }),
        "{failure:?}"
    );

    let secrets = [
        connection.tokens.access_token.expose().clone(),
        connection.tokens.refresh_token.expose().clone(),
        refreshed.access_token.expose().clone(),
        refreshed.refresh_token.expose().clone(),
        CLIENT_SECRET.to_owned(),
    ];
    let log_text = log.text();
    assert!(
        log_text.contains(&harness.realm),
        "the capture saw the client's events (it names the realm): {log_text}"
    );
    let shown = [
        ("the log", log_text),
        ("the error's Display", failure.to_string()),
        ("the error's Debug", format!("{failure:?}")),
        ("the connection's Debug", format!("{connection:?}")),
        ("the token set's Debug", format!("{refreshed:#?}")),
        ("the vault's Debug", format!("{vault:?}")),
    ];
    for (place, text) in &shown {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret appears in {place}: {text}"
            );
        }
    }
}
