//! The SQLite store: migrations and one database file per company; the only crate with SQL.
//!
//! [`AppStore`] keeps the companies and app settings (`app.sqlite`);
//! [`CompanyStore`] keeps one company's records with their base, local and
//! remote versions, the outbox, conflicts, history and sync bookmarks. Every
//! change the engine makes goes through [`CompanyStore::commit`] as one
//! [`Changeset`] (or [`CompanyStore::commit_packed`], the same for a changeset
//! whose records were packed beforehand), applied in one SQLite transaction,
//! so a crash leaves either all of it or none.

mod activity;
mod app;
mod catalogue;
mod company;
mod connect;
mod error;
mod inbox;
mod lock;
mod types;

pub use app::AppStore;
pub use company::{CompanyStore, PackedChangeset, company_database_path};
pub use error::StoreError;
pub use inbox::{
    InboxFilter, InboxRow, NewInboxEntry, NewStatementImport, StatementLink, StoredSuggestion,
    SuggestionUpdate,
};
pub use lock::{SyncLock, sync_lock_path, try_lock_sync};
pub use types::*;
