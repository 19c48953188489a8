//! The `ledgerlink-relay` binary: serves the relay until stopped.
//!
//! Settings come from environment variables (see the README). When it is
//! ready it prints exactly one JSON line on stdout with the keys
//! `base_url`, `public_url`, `callback_url` and `webhook_url`; logs go to
//! stderr (`RUST_LOG` filters them, `info` by default). Ctrl-C or SIGTERM
//! stops it.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use relay::{Relay, RelayConfig};
use serde_json::json;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let (config, listen) = RelayConfig::from_env(|name| std::env::var(name).ok())
        .map_err(|error| format!("bad setting {error}"))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("the listener has no address: {error}"))?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let relay = Relay::new(config, &public_url)
        .await
        .map_err(|error| error.to_string())?;
    let ready = json!({
        "base_url": format!("http://{address}"),
        "public_url": relay.public_url(),
        "callback_url": relay.callback_url(),
        "webhook_url": relay.webhook_url(),
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{ready}")
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot write the ready line: {error}"))?;
    drop(stdout);
    tracing::info!(%address, public_url = relay.public_url(), "ledgerlink-relay is ready");
    let store = relay.store().clone();
    let served = relay::serve_relay(listener, relay, shutdown_signal()).await;
    store.close().await;
    served.map_err(|error| format!("serving failed: {error}"))
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
