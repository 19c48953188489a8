//! The desktop app's footprint (issue 13), measured on the release build
//! under a virtual display, each printed as a sentence and as one
//! `BENCH {json}` line for `cargo xtask bench`:
//!
//! 1. cold start to the first painted screen (target 1 s): from spawning
//!    the app over fresh data folders to the moment the UI says it painted
//!    its first screen with its content (the welcome, once the company
//!    list has been read): the UI's first-paint signal comes after a frame
//!    callback and the task it queues, so a blank or half-built window does
//!    not count. The app prints its start-up instants on stdout when
//!    `LEDGERLINK_BENCH_TIMING` is set (src-tauri/src/timing.rs); the
//!    bench takes the median of several starts and reports the steps (set-up
//!    done, page load started and finished) beside it.
//! 2. resident memory of the app process after the first sync of a company
//!    of 100k transactions with the Records page open (target 150 MB), with
//!    the WebKit processes' resident memory beside it. The company lives
//!    outside the app, as a client's company does: the emulator (on a
//!    runtime of its own) and a relay with the Intuit app's keys run in this
//!    bench's process, the app is given the relay's address and a stand-in
//!    browser, and the company is connected with "Connect QuickBooks", the
//!    consent given over HTTP as the cockpit scenario gives it. The scenario
//!    is driven over WebDriver as the end-to-end tests are (tauri-driver and
//!    WebKitWebDriver), and the memory is read from /proc.
//! 3. only with `LEDGERLINK_BENCH_ONLY=demo`: the same after the first sync
//!    of a demo company. The demo runs the emulator inside the app, so its
//!    company is part of the app's memory there.
//!
//! The app keeps tokens in the OS keyring, so on Linux the bench runs again
//! inside `xvfb-run` and a private D-Bus session with an unlocked
//! gnome-keyring, with throwaway XDG folders (as `cargo xtask test` does).
//! A part that cannot run says why and prints no BENCH line.
//!
//! The release app is the one `cargo bench` builds beside this program. The
//! UI is embedded when the app is compiled: build it first (`npm run
//! build` in ui/, which `cargo xtask bench` does).
//!
//! Run: `cargo xtask bench` (or `cargo bench -p ledgerlink-desktop --bench
//! desktop`). `LEDGERLINK_BENCH_TRANSACTIONS` changes the company's size;
//! `LEDGERLINK_BENCH_ONLY=start`, `=memory` or `=demo` runs one part.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::float_arithmetic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Set in the environment of the bench run again inside the session.
const IN_SESSION: &str = "LEDGERLINK_BENCH_IN_SESSION";

/// How many times the app is started for the start-up time.
const STARTS: usize = 5;

/// The release app `cargo bench` built beside this program.
const APP: &str = env!("CARGO_BIN_EXE_ledgerlink-desktop");

