//! The `qbo-emulator` binary: serves the emulator until stopped.
//!
//! ```text
//! qbo-emulator --listen 127.0.0.1:PORT [--seed demo|empty] [--size N] [--limits on|off]
//!              [--auto-approve] [--data DIR] [--redirect-uri URI]...
//!              [--refresh-grace-hours H]
//! ```
//!
//! When it is ready it prints exactly one JSON line on stdout with the keys
//! `base_url`, `discovery_url`, `client_id`, `client_secret`, `redirect_uris`,
//! `realm_id` and `webhook_verifier`, so a test or the app can start it with
//! port 0 and read where it listens. Logs go to stderr. Ctrl-C or SIGTERM
//! stops it (saving the data folder first when `--data` is given).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use qbo_emulator::clock::Clock;
use qbo_emulator::control::{self, ClientRecord, WebhookSettings};
use qbo_emulator::oauth::paths;
use qbo_emulator::{Emulator, EmulatorConfig, persist};
use serde_json::json;

/// What the first company looks like when there is no saved data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SeedMode {
    /// A sample landscaping business with a year of transactions.
    Demo,
    /// A new company with only the accounts QBO starts every company with.
    Empty,
}

/// On or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

/// A local QuickBooks Online (Accounting API v3) and Intuit OAuth emulator.
#[derive(Debug, Parser)]
#[command(name = "qbo-emulator", version)]
struct Args {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The first company: a seeded sample business or an empty company.
    #[arg(long, value_enum, default_value = "demo")]
    seed: SeedMode,
    /// The number of transactions in the demo company.
    #[arg(long, default_value_t = 2_000)]
    size: usize,
    /// The random seed of the demo company (the same seed gives the same company).
    #[arg(long, default_value_t = 7)]
    demo_seed: u64,
    /// Whether Intuit's request limits are enforced from the start.
    #[arg(long, value_enum, default_value = "off")]
    limits: Switch,
    /// The consent page connects at once, as if the user had clicked Connect
    /// for the first company.
    #[arg(long)]
    auto_approve: bool,
    /// Keep companies and clients in this folder across restarts.
    #[arg(long)]
    data: Option<PathBuf>,
    /// A redirect URI of the printed OAuth client (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// How long a refresh token still works after a refresh replaced it,
    /// answering with the current tokens. Intuit documents that "previous
    /// refresh tokens expire 24 hours after you receive a new one"; 0 kills
    /// a replaced token at once (the strictest reading).
    #[arg(long, default_value_t = 24)]
    refresh_grace_hours: i64,
}

/// The redirect URI the printed client gets when none is given.
const DEFAULT_REDIRECT_URI: &str = "http://localhost:8765/callback";

/// How often changed companies are saved with `--data`.
const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(2);

