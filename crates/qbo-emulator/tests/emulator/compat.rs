//! Public QBO client libraries from the package registries, run unmodified
//! against the `qbo-emulator` binary: python-quickbooks with intuit-oauth
//! (compat/python/compat_test.py) and node-quickbooks with intuit-oauth
//! (compat/node/compat_test.mjs). Each script does the OAuth code flow and
//! refresh, create/read/update/delete (or inactivate, or void) on every
//! entity type, query paging, CDC and batch, and closes with
//! `compat: N passed, M failed`.
//!
//! `cargo xtask test` installs the pinned libraries (compat/requirements.txt,
//! compat/node-packages.txt) into target/compat and runs ignored tests too;
//! a plain `cargo test` skips these two.

// Helpers outside #[test] functions unwrap and print too: a failed unwrap is
// a failed test, and the scripts' lines are the test's output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;

/// The repository root: this crate lives in crates/qbo-emulator.
fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate sits two folders below the repository root")
        .to_path_buf()
}

/// The emulator binary, serving the demo company and approving every
/// authorization request at once, stopped when dropped.
struct RunningEmulator {
    child: Child,
    ready_line: String,
    // Kept open so that a late write to stdout never meets a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl RunningEmulator {
    fn start() -> RunningEmulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qbo-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--seed",
                "demo",
                "--auto-approve",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the qbo-emulator binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut ready_line = String::new();
        let read = stdout.read_line(&mut ready_line);
        if read.is_err() || ready_line.trim().is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the emulator exited before printing its ready line ({read:?})");
        }
        let ready: Value =
            serde_json::from_str(ready_line.trim()).expect("the ready line is a JSON object");
        for key in [
            "base_url",
            "discovery_url",
            "client_id",
            "client_secret",
            "redirect_uris",
            "realm_id",
        ] {
            assert!(
                ready.get(key).is_some(),
                "the ready line lacks {key}: {ready_line}"
            );
        }
        RunningEmulator {
            child,
            ready_line: ready_line.trim().to_owned(),
            _stdout: stdout,
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one compatibility script against a fresh emulator, echoing its lines,
/// and checks its exit code and its closing line.
fn run_compat_script(program: &str, script: &Path, library_env: (&str, PathBuf)) {
    let (variable, libraries) = library_env;
    assert!(
        libraries.is_dir(),
        "{} is missing: run `cargo xtask test` (or `cargo xtask setup --for-tests`) to install the pinned QBO libraries",
        libraries.display()
    );
    let emulator = RunningEmulator::start();
    let mut child = Command::new(program)
        .arg(script)
        .arg(&emulator.ready_line)
        .env(variable, &libraries)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut closing_line = None;
    let mut failures = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("the script writes UTF-8");
        println!("{line}");
        if line.starts_with("FAIL ") {
            failures.push(line.clone());
        }
        if line.starts_with("compat: ") {
            closing_line = Some(line);
        }
    }
    let status = child.wait().expect("the script runs to its end");
    drop(emulator);

    let closing_line = closing_line.unwrap_or_else(|| {
        panic!(
            "{} printed no closing `compat:` line ({status})",
            script.display()
        )
    });
    let counts: Vec<usize> = closing_line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().expect("counts are numbers"))
        .collect();
    assert_eq!(counts.len(), 2, "unexpected closing line: {closing_line}");
    assert!(counts[0] > 0, "no check passed: {closing_line}");
    assert!(
        counts[1] == 0 && failures.is_empty(),
        "{closing_line}; failed checks:\n{}",
        failures.join("\n")
    );
    assert!(
        status.success(),
        "{} exited with {status}",
        script.display()
    );
}

#[test]
#[ignore = "needs the libraries cargo xtask test installs into target/compat; it runs them with --include-ignored"]
fn python_quickbooks_and_intuit_oauth_run_unmodified() {
    let root = repository_root();
    let python = if cfg!(windows) { "python" } else { "python3" };
    run_compat_script(
        python,
        &root.join("crates/qbo-emulator/compat/python/compat_test.py"),
        ("PYTHONPATH", root.join("target/compat/python")),
    );
}

#[test]
#[ignore = "needs the libraries cargo xtask test installs into target/compat; it runs them with --include-ignored"]
fn node_quickbooks_and_intuit_oauth_run_unmodified() {
    let root = repository_root();
    run_compat_script(
        "node",
        &root.join("crates/qbo-emulator/compat/node/compat_test.mjs"),
        ("NODE_PATH", root.join("target/compat/node/node_modules")),
    );
}