fn main() {
    let transactions: usize = std::env::var("LEDGERLINK_BENCH_TRANSACTIONS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("LEDGERLINK_BENCH_ONLY").unwrap_or_default();
    if !cfg!(target_os = "linux") {
        println!(
            "desktop: skipped, the bench reads the processes' memory from /proc and runs the app under Xvfb (Linux only)"
        );
        return;
    }
    if std::env::var_os(IN_SESSION).is_none() {
        start_session(transactions);
        return;
    }
    if only.is_empty() || only == "start" {
        start_time();
    }
    if only.is_empty() || only == "memory" {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        if let Err(why) = runtime.block_on(memory(transactions)) {
            println!("desktop memory: skipped, {why}");
        }
    }
    // The demo's emulator runs inside the app, so its company counts in the
    // app's memory there: that figure is only run when asked for.
    if only == "demo" {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        if let Err(why) = runtime.block_on(demo_memory(transactions)) {
            println!("desktop demo memory: skipped, {why}");
        }
    }
}

fn found(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Runs this bench again under a virtual display, in a private D-Bus
/// session with an unlocked gnome-keyring.
fn start_session(transactions: usize) {
    for program in [
        "xvfb-run",
        "Xvfb",
        "dbus-run-session",
        "gnome-keyring-daemon",
    ] {
        if found(program).is_none() {
            println!(
                "desktop: skipped, {program} is missing (the app needs a display and a keyring)"
            );
            return;
        }
    }
    let exe = std::env::current_exe().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let runtime = scratch.path().join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    // The keyring's password only protects this throwaway session.
    let status = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .args(["dbus-run-session", "--", "sh", "-c"])
        .arg(
            "chmod 700 \"$XDG_RUNTIME_DIR\"; echo -n ledgerlink-bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\"",
        )
        .arg(&exe)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env(IN_SESSION, "1")
        .env("LEDGERLINK_BENCH_TRANSACTIONS", transactions.to_string())
        .status();
    if !status.as_ref().is_ok_and(|status| status.success()) {
        println!("desktop: the run inside the display and keyring session failed ({status:?})");
    }
}

/// Throwaway XDG folders for one app run.
struct Folders {
    dir: tempfile::TempDir,
}

impl Folders {
    fn new() -> Folders {
        let dir = tempfile::tempdir().unwrap();
        for name in ["data", "config", "cache"] {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
        }
        Folders { dir }
    }

    fn apply(&self, command: &mut Command) {
        command
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"));
    }
}

/// Ends a process group: the app (or the driver) and the WebKit processes
/// it started.
fn end_group(child: &mut Child) {
    // `kill -KILL -PGID` is read by procps' kill as a signal list, so the
    // group is named after `--`.
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.kill();
    let _ = child.wait();
    // The single-instance lock goes with the last process of the group.
    std::thread::sleep(Duration::from_millis(300));
}

/// One start's instants, in seconds from the spawn.
#[derive(Debug, Default, Clone)]
struct Start {
    painted: f64,
    steps: Vec<(String, f64)>,
    app_rss_mb: f64,
    app_anon_mb: f64,
    webview_rss_mb: f64,
}

impl Start {
    fn step(&self, name: &str) -> Option<f64> {
        self.steps
            .iter()
            .find(|(step, _)| step == name)
            .map(|(_, at)| *at)
    }
}

/// Starts the app over fresh folders and waits for its first painted
/// screen.
fn start_once() -> Result<Start, String> {
    let folders = Folders::new();
    let mut command = Command::new(APP);
    folders.apply(&mut command);
    command
        .env("LEDGERLINK_BENCH_TIMING", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let spawned = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|error| format!("the app did not start: {error}"))?;
    let stdout = child.stdout.take().unwrap();
    let (lines, arrived) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send((line, Instant::now())).is_err() {
                break;
            }
        }
    });
    let mut start = Start::default();
    let deadline = spawned + Duration::from_secs(60);
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match arrived.recv_timeout(left) {
            Ok((line, at)) => {
                let Some(rest) = line.strip_prefix("ledgerlink-timing ") else {
                    continue;
                };
                let step = rest.split_whitespace().next().unwrap_or_default();
                let seconds = at.duration_since(spawned).as_secs_f64();
                start.steps.push((step.to_owned(), seconds));
                if step == "first-screen-painted" {
                    start.painted = seconds;
                    break Ok(());
                }
            }
            Err(_) => break Err("the app painted no first screen within 60 s".to_owned()),
        }
    };
    if outcome.is_ok() {
        // What the app holds once it shows its first screen.
        let (app, webview) = memory_of(child.id());
        start.app_rss_mb = app.rss_mb;
        start.app_anon_mb = app.anon_mb;
        start.webview_rss_mb = webview;
    }
    end_group(&mut child);
    outcome.map(|()| start)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Part 1: the start-up time.
fn start_time() {
    // One start the bench does not count first: it makes the app's pages
    // and WebKit's as resident as a user's second launch of the day, and
    // is reported beside the others.
    let mut starts = Vec::new();
    for _ in 0..=STARTS {
        match start_once() {
            Ok(start) => starts.push(start),
            Err(why) => {
                println!("desktop start: skipped, {why}");
                return;
            }
        }
    }
    let first = starts.remove(0);
    let mut painted: Vec<f64> = starts.iter().map(|start| start.painted).collect();
    let value = median(&mut painted);
    let min = painted.first().copied().unwrap_or(value);
    let max = painted.last().copied().unwrap_or(value);
    let step = |name: &str| {
        let mut at: Vec<f64> = starts.iter().filter_map(|start| start.step(name)).collect();
        if at.is_empty() {
            Value::Null
        } else {
            json!(round(median(&mut at)))
        }
    };
    let mut app_rss: Vec<f64> = starts.iter().map(|start| start.app_rss_mb).collect();
    let mut app_anon: Vec<f64> = starts.iter().map(|start| start.app_anon_mb).collect();
    let mut webview_rss: Vec<f64> = starts.iter().map(|start| start.webview_rss_mb).collect();
    let detail = json!({
        "starts": starts.len(),
        "first_start_s": round(first.painted),
        "min_s": round(min),
        "max_s": round(max),
        "setup_started_s": step("setup-started"),
        "core_opened_s": step("core-opened"),
        "setup_done_s": step("setup-done"),
        "page_load_started_s": step("page-load-started"),
        "page_load_finished_s": step("page-load-finished"),
        "app_rss_at_first_paint_mb": round(median(&mut app_rss)),
        "app_anon_rss_at_first_paint_mb": round(median(&mut app_anon)),
        "webview_rss_at_first_paint_mb": round(median(&mut webview_rss)),
    });
    report_line(
        "desktop_cold_start_first_paint",
        value,
        "s",
        None,
        1.0,
        detail.clone(),
        &format!(
            "the release app painted its first screen {value:.3} s after it was spawned (median of {} starts over fresh data, {min:.3}–{max:.3} s; the uncounted first {:.3} s); steps (median): {detail}",
            starts.len(),
            first.painted
        ),
    );
}

