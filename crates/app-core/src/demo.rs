//! The demo company: the project's QuickBooks emulator, embedded and served on
//! a loopback port, with a seeded sample company kept in the app's data
//! folder across restarts, and an embedded Ledgerlink relay beside it on
//! loopback: the emulator's webhooks go to the relay, and the app connects,
//! refreshes and hears of changes through the relay exactly as with Intuit
//! (the consent page approves itself). An edit made in the emulator's web
//! view therefore reaches the app by itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qbo_client::{Clock, ConnectOptions, LoopbackListener, OAuthApp};
use qbo_emulator::clock::Clock as EmulatorClock;
use qbo_emulator::control::{self, ClientRecord};
use qbo_emulator::oauth::paths;
use qbo_emulator::{Emulator, EmulatorConfig, persist};
use secrets::TokenSet;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::CoreError;

/// How the demo company is generated the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// The seed of the sample data (the same seed gives the same company).
    pub seed: u64,
    /// About how many transactions to generate.
    pub size: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        // Big enough to look like a small business's year, small enough that
        // the first sync finishes in seconds.
        DemoOptions { seed: 7, size: 600 }
    }
}

impl DemoOptions {
    /// The defaults, with the size taken from `LEDGERLINK_DEMO_SIZE` when it
    /// is set (tests and demos on slow machines use a smaller company).
    pub fn from_env() -> DemoOptions {
        let mut options = DemoOptions::default();
        if let Some(size) = std::env::var("LEDGERLINK_DEMO_SIZE")
            .ok()
            .and_then(|size| size.trim().parse().ok())
        {
            options.size = size;
        }
        options
    }
}

/// How often the emulator writes its companies to disk.
const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(2);

/// The client id the demo app is registered under in the embedded emulator.
const DEMO_CLIENT_ID: &str = "ledgerlink-demo";

/// How long the demo emulator gathers changes before a webhook: Intuit's
/// shortest window (60 s) scaled down, so the demo shows an edit in seconds.
const DEMO_WEBHOOK_TIME_SCALE: &str = "0.02";

/// The running embedded emulator and relay.
pub(crate) struct DemoServer {
    emulator: Emulator,
    /// Held so the relay serves; it stops when the demo server is dropped.
    _relay: relay::TestRelay,
    relay_url: String,
    base_url: String,
    realm_id: String,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<std::io::Result<()>>>,
    autosave: JoinHandle<()>,
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DemoServer")
            .field("base_url", &self.base_url)
            .field("realm_id", &self.realm_id)
            .finish_non_exhaustive()
    }
}

