//! How long the app took to start: the instants of the start-up steps since
//! the process began, in the log, so that a slow start on someone's machine
//! can be told apart (set-up, the page loading, the first screen painted).
//!
//! With `LEDGERLINK_BENCH_TIMING` set, each instant is also printed on
//! stdout as `ledgerlink-timing <step> <milliseconds>`, for the desktop
//! benchmark (src-tauri/benches/desktop.rs) to read as it happens.

use std::sync::OnceLock;
use std::time::Instant;

/// The environment variable that prints the start-up instants on stdout.
pub const BENCH_TIMING_ENV: &str = "LEDGERLINK_BENCH_TIMING";

static STARTED: OnceLock<Instant> = OnceLock::new();
static PRINTED: OnceLock<bool> = OnceLock::new();

/// Notes the process's start; call it first thing in `run`.
pub fn start() {
    let _ = STARTED.get_or_init(Instant::now);
}

/// Logs one start-up step with the milliseconds since [`start`] (and prints
/// it when the benchmark asked).
pub fn mark(step: &str) {
    let Some(started) = STARTED.get() else {
        // The mock runtime of the tests never calls `run`.
        return;
    };
    let millis = started.elapsed().as_millis();
    tracing::info!(step, millis, "start-up");
    if *PRINTED.get_or_init(|| std::env::var_os(BENCH_TIMING_ENV).is_some()) {
        // The benchmark reads this line from a pipe as it arrives; Rust's
        // stdout flushes at each newline.
        #[allow(clippy::print_stdout)]
        {
            println!("ledgerlink-timing {step} {millis}");
        }
    }
}
