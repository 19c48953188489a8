//! The `ledgerlink` command: parses the command line and hands it to the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

// jemalloc, set up in .cargo/config.toml, with one arena: a first sync of
// 100k transactions peaked at 75 MB resident and took about 5% less time
// than with glibc's malloc (86-96 MB), whose per-thread arenas kept the
// pages one thread freed after another had filled them. It does not build
// for MSVC, and Windows keeps its own allocator.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// A thread parses and reconciles the next page while a worker serialises
// and compresses the page before for SQLite, which saves it on a thread of
// its own.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
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
