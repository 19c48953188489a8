//! What the engine's callers see: its settings, progress, reports, errors
//! and the answers of local edits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use local_store::{RecordRow, StoreError};
use qbo_client::QboError;
use serde::Serialize;
use ts_rs::TS;

use crate::merge::{Choice, FieldPath};
use crate::validate::ValidationIssue;

/// How an [`Engine`](super::Engine) works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Operations per batch request (QBO allows 30).
    pub batch_size: usize,
    /// Rows per query page on a first sync or a full re-scan (QBO allows 1,000).
    pub first_sync_page_size: u32,
    /// The most objects QBO puts in one CDC answer (1,000); an answer this
    /// full is treated as truncated. Lower only against an emulator
    /// configured with a lower cap.
    pub cdc_cap: usize,
    /// Create (or reactivate) customers and vendors that a record names but
    /// QuickBooks does not have yet.
    pub auto_create_parties: bool,
    /// How the product catalogue follows QuickBooks' items.
    pub products: crate::stock::ProductRules,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            batch_size: 30,
            first_sync_page_size: 1000,
            cdc_cap: 1000,
            auto_create_parties: true,
            products: crate::stock::ProductRules::default(),
        }
    }
}

/// What went wrong, by what the caller should do.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A sync of this company is running; this one did not start.
    #[error("A sync of this company is already running; wait for it to finish.")]
    AlreadySyncing,
    /// The sync stopped because it was asked to; what was done is kept.
    #[error(
        "The sync was cancelled. Everything done so far is kept; the next sync continues from there."
    )]
    Cancelled,
    /// A record, conflict or history entry does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// QuickBooks failed or refused; the kind says what to do.
    #[error(transparent)]
    Qbo(#[from] QboError),
    /// A local change that cannot be made, with why and what to do instead.
    #[error("{0}")]
    Refused(String),
}

/// A flag a caller sets to stop a running sync at the next safe point
/// (between pages, CDC windows and batches). Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag that is not set.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Asks the sync to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The part of a sync that is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum SyncPhase {
    /// Resending operations a previous sync could not confirm.
    Recovering,
    /// Reading QuickBooks' changes.
    Pulling,
    /// Building the records list's indexes, which a first sync sets aside
    /// while it files the company (a second or two per hundred thousand
    /// records).
    Indexing,
    /// Sending local changes.
    Pushing,
    /// Finished.
    Done,
}

/// How far a sync is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct SyncProgress {
    /// The phase.
    pub phase: SyncPhase,
    /// The entity type being read, when the phase goes type by type.
    pub entity: Option<String>,
    /// Objects or operations done in this step.
    #[ts(type = "number")]
    pub done: u64,
    /// How many there are, when known.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// A record a sync could not bring across, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct RecordFailure {
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity: String,
    /// "Bill 77".
    pub label: String,
    /// What went wrong and what to do.
    pub message: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct SyncReport {
    /// Remote changes applied locally (not counting our own writes coming back).
    #[ts(type = "number")]
    pub pulled: u64,
    /// Operations QuickBooks confirmed.
    #[ts(type = "number")]
    pub pushed: u64,
    /// Conflicts found.
    #[ts(type = "number")]
    pub conflicts_opened: u64,
    /// Records held back or refused.
    pub failed: Vec<RecordFailure>,
    /// Everything was re-read with queries (the bookmark was too old for CDC).
    pub full_rescan: bool,
}

impl SyncReport {
    /// Adds what another part of the same cycle came to.
    pub(crate) fn absorb(&mut self, other: SyncReport) {
        self.pulled += other.pulled;
        self.pushed += other.pushed;
        self.conflicts_opened += other.conflicts_opened;
        self.failed.extend(other.failed);
        self.full_rescan |= other.full_rescan;
    }
}

/// One operation the next push would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedOp {
    /// The record.
    pub local_id: String,
    /// Its entity type.
    pub entity_type: String,
    /// create, update, delete, void or deactivate.
    pub operation: String,
    /// "Invoice 1042".
    pub label: String,
    /// The top-level fields an update changes.
    pub fields: Vec<String>,
}

/// A record the next push would hold back, with the issues to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldBack {
    /// The record.
    pub local_id: String,
    /// "Bill 77".
    pub label: String,
    /// What to fix.
    pub issues: Vec<ValidationIssue>,
}

/// The next push, computed without sending anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// What would be sent, in order.
    pub operations: Vec<PlannedOp>,
    /// Records held back until fixed.
    pub held_back: Vec<HeldBack>,
}

/// A saved local change and what validation found; the record is saved even
/// with issues, but the push holds back records with blocking issues.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalEdit {
    /// The record as saved.
    pub record: RecordRow,
    /// What validation found.
    pub issues: Vec<ValidationIssue>,
}

/// How the user settles a conflict.
///
/// For an edit on both sides: `Fields` chooses per field; `TakeLocal` keeps
/// the local value of every conflicting field (QuickBooks' changes to other
/// fields are kept); `TakeRemote` takes QuickBooks' version. For an edit
/// versus a delete: `KeepLocalVersion` (or `TakeLocal` when the edit is
/// local) keeps the edited version — re-creating it in QuickBooks when
/// QuickBooks deleted it, or dropping the local delete when QuickBooks
/// edited it — and `AcceptDelete` lets the deletion stand on both sides.
/// When the change kept here is a void of a document QuickBooks deleted,
/// keeping it lets the void stand: nothing is re-created.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// A choice per conflicting field.
    Fields(BTreeMap<FieldPath, Choice>),
    /// The local side.
    TakeLocal,
    /// QuickBooks' side.
    TakeRemote,
    /// Edit versus delete: keep the edited version.
    KeepLocalVersion,
    /// Edit versus delete: let the deletion stand.
    AcceptDelete,
}
