//! Sync benchmarks against the emulator, each a measured value beside a
//! comparison measured in the same run and a ratio to its target (never
//! asserted as a time in tests):
//!
//! 1. the first pull of a company with 100k transactions, against a raw
//!    paged fetch of the same rows over HTTP (plain requests, the same
//!    statements in the same order, JSON parsed; target: 1.3× the raw
//!    fetch), and the size of the books it leaves against the JSON pulled
//!    (target: 1.5×);
//! 2. a push of 5,000 creates with Intuit's limits on (windows scaled down
//!    60×) by the engine, against the ceiling the limits allow (target:
//!    1.05× the ceiling, 0 throttled);
//! 3. the requests of an idle cycle (limit: 1);
//! 4. the records list at that size: the slowest of the pages the Records
//!    screen asks for while scrolling, sorted by date or amount or
//!    searched, with the total (limit: 50 ms a page, within the 60 ms the
//!    table waits before fetching the rows in view);
//! 5. the release `ledgerlink` binary's first sync of that company served
//!    by the release `qbo-emulator` binary: its peak resident memory
//!    (VmHWM, target 100 MB) and its time against python-quickbooks paging
//!    the same company with its own classes (target: 5× faster). The CLI
//!    keeps tokens in the OS keyring, so on Linux this part runs inside a
//!    private D-Bus session with an unlocked gnome-keyring (as `cargo xtask
//!    test` does); python-quickbooks comes from target/compat/python, which
//!    `cargo xtask test` installs. A part that cannot run says why.
//!
//! Each result is printed as a sentence and as one `BENCH {json}` line
//! (name, value, unit, compared_to, limit, ratio to the limit, detail) for xtask to
//! collect.
//!
//! Run: `cargo xtask bench` (or `cargo bench -p sync-engine --bench sync`).
//! `LEDGERLINK_BENCH_TRANSACTIONS` changes the company size;
//! `LEDGERLINK_BENCH_ONLY=pull` runs the first-pull part alone (sections
//! 1, 3 and 4), `LEDGERLINK_BENCH_ONLY=push` the engine's push alone,
//! `LEDGERLINK_BENCH_ONLY=cli` the binaries alone.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use local_store::CompanyStore;
use qbo_client::{ClientConfig, Comparison, PacerConfig, QboClient, QboError, Query, TokenSource};
use qbo_emulator::limits::LimitSettings;
use qbo_emulator::{EmulatorConfig, TestServer};
use serde_json::{Value, json};
use sync_engine::{CancelFlag, Engine, EngineConfig};

#[derive(Debug, Clone)]
struct Token(String);

impl TokenSource for Token {
    async fn access_token(&self) -> Result<String, QboError> {
        Ok(self.0.clone())
    }

    async fn refresh_after_unauthorized(&self, _rejected: &str) -> Result<(), QboError> {
        Err(QboError::ReconnectNeeded {
            message: "the benchmark token was refused".to_owned(),
            intuit_tid: None,
        })
    }
}

