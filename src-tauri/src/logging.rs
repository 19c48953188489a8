//! Logging for the desktop app: a daily rolling file in the app's log folder,
//! and stderr. Only the shell sets up a subscriber; the crates just emit
//! `tracing` events.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How many daily log files are kept before the oldest is removed.
const KEPT_LOG_FILES: usize = 14;

/// How many lines may wait for the log file's writer thread. The library's
/// default, 128,000, allocates and touches 4 MB up front; the app logs a
/// few lines a sync. Lines past the limit are dropped rather than block.
const BUFFERED_LOG_LINES: usize = 8_192;

/// Starts logging. The returned guard flushes the file writer when dropped,
/// so the caller keeps it for the life of the app.
pub fn init(log_dir: &Path) -> Result<WorkerGuard, String> {
    std::fs::create_dir_all(log_dir).map_err(|error| {
        format!(
            "cannot create the log folder {}: {error}",
            log_dir.display()
        )
    })?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("ledgerlink")
        .filename_suffix("log")
        .max_log_files(KEPT_LOG_FILES)
        .build(log_dir)
        .map_err(|error| format!("cannot open a log file in {}: {error}", log_dir.display()))?;
    let (file_writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LOG_LINES)
        .finish(appender);
    let filter = EnvFilter::try_from_env("LEDGERLINK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,ledgerlink=debug"));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(file_writer)
                .with_ansi(false),
        )
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .try_init()
        .map_err(|error| format!("logging was already set up: {error}"))?;
    Ok(guard)
}
