//! No token or client secret reaches a log line, the log file, a database
//! or its WAL and shared-memory files.
//!
//! A company on a real emulator is connected through the OAuth flow, synced,
//! its access token refused and refreshed, an edit pushed; every event of
//! every crate is captured at TRACE, in memory and in a log file in the
//! app's log folder, and then every file of the data and log folders is read
//! byte by byte for each token and the secret.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use app_core::NewCompany;
use qbo_emulator::{EmulatorConfig, TestServer};
use secrets::{Sensitive, TokenVault};
use serde_json::json;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{invoices, open};

const CLIENT_ID: &str = "ledgerlink-secrecy-test";
const CLIENT_SECRET: &str = "secrecy-test-client-secret-5e1d";

/// Every event, kept in memory and appended to a log file.
#[derive(Clone)]
struct CapturedLog {
    memory: Arc<Mutex<Vec<u8>>>,
    file: Arc<Mutex<std::fs::File>>,
}

impl Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.memory.lock().unwrap().extend_from_slice(bytes);
        self.file.lock().unwrap().write_all(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.lock().unwrap().flush()
    }
}

impl<'a> MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every file under `folder`, at any depth.
fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn tokens_never_reach_any_log_target_the_log_file_or_any_database_file() {
    let opened = open().await;
    let core = &opened.core;
    let log_file = opened.dir.path().join("logs").join("ledgerlink.log");
    std::fs::create_dir_all(log_file.parent().unwrap()).unwrap();
    let log = CapturedLog {
        memory: Arc::default(),
        file: Arc::new(Mutex::new(std::fs::File::create(&log_file).unwrap())),
    };
    // Global and for every target: the engine, the store, the client, the
    // vault and the core log from tasks on any thread. The only subscriber
    // in this test binary.
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("trace"))
            .with_writer(log.clone())
            .with_ansi(false)
            .finish(),
    )
    .expect("the only subscriber in this test binary");

    let mut config = EmulatorConfig::default();
    config.oauth.auto_approve = true;
    let server = TestServer::start(config).await;
    let (realm, _) =
        qbo_emulator::control::create_company(server.emulator(), None, Some((3, 20))).unwrap();
    let company = core
        .add_company(NewCompany {
            name: "Secret Books".to_owned(),
            environment: "emulator".to_owned(),
            discovery_url: Some(format!(
                "{}/.well-known/openid_sandbox_configuration",
                server.base_url()
            )),
            api_base_url: Some(server.base_url()),
            client_id: CLIENT_ID.to_owned(),
            client_secret: Sensitive::new(CLIENT_SECRET.to_owned()),
            redirect_page: None,
        })
        .await
        .unwrap();
    // The browser: registers the app with the loopback address the core
    // chose (Intuit wants the exact URI), then follows the consent URL.
    let emulator = server.emulator().clone();
    let connected = core
        .connect_company(&company.id, move |url| {
            let redirect = url
                .query_pairs()
                .find(|(key, _)| key == "redirect_uri")
                .map(|(_, value)| value.into_owned())
                .unwrap();
            emulator
                .oauth()
                .register_client(CLIENT_ID, CLIENT_SECRET, vec![redirect]);
            let url = url.clone();
            tokio::spawn(async move {
                let _ = reqwest::get(url).await;
            });
        })
        .await
        .unwrap();
    assert_eq!(connected.realm_id.as_deref(), Some(realm.as_str()));
    let first = opened.vault.load(&company.id).unwrap().unwrap();

    core.sync_now(&company.id, |_| {}).await.unwrap();
    // QuickBooks refuses the access token: the next sync refreshes it.
    server.emulator().oauth().expire_access_tokens(Some(&realm));
    let page = core.list_records(&company.id, invoices()).await.unwrap();
    let local_id = &page.rows[0].local_id;
    core.patch_record(&company.id, local_id, json!({"PrivateNote": "secrecy"}))
        .await
        .unwrap();
    let report = core.sync_now(&company.id, |_| {}).await.unwrap();
    assert_eq!(report.pushed, 1);
    let refreshed = opened.vault.load(&company.id).unwrap().unwrap();
    assert_ne!(
        refreshed.access_token.expose(),
        first.access_token.expose(),
        "the scenario really refreshed"
    );

    let secrets = [
        first.access_token.expose().clone(),
        first.refresh_token.expose().clone(),
        refreshed.access_token.expose().clone(),
        refreshed.refresh_token.expose().clone(),
        CLIENT_SECRET.to_owned(),
    ];
    log.clone().flush().unwrap();
    let text = String::from_utf8_lossy(&log.memory.lock().unwrap()).into_owned();
    // The capture is unfiltered: it holds the client's events and those of
    // the crates below it (the store's SQL, the HTTP stack). The engine and
    // the vault emit none of their own today; any they add is captured.
    for target in ["qbo_client", "sqlx::query", "hyper"] {
        assert!(
            text.contains(target),
            "the capture saw no event of {target}"
        );
    }
    // The databases are open: their WAL and shared-memory files exist and
    // are read too, as is the log file.
    let files = files_under(opened.dir.path());
    let names: Vec<String> = files
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for wanted in [
        "app.sqlite",
        "app.sqlite-wal",
        "app.sqlite-shm",
        "ledgerlink.log",
    ] {
        assert!(
            names.iter().any(|name| name == wanted),
            "{wanted} not in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .any(|name| name.starts_with(&company.id) && name.ends_with(".sqlite-wal")),
        "the company's WAL is read: {names:?}"
    );
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret is in the log");
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes()),
                "a secret is in {}",
                file.display()
            );
        }
    }
}
