//! The per-company sync lock shared by every process on the machine: an OS
//! file lock on a file beside the company database. The app, `ledgerlink
//! sync --watch` and a cron job may share one data folder; the one that
//! holds the lock syncs the company, the others are told it is busy. The OS
//! releases the lock when its holder exits or dies, so a crash never leaves
//! a company locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// A held sync lock; dropping it releases it.
#[derive(Debug)]
pub struct SyncLock {
    // Held only for its lock.
    _file: File,
}

/// The lock file of the company database at `database`:
/// `companies/<id>.sqlite` locks with `companies/<id>.sync.lock`.
pub fn sync_lock_path(database: &Path) -> PathBuf {
    database.with_extension("sync.lock")
}

/// Takes the sync lock of the company database at `database`, or `None`
/// when another holder (in this process or another) has it.
pub fn try_lock_sync(database: &Path) -> Result<Option<SyncLock>, StoreError> {
    let path = sync_lock_path(database);
    let failed = |error: std::io::Error| StoreError::Open {
        path: path.clone(),
        source: sqlx::Error::Io(error),
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SyncLock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(error)) => Err(failed(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_free_again_once_dropped() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let database = folder.path().join("company.sqlite");
        let held = try_lock_sync(&database).expect("the lock file opens");
        assert!(held.is_some());
        // A second open of the file is a second holder, as another process is.
        assert!(try_lock_sync(&database).expect("opens").is_none());
        drop(held);
        assert!(try_lock_sync(&database).expect("opens").is_some());
        assert_eq!(
            sync_lock_path(&database),
            folder.path().join("company.sync.lock")
        );
    }
}
