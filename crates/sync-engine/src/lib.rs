//! Two-way sync: a pure three-way merge, a pure plan of operations, and the run that executes a plan.
//!
//! [`merge`], [`plan`], [`validate`], [`names`], [`stock`] and [`entities`] do no I/O and
//! read no clock; [`Engine`] does the I/O for one company: it recovers the
//! outbox, pulls (paged queries on a first sync, one CDC request per cycle
//! after), reconciles every remote change against the base and local
//! versions, and pushes planned operations in batches with request ids
//! stored before sending.

pub mod engine;
pub mod entities;
pub mod merge;
pub mod names;
pub mod plan;
pub mod stock;
pub mod validate;

pub use engine::{
    CancelFlag, CatalogueEntry, CatalogueSnapshot, DryRun, Engine, EngineConfig, EngineError,
    HeldBack, LocalEdit, PlannedOp, RecordFailure, Resolution, SyncPhase, SyncProgress, SyncReport,
};
pub use merge::{Choice, FieldConflict, FieldPath, Merge};
pub use validate::{IssueCode, ValidationIssue};