fn random_token(length: usize) -> String {
    let mut text = String::new();
    while text.len() < length {
        text.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    text.truncate(length);
    text
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut config = EmulatorConfig::default();
    config.oauth.auto_approve = args.auto_approve;
    config.oauth.superseded_refresh_grace =
        chrono::Duration::hours(args.refresh_grace_hours.max(0));
    let emulator = Emulator::new(config, Clock::real());

    let loaded = match &args.data {
        Some(dir) => Some(
            persist::load(&emulator, dir)
                .map_err(|error| format!("loading the data folder failed: {error}"))?,
        ),
        None => None,
    };
    if let Some(loaded) = &loaded {
        tracing::info!(
            companies = loaded.realm_ids.len(),
            clients = loaded.clients.len(),
            "loaded saved data"
        );
    }

    let client = prepare_client(&emulator, &args);
    let realm_id = prepare_company(&emulator, &args).await?;
    let webhook_verifier = prepare_webhooks(&emulator);
    if args.limits == Switch::On {
        emulator.operations().limits.set_enabled(true);
    }

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("the listener has no address: {error}"))?;
    let base_url = format!("http://{address}");

    let autosave = if args.data.is_some() {
        let saver = emulator.clone();
        tokio::task::spawn_blocking(move || persist::save_all(&saver))
            .await
            .map_err(|error| format!("saving failed: {error}"))?
            .map_err(|error| format!("saving the data folder failed: {error}"))?;
        Some(persist::spawn_autosave(emulator.clone(), AUTOSAVE_INTERVAL))
    } else {
        None
    };

    let ready = json!({
        "base_url": base_url,
        "discovery_url": format!("{base_url}{}", paths::DISCOVERY_SANDBOX),
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "redirect_uris": client.redirect_uris,
        "realm_id": realm_id,
        "webhook_verifier": webhook_verifier,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{ready}")
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot write the ready line: {error}"))?;
    drop(stdout);
    tracing::info!(%base_url, %realm_id, "qbo-emulator is ready");

    let served = qbo_emulator::serve(listener, emulator.clone(), shutdown_signal()).await;
    if let Some(autosave) = autosave {
        autosave.abort();
        let saver = emulator.clone();
        let saved = tokio::task::spawn_blocking(move || persist::save_all(&saver)).await;
        match saved {
            Ok(Ok(count)) => tracing::info!(companies = count, "saved the data folder"),
            Ok(Err(error)) => tracing::error!(%error, "saving the data folder failed"),
            Err(error) => tracing::error!(%error, "the final save failed"),
        }
    }
    emulator.notifier().shutdown();
    served.map_err(|error| format!("serving failed: {error}"))
}

/// The OAuth client printed on the ready line: the first saved one, or a new one.
fn prepare_client(emulator: &Emulator, args: &Args) -> ClientRecord {
    if let Some(mut client) = emulator.operations().default_client() {
        let mut changed = false;
        for uri in &args.redirect_uris {
            if !client.redirect_uris.contains(uri) {
                client.redirect_uris.push(uri.clone());
                changed = true;
            }
        }
        if changed {
            control::register_client(emulator, client.clone());
        }
        return client;
    }
    let redirect_uris = if args.redirect_uris.is_empty() {
        vec![DEFAULT_REDIRECT_URI.to_owned()]
    } else {
        args.redirect_uris.clone()
    };
    let client = ClientRecord {
        client_id: format!("AB{}", random_token(48)),
        client_secret: random_token(40),
        redirect_uris,
        app_name: None,
    };
    control::register_client(emulator, client.clone());
    client
}

/// The company printed on the ready line: the first saved one, or a new
/// one as `--seed` asks.
async fn prepare_company(emulator: &Emulator, args: &Args) -> Result<String, String> {
    if let Some(realm_id) = emulator.realm_ids().into_iter().next() {
        return Ok(realm_id);
    }
    let seed = match args.seed {
        SeedMode::Demo => Some((args.demo_seed, args.size)),
        SeedMode::Empty => None,
    };
    let name = match args.seed {
        SeedMode::Demo => None,
        SeedMode::Empty => Some("Sandbox Company_US_1".to_owned()),
    };
    let worker = emulator.clone();
    let started = std::time::Instant::now();
    let (realm_id, summary) = tokio::task::spawn_blocking(move || {
        control::create_company(&worker, name.as_deref(), seed)
    })
    .await
    .map_err(|error| format!("creating the company failed: {error}"))?
    .map_err(|fault| format!("seeding the demo company failed: {fault}"))?;
    if let Some(summary) = summary {
        tracing::info!(
            %realm_id,
            transactions = summary.transactions,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "seeded the demo company"
        );
    }
    Ok(realm_id)
}

/// The webhook verifier token: the saved one, or a new one.
fn prepare_webhooks(emulator: &Emulator) -> String {
    let settings = emulator.operations().webhook_settings();
    if !settings.verifier_token.is_empty() {
        return settings.verifier_token;
    }
    let verifier = random_token(36);
    control::configure_webhooks(
        emulator,
        WebhookSettings {
            endpoint_url: None,
            verifier_token: verifier.clone(),
            format: settings.format,
        },
    );
    verifier
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
