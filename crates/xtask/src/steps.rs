//! Running tools, and the sequence of checks behind `cargo xtask test`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{codegen, setup};

/// npm is a script on Windows, which `Command` does not resolve by itself.
pub const NPM: &str = if cfg!(windows) { "npm.cmd" } else { "npm" };

pub fn command<S: AsRef<OsStr>>(program: &str, args: &[S]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}

/// Runs a command to its end, inheriting stdout and stderr.
pub fn status(mut command: Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|error| format!("cannot run {shown}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// The trimmed stdout of a command that succeeded, or `None`.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root);
    status(command)
}

pub fn npm(root: &Path, args: &[&str]) -> Result<(), String> {
    let mut command = command(NPM, args);
    command.current_dir(root.join("ui"));
    status(command)
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin(name: &str) -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default();
    cargo_home.join("bin").join(name)
}

/// Every check, in an order where each one's output is ready for the next.
/// A failing step does not stop the independent ones after it, so one run
/// shows every problem; the exit code is non-zero if any step failed.
pub fn test(root: &Path) -> Result<(), String> {
    setup::ensure(root, true)?;
    let mut report = Report::default();
    report.step("rustfmt", || {
        cargo(root, &["fmt", "--all", "--", "--check"])
    });
    report.step("ui type check", || npm(root, &["run", "check"]));
    report.step("ui unit tests", || npm(root, &["test"]));
    report.step("ui build", || npm(root, &["run", "build"]));
    report.step("clippy", || {
        cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
    });
    report.step("rust tests, keyring and webview end-to-end", || {
        session_tests(root)
    });
    report.step("ipc types up to date", || codegen::run(root, true));
    report.finish()
}

/// The workspace's tests, run where the real keyring and a real webview work:
/// on Linux inside a virtual display and a private D-Bus session with an
/// unlocked gnome-keyring, with app data in throwaway XDG folders.
fn session_tests(root: &Path) -> Result<(), String> {
    let target = root.join("target");
    let screenshots = target.join("e2e-screenshots");
    let scratch = target.join("e2e-session");
    let _ = std::fs::remove_dir_all(&scratch);
    for dir in ["data", "config", "cache", "runtime"] {
        std::fs::create_dir_all(scratch.join(dir))
            .map_err(|error| format!("cannot create {}: {error}", scratch.display()))?;
    }
    let tests = "cargo test --workspace --no-fail-fast -- --include-ignored";
    let mut command = if cfg!(target_os = "linux") {
        // The keyring's password only protects this throwaway session.
        let inner = format!(
            "chmod 700 \"$XDG_RUNTIME_DIR\"; echo -n ledgerlink-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec {tests}"
        );
        command(
            "xvfb-run",
            &[
                "-a",
                "-s",
                "-screen 0 1280x800x24",
                "dbus-run-session",
                "--",
                "sh",
                "-c",
                &inner,
            ],
        )
    } else {
        // macOS and Windows have a display and a keyring already.
        let mut parts = tests.split(' ');
        let program = parts.next().unwrap_or("cargo");
        command(program, &parts.collect::<Vec<_>>())
    };
    command
        .current_dir(root)
        .env("LEDGERLINK_SCREENSHOTS", &screenshots)
        .env("XDG_DATA_HOME", scratch.join("data"))
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .env("XDG_RUNTIME_DIR", scratch.join("runtime"));
    if let Some(driver) = Some(cargo_bin("tauri-driver")).filter(|p| p.is_file()) {
        command.env("TAURI_DRIVER", driver);
    }
    status(command)
}

#[derive(Default)]
struct Report {
    passed: Vec<String>,
    failed: Vec<String>,
}

impl Report {
    fn step(&mut self, name: &str, run: impl FnOnce() -> Result<(), String>) {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = run();
        let took = started.elapsed().as_secs();
        match result {
            Ok(()) => {
                println!("==> {name}: ok ({took} s)");
                self.passed.push(name.to_owned());
            }
            Err(error) => {
                println!("==> {name}: FAILED ({took} s): {error}");
                self.failed.push(name.to_owned());
            }
        }
    }

    fn finish(self) -> Result<(), String> {
        if !self.failed.is_empty() {
            println!("\nfailed steps: {}", self.failed.join(", "));
        }
        // The one closing line CI and people read.
        println!(
            "\nsummary: {} passed, {} failed",
            self.passed.len(),
            self.failed.len()
        );
        if self.failed.is_empty() {
            Ok(())
        } else {
            Err("some checks failed".to_owned())
        }
    }
}
