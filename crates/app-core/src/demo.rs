//! The demo company: the project's QuickBooks emulator, embedded and served on
//! a loopback port, with a seeded sample company kept in the app's data
//! folder across restarts. The app connects to it through the same OAuth
//! code flow as to Intuit, with the consent page approved automatically.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qbo_client::{AppCredentials, Clock, ConnectOptions, Discovery, LoopbackListener, OAuthApp};
use qbo_emulator::clock::Clock as EmulatorClock;
use qbo_emulator::control::{self, ClientRecord};
use qbo_emulator::oauth::paths;
use qbo_emulator::{Emulator, EmulatorConfig, persist};
use secrets::{Sensitive, TokenSet};
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

/// The running embedded emulator.
pub(crate) struct DemoServer {
    emulator: Emulator,
    base_url: String,
    realm_id: String,
    client_secret: String,
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
        tracing::info!(%base_url, %realm_id, "the demo emulator is serving");
        Ok(DemoServer {
            emulator,
            base_url,
            realm_id,
            client_secret,
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

    /// The embedded relay's address, when the demo runs one.
    pub(crate) fn relay_url(&self) -> Option<&str> {
        None
    }

    /// The demo company's realm id.
    pub(crate) fn realm_id(&self) -> &str {
        &self.realm_id
    }

    /// The demo app's OAuth client over the emulator's endpoints.
    pub(crate) async fn oauth_app(&self, clock: Arc<dyn Clock>) -> Result<OAuthApp, CoreError> {
        let discovery = Discovery::fetch(&self.discovery_url()).await?;
        let credentials = AppCredentials {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: Sensitive::new(self.client_secret.clone()),
        };
        Ok(OAuthApp::new(discovery, credentials, clock)?)
    }

    /// Connects the demo company through the OAuth code flow: the consent
    /// page approves itself, so instead of a browser a plain HTTP request
    /// follows it back to the loopback listener.
    pub(crate) async fn connect(&self, oauth: &OAuthApp) -> Result<TokenSet, CoreError> {
        let listener = LoopbackListener::bind().await?;
        control::register_client(
            &self.emulator,
            ClientRecord {
                client_id: DEMO_CLIENT_ID.to_owned(),
                client_secret: self.client_secret.clone(),
                redirect_uris: vec![listener.redirect_uri().to_string()],
                app_name: Some("Ledgerlink (demo)".to_owned()),
            },
        );
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