impl DemoServer {
    /// Starts the emulator over `dir`, loading the saved demo company or
    /// seeding a new one.
    pub(crate) async fn start(dir: &Path, options: DemoOptions) -> Result<DemoServer, CoreError> {
        let mut config = EmulatorConfig::default();
        config.oauth.auto_approve = true;
        let emulator = Emulator::new(config, EmulatorClock::real());
        let folder: PathBuf = dir.to_path_buf();
        let loader = emulator.clone();
        tokio::task::spawn_blocking(move || persist::load(&loader, &folder))
            .await
            .map_err(|error| CoreError::Demo(error.to_string()))?
            .map_err(|error| CoreError::Demo(format!("its saved data cannot be read ({error})")))?;

        let realm_id = match emulator.realm_ids().into_iter().next() {
            Some(realm_id) => realm_id,
            None => {
                let worker = emulator.clone();
                tokio::task::spawn_blocking(move || {
                    control::create_company(&worker, None, Some((options.seed, options.size)))
                })
                .await
                .map_err(|error| CoreError::Demo(error.to_string()))?
                .map_err(|fault| CoreError::Demo(format!("seeding failed ({fault})")))?
                .0
            }
        };
        let client_secret = match emulator.operations().default_client() {
            Some(client) if client.client_id == DEMO_CLIENT_ID => client.client_secret,
            _ => uuid::Uuid::new_v4().simple().to_string(),
        };

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| CoreError::Demo(format!("no local port is free ({error})")))?;
        let address = listener
            .local_addr()
            .map_err(|error| CoreError::Demo(error.to_string()))?;
        let base_url = format!("http://{address}");
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = emulator.clone();
        let served = tokio::spawn(async move {
            qbo_emulator::serve(listener, serving, async move {
                let _ = stopped.await;
            })
            .await
        });
        let saver = emulator.clone();
        tokio::task::spawn_blocking(move || persist::save_all(&saver))
            .await
            .map_err(|error| CoreError::Demo(error.to_string()))?
            .map_err(|error| CoreError::Demo(format!("its data cannot be saved ({error})")))?;
        let autosave = persist::spawn_autosave(emulator.clone(), AUTOSAVE_INTERVAL);
        let relay_dir = dir.join("relay");
        std::fs::create_dir_all(&relay_dir).map_err(|error| {
            CoreError::Demo(format!("its relay folder cannot be made ({error})"))
        })?;
        let verifier = uuid::Uuid::new_v4().simple().to_string();
        let relay = relay::TestRelay::try_start(relay::RelayConfig {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: relay::Secret::new(client_secret.clone()),
            webhook_verifier: relay::Secret::new(verifier.clone()),
            discovery_url: Some(format!("{base_url}{}", paths::DISCOVERY_SANDBOX)),
            api_base: Some(base_url.clone()),
            database: relay_dir.join("relay.sqlite"),
            ..relay::RelayConfig::default()
        })
        .await
        .map_err(|error| CoreError::Demo(format!("its relay could not start ({error})")))?;
        let relay_url = relay.base_url();
        control::register_client(
            &emulator,
            ClientRecord {
                client_id: DEMO_CLIENT_ID.to_owned(),
                client_secret: client_secret.clone(),
                redirect_uris: vec![relay.callback_url()],
                app_name: Some("Ledgerlink (demo)".to_owned()),
            },
        );
        let webhooks = reqwest::Client::new()
            .post(format!("{base_url}/_emulator/webhooks"))
            .header("Content-Type", "application/json")
            .body(format!(
                "{{\"endpoint_url\":\"{relay_url}/webhooks\",\"verifier_token\":\"{verifier}\",\"format\":\"legacy\",\"time_scale\":{DEMO_WEBHOOK_TIME_SCALE}}}"
            ))
            .send()
            .await
            .map_err(|error| CoreError::Demo(format!("its webhooks could not be set ({error})")))?;
        if !webhooks.status().is_success() {
            return Err(CoreError::Demo(format!(
                "its webhooks could not be set (HTTP {})",
                webhooks.status()
            )));
        }
        tracing::info!(%base_url, %relay_url, %realm_id, "the demo emulator and relay are serving");
        Ok(DemoServer {
            emulator,
            _relay: relay,
            relay_url,
            base_url,
            realm_id,
            stop: Some(stop),
            served: Some(served),
            autosave,
        })
    }

    /// The emulator's address, e.g. `http://127.0.0.1:41234`; the
    /// Accounting API lives under it.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The discovery document's URL.
    pub(crate) fn discovery_url(&self) -> String {
        format!("{}{}", self.base_url, paths::DISCOVERY_SANDBOX)
    }

    /// The embedded relay's address.
    pub(crate) fn relay_url(&self) -> Option<&str> {
        Some(&self.relay_url)
    }

    /// The demo company's realm id.
    pub(crate) fn realm_id(&self) -> &str {
        &self.realm_id
    }

    /// The demo app's OAuth client: through the embedded relay, which holds
    /// the demo app's keys.
    pub(crate) async fn oauth_app(&self, clock: Arc<dyn Clock>) -> Result<OAuthApp, CoreError> {
        Ok(OAuthApp::relay(&self.relay_url, clock)?)
    }

    /// Connects the demo company through the relay's OAuth code flow: the
    /// consent page approves itself, so instead of a browser a plain HTTP
    /// request follows it through the relay back to the loopback listener.
    pub(crate) async fn connect(&self, oauth: &OAuthApp) -> Result<TokenSet, CoreError> {
        let listener = LoopbackListener::bind().await?;
        let options = ConnectOptions {
            timeout: Duration::from_secs(30),
            ..ConnectOptions::default()
        };
        let connection = oauth
            .connect(listener, &options, |url| {
                let url = url.to_string();
                tokio::spawn(async move {
                    if let Err(error) = reqwest::get(&url).await {
                        tracing::warn!(%error, "following the demo consent page failed");
                    }
                });
            })
            .await?;
        Ok(connection.tokens)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.autosave.abort();
        if let Err(error) = persist::save_all(&self.emulator) {
            tracing::warn!(%error, "saving the demo company on shutdown failed");
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            served.abort();
        }
    }
}
