//! `cargo xtask`: the developer and CI entry points.
//!
//! - `cargo xtask run`      installs what is missing, builds the UI and opens the app.
//! - `cargo xtask test`     the same set-up, then every check; one summary line at the end.
//! - `cargo xtask dev`      the app against the Vite dev server, with hot reload of the UI.
//! - `cargo xtask codegen`  regenerates the TypeScript IPC types (`--check` fails on stale files).
//! - `cargo xtask bench`    the benchmarks in release, each a ratio to its target measured in the
//!   same run, written to target/bench/report.json (regressions over 20% flagged).
//! - `cargo xtask soak`     the sync simulation over many seeds (`--seeds 5000`), seeds a second.
//! - `cargo xtask crash-trials` kill -9 of the CLI mid-push and mid-refresh (`--trials 100`).
//!
//! It uses only the standard library so that it builds in seconds on a fresh
//! machine, before anything else is installed.

// Printing progress to stdout is what a command-line tool is for.
#![allow(clippy::print_stdout)]

mod bench;
mod codegen;
mod setup;
mod steps;
mod trials;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <run | test | dev | codegen [--check] | bench | setup [--for-tests] | soak [--seeds N] [--from S] | crash-trials [--trials N]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&root),
        Some("dev") => dev(&root),
        Some("test") => steps::test(&root),
        Some("codegen") => codegen::run(&root, args.iter().any(|a| a == "--check")),
        Some("bench") => bench::run(&root),
        Some("setup") => setup::ensure(&root, args.iter().any(|a| a == "--for-tests")),
        Some("soak") => trials::soak(&root, &args[1..]),
        Some("crash-trials") => trials::crash_trials(&root, &args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Set-up, then the UI build, then the app with the built UI embedded.
fn run(root: &Path) -> Result<(), String> {
    setup::ensure(root, false)?;
    steps::npm(root, &["run", "build"])?;
    steps::cargo(root, &["run", "--package", "ledgerlink-desktop"])
}

/// The app without embedded assets: it loads the Vite dev server, which
/// reloads the UI on every save without rebuilding the Rust side.
fn dev(root: &Path) -> Result<(), String> {
    setup::ensure(root, false)?;
    let mut vite = steps::command("npm", &["run", "dev"])
        .current_dir(root.join("ui"))
        .spawn()
        .map_err(|error| format!("cannot start the Vite dev server: {error}"))?;
    let result = steps::cargo(
        root,
        &[
            "run",
            "--package",
            "ledgerlink-desktop",
            "--no-default-features",
        ],
    );
    let _ = vite.kill();
    result
}

/// The workspace root: the parent of the folder that holds this crate.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}
