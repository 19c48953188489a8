//! QuickBooks through a Ledgerlink relay: "Connect QuickBooks" with no keys
//! to type, and live updates (a change made in QuickBooks is pulled within
//! seconds instead of at the next timer tick).
//!
//! The relay holds the Intuit app's keys and receives Intuit's webhooks. The
//! app keeps a PKCE verifier per connect, redeems and refreshes its tokens
//! through the relay, and listens to the relay's event stream per company,
//! resuming from the cursor stored in the app database. Each burst of events
//! becomes one CDC pull; the timer stays as the backstop.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use local_store::{CompanyKind, CompanyRow, ConnectionState};
use qbo_client::model::CompanyInfo;
use qbo_client::{LiveError, LiveEvent, OAuthApp, QboError, RelayEvents, TokenSource as _};

use crate::companies::INTUIT_PRODUCTION_API;
use crate::companies::SyncTurn;
use crate::error::CoreError;
use crate::runtime::CompanyRuntime;
use crate::views::{CompanySettings, CompanySummary, LiveUpdates};
use crate::{AppCore, CoreResult};

/// The environment variable that sets the relay address at run time.
pub const RELAY_URL_ENV: &str = "LEDGERLINK_RELAY_URL";
/// The environment variable that overrides the QuickBooks Accounting API
/// address of relay companies at run time; without it (or the app setting)
/// the relay says which API its keys belong to.
pub const QUICKBOOKS_API_URL_ENV: &str = "LEDGERLINK_QUICKBOOKS_API_URL";
/// The relay address baked into this build by whoever ships it
/// (`LEDGERLINK_RELAY_URL` at compile time), if any.
const BUILT_IN_RELAY_URL: Option<&str> = option_env!("LEDGERLINK_RELAY_URL");
/// The app setting that overrides the built-in relay address.
pub(crate) const RELAY_URL_SETTING: &str = "relay_url";
/// The app setting that overrides the Accounting API address.
pub(crate) const QUICKBOOKS_API_URL_SETTING: &str = "quickbooks_api_url";
/// The name a company added without one carries until QuickBooks says its
/// name.
pub const UNNAMED_COMPANY: &str = "New QuickBooks company";

/// The first pause before reconnecting to the relay; it doubles up to
/// [`BACKOFF_MAX`] and starts again once a connection held.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Why listening stopped.
enum ListenEnd {
    /// The company is gone or no longer connected: stop for good.
    Stop,
    /// Something failed; retry after a pause.
    Failed(String),
}

impl From<CoreError> for ListenEnd {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::UnknownCompany(_)
            | CoreError::NotConnected { .. }
            | CoreError::ReconnectNeeded { .. } => ListenEnd::Stop,
            other => ListenEnd::Failed(other.to_string()),
        }
    }
}

impl From<local_store::StoreError> for ListenEnd {
    fn from(error: local_store::StoreError) -> Self {
        ListenEnd::Failed(error.to_string())
    }
}

impl From<LiveError> for ListenEnd {
    fn from(error: LiveError) -> Self {
        ListenEnd::Failed(error.to_string())
    }
}

impl AppCore {
    /// The relay "Connect QuickBooks" goes through: `LEDGERLINK_RELAY_URL`
    /// at run time, else the app setting, else the one built in; None when
    /// there is none.
    pub async fn relay_url(&self) -> CoreResult<Option<String>> {
        if let Some(url) = non_empty(std::env::var(RELAY_URL_ENV).ok()) {
            return Ok(Some(url));
        }
        if let Some(url) = non_empty(self.app_store().setting(RELAY_URL_SETTING).await?) {
            return Ok(Some(url));
        }
        Ok(non_empty(BUILT_IN_RELAY_URL.map(str::to_owned)))
    }

    /// The Accounting API address set to override the relay's (an
    /// emulator's, say): `LEDGERLINK_QUICKBOOKS_API_URL`, else the app
    /// setting; None when neither is set.
    async fn quickbooks_api_override(&self) -> CoreResult<Option<String>> {
        if let Some(url) = non_empty(std::env::var(QUICKBOOKS_API_URL_ENV).ok()) {
            return Ok(Some(url));
        }
        Ok(non_empty(
            self.app_store().setting(QUICKBOOKS_API_URL_SETTING).await?,
        ))
    }

