//! One company while the app runs: its database, its tokens and, once it is
//! connected, its sync engine.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use local_store::CompanyStore;
use qbo_client::{OAuthApp, QboError, TokenManager, TokenSource};
use sync_engine::{CancelFlag, Engine};
use tokio::task::JoinHandle;

use crate::views::LiveUpdates;

/// Where a company's access tokens come from: its token manager, or nowhere
/// when it is not connected (every request then asks to reconnect, while
/// local work goes on).
#[derive(Debug)]
pub enum CompanyTokens {
    /// Connected: tokens from the vault, refreshed as needed.
    Managed(Box<TokenManager>),
    /// Not connected, or disconnected.
    Missing {
        /// The company's name, for the message.
        company: String,
    },
}

impl TokenSource for CompanyTokens {
    async fn access_token(&self) -> Result<String, QboError> {
        match self {
            CompanyTokens::Managed(manager) => manager.access_token().await,
            CompanyTokens::Missing { company } => Err(not_connected(company)),
        }
    }

    async fn refresh_after_unauthorized(&self, rejected: &str) -> Result<(), QboError> {
        match self {
            CompanyTokens::Managed(manager) => manager.refresh_after_unauthorized(rejected).await,
            CompanyTokens::Missing { company } => Err(not_connected(company)),
        }
    }
}

fn not_connected(company: &str) -> QboError {
    QboError::ReconnectNeeded {
        message: format!("{company} is not connected to QuickBooks; connect it first"),
        intuit_tid: None,
    }
}

/// The engine type every company runs.
pub type CompanyEngine = Engine<Arc<CompanyTokens>>;

/// A company's live parts.
pub(crate) struct CompanyRuntime {
    pub(crate) store: CompanyStore,
    engine: Mutex<Option<Arc<CompanyEngine>>>,
    oauth: Mutex<Option<Arc<OAuthApp>>>,
    cancel: Mutex<Option<CancelFlag>>,
    syncing: AtomicBool,
    /// Woken when a sync ends, for a sync the user asked for to take its turn.
    sync_ended: tokio::sync::Notify,
    /// A webhook asked for a pull while a sync was running.
    pull_again: AtomicBool,
    timer: Mutex<Option<JoinHandle<()>>>,
    /// The task listening to the relay's live updates, if any.
    live: Mutex<Option<JoinHandle<()>>>,
    live_state: Mutex<(LiveUpdates, Option<String>)>,
    live_pulls: AtomicU64,
}

impl CompanyRuntime {
    pub(crate) fn new(store: CompanyStore) -> CompanyRuntime {
        CompanyRuntime {
            store,
            engine: Mutex::new(None),
            oauth: Mutex::new(None),
            cancel: Mutex::new(None),
            syncing: AtomicBool::new(false),
            sync_ended: tokio::sync::Notify::new(),
            pull_again: AtomicBool::new(false),
            timer: Mutex::new(None),
            live: Mutex::new(None),
            live_state: Mutex::new((LiveUpdates::Off, None)),
            live_pulls: AtomicU64::new(0),
        }
    }

    pub(crate) fn engine(&self) -> Option<Arc<CompanyEngine>> {
        lock(&self.engine).clone()
    }

    pub(crate) fn set_engine(&self, engine: Option<Arc<CompanyEngine>>) {
        *lock(&self.engine) = engine;
    }

    pub(crate) fn oauth(&self) -> Option<Arc<OAuthApp>> {
        lock(&self.oauth).clone()
    }

    pub(crate) fn set_oauth(&self, oauth: Option<Arc<OAuthApp>>) {
        *lock(&self.oauth) = oauth;
    }

    /// Marks a sync as started; false when one already runs.
    pub(crate) fn begin_sync(&self, cancel: CancelFlag) -> bool {
        if self.syncing.swap(true, Ordering::SeqCst) {
            return false;
        }
        *lock(&self.cancel) = Some(cancel);
        true
    }

    pub(crate) fn end_sync(&self) {
        *lock(&self.cancel) = None;
        self.syncing.store(false, Ordering::SeqCst);
        self.sync_ended.notify_waiters();
    }

    /// Marks a sync as started, waiting first for the one running here (a
    /// timer's or a live update's pull) to end: what the user asks for is
    /// done after it, not refused.
    pub(crate) async fn begin_sync_in_turn(&self, cancel: CancelFlag) {
        loop {
            // Listening before trying, so that an end between the two is
            // not missed.
            let ended = self.sync_ended.notified();
            let mut ended = std::pin::pin!(ended);
            ended.as_mut().enable();
            if self.begin_sync(cancel.clone()) {
                return;
            }
            ended.await;
        }
    }

    /// Ends the sync begun with [`begin_sync`](Self::begin_sync) when
    /// dropped, also when the task running it is aborted midway (a timer
    /// restarted by new settings), so the company never stays "syncing".
    pub(crate) fn syncing_guard(&self) -> SyncingGuard<'_> {
        SyncingGuard(self)
    }

    pub(crate) fn is_syncing(&self) -> bool {
        self.syncing.load(Ordering::SeqCst)
    }

    /// Cancels the running sync, if any.
    pub(crate) fn cancel_sync(&self) {
        if let Some(cancel) = lock(&self.cancel).as_ref() {
            cancel.cancel();
        }
    }

    pub(crate) fn request_pull_again(&self) {
        self.pull_again.store(true, Ordering::SeqCst);
    }

    pub(crate) fn take_pull_again(&self) -> bool {
        self.pull_again.swap(false, Ordering::SeqCst)
    }

    pub(crate) fn set_timer(&self, timer: Option<JoinHandle<()>>) {
        if let Some(previous) = std::mem::replace(&mut *lock(&self.timer), timer) {
            previous.abort();
        }
    }

    /// Replaces the live-updates task (None stops listening).
    pub(crate) fn set_live(&self, live: Option<JoinHandle<()>>) {
        let stopping = live.is_none();
        if let Some(previous) = std::mem::replace(&mut *lock(&self.live), live) {
            previous.abort();
        }
        if stopping {
            *lock(&self.live_state) = (LiveUpdates::Off, None);
        }
    }

    /// Records the live-updates state; true when it changed.
    pub(crate) fn set_live_state(&self, state: LiveUpdates, error: Option<String>) -> bool {
        let mut current = lock(&self.live_state);
        let next = (state, error);
        let changed = *current != next;
        *current = next;
        changed
    }

    pub(crate) fn live_state(&self) -> (LiveUpdates, Option<String>) {
        lock(&self.live_state).clone()
    }

    pub(crate) fn count_live_pull(&self) {
        self.live_pulls.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn live_pulls(&self) -> u64 {
        self.live_pulls.load(Ordering::SeqCst)
    }
}

impl Drop for CompanyRuntime {
    fn drop(&mut self) {
        self.set_timer(None);
        self.set_live(None);
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (every
/// critical section here is a single assignment).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// See [`CompanyRuntime::syncing_guard`].
pub(crate) struct SyncingGuard<'a>(&'a CompanyRuntime);

impl Drop for SyncingGuard<'_> {
    fn drop(&mut self) {
        self.0.end_sync();
    }
}
