//! The `ledgerlink` command: parses the command line and hands it to the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

// One thread runs the command (SQLite works on its own threads): pages
// parsed on one worker thread and freed on another left glibc's
// per-thread malloc arenas holding memory that grew with the company.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEDGERLINK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let outcome = cli::run(cli::Cli::parse()).await;
    ExitCode::from(outcome.code)
}
