//! The run: one company's sync cycle and its local edits, over a
//! [`CompanyStore`] and a [`QboClient`].
//!
//! A cycle (1) resends what the outbox holds with the request ids stored
//! before the first send, so a crash after QuickBooks committed a write never
//! duplicates it; (2) pulls — paged queries per entity type on a first sync,
//! then one CDC request per cycle, narrowed when an answer is truncated, and a
//! full re-scan when the bookmark is older than CDC's 30 days — reconciling
//! every remote change against the base and local versions; (3) pushes:
//! creates or reactivates the customers and vendors records name, validates,
//! writes the outbox and sends it in batches, committing each answer with its
//! record; (4) sends counted stock changes and re-reads the items whose
//! quantity the push moved (see [`crate::stock`]). Every step commits one [`local_store::Changeset`], so a crash or a
//! cancel between steps leaves the books consistent and the next cycle
//! continues from there.

mod catalogue;
mod local;
mod pull;
mod push;
mod reconcile;
mod types;

use std::sync::Arc;

use local_store::{Changeset, Committed, CompanyStore, RecordRow};
use qbo_client::{Clock, QboClient, TokenSource};
use tokio::sync::Mutex;

pub use catalogue::{CatalogueEntry, CatalogueSnapshot};
pub use types::{
    CancelFlag, DryRun, EngineConfig, EngineError, HeldBack, LocalEdit, PlannedOp, RecordFailure,
    Resolution, SyncPhase, SyncProgress, SyncReport,
};

/// The callback that receives progress.
pub type ProgressFn<'a> = &'a (dyn Fn(SyncProgress) + Send + Sync);

/// One company's sync engine. One sync of a company runs at a time, across
/// every process on the machine (an OS file lock beside the company
/// database); local edits may be made while a sync runs (each is one short
/// transaction, and the sync merges an edit made while its push was in
/// flight).
pub struct Engine<T: TokenSource> {
    store: CompanyStore,
    client: QboClient<T>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    /// Held for a whole sync, with the company's cross-process lock.
    syncing: Mutex<()>,
    /// Held around every read-modify-commit of records, by syncs and local
    /// edits alike, so neither overwrites the other's change. Shared, so
    /// that a scan's page being saved by a task of its own holds it until
    /// the save ends, even when the scan is dropped meanwhile.
    writing: Arc<Mutex<()>>,
}

impl<T: TokenSource> std::fmt::Debug for Engine<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Engine")
            .field("realm_id", &self.client.realm_id())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<T: TokenSource + 'static> Engine<T> {
    /// An engine over one company's store and client. `clock` gives "now"
    /// for history, conflicts and the CDC bookmark's age.
    pub fn new(
        store: CompanyStore,
        client: QboClient<T>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Self {
        Engine {
            store,
            client,
            clock,
            config,
            syncing: Mutex::new(()),
            writing: Arc::new(Mutex::new(())),
        }
    }

    /// The company's store.
    pub fn store(&self) -> &CompanyStore {
        &self.store
    }

    /// The company's QuickBooks client.
    pub fn client(&self) -> &QboClient<T> {
        &self.client
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// One full cycle: recover the outbox, pull, push. Fails at once with
    /// [`EngineError::AlreadySyncing`] while another sync runs. A throttled
    /// or unreachable QuickBooks stops the cycle with [`EngineError::Qbo`];
    /// the outbox keeps what was not confirmed for the next cycle.
    pub async fn sync(
        &self,
        progress: ProgressFn<'_>,
        cancel: &CancelFlag,
    ) -> Result<SyncReport, EngineError> {
        let _running = self.begin()?;
        let mut report = SyncReport::default();
        self.build_deferred_indexes(progress).await?;
        self.recover(&mut report, progress, cancel).await?;
        self.pull_changes(&mut report, progress, cancel).await?;
        self.refresh_catalogue().await?;
        self.push(&mut report, progress, cancel).await?;
        self.refresh_catalogue().await?;
        progress(SyncProgress {
            phase: SyncPhase::Done,
            entity: None,
            done: report.pulled + report.pushed,
            total: None,
        });
        Ok(report)
    }

    /// Pull only (a verified webhook asks for this), after resending what
    /// the outbox holds unconfirmed. Fails at once with
    /// [`EngineError::AlreadySyncing`] while a sync runs.
    pub async fn pull(
        &self,
        progress: ProgressFn<'_>,
        cancel: &CancelFlag,
    ) -> Result<SyncReport, EngineError> {
        let _running = self.begin()?;
        let mut report = SyncReport::default();
        self.build_deferred_indexes(progress).await?;
        // An unconfirmed create must be settled before its object can come
        // back in a pull, or it would arrive as a second record.
        self.recover(&mut report, progress, cancel).await?;
        self.pull_changes(&mut report, progress, cancel).await?;
        self.refresh_catalogue().await?;
        progress(SyncProgress {
            phase: SyncPhase::Done,
            entity: None,
            done: report.pulled,
            total: None,
        });
        Ok(report)
    }

    /// Takes this engine's sync lock and the company's lock shared with
    /// other processes (the app and the command line on one data folder),
    /// both held until the returned guard is dropped. Either one taken
    /// already is [`EngineError::AlreadySyncing`].
    fn begin(&self) -> Result<Running<'_>, EngineError> {
        let in_process = self
            .syncing
            .try_lock()
            .map_err(|_| EngineError::AlreadySyncing)?;
        let across_processes = self
            .store
            .try_lock_sync()?
            .ok_or(EngineError::AlreadySyncing)?;
        Ok(Running {
            _in_process: in_process,
            _across_processes: across_processes,
        })
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// A new record's local id: a UUID that begins with the engine's clock
    /// (version 7), so that the records a pull creates are appended to the
    /// store's id index instead of being scattered through it, which is
    /// what made a first sync's inserts slow.
    fn new_local_id(&self) -> String {
        let now = self.now();
        let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
        let timestamp =
            uuid::Timestamp::from_unix(uuid::NoContext, seconds, now.timestamp_subsec_nanos());
        uuid::Uuid::new_v7(timestamp).to_string()
    }

    /// Commits a changeset unless it is empty.
    async fn commit(&self, changes: Changeset) -> Result<Committed, EngineError> {
        if changes.is_empty() {
            return Ok(Committed::default());
        }
        Ok(self.store.commit(changes).await?)
    }

    /// A record that must exist.
    async fn existing(&self, local_id: &str) -> Result<RecordRow, EngineError> {
        self.store.record(local_id).await?.ok_or_else(|| {
            EngineError::NotFound(format!(
                "No record {local_id} in this company; it may have been removed. Refresh the list."
            ))
        })
    }
}

/// The locks a running sync holds.
struct Running<'a> {
    _in_process: tokio::sync::MutexGuard<'a, ()>,
    _across_processes: local_store::SyncLock,
}

/// Checks the flag at a safe point.
fn check_cancel(cancel: &CancelFlag) -> Result<(), EngineError> {
    if cancel.is_cancelled() {
        Err(EngineError::Cancelled)
    } else {
        Ok(())
    }
}
