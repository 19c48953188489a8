//! Long runs that are not part of `cargo xtask test`:
//!
//! - `cargo xtask soak [--seeds N] [--from S] [--minutes M]` runs the sync
//!   engine's seeded simulation (crates/sync-engine/tests/engine/simulation.rs)
//!   over N seeds from S, and reports seeds per second.
//! - `cargo xtask crash-trials [--trials N] [--seed S]` kills the debug
//!   `ledgerlink` binary with SIGKILL during pushes, stock counts and token
//!   refreshes against the emulator binary, and counts what was duplicated,
//!   lost or locked out.
//!
//! Every process started here has its own time limit: on expiry it is
//! killed and the command fails with a message that says which one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The simulation test, by its full name.
const SIMULATION_TEST: &str = "simulation::random_edits_on_both_sides_with_faults_converge";

/// The value after `--name` on the command line, parsed, or `default`.
fn option<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|arg| arg == name) {
        None => Ok(default),
        Some(at) => args
            .get(at + 1)
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
    }
}

fn cargo_command(root: &Path, args: &[&str]) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root);
    // `cargo run` gave xtask its own package's variables; build scripts
    // that watch them would rebuild what a plain `cargo build` just built.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || name.starts_with("CARGO_CRATE_")
            || name.starts_with("CARGO_BIN_")
            || name == "CARGO_PRIMARY_PACKAGE"
        {
            command.env_remove(name);
        }
    }
    command
}

/// Waits for a child up to `limit`; past it the child is killed and the
/// answer says so.
fn wait_within(mut child: Child, what: &str, limit: Duration) -> Result<bool, String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.success()),
            Ok(None) if started.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what} did not finish within {} s and was stopped",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(error) => return Err(format!("cannot wait for {what}: {error}")),
        }
    }
}

/// `cargo xtask soak`: builds the engine's test binary, then runs the
/// simulation over many seeds and reports how many it ran a second.
pub fn soak(root: &Path, args: &[String]) -> Result<(), String> {
    let seeds: u64 = option(args, "--seeds", 5000)?;
    let from: u64 = option(args, "--from", 0)?;
    // 5,000 seeds take about three hours on two cores in a debug build.
    let minutes: u64 = option(args, "--minutes", 480)?;
    if seeds == 0 {
        return Err("--seeds must be at least 1".to_owned());
    }
    let build = cargo_command(
        root,
        &["test", "-p", "sync-engine", "--test", "engine", "--no-run"],
    )
    .spawn()
    .map_err(|error| format!("cannot start cargo: {error}"))?;
    if !wait_within(
        build,
        "building the engine tests",
        Duration::from_secs(30 * 60),
    )? {
        return Err("the engine tests did not build".to_owned());
    }
    println!("soak: seeds {from}..{} of the simulation", from + seeds);
    let started = Instant::now();
    let mut run = cargo_command(
        root,
        &[
            "test",
            "-p",
            "sync-engine",
            "--test",
            "engine",
            SIMULATION_TEST,
            "--",
            "--exact",
            "--nocapture",
        ],
    )
    .env("LEDGERLINK_SIM_SEEDS", seeds.to_string())
    .env("LEDGERLINK_SIM_FIRST_SEED", from.to_string())
    .stderr(Stdio::piped())
    .spawn()
    .map_err(|error| format!("cannot start cargo: {error}"))?;
    // Echo the test's output as it comes, keeping the simulation's summary.
    let stderr = run.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut summary = None;
        if let Some(stderr) = stderr {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if line.starts_with("simulation: ") {
                    summary = Some(line);
                }
            }
        }
        summary
    });
    let passed = wait_within(
        run,
        "the simulation",
        Duration::from_secs(minutes.saturating_mul(60)),
    );
    let summary = reader.join().ok().flatten();
    let passed = passed?;
    let seconds = started.elapsed().as_secs_f64();
    // Seeds are whole numbers far below 2^52, so the division is exact enough.
    #[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
    let rate = seeds as f64 / seconds.max(0.001);
    println!(
        "soak: {seeds} seeds in {seconds:.1} s, {rate:.2} seeds a second ({})",
        summary.unwrap_or_else(|| "no summary line from the simulation".to_owned())
    );
    if passed {
        Ok(())
    } else {
        Err("some seeds failed; each failure above names its seed (replay with LEDGERLINK_SIM_SEED=n)".to_owned())
    }
}

