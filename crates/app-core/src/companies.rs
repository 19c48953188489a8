//! Companies: add (demo or the user's Intuit keys), connect, sync,
//! disconnect, remove.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use local_store::{CompanyKind, CompanyRow, CompanyStore, ConnectionState, company_database_path};
use qbo_client::{
    AppCredentials, ConnectOptions, Discovery, ErrorKind, LoopbackListener, OAuthApp, QboClient,
    RedirectMode, TokenManager, TokenManagerConfig,
};
use secrets::{Sensitive, TokenVault};
use sync_engine::{CancelFlag, Engine, EngineConfig, SyncProgress, SyncReport};
use url::Url;

use crate::demo::DemoServer;
use crate::error::CoreError;
use crate::runtime::{CompanyRuntime, CompanyTokens};
use crate::views::{CompanySettings, CompanySummary, IntuitKeysInput};
use crate::{AppCore, CoreResult};

/// Intuit's Accounting API hosts (API.md §1.1).
const INTUIT_SANDBOX_API: &str = "https://sandbox-quickbooks.api.intuit.com";
pub(crate) const INTUIT_PRODUCTION_API: &str = "https://quickbooks.api.intuit.com";

/// How long the user has to finish in the browser.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The loopback port of the own-keys path: Intuit matches redirect URIs
/// exactly, so the one registered with the app names this port.
pub const OWN_KEYS_PORT: u16 = 8917;

/// The redirect URI to register with an Intuit app for the own-keys path.
pub fn own_keys_redirect_uri() -> String {
    format!(
        "http://localhost:{OWN_KEYS_PORT}{}",
        qbo_client::connect::CALLBACK_PATH
    )
}

/// A company to add with the user's own keys (or an emulator's).
#[derive(Debug, Clone)]
pub struct NewCompany {
    /// A label until QuickBooks tells us the company's name.
    pub name: String,
    /// `sandbox`, `production` or `emulator`.
    pub environment: String,
    /// The discovery document; Intuit's for sandbox and production when absent.
    pub discovery_url: Option<String>,
    /// The Accounting API host; Intuit's for sandbox and production when absent.
    pub api_base_url: Option<String>,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret (kept in the vault only).
    pub client_secret: Sensitive<String>,
    /// A hosted https redirect page, for production keys.
    pub redirect_page: Option<String>,
}

impl AppCore {
    /// Every company, in the order they were added.
    pub async fn list_companies(&self) -> CoreResult<Vec<CompanySummary>> {
        let rows = self.app_store().companies().await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in rows {
            summaries.push(self.summarize(&row).await);
        }
        Ok(summaries)
    }

    /// One company's summary.
    pub async fn company(&self, company_id: &str) -> CoreResult<CompanySummary> {
        let row = self.company_row(company_id).await?;
        Ok(self.summarize(&row).await)
    }