    /// Before a relay company connects: its Accounting API is the override
    /// if one is set, else the one the relay announces for its keys
    /// (`GET /metadata`: production, sandbox or whatever stands in for
    /// Intuit), else what the company has (a relay too old to say). An
    /// unreachable relay fails here, not after ten minutes of waiting for a
    /// browser that could not load the relay's page.
    pub(crate) async fn resolve_relay_api(&self, row: &mut CompanyRow) -> CoreResult<()> {
        let Some(relay) = row.relay_url.clone() else {
            return Ok(());
        };
        if let Some(api) = self.quickbooks_api_override().await? {
            url::Url::parse(&api).map_err(|_| {
                CoreError::Invalid(format!(
                    "The QuickBooks API address \"{api}\" is not a URL."
                ))
            })?;
            row.api_base_url = Some(api);
            return Ok(());
        }
        let events = RelayEvents::new(&relay).map_err(|_| {
            CoreError::Invalid(format!(
                "The relay address \"{relay}\" is not a URL; check it in Settings."
            ))
        })?;
        match events.metadata().await {
            Ok(Some(metadata)) => {
                row.api_base_url = Some(
                    metadata
                        .quickbooks_api_base
                        .as_str()
                        .trim_end_matches('/')
                        .to_owned(),
                );
                if matches!(metadata.environment.as_str(), "production" | "sandbox") {
                    row.environment = metadata.environment;
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(LiveError::Transport(message)) => Err(QboError::transient(format!(
                "The relay at {relay} cannot be reached ({message}). Check the network and the relay address in Settings, then try again."
            ))
            .into()),
            Err(error) => Err(CoreError::Invalid(format!(
                "The relay at {relay} did not say which QuickBooks to use: {error}. Check the relay address in Settings."
            ))),
        }
    }

    /// Adds a QuickBooks company reached through the relay; connect it next
    /// ("Connect QuickBooks" does both). Without a name it takes the one
    /// QuickBooks gives once connected. With no relay set, says what is
    /// needed instead ([`CoreError::RelayNeeded`]).
    pub async fn add_quickbooks_company(&self, name: Option<String>) -> CoreResult<CompanySummary> {
        let relay = self.relay_url().await?.ok_or(CoreError::RelayNeeded)?;
        // Refuse a mistyped address now rather than at the first connect.
        OAuthApp::relay(&relay, Arc::clone(&self.inner.options.clock)).map_err(|_| {
            CoreError::Invalid(format!(
                "The relay address \"{relay}\" is not a URL; check it in Settings."
            ))
        })?;
        // Until the relay says which API its keys belong to, a company
        // points at the override or at production.
        let api_base_url = self
            .quickbooks_api_override()
            .await?
            .unwrap_or_else(|| INTUIT_PRODUCTION_API.to_owned());
        url::Url::parse(&api_base_url).map_err(|_| {
            CoreError::Invalid(format!(
                "The QuickBooks API address \"{api_base_url}\" is not a URL."
            ))
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut row = CompanyRow {
            id: id.clone(),
            name: non_empty(name).unwrap_or_else(|| UNNAMED_COMPANY.to_owned()),
            kind: CompanyKind::Relay,
            environment: "production".to_owned(),
            discovery_url: String::new(),
            api_base_url: Some(api_base_url),
            client_id: None,
            redirect_page: None,
            realm_id: None,
            connection: ConnectionState::NotConnected,
            settings: serde_json::to_value(CompanySettings::default()).unwrap_or_default(),
            created_at: self.now(),
            last_sync_at: None,
            last_sync_error: None,
            relay_url: Some(relay),
        };
        // Shown right away as the relay's environment; a relay that cannot
        // be reached now is asked again (and must answer) at connect.
        if let Err(error) = self.resolve_relay_api(&mut row).await {
            tracing::warn!(%error, "the relay did not say which QuickBooks it uses");
        }
        self.app_store().add_company(&row).await?;
        self.notify_companies().await;
        self.company(&id).await
    }

    /// After a connect: a company added without a name takes QuickBooks'.
    pub(crate) async fn name_from_quickbooks(&self, row: &mut CompanyRow) {
        if row.name != UNNAMED_COMPANY {
            return;
        }
        let (Some(realm_id), Some(runtime)) =
            (row.realm_id.clone(), self.loaded_runtime(&row.id).await)
        else {
            return;
        };
        let Some(engine) = runtime.engine() else {
            return;
        };
        match engine.client().read::<CompanyInfo>(&realm_id).await {
            Ok(CompanyInfo {
                company_name: Some(name),
                ..
            }) if !name.trim().is_empty() => {
                row.name = name.trim().to_owned();
                if let Err(error) = self.app_store().update_company(row).await {
                    tracing::warn!(%error, "saving the company's name failed");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "reading the company's name failed"),
        }
    }

    /// The relay a company's live updates come from: the embedded one for
    /// the demo (its port changes at every start), the stored one for relay
    /// companies, none for the rest.
    pub(crate) async fn company_relay_url(&self, row: &CompanyRow) -> Option<String> {
        if row.kind == CompanyKind::Demo {
            return match self.demo_server().await {
                Ok(demo) => demo.relay_url().map(str::to_owned),
                Err(_) => None,
            };
        }
        row.relay_url.clone()
    }

    /// Starts (or restarts) listening to a connected relay company's live
    /// updates, when the app listens at all.
    pub(crate) async fn start_live_updates(&self, company_id: &str, runtime: &Arc<CompanyRuntime>) {
        if !self.inner.options.live_updates {
            return;
        }
        let row = match self.company_row(company_id).await {
            Ok(row) => row,
            Err(error) => {
                tracing::warn!(%error, "cannot read the company to listen to its relay");
                return;
            }
        };
        let relay = self.company_relay_url(&row).await;
        let (Some(relay), Some(realm_id), ConnectionState::Connected) =
            (relay, row.realm_id.clone(), row.connection)
        else {
            runtime.set_live(None);
            return;
        };
        let core = self.clone();
        let company_id = company_id.to_owned();
        runtime.set_live_state(LiveUpdates::Connecting, None);
        let task = tokio::spawn(async move {
            core.listen(&company_id, &relay, &realm_id).await;
        });
        runtime.set_live(Some(task));
    }

    /// Listens until the company is gone or disconnected, reconnecting with
    /// a growing pause.
    async fn listen(&self, company_id: &str, relay: &str, realm_id: &str) {
        let events = match RelayEvents::new(relay) {
            Ok(events) => events,
            Err(error) => {
                self.set_live_state(company_id, LiveUpdates::Error, Some(error.to_string()))
                    .await;
                return;
            }
        };
        let mut backoff = BACKOFF_START;
        loop {
            self.set_live_state(company_id, LiveUpdates::Connecting, None)
                .await;
            let mut held = false;
            match self
                .listen_once(&events, company_id, realm_id, &mut held)
                .await
            {
                Ok(()) => {
                    tracing::info!(company = %company_id, "the relay closed the event stream");
                }
                Err(ListenEnd::Stop) => {
                    self.set_live_state(company_id, LiveUpdates::Off, None)
                        .await;
                    return;
                }
                Err(ListenEnd::Failed(message)) => {
                    tracing::warn!(company = %company_id, %message, "live updates failed");
                    self.set_live_state(company_id, LiveUpdates::Error, Some(message))
                        .await;
                }
            }
            if held {
                backoff = BACKOFF_START;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// One connection: subscribe with the company's access token, then act
    /// on the events until the stream ends. `held` turns true once the
    /// stream is open.
    async fn listen_once(
        &self,
        events: &RelayEvents,
        company_id: &str,
        realm_id: &str,
        held: &mut bool,
    ) -> Result<(), ListenEnd> {
        let row = self.company_row(company_id).await?;
        if row.connection != ConnectionState::Connected {
            return Err(ListenEnd::Stop);
        }
        let runtime = self.runtime(&row).await?;
        let engine = self.ensure_engine(&row, &runtime).await?;
        let tokens = engine.client().token_source();
        let token = tokens.access_token().await.map_err(CoreError::from)?;
        let subscription = match events.subscribe(realm_id, &token).await {
            // The token may have died early (revoked and reissued, say):
            // refresh once through the single-flight gate and try again.
            Err(LiveError::Forbidden) => {
                tokens
                    .refresh_after_unauthorized(&token)
                    .await
                    .map_err(CoreError::from)?;
                let token = tokens.access_token().await.map_err(CoreError::from)?;
                events.subscribe(realm_id, &token).await?
            }
            other => other?,
        };
        let cursor = match self.app_store().relay_cursor(company_id).await? {
            Some(cursor) => cursor,
            None => {
                // A company connected just now was pulled whole: start from
                // the relay's latest event, and resume from here after a
                // restart.
                self.app_store()
                    .set_relay_cursor(company_id, Some(subscription.cursor))
                    .await?;
                subscription.cursor
            }
        };
        let mut stream = events.events(&subscription, cursor).await?;
        *held = true;
        self.set_live_state(company_id, LiveUpdates::Connected, None)
            .await;
        tracing::info!(company = %company_id, cursor, "listening to the relay");
        let debounce = self.inner.options.live_debounce;
        let mut due: Option<tokio::time::Instant> = None;
        let mut last_seq = cursor;
        loop {
            let wake = due.unwrap_or_else(|| tokio::time::Instant::now() + BACKOFF_MAX);
            let event = tokio::select! {
                event = stream.next() => Some(event),
                () = tokio::time::sleep_until(wake), if due.is_some() => None,
            };
            match event {
                Some(None) => return Ok(()),
                Some(Some(Err(error))) => return Err(error.into()),
                Some(Some(Ok(LiveEvent::Change(change)))) => {
                    tracing::debug!(
                        company = %company_id,
                        seq = change.seq,
                        entity = %change.entity,
                        "a change arrived from the relay"
                    );
                    last_seq = last_seq.max(change.seq);
                    // The first event of a burst sets the pull's time; the
                    // rest of the burst joins that pull.
                    due.get_or_insert_with(|| tokio::time::Instant::now() + debounce);
                }
                Some(Some(Ok(LiveEvent::Resync))) => {
                    due = None;
                    self.live_sync(company_id, false, last_seq).await?;
                }
                None => {
                    due = None;
                    self.live_sync(company_id, true, last_seq).await?;
                }
            }
        }
    }

    /// The pull (or, after a resync notice, the sync) a relay event asked
    /// for; the cursor moves once it is done.
    async fn live_sync(
        &self,
        company_id: &str,
        pull_only: bool,
        seq: u64,
    ) -> Result<(), ListenEnd> {
        // A catch-up after a resync notice pulls everything; in review mode
        // it must not push either.
        let pull_only = pull_only || self.review_before_sending(company_id).await;
        match self
            .run_sync(company_id, pull_only, SyncTurn::SkipIfBusy, &|_| {})
            .await
        {
            // A running sync pulls once more when it finishes.
            Ok(_) | Err(CoreError::AlreadySyncing { .. }) => {
                if let Some(runtime) = self.loaded_runtime(company_id).await {
                    runtime.count_live_pull();
                }
                self.app_store()
                    .set_relay_cursor(company_id, Some(seq))
                    .await
                    .map_err(CoreError::from)?;
                Ok(())
            }
            Err(error) => {
                let end = ListenEnd::from(error);
                if let ListenEnd::Failed(message) = &end {
                    // The cursor stays, so the changes are pulled again
                    // later; the timer is the backstop meanwhile.
                    tracing::warn!(company = %company_id, %message, "a live pull failed");
                    return Ok(());
                }
                Err(end)
            }
        }
    }

    async fn set_live_state(&self, company_id: &str, state: LiveUpdates, error: Option<String>) {
        let Some(runtime) = self.loaded_runtime(company_id).await else {
            return;
        };
        if runtime.set_live_state(state, error) {
            self.notify_companies().await;
        }
    }

    /// How many pulls live updates ran for a company since it was loaded
    /// (one per burst of changes); for diagnostics and tests.
    pub async fn live_pull_count(&self, company_id: &str) -> u64 {
        match self.loaded_runtime(company_id).await {
            Some(runtime) => runtime.live_pulls(),
            None => 0,
        }
    }
}