// ---------------------------------------------------------------------------
// Crash trials: the real `ledgerlink` binary against the real emulator binary.

/// How long one CLI command may take before the trial calls it hung.
const CLI_LIMIT: Duration = Duration::from_secs(60);
/// How long the emulator may take to print its ready line.
const READY_LIMIT: Duration = Duration::from_secs(60);
/// How long one HTTP exchange with a loopback server may take.
const HTTP_LIMIT: Duration = Duration::from_secs(20);
/// Syncs after a kill before a company that still fails counts as stuck.
const RECOVERY_SYNCS: usize = 6;

/// What the trials found.
#[derive(Debug, Default)]
struct Tally {
    trials: usize,
    kills: usize,
    duplicates: usize,
    lost_creates: usize,
    lost_edits: usize,
    /// Counts that did not reach QuickBooks as counted (lost, or applied twice).
    wrong_counts: usize,
    lockouts: usize,
    stuck: usize,
    /// Kills per kill point: push, count, refresh.
    kills_at: [usize; 3],
}

/// A process that is killed when dropped, so that a failing trial never
/// leaves an emulator behind.
struct Guarded(Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The running emulator binary, as its ready line describes it.
struct Emulator {
    _process: Guarded,
    base_url: String,
    discovery_url: String,
    client_id: String,
    client_secret: String,
    realm_id: String,
}

/// The string value of `"key": "…"` in a JSON text, compact or pretty (the
/// emulator's ready line and answers are compact, the CLI's `--json` output
/// is pretty; the values read here hold no escaped quotes).
fn json_string(text: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":");
    let start = text.find(&pattern)? + pattern.len();
    let rest = text[start..].trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// Percent-encodes a query parameter value.
fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Decodes a percent-encoded query parameter value.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' if at + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        decoded.push(byte);
                        at += 3;
                    }
                    Err(_) => {
                        decoded.push(b'%');
                        at += 1;
                    }
                }
            }
            b'+' => {
                decoded.push(b' ');
                at += 1;
            }
            byte => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// One HTTP/1.0 exchange with a server on this machine (the emulator, or the
/// CLI's loopback redirect listener): status, headers and body. HTTP/1.0
/// keeps the answer unchunked and closes the connection after it.
fn http(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: &str,
) -> Result<(u16, String, String), String> {
    use std::io::{Read, Write};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url} is not a plain http address on this machine"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let address = host.replace("localhost", "127.0.0.1");
    let mut stream = std::net::TcpStream::connect(&address)
        .map_err(|error| format!("cannot reach {host}: {error}"))?;
    stream
        .set_read_timeout(Some(HTTP_LIMIT))
        .and_then(|()| stream.set_write_timeout(Some(HTTP_LIMIT)))
        .map_err(|error| format!("cannot set a timeout on {host}: {error}"))?;
    let mut request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = bearer {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .map_err(|error| format!("{method} {url}: {error}"))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|error| {
        format!(
            "{method} {url}: no answer within {} s ({error})",
            HTTP_LIMIT.as_secs()
        )
    })?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {url}: not an HTTP answer"))?;
    Ok((status, head.to_owned(), body.to_owned()))
}

/// A control-API call that must succeed.
fn control(emulator: &Emulator, method: &str, path: &str, body: &str) -> Result<String, String> {
    let url = format!("{}/_emulator/{path}", emulator.base_url);
    let (status, _, answer) = http(method, &url, None, body)?;
    if (200..300).contains(&status) {
        Ok(answer)
    } else {
        Err(format!("{method} {url} answered {status}: {answer}"))
    }
}