    /// Adds the demo company (the embedded emulator's sample company) and
    /// connects it. A second call returns the existing demo company.
    pub async fn add_demo_company(&self) -> CoreResult<CompanySummary> {
        let existing = self
            .app_store()
            .companies()
            .await?
            .into_iter()
            .find(|row| row.kind == CompanyKind::Demo);
        let row = match existing {
            Some(row) => row,
            None => {
                let demo = self.demo_server().await?;
                let row = CompanyRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: "Demo company".to_owned(),
                    kind: CompanyKind::Demo,
                    environment: "emulator".to_owned(),
                    discovery_url: demo.discovery_url(),
                    api_base_url: Some(demo.base_url().to_owned()),
                    client_id: None,
                    redirect_page: None,
                    realm_id: Some(demo.realm_id().to_owned()),
                    connection: ConnectionState::NotConnected,
                    settings: serde_json::to_value(CompanySettings::default()).unwrap_or_default(),
                    created_at: self.now(),
                    last_sync_at: None,
                    last_sync_error: None,
                    relay_url: None,
                };
                self.app_store().add_company(&row).await?;
                row
            }
        };
        self.connect_company(&row.id, |_| {}).await
    }

    /// Adds a company reached with the app's own Intuit keys (set once in
    /// Settings with [`AppCore::set_own_keys`]); connect it next.
    pub async fn add_intuit_company(&self, input: IntuitKeysInput) -> CoreResult<CompanySummary> {
        let Some((client_id, environment, client_secret)) = self.own_keys().await? else {
            return Err(CoreError::Invalid(
                "Set your Intuit app's keys first (Settings, Advanced: use my own Intuit app keys).".to_owned(),
            ));
        };
        self.add_company(NewCompany {
            name: input.name,
            environment,
            discovery_url: None,
            api_base_url: None,
            client_id,
            client_secret,
            redirect_page: input.redirect_page.filter(|page| !page.trim().is_empty()),
        })
        .await
    }

    /// Adds a company with explicit endpoints (Intuit's, or an emulator's).
    pub async fn add_company(&self, new: NewCompany) -> CoreResult<CompanySummary> {
        let name = new.name.trim().to_owned();
        if name.is_empty() {
            return Err(CoreError::Invalid(
                "Give the company a name so you can tell it apart.".to_owned(),
            ));
        }
        let client_id = new.client_id.trim().to_owned();
        if client_id.is_empty() || new.client_secret.expose().trim().is_empty() {
            return Err(CoreError::Invalid(
                "Enter the client id and client secret from your app's Keys page on the Intuit developer portal.".to_owned(),
            ));
        }
        let (discovery_url, api_base_url) = match new.environment.as_str() {
            "sandbox" => (
                new.discovery_url
                    .unwrap_or_else(|| Discovery::INTUIT_SANDBOX.to_owned()),
                new.api_base_url
                    .unwrap_or_else(|| INTUIT_SANDBOX_API.to_owned()),
            ),
            "production" => (
                new.discovery_url
                    .unwrap_or_else(|| Discovery::INTUIT_PRODUCTION.to_owned()),
                new.api_base_url
                    .unwrap_or_else(|| INTUIT_PRODUCTION_API.to_owned()),
            ),
            _ => match (new.discovery_url, new.api_base_url) {
                (Some(discovery), Some(api)) => (discovery, api),
                (Some(discovery), None) => {
                    let api = Url::parse(&discovery)
                        .map(|url| url.origin().ascii_serialization())
                        .map_err(|_| {
                            CoreError::Invalid(format!(
                                "\"{discovery}\" is not a URL; give the emulator's discovery URL."
                            ))
                        })?;
                    (discovery, api)
                }
                _ => {
                    return Err(CoreError::Invalid(
                        "An emulator company needs its discovery URL.".to_owned(),
                    ));
                }
            },
        };
        for url in [&discovery_url, &api_base_url] {
            Url::parse(url).map_err(|_| {
                CoreError::Invalid(format!("\"{url}\" is not a URL; check it and try again."))
            })?;
        }
        if let Some(page) = &new.redirect_page {
            let parsed = Url::parse(page).map_err(|_| {
                CoreError::Invalid(format!("The redirect page \"{page}\" is not a URL."))
            })?;
            if parsed.scheme() != "https" {
                return Err(CoreError::Invalid(
                    "The redirect page must be an https address, as Intuit requires.".to_owned(),
                ));
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.inner
            .options
            .vault
            .store_client_secret(&id, &new.client_secret)?;
        let row = CompanyRow {
            id: id.clone(),
            name,
            kind: if new.environment == "emulator" {
                CompanyKind::Emulator
            } else {
                CompanyKind::Intuit
            },
            environment: new.environment,
            discovery_url,
            api_base_url: Some(api_base_url),
            client_id: Some(client_id),
            redirect_page: new.redirect_page,
            realm_id: None,
            connection: ConnectionState::NotConnected,
            settings: serde_json::to_value(CompanySettings::default()).unwrap_or_default(),
            created_at: self.now(),
            last_sync_at: None,
            last_sync_error: None,
            relay_url: None,
        };
        if let Err(error) = self.app_store().add_company(&row).await {
            let _ = self.inner.options.vault.delete_client_secret(&id);
            return Err(error.into());
        }
        self.notify_companies().await;
        self.company(&id).await
    }

    /// Connects a company: opens the consent page with `open_browser` (the
    /// desktop app opens the system browser, the CLI prints the URL), waits
    /// for the redirect and stores the tokens. The demo company connects
    /// without a browser.
    pub async fn connect_company(
        &self,
        company_id: &str,
        open_browser: impl FnOnce(&Url) + Send,
    ) -> CoreResult<CompanySummary> {
        let mut row = self.company_row(company_id).await?;
        if row.kind == CompanyKind::Relay {
            self.resolve_relay_api(&mut row).await?;
        }
        let oauth = Arc::new(self.oauth_app(&row).await?);
        let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
        lock(&self.inner.connects).insert(company_id.to_owned(), cancel);
        let connecting = async {
            if row.kind == CompanyKind::Demo {
                let demo = self.demo_server().await?;
                let tokens = demo.connect(&oauth).await?;
                Ok::<_, CoreError>((demo.realm_id().to_owned(), tokens))
            } else {
                let listener = match row.kind {
                    // Intuit accepts only the redirect URIs registered with
                    // the app, port included: the own-keys path listens on
                    // the one fixed port shown in Settings.
                    CompanyKind::Intuit => LoopbackListener::bind_port(OWN_KEYS_PORT)
                        .await
                        .map_err(|_| CoreError::Invalid(format!(
                            "Port {OWN_KEYS_PORT} on this computer is in use, and the sign-in redirect registered with your Intuit app ({}) needs it. Close the program using it (or another Ledgerlink connect) and try again.",
                            own_keys_redirect_uri()
                        )))?,
                    // The relay and an emulator accept any loopback port.
                    _ => LoopbackListener::bind().await?,
                };
                let redirect = match &row.redirect_page {
                    Some(page) => RedirectMode::HostedPage {
                        url: Url::parse(page).map_err(|_| {
                            CoreError::Invalid(format!(
                                "The redirect page \"{page}\" is not a URL."
                            ))
                        })?,
                    },
                    None => RedirectMode::Loopback,
                };
                let options = ConnectOptions {
                    redirect,
                    timeout: CONNECT_TIMEOUT,
                    ..ConnectOptions::default()
                };
                let connection = oauth.connect(listener, &options, open_browser).await?;
                Ok((connection.realm_id, connection.tokens))
            }
        };
        let outcome = tokio::select! {
            outcome = connecting => outcome,
            _ = cancelled => Err(CoreError::Cancelled),
        };
        lock(&self.inner.connects).remove(company_id);
        let (realm_id, tokens) = outcome?;
        if let Some(previous) = &row.realm_id
            && row.kind != CompanyKind::Demo
            && previous != &realm_id
        {
            return Err(CoreError::Invalid(format!(
                "You chose a different QuickBooks company (realm {realm_id}) than the one {} is linked to (realm {previous}). Connect again and pick the same company, or add the other one as a new company.",
                row.name
            )));
        }
        self.vault_for(&row).store(company_id, &tokens)?;
        let realm_changed = row.realm_id.as_deref() != Some(realm_id.as_str());
        row.realm_id = Some(realm_id);
        row.connection = ConnectionState::Connected;
        row.last_sync_error = None;
        self.app_store().update_company(&row).await?;
        let runtime = self.runtime(&row).await?;
        runtime.set_oauth(Some(Arc::clone(&oauth)));
        runtime.set_engine(None);
        self.ensure_engine(&row, &runtime).await?;
        self.name_from_quickbooks(&mut row).await;
        if realm_changed {
            // Events numbered for another company's stream mean nothing here.
            self.app_store().set_relay_cursor(&row.id, None).await?;
        }
        if self.inner.options.timers {
            self.start_timer(&row.id, &runtime).await;
        }
        self.start_live_updates(&row.id, &runtime).await;
        tracing::info!(company = %row.id, "connected");
        self.notify_companies().await;
        self.company(company_id).await
    }

    /// Stops waiting for the browser.
    pub fn cancel_connect(&self, company_id: &str) {
        if let Some(cancel) = lock(&self.inner.connects).remove(company_id) {
            let _ = cancel.send(());
        }
    }

    /// Disconnects a company: revokes its grant at Intuit and forgets the
    /// tokens. Local data stays.
    pub async fn disconnect_company(&self, company_id: &str) -> CoreResult<CompanySummary> {
        let mut row = self.company_row(company_id).await?;
        let vault = self.vault_for(&row);
        if let Some(tokens) = vault.load(company_id)? {
            match self.oauth_app(&row).await {
                Ok(oauth) => {
                    if let Err(error) = oauth.revoke(&tokens.refresh_token).await {
                        // The tokens are forgotten anyway; the grant ends by itself after 100 days.
                        tracing::warn!(%error, company = %company_id, "revoking at Intuit failed");
                    }
                }
                Err(error) => tracing::warn!(%error, "no OAuth endpoints to revoke with"),
            }
        }
        vault.delete(company_id)?;
        row.connection = ConnectionState::NotConnected;
        self.app_store().update_company(&row).await?;
        if let Some(runtime) = self.loaded_runtime(company_id).await {
            runtime.cancel_sync();
            runtime.set_timer(None);
            runtime.set_live(None);
            runtime.set_engine(None);
        }
        self.notify_companies().await;
        self.company(company_id).await
    }

    /// Removes a company and everything the app keeps for it (its database,
    /// tokens and client secret). QuickBooks is not touched.
    pub async fn remove_company(&self, company_id: &str) -> CoreResult<()> {
        let row = self.company_row(company_id).await?;
        if let Err(error) = self.disconnect_company(company_id).await {
            tracing::warn!(%error, company = %company_id, "disconnecting before removal failed");
        }
        let runtime = self.inner.companies.lock().await.remove(company_id);
        if let Some(runtime) = runtime {
            runtime.cancel_sync();
            runtime.set_engine(None);
            if let Ok(runtime) = Arc::try_unwrap(runtime) {
                runtime.store.clone().close().await;
            }
        }
        let database = company_database_path(&self.inner.paths.data_dir, company_id);
        let files = ["", "-wal", "-shm"]
            .into_iter()
            .map(|suffix| {
                let mut path = database.clone().into_os_string();
                path.push(suffix);
                path
            })
            .chain(std::iter::once(
                local_store::sync_lock_path(&database).into_os_string(),
            ));
        for path in files {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(CoreError::Io {
                        what: format!(
                            "Removing {}'s database (close other programs using it and try again)",
                            row.name
                        ),
                        source,
                    });
                }
            }
        }
        if row.kind != CompanyKind::Demo {
            self.inner.options.vault.delete_client_secret(company_id)?;
        }
        self.app_store().remove_company(company_id).await?;
        self.notify_companies().await;
        Ok(())
    }

    /// Syncs a company now: recover, pull, push. `progress` hears every step.
    /// A sync already running in this app (the timer's, or a live update's
    /// pull) is waited for, then this one runs; another process syncing the
    /// company is refused as `AlreadySyncing`.
    pub async fn sync_now(
        &self,
        company_id: &str,
        progress: impl Fn(SyncProgress) + Send + Sync,
    ) -> CoreResult<SyncReport> {
        self.run_sync(company_id, false, SyncTurn::Wait, &progress)
            .await
    }

    /// Cancels a running sync; it stops between steps, leaving nothing half done.
    pub async fn cancel_sync(&self, company_id: &str) -> CoreResult<()> {
        if let Some(runtime) = self.loaded_runtime(company_id).await {
            runtime.cancel_sync();
        }
        Ok(())
    }

    /// Runs a sync (or only a pull) with the bookkeeping around it.
    pub(crate) async fn run_sync(
        &self,
        company_id: &str,
        pull_only: bool,
        turn: SyncTurn,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> CoreResult<SyncReport> {
        let mut row = self.company_row(company_id).await?;
        let runtime = self.runtime(&row).await?;
        let engine = self.ensure_engine(&row, &runtime).await?;
        let cancel = CancelFlag::new();
        match turn {
            SyncTurn::Wait => runtime.begin_sync_in_turn(cancel.clone()).await,
            SyncTurn::SkipIfBusy => {
                if !runtime.begin_sync(cancel.clone()) {
                    if pull_only {
                        runtime.request_pull_again();
                    }
                    return Err(CoreError::AlreadySyncing { company: row.name });
                }
            }
        }
        let syncing = runtime.syncing_guard();
        self.notify_companies().await;
        let mut outcome = if pull_only {
            engine.pull(progress, &cancel).await
        } else {
            engine.sync(progress, &cancel).await
        };
        // What every pass did, for the sync-activity record: a pull run
        // again for changes that came in meanwhile adds to the first pass.
        let mut done = SyncTotals::default();
        while outcome.is_ok() && runtime.take_pull_again() {
            if let Ok(report) = &outcome {
                done.add(report);
            }
            outcome = engine.pull(progress, &cancel).await;
        }
        drop(syncing);
        // The app waits in the tray until the next sync: what SQLite kept
        // for speed during this one goes back to the system.
        if let Err(error) = runtime.store.release_memory().await {
            tracing::warn!(%error, company = company_id, "SQLite's caches were not released");
        }
        // Read the row again: settings saved while the sync ran must not be
        // written back over with the copy read before it.
        if let Ok(fresh) = self.company_row(company_id).await {
            row = fresh;
        }
        let now = self.now();
        match &outcome {
            Ok(report) => {
                row.last_sync_at = Some(now);
                row.last_sync_error = None;
                if report.conflicts_opened > 0 {
                    self.inner
                        .options
                        .events
                        .conflicts_arrived(company_id, report.conflicts_opened);
                }
            }
            Err(sync_engine::EngineError::Qbo(error))
                if matches!(
                    error.kind(),
                    ErrorKind::ReconnectNeeded | ErrorKind::AuthExpired
                ) =>
            {
                row.connection = ConnectionState::ReconnectNeeded;
                row.last_sync_error = Some(
                    CoreError::ReconnectNeeded {
                        company: row.name.clone(),
                    }
                    .to_string(),
                );
                runtime.set_engine(None);
            }
            // Another process (the app, or the command line on the same
            // data folder) is syncing the company: nothing went wrong here.
            Err(sync_engine::EngineError::Cancelled | sync_engine::EngineError::AlreadySyncing) => {
            }
            Err(error) => {
                row.last_sync_error = Some(CoreError::from(clone_error(error)).to_string())
            }
        }
        self.record_sync_run(&runtime, now, pull_only, &outcome, done)
            .await;
        self.app_store().update_company(&row).await?;
        self.notify_companies().await;
        match outcome {
            Ok(report) => Ok(report),
            Err(sync_engine::EngineError::Qbo(error))
                if matches!(
                    error.kind(),
                    ErrorKind::ReconnectNeeded | ErrorKind::AuthExpired
                ) =>
            {
                Err(CoreError::ReconnectNeeded { company: row.name })
            }
            Err(sync_engine::EngineError::AlreadySyncing) => {
                Err(CoreError::AlreadySyncing { company: row.name })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Keeps the sync in the company's record of past syncs (the activity
    /// chart), pruning what is older than the chart shows. A sync that did
    /// not run (another process held the company, or it was cancelled) is
    /// not one. Failing to record is logged: the sync itself went through.
    async fn record_sync_run(
        &self,
        runtime: &CompanyRuntime,
        now: chrono::DateTime<Utc>,
        pull_only: bool,
        outcome: &Result<SyncReport, sync_engine::EngineError>,
        mut done: SyncTotals,
    ) {
        let failed = match outcome {
            Ok(report) => {
                done.add(report);
                false
            }
            Err(sync_engine::EngineError::Cancelled | sync_engine::EngineError::AlreadySyncing) => {
                return;
            }
            Err(_) => true,
        };
        let run = local_store::SyncRun {
            finished_at: now,
            pull_only,
            pulled: done.pulled,
            pushed: done.pushed,
            conflicts_opened: done.conflicts_opened,
            refused: done.refused,
            failed,
        };
        let keep_since = now - chrono::Duration::days(crate::activity::SYNC_RUNS_KEPT_DAYS);
        if let Err(error) = runtime.store.record_sync_run(&run, keep_since).await {
            tracing::warn!(%error, "recording the sync for the activity chart failed");
        }
    }

    /// The company's row, or UnknownCompany.
    pub(crate) async fn company_row(&self, company_id: &str) -> CoreResult<CompanyRow> {
        self.app_store()
            .company(company_id)
            .await?
            .ok_or_else(|| CoreError::UnknownCompany(company_id.to_owned()))
    }

    /// The company's runtime, opening its database on first use.
    pub(crate) async fn runtime(&self, row: &CompanyRow) -> CoreResult<Arc<CompanyRuntime>> {
        let mut companies = self.inner.companies.lock().await;
        if let Some(runtime) = companies.get(&row.id) {
            return Ok(Arc::clone(runtime));
        }
        let path = company_database_path(&self.inner.paths.data_dir, &row.id);
        let store = CompanyStore::open(&path).await?;
        let runtime = Arc::new(CompanyRuntime::new(store));
        companies.insert(row.id.clone(), Arc::clone(&runtime));
        Ok(runtime)
    }

    pub(crate) async fn loaded_runtime(&self, company_id: &str) -> Option<Arc<CompanyRuntime>> {
        self.inner.companies.lock().await.get(company_id).cloned()
    }

    /// The company's engine, built on first use. A company that was never
    /// connected has none (there is nothing to sync or edit yet).
    pub(crate) async fn ensure_engine(
        &self,
        row: &CompanyRow,
        runtime: &Arc<CompanyRuntime>,
    ) -> CoreResult<Arc<crate::CompanyEngine>> {
        if let Some(engine) = runtime.engine() {
            return Ok(engine);
        }
        let Some(realm_id) = row.realm_id.clone() else {
            return Err(CoreError::NotConnected {
                company: row.name.clone(),
            });
        };
        let api_base_url = self.api_base_url(row).await?;
        let vault = self.vault_for(row);
        if row.kind == CompanyKind::Demo && vault.load(&row.id)?.is_none() {
            // Demo tokens live in memory only: connect again, without a
            // browser, whenever the app starts.
            let demo = self.demo_server().await?;
            let oauth = Arc::new(
                demo.oauth_app(Arc::clone(&self.inner.options.clock))
                    .await?,
            );
            let tokens = demo.connect(&oauth).await?;
            vault.store(&row.id, &tokens)?;
            runtime.set_oauth(Some(oauth));
        }
        let tokens = if row.connection == ConnectionState::Connected {
            let oauth = match runtime.oauth() {
                Some(oauth) => oauth,
                None => {
                    let oauth = Arc::new(self.oauth_app(row).await?);
                    runtime.set_oauth(Some(Arc::clone(&oauth)));
                    oauth
                }
            };
            match TokenManager::load(
                &row.id,
                oauth,
                vault,
                Arc::clone(&self.inner.options.clock),
                TokenManagerConfig::default(),
            )
            .await
            {
                Ok(manager) => CompanyTokens::Managed(Box::new(manager)),
                Err(error) => {
                    tracing::warn!(%error, company = %row.id, "no usable tokens");
                    CompanyTokens::Missing {
                        company: row.name.clone(),
                    }
                }
            }
        } else {
            CompanyTokens::Missing {
                company: row.name.clone(),
            }
        };
        let client = QboClient::new(
            &api_base_url,
            &realm_id,
            Arc::new(tokens),
            self.inner.options.client_config.clone(),
        )
        .map_err(|error| CoreError::Invalid(error.to_string()))?;
        let settings = company_settings(row);
        let config = EngineConfig {
            auto_create_parties: settings.auto_create_parties,
            products: crate::products::product_rules(&settings.products),
            ..EngineConfig::default()
        };
        let engine = Arc::new(Engine::new(
            runtime.store.clone(),
            client,
            Arc::clone(&self.inner.options.clock),
            config,
        ));
        runtime.set_engine(Some(Arc::clone(&engine)));
        Ok(engine)
    }

    /// The Accounting API host of a company; the demo's moves with the port
    /// the embedded emulator got at this start.
    async fn api_base_url(&self, row: &CompanyRow) -> CoreResult<String> {
        if row.kind == CompanyKind::Demo {
            return Ok(self.demo_server().await?.base_url().to_owned());
        }
        row.api_base_url.clone().ok_or_else(|| {
            CoreError::Invalid(format!(
                "{} has no QuickBooks address; remove it and add it again.",
                row.name
            ))
        })
    }

    /// The OAuth app of a company (its keys over its discovery document).
    async fn oauth_app(&self, row: &CompanyRow) -> CoreResult<OAuthApp> {
        if row.kind == CompanyKind::Demo {
            let demo = self.demo_server().await?;
            return demo.oauth_app(Arc::clone(&self.inner.options.clock)).await;
        }
        if let Some(relay) = &row.relay_url {
            return Ok(OAuthApp::relay(
                relay,
                Arc::clone(&self.inner.options.clock),
            )?);
        }
        let client_id = row.client_id.clone().ok_or_else(|| {
            CoreError::Invalid(format!(
                "{} has no client id; remove it and add it again with your app's keys.",
                row.name
            ))
        })?;
        let client_secret = self
            .inner
            .options
            .vault
            .load_client_secret(&row.id)?
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "The client secret of {} is missing from the system keyring; remove the company and add it again with your app's keys.",
                    row.name
                ))
            })?;
        let discovery = Discovery::fetch(&row.discovery_url).await?;
        Ok(OAuthApp::new(
            discovery,
            AppCredentials {
                client_id,
                client_secret,
            },
            Arc::clone(&self.inner.options.clock),
        )?)
    }

    /// Demo tokens stay in memory; real ones go to the OS keyring.
    fn vault_for(&self, row: &CompanyRow) -> Arc<dyn TokenVault> {
        if row.kind == CompanyKind::Demo {
            Arc::clone(&self.inner.demo_vault) as Arc<dyn TokenVault>
        } else {
            Arc::clone(&self.inner.options.vault)
        }
    }

    /// The address of the embedded demo emulator while it runs (its web view
    /// at `/_emulator/web/` shows the demo company as "the client in
    /// QuickBooks" would), or None before the demo company is used.
    pub async fn demo_address(&self) -> Option<String> {
        self.inner
            .demo
            .lock()
            .await
            .as_ref()
            .map(|demo| demo.base_url().to_owned())
    }

    /// The embedded emulator, started on first use.
    pub(crate) async fn demo_server(&self) -> CoreResult<Arc<DemoServer>> {
        let mut demo = self.inner.demo.lock().await;
        if let Some(server) = demo.as_ref() {
            return Ok(Arc::clone(server));
        }
        let dir = self.inner.paths.data_dir.join("demo-emulator");
        let server = Arc::new(DemoServer::start(&dir, self.inner.options.demo).await?);
        *demo = Some(Arc::clone(&server));
        Ok(server)
    }

    /// A company's summary with its live state.
    async fn summarize(&self, row: &CompanyRow) -> CompanySummary {
        let mut runtime = self.loaded_runtime(&row.id).await;
        if runtime.is_none() && company_database_path(&self.inner.paths.data_dir, &row.id).exists()
        {
            // A fresh process (the CLI, or the app just started) has opened
            // no database yet; the counts are in the file, so open it rather
            // than report nothing pending. A company with no file yet has
            // nothing pending.
            match self.runtime(row).await {
                Ok(opened) => runtime = Some(opened),
                Err(error) => {
                    tracing::warn!(company = %row.id, %error, "opening a company to count its changes failed");
                }
            }
        }
        let (open_conflicts, pending_changes) = match &runtime {
            Some(runtime) => (
                runtime
                    .store
                    .open_conflicts()
                    .await
                    .map_or(0, |conflicts| count(conflicts.len())),
                runtime
                    .store
                    .pending_records()
                    .await
                    .map_or(0, |records| count(records.len())),
            ),
            None => (0, 0),
        };
        let reconnect_warning = match row.kind {
            CompanyKind::Demo => None,
            _ => self
                .vault_for(row)
                .load(&row.id)
                .ok()
                .flatten()
                .and_then(|tokens| tokens.refresh_warning(self.now()))
                .map(|warning| warning.message()),
        };
        let (live_updates, live_updates_error) = runtime
            .as_ref()
            .map(|runtime| runtime.live_state())
            .unwrap_or_default();
        CompanySummary {
            id: row.id.clone(),
            name: row.name.clone(),
            kind: row.kind,
            environment: row.environment.clone(),
            realm_id: row.realm_id.clone(),
            connection: row.connection,
            syncing: runtime.as_ref().is_some_and(|runtime| runtime.is_syncing()),
            queued: self.is_queued(&row.id),
            last_sync_at: row.last_sync_at.map(|time| time.to_rfc3339()),
            last_sync_error: row.last_sync_error.clone(),
            open_conflicts,
            pending_changes,
            reconnect_warning,
            live_updates,
            live_updates_error,
        }
    }

    /// Tells the front end the companies changed.
    pub(crate) async fn notify_companies(&self) {
        match self.list_companies().await {
            Ok(companies) => self.inner.options.events.companies_changed(&companies),
            Err(error) => tracing::warn!(%error, "listing companies for an event failed"),
        }
    }

    pub(crate) fn now(&self) -> chrono::DateTime<Utc> {
        self.inner.options.clock.now()
    }
}