/// The resident memory of a process, from /proc.
#[derive(Debug, Default, Clone, Copy)]
struct Resident {
    rss_mb: f64,
    peak_mb: f64,
    /// The part of the resident memory that is the process's own (heap,
    /// stacks), the rest being mapped files (mostly shared libraries:
    /// WebKit, GTK, Mesa's) and shared memory.
    anon_mb: f64,
}

fn status_kb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn resident(pid: u32) -> Resident {
    Resident {
        rss_mb: status_kb(pid, "VmRSS:").unwrap_or(0.0) / 1024.0,
        peak_mb: status_kb(pid, "VmHWM:").unwrap_or(0.0) / 1024.0,
        anon_mb: status_kb(pid, "RssAnon:").unwrap_or(0.0) / 1024.0,
    }
}

/// Every process's (pid, parent pid, command name).
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The name is in parentheses and may hold spaces; the fields
            // after the closing one are plain.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat[open + 1..close].to_owned();
            let parent = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, parent, name))
        })
        .collect()
}

/// The app's own memory, and the sum of its WebKit processes' resident
/// memory (the web and network processes are the app's children).
fn memory_of(app: u32) -> (Resident, f64) {
    let webview: f64 = processes()
        .iter()
        .filter(|(_, parent, name)| *parent == app && name.starts_with("WebKit"))
        .map(|(pid, _, _)| resident(*pid).rss_mb)
        .sum();
    (resident(app), webview)
}

/// The app's process among the driver's descendants.
fn app_process(driver: u32) -> Option<u32> {
    let all = processes();
    let target = std::fs::canonicalize(APP).ok()?;
    let descends = |mut pid: u32| {
        for _ in 0..8 {
            let Some((_, parent, _)) = all.iter().find(|(p, _, _)| *p == pid) else {
                return false;
            };
            if *parent == driver {
                return true;
            }
            pid = *parent;
        }
        false
    };
    all.iter()
        .map(|(pid, _, _)| *pid)
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == target))
        .find(|pid| descends(*pid))
}

/// tauri-driver, from `TAURI_DRIVER`, cargo's bin folder or the PATH.
fn tauri_driver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    cargo_home
        .map(|home| home.join("bin").join("tauri-driver"))
        .filter(|path| path.is_file())
        .or_else(|| found("tauri-driver"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

/// The driver's process group, ended when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        end_group(&mut self.0);
    }
}

/// Waits for an element (CSS selector) for up to `patience`.
async fn element(
    client: &fantoccini::Client,
    selector: &str,
    patience: Duration,
) -> Result<fantoccini::elements::Element, String> {
    client
        .wait()
        .at_most(patience)
        .for_element(fantoccini::Locator::Css(selector))
        .await
        .map_err(|error| format!("no {selector} within {patience:?}: {error}"))
}

/// Waits for the element with this `data-testid` and clicks it.
async fn click(
    client: &fantoccini::Client,
    test_id: &str,
    patience: Duration,
) -> Result<(), String> {
    element(client, &format!("[data-testid=\"{test_id}\"]"), patience)
        .await?
        .click()
        .await
        .map_err(|error| format!("cannot click {test_id}: {error}"))
}