async fn company(server: &TestServer, body: Value) -> (String, String) {
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/_emulator/companies", server.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let realm = created["realm_id"].as_str().unwrap().to_owned();
    let minted: Value = http
        .post(format!("{}/_emulator/tokens", server.base_url()))
        .json(&json!({ "realm_id": realm, "client_id": "test-client" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (realm, minted["access_token"].as_str().unwrap().to_owned())
}

fn client(server: &TestServer, realm: &str, token: &str, pacer: PacerConfig) -> QboClient<Token> {
    let config = ClientConfig {
        pacer,
        ..ClientConfig::default()
    };
    QboClient::new(&server.base_url(), realm, Token(token.to_owned()), config).unwrap()
}

async fn engine(
    server: &TestServer,
    realm: &str,
    token: &str,
    pacer: PacerConfig,
    dir: &tempfile::TempDir,
) -> Engine<Token> {
    let store = CompanyStore::open(&dir.path().join("books.sqlite"))
        .await
        .unwrap();
    Engine::new(
        store,
        client(server, realm, token, pacer),
        Arc::new(chrono::Utc::now),
        EngineConfig::default(),
    )
}

fn unlimited() -> PacerConfig {
    PacerConfig {
        requests_per_window: 1_000_000,
        batches_per_window: 1_000_000,
        max_in_flight: 10,
        window: Duration::from_secs(60),
    }
}

/// One result: a sentence for people and a JSON line for xtask, in the
/// convention `cargo xtask bench` reads: `value` in `unit`, `compared_to`
/// the reference measured in this run (or None for an absolute ceiling),
/// `limit` the target (a multiple of `compared_to`, or the ceiling; lower
/// is better) and `ratio` the measure over the limit.
fn report_line(
    name: &str,
    value: f64,
    unit: &str,
    compared_to: Option<f64>,
    limit: f64,
    detail: Value,
    sentence: &str,
) {
    let measure = compared_to.map_or(value, |reference| value / reference);
    let ratio = if limit > 0.0 {
        Some(measure / limit)
    } else if measure <= 0.0 {
        Some(0.0)
    } else {
        None
    };
    match ratio {
        Some(ratio) => println!("{sentence} → {ratio:.2} of the target"),
        None => println!("{sentence} → target missed"),
    }
    println!(
        "BENCH {}",
        json!({
            "name": name,
            "value": value,
            "unit": unit,
            "compared_to": compared_to,
            "limit": limit,
            "ratio": ratio,
            "detail": detail,
        })
    );
}

/// The statement of one page of a scan, as the engine asks it: by Id, after
/// the last Id of the page before, lists with their inactive entries.
fn scan_statement(entity: &str, after: Option<&str>) -> String {
    let mut query = Query::select(entity);
    if sync_engine::entities::is_master(entity) {
        query = query.one_of("Active", [true, false]);
    }
    if let Some(after) = after {
        query = query.filter("Id", Comparison::Greater, after);
    }
    query
        .order_by("Id", false)
        .statement(Some(1), Some(1000))
        .unwrap()
}

/// A raw paged fetch of every synced type: plain HTTP requests with the
/// engine's statements, in the same order, each answer parsed as JSON and
/// nothing else done. Returns (rows, bytes of JSON, seconds).
async fn raw_fetch(server: &TestServer, realm: &str, token: &str) -> (usize, usize, f64) {
    let http = reqwest::Client::new();
    let url = format!(
        "{}/v3/company/{realm}/query?minorversion={}",
        server.base_url(),
        qbo_client::transport::MINOR_VERSION
    );
    let started = Instant::now();
    let (mut rows, mut bytes) = (0usize, 0usize);
    for entity in sync_engine::entities::synced_entities() {
        let mut after: Option<String> = None;
        loop {
            let statement = if matches!(entity, "CompanyInfo" | "Preferences") {
                format!("SELECT * FROM {entity} STARTPOSITION 1 MAXRESULTS 1000")
            } else {
                scan_statement(entity, after.as_deref())
            };
            let body = http
                .post(&url)
                .bearer_auth(token)
                .header("Accept", "application/json")
                .header("Content-Type", "application/text")
                .body(statement)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            bytes += body.len();
            let answer: Value = serde_json::from_slice(&body).unwrap();
            let page = answer["QueryResponse"][entity]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            rows += page.len();
            match page.last() {
                Some(last) if page.len() == 1000 => {
                    after = last["Id"].as_str().map(str::to_owned);
                }
                _ => break,
            }
        }
    }
    (rows, bytes, started.elapsed().as_secs_f64())
}

/// Bytes a database takes on disk, its write-ahead log included.
fn database_bytes(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(PathBuf::from(name)).ok()
        })
        .map(|metadata| metadata.len())
        .sum()
}

#[tokio::main]
async fn main() {
    let transactions: usize = std::env::var("LEDGERLINK_BENCH_TRANSACTIONS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("LEDGERLINK_BENCH_ONLY").unwrap_or_default();
    if std::env::var_os(IN_SESSION).is_some() {
        binaries::run(transactions).await;
        return;
    }
    if only.is_empty() || only == "pull" {
        first_pull(transactions).await;
    }
    if only.is_empty() || only == "push" {
        push().await;
    }
    if only.is_empty() || only == "cli" {
        binaries::start(transactions);
    }
}

/// 1, 3 and 4: the first pull, an idle cycle and the records list.
async fn first_pull(transactions: usize) {
    // On its own threads, so that its CPU time can be told apart.
    let server = TestServer::start_isolated(EmulatorConfig::default());
    let emulator_cpu = |server: &TestServer| server.cpu_time().map_or(0.0, |cpu| cpu.as_secs_f64());
    // The emulator's CPU is read from its live threads: one that ended
    // between two readings takes its time with it, so a negative
    // difference says nothing and is left out.
    let known = |seconds: f64| (seconds >= 0.0).then_some(seconds);
    let seeding = Instant::now();
    let (realm, token) = company(&server, json!({ "seed": 5, "size": transactions })).await;
    println!(
        "seeded {transactions} transactions in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let cpu_before_raw = emulator_cpu(&server);
    let (raw_rows, json_bytes, raw) = raw_fetch(&server, &realm, &token).await;
    let raw_emulator_cpu = emulator_cpu(&server) - cpu_before_raw;
    let dir = tempfile::tempdir().unwrap();
    let books = engine(&server, &realm, &token, unlimited(), &dir).await;
    let cpu_before_pull = emulator_cpu(&server);
    let process_before_pull = qbo_emulator::server::process_cpu_time();
    let pull_started = Instant::now();
    let report = books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let pull = pull_started.elapsed().as_secs_f64();
    let pull_emulator_cpu = emulator_cpu(&server) - cpu_before_pull;
    let pull_process_cpu = qbo_emulator::server::process_cpu_time()
        .zip(process_before_pull)
        .map_or(0.0, |(after, before)| (after - before).as_secs_f64());
    let ratio = pull / raw;
    report_line(
        "first_pull_vs_raw_fetch",
        pull,
        "s",
        Some(raw),
        1.3,
        json!({
            "objects": report.pulled,
            "raw_rows": raw_rows,
            "raw_emulator_cpu_s": known(raw_emulator_cpu),
            "emulator_cpu_s": known(pull_emulator_cpu),
            "engine_cpu_s": known(pull_emulator_cpu).map(|emulator| pull_process_cpu - emulator),
        }),
        &format!(
            "first pull: {} objects in {pull:.2} s; raw paged fetch of the same {raw_rows} rows {raw:.2} s; {ratio:.2}× the raw fetch (target 1.3×)",
            report.pulled
        ),
    );

    // 3. An idle cycle.
    let requests = |server: &TestServer| {
        server
            .emulator()
            .operations()
            .counters
            .snapshot()
            .total
            .requests
    };
    let before = requests(&server);
    books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let idle = requests(&server) - before;
    report_line(
        "idle_cycle_requests",
        idle as f64,
        "requests",
        None,
        1.0,
        json!({}),
        &format!("idle cycle: {idle} request(s) (limit 1)"),
    );

    // 4. Pages of the records list over the pulled company.
    let slowest = slowest_page(books.store()).await;
    report_line(
        "records_list_slowest_page",
        slowest * 1000.0,
        "ms",
        None,
        50.0,
        json!({}),
        &format!(
            "records list over {} objects: slowest page {:.1} ms (limit 50 ms)",
            report.pulled,
            slowest * 1000.0
        ),
    );

    // The size of the books against the JSON pulled, once SQLite has
    // folded its write-ahead log into the file.
    books.store().clone().close().await;
    drop(books);
    let stored = database_bytes(&dir.path().join("books.sqlite"));
    let size_ratio = stored as f64 / json_bytes as f64;
    report_line(
        "database_size_vs_json",
        stored as f64 / 1e6,
        "MB",
        Some(json_bytes as f64 / 1e6),
        1.5,
        json!({}),
        &format!(
            "books after the first pull: {:.1} MB for {:.1} MB of JSON pulled; {size_ratio:.2}× (target 1.5×)",
            stored as f64 / 1e6,
            json_bytes as f64 / 1e6
        ),
    );
}

/// 2. 5,000 creates with the limits on, windows scaled 60× down.
async fn push() {
    let window = Duration::from_millis(1000);
    let server = TestServer::start(EmulatorConfig::default()).await;
    let (realm, token) = company(&server, json!({ "name": "Push Bench Ltd" })).await;
    server
        .emulator()
        .operations()
        .limits
        .configure(LimitSettings {
            enabled: true,
            window_ms: u64::try_from(window.as_millis()).unwrap(),
            ..LimitSettings::default()
        })
        .unwrap();
    let pacer = PacerConfig {
        window,
        ..PacerConfig::INTUIT
    };
    let setup = client(&server, &realm, &token, unlimited());
    let customer = setup
        .create(
            "Customer",
            &json!({"DisplayName": "Bench Customer"}),
            &qbo_client::RequestId::new(),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let books = engine(&server, &realm, &token, pacer, &dir).await;
    books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let creates = 5_000usize;
    for index in 0..creates {
        books
            .create_local(
                "Invoice",
                json!({
                    "CustomerRef": {"value": customer["Id"]},
                    "DocNumber": format!("B{index}"),
                    "Line": [{"Amount": 10, "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}]
                }),
            )
            .await
            .unwrap();
    }
    let push_started = Instant::now();
    let report = books.sync(&|_| {}, &CancelFlag::new()).await.unwrap();
    let push = push_started.elapsed().as_secs_f64();
    let batches = creates.div_ceil(30) as f64;
    // The ceiling: batches per window bound the rate (requests per window
    // too, counting a batch as one request).
    let per_window = f64::from(
        PacerConfig::INTUIT
            .batches_per_window
            .min(PacerConfig::INTUIT.requests_per_window),
    );
    let ceiling = (batches / per_window).floor() * window.as_secs_f64();
    let throttled = server
        .emulator()
        .operations()
        .counters
        .snapshot()
        .total
        .throttled;
    let ratio = push / ceiling.max(f64::EPSILON);
    report_line(
        "engine_push_vs_ceiling",
        push,
        "s",
        Some(ceiling),
        1.05,
        json!({ "throttled": throttled, "pushed": report.pushed }),
        &format!(
            "the engine's push of {creates} creates ({} pushed, {throttled} throttled): {push:.1} s; ceiling {ceiling:.1} s; {ratio:.2}× the ceiling (target 1.05×, 0 throttled)",
            report.pushed
        ),
    );
    report_line(
        "engine_push_throttled",
        throttled as f64,
        "requests",
        None,
        0.0,
        json!({}),
        &format!("the engine's push: {throttled} requests throttled (target 0)"),
    );
}

/// The slowest of the pages the Records screen asks for while the user
/// scrolls to the start, the middle and the end, sorted or searched, with
/// the count it shows beside them.
async fn slowest_page(store: &CompanyStore) -> f64 {
    use local_store::{RecordFilter, RecordSort};
    let mut slowest = 0f64;
    for (sort, search) in [
        (RecordSort::TxnDate, None),
        (RecordSort::Amount, None),
        (RecordSort::TxnDate, Some("10".to_owned())),
    ] {
        let base = RecordFilter {
            entity_type: Some("Invoice".to_owned()),
            search: search.clone(),
            sort,
            descending: true,
            limit: 100,
            ..RecordFilter::default()
        };
        let total = store.count_records(&base).await.unwrap();
        for offset in [0, total / 2, total.saturating_sub(100)] {
            let filter = RecordFilter {
                offset,
                ..base.clone()
            };
            let started = Instant::now();
            let rows = store.records(&filter).await.unwrap();
            store.count_records(&filter).await.unwrap();
            slowest = slowest.max(started.elapsed().as_secs_f64());

            assert!(rows.len() <= 100);
        }
    }
    slowest
}

/// Set in the environment of the bench run again inside a keyring session.
const IN_SESSION: &str = "LEDGERLINK_BENCH_IN_SESSION";

/// Part 5, the release binaries: the CLI's first sync against the
/// emulator binary, its peak memory, and python-quickbooks on the same
/// company.
mod binaries {
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::{IN_SESSION, report_line};

    /// The repository root: this crate lives in crates/sync-engine.
    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap()
            .to_path_buf()
    }

    /// The folder of the release binaries: where this bench runs from.
    fn release_dir() -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        exe.parent().and_then(Path::parent).unwrap().to_path_buf()
    }

    fn found(program: &str) -> bool {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
        })
    }

    /// Builds the release binaries when missing, then runs this bench again
    /// inside a private D-Bus session with an unlocked gnome-keyring.
    pub fn start(transactions: usize) {
        let release = release_dir();
        // Built every time, not only when missing: Cargo does nothing when
        // they are up to date, and an old binary would measure old code.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.current_dir(root()).arg("build");
        // The binaries of the profile the bench was built with (release,
        // unless a quick look asked for `--profile dev`).
        if !release.ends_with("debug") {
            build.arg("--release");
        }
        let status = build
            .args(["-p", "cli", "--bin", "ledgerlink"])
            .args(["-p", "qbo-emulator", "--bin", "qbo-emulator"])
            .status();
        if !status.is_ok_and(|status| status.success()) {
            println!("binaries: skipped, the release binaries did not build");
            return;
        }
        let exe = std::env::current_exe().unwrap();
        // Throwaway XDG folders for the session, removed when the run ends.
        let scratch = tempfile::tempdir().unwrap();
        let mut command = if cfg!(target_os = "linux") {
            if !found("dbus-run-session") || !found("gnome-keyring-daemon") {
                println!(
                    "binaries: skipped, the CLI keeps tokens in the keyring and dbus-run-session or gnome-keyring-daemon is missing"
                );
                return;
            }
            let runtime = scratch.path().join("runtime");
            std::fs::create_dir_all(&runtime).unwrap();
            let mut command = Command::new("dbus-run-session");
            // The keyring's password only protects this throwaway session.
            command
                .args(["--", "sh", "-c"])
                .arg(
                    "chmod 700 \"$XDG_RUNTIME_DIR\"; echo -n ledgerlink-bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\"",
                )
                .arg(&exe)
                .env("XDG_RUNTIME_DIR", &runtime)
                .env("XDG_DATA_HOME", scratch.path().join("data"))
                .env("XDG_CONFIG_HOME", scratch.path().join("config"))
                .env("XDG_CACHE_HOME", scratch.path().join("cache"));
            command
        } else {
            Command::new(&exe)
        };
        let status = command
            .env(IN_SESSION, "1")
            .env("LEDGERLINK_BENCH_TRANSACTIONS", transactions.to_string())
            .status();
        if !status.as_ref().is_ok_and(|status| status.success()) {
            println!("binaries: the run inside the keyring session failed ({status:?})");
        }
    }

    /// The emulator binary serving a seeded company, stopped when dropped.
    struct Emulator {
        child: Child,
        ready: Value,
    }

    impl Drop for Emulator {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn emulator(transactions: usize) -> Emulator {
        let mut child = Command::new(release_dir().join("qbo-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--seed",
                "demo",
                "--demo-seed",
                "5",
            ])
            .args(["--size", &transactions.to_string(), "--auto-approve"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Emulator {
            child,
            ready: serde_json::from_str(line.trim()).unwrap(),
        }
    }

    fn ledgerlink(data: &Path) -> Command {
        let mut command = Command::new(release_dir().join("ledgerlink"));
        command.arg("--data-dir").arg(data).arg("--json");
        command
    }

    /// `company add` and `company connect`, playing the browser: the
    /// consent URL is opened (the emulator approves it at once) and its
    /// redirect followed to the CLI's loopback listener.
    async fn connect(ready: &Value, data: &Path) {
        let base = ready["base_url"].as_str().unwrap().trim_end_matches('/');
        let added = ledgerlink(data)
            .args(["company", "add", "emulator", "--name", "Bench"])
            .args(["--discovery-url", ready["discovery_url"].as_str().unwrap()])
            .args(["--api-url", base])
            .args(["--client-id", ready["client_id"].as_str().unwrap()])
            .env(
                "LEDGERLINK_CLIENT_SECRET",
                ready["client_secret"].as_str().unwrap(),
            )
            .output()
            .unwrap();
        assert!(added.status.success(), "{added:?}");
        let mut connecting = ledgerlink(data)
            .args(["company", "connect", "Bench"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(connecting.stderr.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.starts_with("http"))
            .unwrap();
        let url = reqwest::Url::parse(&url).unwrap();
        let redirect = url
            .query_pairs()
            .find(|(key, _)| key == "redirect_uri")
            .map(|(_, value)| value.into_owned())
            .unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // The CLI listens on a free port: register it as Intuit's developer
        // settings would.
        http.post(format!(
            "{base}/_emulator/clients/{}/redirect_uris",
            ready["client_id"].as_str().unwrap()
        ))
        .json(&json!({ "redirect_uri": redirect }))
        .send()
        .await
        .unwrap();
        let consent = http.get(url).send().await.unwrap();
        let location = consent.headers()["location"].to_str().unwrap().to_owned();
        http.get(location).send().await.unwrap();
        let status = connecting.wait().unwrap();
        assert!(status.success(), "company connect failed: {status}");
    }

    /// Runs `sync` and returns (seconds, peak resident kB, objects pulled),
    /// reading VmHWM from /proc while it runs.
    fn sync_with_peak(data: &Path) -> (f64, u64, u64) {
        let started = Instant::now();
        let mut child = ledgerlink(data)
            .args(["sync", "Bench"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let status_path = format!("/proc/{}/status", child.id());
        let mut peak_kb = 0u64;
        while child.try_wait().unwrap().is_none() {
            if let Ok(status) = std::fs::read_to_string(&status_path)
                && let Some(kb) = status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmHWM:"))
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let seconds = started.elapsed().as_secs_f64();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "sync failed: {output:?}");
        let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
        (
            seconds,
            peak_kb,
            answer["report"]["pulled"].as_u64().unwrap_or(0),
        )
    }

    /// python-quickbooks paging the company: (objects, seconds), or why not.
    fn python(ready: &Value) -> Result<(u64, f64), String> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root().join("target"), PathBuf::from);
        let library = target.join("compat/python");
        if !library.join("quickbooks").is_dir() {
            return Err(format!(
                "python-quickbooks is not installed in {} (cargo xtask test installs it)",
                library.display()
            ));
        }
        let script = root().join("crates/sync-engine/benches/python_paging.py");
        let output = Command::new(if cfg!(windows) { "python" } else { "python3" })
            .arg(script)
            .arg(ready.to_string())
            .env("PYTHONPATH", library)
            .output()
            .map_err(|error| format!("python did not start: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "the python run failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let line: Value = serde_json::from_slice(&output.stdout)
            .map_err(|error| format!("the python run printed no result: {error}"))?;
        Ok((
            line["objects"].as_u64().unwrap_or(0),
            line["seconds"].as_f64().unwrap_or(f64::NAN),
        ))
    }

    /// Inside the keyring session.
    pub async fn run(transactions: usize) {
        let seeding = Instant::now();
        let emulator = emulator(transactions);
        println!(
            "binaries: the emulator binary seeded {transactions} transactions in {:.1} s",
            seeding.elapsed().as_secs_f64()
        );
        let data = tempfile::tempdir().unwrap();
        connect(&emulator.ready, data.path()).await;
        let (seconds, peak_kb, pulled) = sync_with_peak(data.path());
        let peak_mb = peak_kb as f64 / 1024.0;
        let profile = if release_dir().ends_with("debug") {
            "debug"
        } else {
            "release"
        };
        report_line(
            "cli_first_sync_peak_rss",
            peak_mb,
            "MB",
            None,
            100.0,
            json!({ "objects": pulled, "seconds": seconds, "transactions": transactions }),
            &format!(
                "ledgerlink sync ({profile} build) pulled {pulled} objects in {seconds:.2} s; peak resident memory {peak_mb:.1} MB (VmHWM; target 100 MB)"
            ),
        );
        match python(&emulator.ready) {
            Ok((objects, python_seconds)) => {
                let faster = python_seconds / seconds;
                // "At least 5× faster": our time at most a fifth of python's.
                report_line(
                    "cli_first_sync_vs_python_quickbooks",
                    seconds,
                    "s",
                    Some(python_seconds),
                    0.2,
                    json!({ "python_objects": objects, "faster": faster }),
                    &format!(
                        "python-quickbooks paged {objects} objects in {python_seconds:.2} s; ledgerlink's first sync {seconds:.2} s, {faster:.2}× faster (target 5×)"
                    ),
                );
            }
            Err(reason) => println!("python-quickbooks comparison: skipped, {reason}"),
        }
    }
}