/// A company's settings, the defaults where none were saved.
pub(crate) fn company_settings(row: &CompanyRow) -> CompanySettings {
    serde_json::from_value(row.settings.clone()).unwrap_or_default()
}

fn count(length: usize) -> u32 {
    u32::try_from(length).unwrap_or(u32::MAX)
}

/// What the passes of one sync did together.
/// What a sync does when one is already running in this app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncTurn {
    /// Waits for it to end, then runs: the user asked for this one.
    Wait,
    /// Gives up with `AlreadySyncing` (a pull asks for another pass after
    /// the running one): the timer, live updates and Sync all, which come
    /// back on their own.
    SkipIfBusy,
}

#[derive(Debug, Default, Clone, Copy)]
struct SyncTotals {
    pulled: u64,
    pushed: u64,
    conflicts_opened: u64,
    refused: u64,
}

impl SyncTotals {
    fn add(&mut self, report: &SyncReport) {
        self.pulled += report.pulled;
        self.pushed += report.pushed;
        self.conflicts_opened += report.conflicts_opened;
        self.refused += u64::try_from(report.failed.len()).unwrap_or(u64::MAX);
    }
}

/// Engine errors hold their sources; the message is what a later sync shows.
fn clone_error(error: &sync_engine::EngineError) -> sync_engine::EngineError {
    sync_engine::EngineError::Refused(error.to_string())
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