/// Waits until the element's text contains `expected`.
async fn text_with(
    client: &fantoccini::Client,
    selector: &str,
    expected: &str,
    patience: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(found) = client.find(fantoccini::Locator::Css(selector)).await
            && let Ok(text) = found.text().await
            && text.contains(expected)
        {
            return Ok(text);
        }
        if Instant::now() > deadline {
            return Err(format!("{selector} never said {expected:?}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Opens Records, waits for its rows and total, then lets the page settle
/// (the table's row fetches, the charts' reads) for `settle`; returns the
/// total as the page shows it.
async fn open_records(
    client: &fantoccini::Client,
    patience: Duration,
    settle: Duration,
) -> Result<String, String> {
    click(client, "nav-records", patience).await?;
    element(client, "[data-testid=\"records-row\"]", patience).await?;
    let total = text_with(client, "[data-testid=\"records-total\"]", "", patience).await?;
    tokio::time::sleep(settle).await;
    Ok(total)
}

/// The app under tauri-driver over fresh folders, with `env` set, and a
/// WebDriver session on it.
async fn app_session(
    env: &[(&str, &str)],
) -> Result<(Folders, Driver, fantoccini::Client), String> {
    let Some(driver_path) = tauri_driver() else {
        return Err("tauri-driver is missing (cargo xtask setup installs it)".to_owned());
    };
    if found("WebKitWebDriver").is_none() {
        return Err("WebKitWebDriver is missing".to_owned());
    }
    let folders = Folders::new();
    let port = free_port();
    let mut command = Command::new(&driver_path);
    command
        .args(["--port", &port.to_string()])
        .args(["--native-port", &free_port().to_string()])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    folders.apply(&mut command);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let driver = Driver(
        command
            .spawn()
            .map_err(|error| format!("tauri-driver did not start: {error}"))?,
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({ "application": APP }));
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        let attempt = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(capabilities.clone())
        .connect(&url)
        .await;
        match attempt {
            Ok(client) => break client,
            Err(error) if Instant::now() > deadline => {
                return Err(format!("no WebDriver session at {url}: {error}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    Ok((folders, driver, client))
}

/// The Intuit app the relay holds the keys of, registered in the emulator.
const CLIENT_ID: &str = "ABdesktopbenchclient";
const CLIENT_SECRET: &str = "desktop-bench-client-secret";
const VERIFIER: &str = "desktop-bench-webhook-verifier";

/// Intuit outside the app, as a client's company is: the emulator (on a
/// runtime of its own) with one seeded company, and a relay on loopback with
/// the Intuit app's keys, both in this bench's process.
struct Intuit {
    emulator: qbo_emulator::TestServer,
    relay: relay::TestRelay,
    realm: String,
    _dir: tempfile::TempDir,
}

impl Intuit {
    async fn start(transactions: usize) -> Result<Intuit, String> {
        let emulator =
            qbo_emulator::TestServer::start_isolated(qbo_emulator::EmulatorConfig::default());
        let seeding = emulator.emulator().clone();
        let (realm, _) = tokio::task::spawn_blocking(move || {
            qbo_emulator::control::create_company(&seeding, None, Some((7, transactions)))
        })
        .await
        .map_err(|error| format!("seeding stopped: {error}"))?
        .map_err(|fault| format!("seeding failed: {fault}"))?;
        let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
        let relay = relay::TestRelay::try_start(relay::RelayConfig {
            client_id: CLIENT_ID.to_owned(),
            client_secret: relay::Secret::new(CLIENT_SECRET),
            webhook_verifier: relay::Secret::new(VERIFIER),
            discovery_url: Some(format!(
                "{}{}",
                emulator.base_url(),
                qbo_emulator::oauth::paths::DISCOVERY_SANDBOX
            )),
            api_base: Some(emulator.base_url()),
            environment: relay::Environment::Sandbox,
            database: dir.path().join("relay.sqlite"),
            ..relay::RelayConfig::default()
        })
        .await
        .map_err(|error| format!("the relay did not start: {error}"))?;
        let registered = reqwest::Client::new()
            .post(format!("{}/_emulator/clients", emulator.base_url()))
            .json(&json!({
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "app_name": "Ledgerlink",
                "redirect_uris": [relay.callback_url()],
            }))
            .send()
            .await
            .map_err(|error| format!("the emulator did not answer: {error}"))?;
        if registered.status() != 201 {
            return Err(format!(
                "the emulator did not register the relay's app ({})",
                registered.status()
            ));
        }
        Ok(Intuit {
            emulator,
            relay,
            realm,
            _dir: dir,
        })
    }

    /// What a person does in the browser, over plain HTTP: follows the
    /// relay's start address to the consent page, chooses the company and
    /// presses Connect, then follows the answer back through the relay to
    /// the app's loopback listener.
    async fn consent(&self, start: &str) -> Result<(), String> {
        let hop = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| error.to_string())?;
        let mut address = reqwest::Url::parse(start).map_err(|error| error.to_string())?;
        for _ in 0..5 {
            let answer = hop
                .get(address.clone())
                .send()
                .await
                .map_err(|error| format!("the relay did not answer: {error}"))?;
            if !answer.status().is_redirection() {
                break;
            }
            let location = answer
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or("a redirect without a location")?
                .to_owned();
            address = address.join(&location).map_err(|error| error.to_string())?;
        }
        let mut form =
            reqwest::Url::parse("http://form.invalid/").map_err(|error| error.to_string())?;
        form.query_pairs_mut()
            .extend_pairs(address.query_pairs())
            .append_pair("realm_id", &self.realm)
            .append_pair("decision", "connect");
        let decided = hop
            .post(format!("{}/connect/oauth2", self.emulator.base_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.query().unwrap_or_default().to_owned())
            .send()
            .await
            .map_err(|error| format!("the consent form was not answered: {error}"))?;
        let back = decided
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| format!("Connect answered {} without a redirect", decided.status()))?
            .to_owned();
        let landed = reqwest::Client::new()
            .get(&back)
            .send()
            .await
            .map_err(|error| format!("the relay and the app did not answer: {error}"))?
            .text()
            .await
            .unwrap_or_default();
        if !landed.contains("You can close this tab") {
            return Err(format!(
                "the browser did not end at the app's listener: {landed}"
            ));
        }
        Ok(())
    }
}

/// A stand-in for the system browser: a script that writes each address it
/// is asked to open to `urls` beside it.
fn browser_script(dir: &Path) -> PathBuf {
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            dir.join("urls").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Part 2: the app's memory after the first sync of a company of
/// `transactions` that lives outside the app (an emulator and a relay in
/// this bench's process, connected with "Connect QuickBooks" as a client's
/// company is), with the Records page open.
async fn memory(transactions: usize) -> Result<(), String> {
    let seeding = Instant::now();
    let intuit = Intuit::start(transactions).await?;
    let seeded = seeding.elapsed().as_secs_f64();
    let browser = tempfile::tempdir().map_err(|error| error.to_string())?;
    let script = browser_script(browser.path());
    let relay_url = intuit.relay.base_url();
    let script_path = script.to_string_lossy().into_owned();
    let (_folders, driver, client) = app_session(&[
        ("LEDGERLINK_RELAY_URL", relay_url.as_str()),
        ("LEDGERLINK_BROWSER", script_path.as_str()),
    ])
    .await?;
    let patience = Duration::from_secs(30);
    click(&client, "welcome-connect", patience).await?;
    let app = app_process(driver.0.id()).ok_or("the app's process was not found")?;
    let (before, before_webview) = memory_of(app);
    let urls = browser.path().join("urls");
    let deadline = Instant::now() + patience;
    let start = loop {
        if let Ok(text) = std::fs::read_to_string(&urls)
            && let Some(line) = text.lines().find(|line| !line.trim().is_empty())
        {
            break line.trim().to_owned();
        }
        if Instant::now() > deadline {
            return Err("the app never opened the browser".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let syncing = Instant::now();
    intuit.consent(&start).await?;
    let report = text_with(
        &client,
        "[data-testid=\"sync-report\"]",
        "Done:",
        Duration::from_secs(1800),
    )
    .await?;
    let first_sync = syncing.elapsed().as_secs_f64();
    let (synced, synced_webview) = memory_of(app);
    let total = open_records(&client, patience, Duration::from_secs(3)).await?;
    let (after, webview) = memory_of(app);
    let rollup = smaps_rollup(app);
    let opengl_driver = opengl_driver_loaded(app);
    let _ = client.close().await;
    drop(driver);
    let detail = json!({
        "webview_rss_mb": round(webview),
        "app_peak_rss_mb": round(after.peak_mb),
        "app_anon_rss_mb": round(after.anon_mb),
        "app_smaps_anonymous_mb": rollup.get("Anonymous").copied().map(round),
        "app_smaps_pss_mb": rollup.get("Pss").copied().map(round),
        "opengl_driver_in_app": opengl_driver,
        "app_rss_before_connect_mb": round(before.rss_mb),
        "webview_rss_before_connect_mb": round(before_webview),
        "app_rss_at_sync_done_mb": round(synced.rss_mb),
        "webview_rss_at_sync_done_mb": round(synced_webview),
        "first_sync_s": round(first_sync),
        "seeding_s": round(seeded),
        "transactions": transactions,
    });
    report_line(
        "desktop_rss_after_100k_sync",
        after.rss_mb,
        "MB",
        None,
        150.0,
        detail,
        &format!(
            "the release app holds {:.1} MB resident ({:.1} MB of it its own, the rest mapped files; peak {:.1} MB; {:.1} MB before connecting, {:.1} MB when the sync was done) after the first sync of a {transactions}-transaction company served from outside the app by an emulator through a relay ({first_sync:.1} s, \"{}\") with Records open ({}); its WebKit processes {webview:.1} MB",
            after.rss_mb,
            after.anon_mb,
            after.peak_mb,
            before.rss_mb,
            synced.rss_mb,
            report.trim(),
            total.trim(),
        ),
    );
    Ok(())
}

/// Whether the process has an OpenGL driver mapped: it should not on a
/// machine without a GPU (src-tauri/src/graphics.rs).
#[cfg(target_os = "linux")]
fn opengl_driver_loaded(pid: u32) -> bool {
    let map = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    !ledgerlink_desktop::graphics::opengl_drivers(&map).is_empty()
}

/// The memory part runs on Linux only.
#[cfg(not(target_os = "linux"))]
fn opengl_driver_loaded(_pid: u32) -> bool {
    false
}

/// The process's /proc/PID/smaps_rollup figures, in MB.
fn smaps_rollup(pid: u32) -> std::collections::BTreeMap<String, f64> {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let kb: f64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
            Some((name.to_owned(), kb / 1024.0))
        })
        .collect()
}

/// The extra part: the memory after the first sync of a big demo company
/// with the Records page open (the demo's emulator in the app's process).
async fn demo_memory(transactions: usize) -> Result<(), String> {
    let size = transactions.to_string();
    let (_folders, driver, client) =
        app_session(&[("LEDGERLINK_DEMO_SIZE", size.as_str())]).await?;
    let patience = Duration::from_secs(30);
    click(&client, "welcome-try-demo", patience).await?;
    let app = app_process(driver.0.id()).ok_or("the app's process was not found")?;
    let (before, before_webview) = memory_of(app);
    let syncing = Instant::now();
    // Seeding the company in the embedded emulator and the first sync of
    // 100k transactions take minutes on a loaded machine.
    let report = text_with(
        &client,
        "[data-testid=\"sync-report\"]",
        "Done:",
        Duration::from_secs(1800),
    )
    .await?;
    let first_sync = syncing.elapsed().as_secs_f64();
    let total = open_records(&client, patience, Duration::from_secs(5)).await?;
    let (after, webview) = memory_of(app);
    let _ = client.close().await;
    drop(driver);
    let detail = json!({
        "webview_rss_mb": round(webview),
        "app_peak_rss_mb": round(after.peak_mb),
        "app_anon_rss_mb": round(after.anon_mb),
        "app_rss_before_demo_mb": round(before.rss_mb),
        "webview_rss_before_demo_mb": round(before_webview),
        "first_sync_s": round(first_sync),
        "transactions": transactions,
    });
    // The demo's company lives in the app's own process, so this figure has
    // no target: it is printed for people, with no BENCH line for the report.
    println!(
        "the release app holds {:.1} MB resident ({:.1} MB of it its own, the rest mapped libraries; peak {:.1} MB; {:.1} MB before the demo) after the first sync of a {transactions}-transaction demo company ({first_sync:.1} s, \"{}\") with Records open ({}); its WebKit processes {webview:.1} MB; detail {detail}",
        after.rss_mb,
        after.anon_mb,
        after.peak_mb,
        before.rss_mb,
        report.trim(),
        total.trim(),
    );
    Ok(())
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

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
    let ratio = measure / limit;
    println!("{sentence} → {ratio:.2} of the target");
    println!(
        "BENCH {}",
        json!({
            "name": name,
            "value": round(value),
            "unit": unit,
            "compared_to": compared_to,
            "limit": limit,
            "ratio": round(ratio),
            "detail": detail,
        })
    );
}
