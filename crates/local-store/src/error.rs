//! What can go wrong in the store, worded so the user knows what to do.

use std::path::PathBuf;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error(
        "The database {path} could not be opened ({source}). Check that the folder exists, is writable and has free space."
    )]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed; the database is left as it was.
    #[error(
        "The database {path} could not be brought up to date ({source}). It may come from a newer Ledgerlink; nothing was changed."
    )]
    Migrate {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error(
        "The local database failed while {doing} ({source}). Try again; if it keeps failing, see the log."
    )]
    Query {
        /// What was being done.
        doing: &'static str,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value cannot be read back.
    #[error(
        "The local database holds a damaged value: {what}. Re-syncing the company restores it from QuickBooks."
    )]
    Damaged {
        /// Which value, and where.
        what: String,
    },
    /// A statement line changed state while it was being accepted.
    #[error("The {0}.")]
    Inbox(String),
}

impl StoreError {
    pub(crate) fn query(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { doing, source }
    }
}