fn start_emulator(binary: &Path) -> Result<Emulator, String> {
    let mut child = Command::new(binary)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "demo",
            "--size",
            "40",
            "--auto-approve",
            // Intuit: "Your previous refresh tokens expire 24 hours after
            // you receive a new one."
            "--refresh-grace-hours",
            "24",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    let stdout = child.stdout.take();
    let process = Guarded(child);
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        if let Some(stdout) = stdout {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let _ = send.send(line);
    });
    let line = receive.recv_timeout(READY_LIMIT).map_err(|_| {
        format!(
            "the emulator printed no ready line within {} s",
            READY_LIMIT.as_secs()
        )
    })?;
    let field = |key: &str| {
        json_string(&line, key)
            .ok_or_else(|| format!("the emulator's ready line has no {key}: {line}"))
    };
    Ok(Emulator {
        base_url: field("base_url")?,
        discovery_url: field("discovery_url")?,
        client_id: field("client_id")?,
        client_secret: field("client_secret")?,
        realm_id: field("realm_id")?,
        _process: process,
    })
}

/// The CLI over one data folder.
struct Cli {
    binary: std::path::PathBuf,
    data: std::path::PathBuf,
    secret: String,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env("LEDGERLINK_CLIENT_SECRET", &self.secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs a command to its end within [`CLI_LIMIT`]: exit code and stdout.
    fn run(&self, args: &[&str], input: &str) -> Result<(i32, String), String> {
        use std::io::Write;
        let mut child = self
            .command(args)
            .spawn()
            .map_err(|error| format!("cannot start ledgerlink: {error}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let out = std::thread::spawn(move || read_all(stdout));
        let err = std::thread::spawn(move || read_all(stderr));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= CLI_LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`ledgerlink {}` did not finish within {} s and was stopped",
                        args.join(" "),
                        CLI_LIMIT.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(error) => return Err(format!("cannot wait for ledgerlink: {error}")),
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        let code = status.code().unwrap_or(-1);
        if code == 1 || code == 2 {
            return Err(format!(
                "`ledgerlink {}` failed ({code}): {}",
                args.join(" "),
                stderr.trim()
            ));
        }
        Ok((code, stdout))
    }
}

fn read_all(stream: Option<impl std::io::Read>) -> String {
    let mut text = String::new();
    if let Some(mut stream) = stream {
        let _ = stream.read_to_string(&mut text);
    }
    text
}

/// Adds the company and connects it through the consent page, which the
/// emulator approves at once.
fn connect(cli: &Cli, emulator: &Emulator) -> Result<(), String> {
    cli.run(
        &[
            "company",
            "add",
            "emulator",
            "--name",
            "Trial",
            "--discovery-url",
            &emulator.discovery_url,
            "--api-url",
            &emulator.base_url,
            "--client-id",
            &emulator.client_id,
        ],
        "",
    )?;
    let mut child = cli
        .command(&["company", "connect", "Trial"])
        .spawn()
        .map_err(|error| format!("cannot start ledgerlink: {error}"))?;
    let stderr = child.stderr.take();
    let process = Guarded(child);
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Some(stderr) = stderr {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with("http") {
                    let _ = send.send(line);
                    return;
                }
            }
        }
    });
    let consent = receive
        .recv_timeout(CLI_LIMIT)
        .map_err(|_| "`ledgerlink company connect` printed no consent address".to_owned())?;
    let redirect = consent
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("redirect_uri="))
        .map(decode)
        .ok_or_else(|| format!("the consent address has no redirect_uri: {consent}"))?;
    control(
        emulator,
        "POST",
        &format!("clients/{}/redirect_uris", emulator.client_id),
        &format!("{{\"redirect_uri\":\"{redirect}\"}}"),
    )?;
    let (status, head, body) = http("GET", &consent, None, "")?;
    let location = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| format!("the consent page did not redirect ({status}): {body}"))?;
    http("GET", &location, None, "")?;
    let mut process = process;
    let finished = wait_within_ref(&mut process.0, "`ledgerlink company connect`", CLI_LIMIT)?;
    if finished {
        Ok(())
    } else {
        Err("`ledgerlink company connect` failed".to_owned())
    }
}

fn wait_within_ref(child: &mut Child, what: &str, limit: Duration) -> Result<bool, String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.success()),
            Ok(None) if started.elapsed() >= limit => {
                return Err(format!(
                    "{what} did not finish within {} s",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("cannot wait for {what}: {error}")),
        }
    }
}

/// How many customers QuickBooks holds under a display name.
fn remote_copies(emulator: &Emulator, token: &str, name: &str) -> Result<usize, String> {
    let query = format!("select * from Customer where DisplayName = '{name}'");
    let url = format!(
        "{}/v3/company/{}/query?query={}&minorversion=75",
        emulator.base_url,
        emulator.realm_id,
        encode(&query)
    );
    let (status, _, body) = http("GET", &url, Some(token), "")?;
    if status != 200 {
        return Err(format!("the query for {name} answered {status}: {body}"));
    }
    Ok(body.matches(&format!("\"DisplayName\":\"{name}\"")).count())
}

/// The number value of `"key":…` in a compact JSON text.
fn json_number(text: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":");
    let start = text.find(&pattern)? + pattern.len();
    let rest = text[start..].trim_start().trim_start_matches('"');
    let end = rest.find([',', '}', '"', '\n'])?;
    Some(rest[..end].trim().to_owned())
}

/// A stock-tracked item of the company: its id, name and quantity on hand.
fn remote_product(emulator: &Emulator, token: &str) -> Result<(String, String, i64), String> {
    let query = "select * from Item where Type = 'Inventory' MAXRESULTS 1";
    let url = format!(
        "{}/v3/company/{}/query?query={}&minorversion=75",
        emulator.base_url,
        emulator.realm_id,
        encode(query)
    );
    let (status, _, body) = http("GET", &url, Some(token), "")?;
    if status != 200 {
        return Err(format!("the query for a product answered {status}: {body}"));
    }
    remote_on_hand(
        emulator,
        token,
        &json_string(&body, "Id").unwrap_or_default(),
    )
}

/// An item's name and quantity on hand in QuickBooks, with its id.
fn remote_on_hand(
    emulator: &Emulator,
    token: &str,
    id: &str,
) -> Result<(String, String, i64), String> {
    let url = format!(
        "{}/v3/company/{}/item/{id}?minorversion=75",
        emulator.base_url, emulator.realm_id
    );
    let (status, _, body) = http("GET", &url, Some(token), "")?;
    if status != 200 {
        return Err(format!("reading item {id} answered {status}: {body}"));
    }
    let name = json_string(&body, "Name").ok_or_else(|| format!("item {id} has no name"))?;
    let on_hand = json_number(&body, "QtyOnHand")
        .and_then(|text| text.split('.').next().and_then(|whole| whole.parse().ok()))
        .ok_or_else(|| format!("item {id} has no quantity on hand: {body}"))?;
    Ok((id.to_owned(), name, on_hand))
}

/// A customer's `Notes` in QuickBooks.
fn remote_notes(emulator: &Emulator, token: &str, name: &str) -> Result<Option<String>, String> {
    let query = format!("select * from Customer where DisplayName = '{name}'");
    let url = format!(
        "{}/v3/company/{}/query?query={}&minorversion=75",
        emulator.base_url,
        emulator.realm_id,
        encode(&query)
    );
    let (_, _, body) = http("GET", &url, Some(token), "")?;
    Ok(json_string(&body, "Notes"))
}

/// A small deterministic generator (xorshift), so that a run can be replayed
/// with `--seed` without a dependency.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

/// Where a trial kills the CLI.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// While QuickBooks holds the push's answer after committing it.
    Push,
    /// While QuickBooks holds the answer to a stock count's item update
    /// after committing it.
    Count,
    /// While Intuit holds the answer to a token refresh after rotating the
    /// refresh token: the new tokens never reach the vault.
    Refresh,
}

/// The token endpoint's path on the emulator, as on Intuit's server.
const TOKEN_PATH: &str = "/oauth2/v1/tokens/bearer";

/// Syncs until one succeeds; a "reconnect needed" exit is a lockout.
fn sync_to_quiescence(cli: &Cli, tally: &mut Tally) -> Result<(), String> {
    for _ in 0..RECOVERY_SYNCS {
        let (code, _) = cli.run(&["sync", "Trial"], "")?;
        match code {
            0 => {
                // One more: nothing may be left to send.
                let (code, _) = cli.run(&["sync", "Trial"], "")?;
                if code == 0 {
                    return Ok(());
                }
            }
            3 => {
                tally.lockouts += 1;
                return Err("the company must be reconnected (a token lockout)".to_owned());
            }
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    tally.stuck += 1;
    Err(format!(
        "no sync succeeded in {RECOVERY_SYNCS} tries after the kill"
    ))
}

fn one_trial(
    trial: usize,
    cli: &Cli,
    emulator: &Emulator,
    token: &str,
    random: &mut Random,
    edited: &mut Option<(String, String)>,
    tally: &mut Tally,
) -> Result<(), String> {
    let point = match trial % 3 {
        0 => KillPoint::Push,
        1 => KillPoint::Count,
        _ => KillPoint::Refresh,
    };
    // Local work waiting for the push: new customers and an edit of one
    // created in an earlier trial.
    let mut names = Vec::new();
    for index in 0..3 {
        let name = format!("Trial {trial}-{index}");
        cli.run(
            &[
                "records", "create", "Trial", "--type", "Customer", "--file", "-",
            ],
            &format!("{{\"DisplayName\":\"{name}\"}}"),
        )?;
        names.push(name);
    }
    let mut intended_edit = None;
    if let Some((local_id, name)) = edited.clone() {
        let notes = format!("edited in trial {trial}");
        cli.run(
            &["records", "edit", "Trial", &local_id, "--file", "-"],
            &format!("{{\"DisplayName\":\"{name}\",\"Notes\":\"{notes}\"}}"),
        )?;
        intended_edit = Some((name, notes));
    }
    // A count of a product: the quantity QuickBooks must end with.
    let mut counted = None;
    if matches!(point, KillPoint::Count) {
        let (id, name, on_hand) = remote_product(emulator, token)?;
        let (_, listed) = cli.run(
            &[
                "--json", "records", "list", "Trial", "--type", "Item", "--search", &name,
            ],
            "",
        )?;
        let local_id = json_string(&listed, "localId")
            .ok_or_else(|| format!("the books have no item {name}"))?;
        let target = on_hand + 1 + i64::try_from(random.below(5)).unwrap_or(0);
        cli.run(
            &["records", "count", "Trial", &local_id, &target.to_string()],
            "",
        )?;
        counted = Some((id, target));
    }
    match point {
        KillPoint::Push => {
            control(
                emulator,
                "POST",
                "faults",
                "{\"kind\":\"timeout\",\"method\":\"POST\",\"path\":\"*/batch\",\"count\":1,\"hold_ms\":4000}",
            )?;
        }
        KillPoint::Count => {
            control(
                emulator,
                "POST",
                "faults",
                "{\"kind\":\"timeout\",\"method\":\"POST\",\"path\":\"*/item\",\"count\":1,\"hold_ms\":4000}",
            )?;
        }
        KillPoint::Refresh => {
            // The first API call is refused as expired, so the CLI refreshes;
            // the token endpoint rotates the refresh token and holds its answer.
            control(
                emulator,
                "POST",
                "faults",
                "{\"kind\":\"expired_token\",\"path\":\"/v3/*\",\"count\":1}",
            )?;
            control(
                emulator,
                "POST",
                "faults",
                &format!(
                    "{{\"kind\":\"timeout\",\"method\":\"POST\",\"path\":\"{TOKEN_PATH}\",\"count\":1,\"hold_ms\":4000}}"
                ),
            )?;
        }
    }
    let delay = match point {
        KillPoint::Push | KillPoint::Count => 100 + random.below(1500),
        KillPoint::Refresh => 300 + random.below(1500),
    };
    let child = cli
        .command(&["sync", "Trial"])
        .spawn()
        .map_err(|error| format!("cannot start ledgerlink: {error}"))?;
    let mut process = Guarded(child);
    std::thread::sleep(Duration::from_millis(delay));
    // Child::kill is SIGKILL on Unix: no destructor, no flush, like a power cut.
    if matches!(process.0.try_wait(), Ok(None)) {
        let _ = process.0.kill();
        tally.kills += 1;
        tally.kills_at[point as usize] += 1;
    }
    let _ = process.0.wait();
    control(emulator, "DELETE", "faults", "")?;
    if matches!(point, KillPoint::Refresh) {
        // The restarted CLI must refresh too, with whatever refresh token
        // the vault kept: the one Intuit has already replaced, when the kill
        // fell between the rotation and the vault's write.
        control(
            emulator,
            "POST",
            "faults",
            "{\"kind\":\"expired_token\",\"path\":\"/v3/*\",\"count\":1}",
        )?;
    }
    sync_to_quiescence(cli, tally)?;
    if let Some((id, target)) = counted {
        let (_, _, on_hand) = remote_on_hand(emulator, token, &id)?;
        if on_hand != target {
            tally.wrong_counts += 1;
        }
    }
    for name in &names {
        match remote_copies(emulator, token, name)? {
            1 => {}
            0 => tally.lost_creates += 1,
            _ => tally.duplicates += 1,
        }
    }
    if let Some((name, notes)) = intended_edit
        && remote_notes(emulator, token, &name)?.as_deref() != Some(notes.as_str())
    {
        tally.lost_edits += 1;
    }
    if edited.is_none() {
        let (_, listed) = cli.run(
            &[
                "--json", "records", "list", "Trial", "--type", "Customer", "--search", &names[0],
            ],
            "",
        )?;
        if let Some(local_id) = json_string(&listed, "localId") {
            *edited = Some((local_id, names[0].clone()));
        }
    }
    tally.trials += 1;
    Ok(())
}

/// `cargo xtask crash-trials`: kills the debug CLI with SIGKILL during a
/// push or a stock count (an answer held after QuickBooks committed) and
/// during a token refresh (the answer held after the refresh token was
/// rotated), restarts it, syncs to quiescence, and counts duplicates, lost
/// creates, lost local edits, wrong counts and token lockouts.
pub fn crash_trials(root: &Path, args: &[String]) -> Result<(), String> {
    let trials: usize = option(args, "--trials", 100)?;
    let seed: u64 = option(args, "--seed", 1)?;
    // Built outside the keyring session, so that the session runs only the trials.
    if std::env::var_os("LEDGERLINK_TRIALS_SESSION").is_none() {
        let build = cargo_command(root, &["build", "-p", "cli", "-p", "qbo-emulator"])
            .spawn()
            .map_err(|error| format!("cannot start cargo: {error}"))?;
        if !wait_within(
            build,
            "building ledgerlink and the emulator",
            Duration::from_secs(30 * 60),
        )? {
            return Err("ledgerlink or the emulator did not build".to_owned());
        }
        if cfg!(target_os = "linux") {
            return in_keyring_session(args);
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let exe = std::env::consts::EXE_SUFFIX;
    let emulator_binary = target.join("debug").join(format!("qbo-emulator{exe}"));
    let cli_binary = target.join("debug").join(format!("ledgerlink{exe}"));
    let scratch = target.join("crash-trials");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|error| format!("cannot create {}: {error}", scratch.display()))?;
    let emulator = start_emulator(&emulator_binary)?;
    let cli = Cli {
        binary: cli_binary,
        data: scratch.join("data"),
        secret: emulator.client_secret.clone(),
    };
    connect(&cli, &emulator)?;
    let minted = control(
        &emulator,
        "POST",
        "tokens",
        &format!(
            "{{\"realm_id\":\"{}\",\"client_id\":\"{}\"}}",
            emulator.realm_id, emulator.client_id
        ),
    )?;
    let token = json_string(&minted, "access_token")
        .ok_or_else(|| format!("the emulator minted no token: {minted}"))?;
    sync_to_quiescence(&cli, &mut Tally::default())?;
    let mut tally = Tally::default();
    let mut random = Random(seed.max(1));
    let mut edited = None;
    let started = Instant::now();
    let mut problems = Vec::new();
    for trial in 0..trials {
        if let Err(problem) = one_trial(
            trial,
            &cli,
            &emulator,
            &token,
            &mut random,
            &mut edited,
            &mut tally,
        ) {
            println!("crash-trials: trial {trial}: {problem}");
            problems.push(trial);
            if tally.lockouts > 0 {
                // A locked-out company cannot go on without a person.
                break;
            }
        }
    }
    println!(
        "crash-trials: {} trials ({} killed mid-cycle: {} during a push, {} during a stock count, {} during a token refresh) in {:.0} s: {} duplicates, {} lost creates, {} lost local edits, {} counts lost or applied twice, {} token lockouts, {} stuck",
        tally.trials,
        tally.kills,
        tally.kills_at[KillPoint::Push as usize],
        tally.kills_at[KillPoint::Count as usize],
        tally.kills_at[KillPoint::Refresh as usize],
        started.elapsed().as_secs_f64(),
        tally.duplicates,
        tally.lost_creates,
        tally.lost_edits,
        tally.wrong_counts,
        tally.lockouts,
        tally.stuck
    );
    let bad = tally.duplicates
        + tally.lost_creates
        + tally.lost_edits
        + tally.wrong_counts
        + tally.lockouts
        + tally.stuck;
    if bad == 0 && problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{bad} losses or lockouts; trials with problems: {problems:?}"
        ))
    }
}

/// On Linux the CLI keeps tokens in the Secret Service: run the trials
/// again inside a private D-Bus session with an unlocked gnome-keyring, and
/// throwaway XDG folders.
fn in_keyring_session(args: &[String]) -> Result<(), String> {
    let exe =
        std::env::current_exe().map_err(|error| format!("cannot find xtask itself: {error}"))?;
    let scratch = std::env::temp_dir().join(format!("ledgerlink-trials-{}", std::process::id()));
    for dir in ["data", "config", "cache", "runtime"] {
        std::fs::create_dir_all(scratch.join(dir))
            .map_err(|error| format!("cannot create {}: {error}", scratch.display()))?;
    }
    let mut inner = format!(
        "chmod 700 \"$XDG_RUNTIME_DIR\"; echo -n ledgerlink-trials | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec '{}' crash-trials",
        exe.display()
    );
    for arg in args {
        inner.push_str(&format!(" '{arg}'"));
    }
    let child = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &inner])
        .env("LEDGERLINK_TRIALS_SESSION", "1")
        .env("XDG_DATA_HOME", scratch.join("data"))
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .env("XDG_RUNTIME_DIR", scratch.join("runtime"))
        .spawn()
        .map_err(|error| {
            format!("cannot start dbus-run-session (install dbus and gnome-keyring): {error}")
        })?;
    let passed = wait_within(child, "the crash trials", Duration::from_secs(3 * 60 * 60));
    let _ = std::fs::remove_dir_all(&scratch);
    if passed? {
        Ok(())
    } else {
        Err("the crash trials failed (see above)".to_owned())
    }
}
