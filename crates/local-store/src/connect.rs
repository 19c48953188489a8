//! Opening a database file with the settings every store uses.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreError;

/// How long a writer waits for another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The page size of a database file this creates.
pub(crate) const BOOKS_PAGE_SIZE: u32 = 16 * 1024;

/// Opens (creating if missing) the database at `path` and runs `migrator`.
pub(crate) async fn open(path: &Path, migrator: &Migrator) -> Result<SqlitePool, StoreError> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|error| StoreError::Open {
            path: path.to_path_buf(),
            source: sqlx::Error::Io(error),
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        // WAL lets the UI read while a sync writes.
        .journal_mode(SqliteJournalMode::Wal)
        // FULL, not NORMAL: with WAL, NORMAL keeps the database whole on
        // power loss but may lose the last commits, and a commit that stored
        // a request id before the request went out must survive, or a
        // restart plans the write again under a new id and QuickBooks
        // creates it twice. FULL costs one fsync of the WAL per commit; the
        // engine commits per page and per push batch, not per record.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Set when the file is created; an existing file keeps its own
        // (SQLite cannot change it under WAL). 16 KiB rather than SQLite's
        // 4 KiB: a record's compressed JSON is about a kilobyte, so a page
        // holds a dozen records instead of three or four, and a first sync
        // of 100k transactions wrote its pages about 30% faster and built
        // its list indexes about 25% faster, in a smaller file.
        .page_size(BOOKS_PAGE_SIZE)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        // A connection to a local file cannot have gone away while idle, so
        // it is not pinged before each use: the ping is a round trip to the
        // connection's thread, and a first sync makes hundreds of them.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    migrator
        .run(&pool)
        .await
        .map_err(|source| StoreError::Migrate {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(pool)
}

/// A time as stored: RFC 3339 in UTC with microseconds, so text order is time order.
pub(crate) fn time_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Reads a stored time.
pub(crate) fn parse_time(text: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| StoreError::Damaged {
            what: format!("{what} \"{text}\" is not a time"),
        })
}

/// Reads an optional stored time.
pub(crate) fn parse_optional_time(
    text: Option<String>,
    what: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|text| parse_time(&text, what)).transpose()
}

/// Reads stored JSON.
pub(crate) fn parse_json(
    text: Option<String>,
    what: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    text.map(|text| {
        serde_json::Value::from_str(&text).map_err(|error| StoreError::Damaged {
            what: format!("{what} is not JSON ({error})"),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use crate::CompanyStore;

    /// Every connection a commit may use waits for the disk: the outbox row
    /// that holds a request id is durable before the request is sent.
    #[tokio::test]
    async fn every_connection_of_a_company_store_commits_durably() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = CompanyStore::open(&folder.path().join("company.sqlite"))
            .await
            .expect("the store opens");
        // Hold every connection the pool may open at once, so each is checked.
        let mut connections = Vec::new();
        for _ in 0..store.pool.options().get_max_connections() {
            connections.push(store.pool.acquire().await.expect("a connection"));
        }
        for connection in &mut connections {
            let row = sqlx::query("PRAGMA synchronous")
                .fetch_one(&mut **connection)
                .await
                .expect("the pragma reads");
            let level: i64 = row.get(0);
            // 2 is FULL; NORMAL (1) may lose the last commits on power loss.
            assert_eq!(level, 2, "synchronous must be FULL on every connection");
        }
    }

    async fn page_size(store: &CompanyStore) -> i64 {
        sqlx::query("PRAGMA page_size")
            .fetch_one(&store.pool)
            .await
            .expect("the pragma reads")
            .get(0)
    }

    /// New books get the larger page; books created before it keep theirs
    /// and their records (a WAL file's page size cannot change in place).
    #[tokio::test]
    async fn new_books_use_the_larger_page_and_older_books_keep_theirs() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let fresh = CompanyStore::open(&folder.path().join("fresh.sqlite"))
            .await
            .expect("the store opens");
        assert_eq!(page_size(&fresh).await, i64::from(super::BOOKS_PAGE_SIZE));

        let older_path = folder.path().join("older.sqlite");
        {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&older_path)
                .create_if_missing(true)
                .page_size(4096)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let pool = sqlx::SqlitePool::connect_with(options)
                .await
                .expect("a 4 KiB file is made");
            sqlx::query("CREATE TABLE kept (note TEXT)")
                .execute(&pool)
                .await
                .expect("a table is made");
            sqlx::query("INSERT INTO kept VALUES ('written before')")
                .execute(&pool)
                .await
                .expect("a row is written");
            pool.close().await;
        }
        let older = CompanyStore::open(&older_path)
            .await
            .expect("the older file opens");
        assert_eq!(page_size(&older).await, 4096);
        let note: String = sqlx::query("SELECT note FROM kept")
            .fetch_one(&older.pool)
            .await
            .expect("the row is still there")
            .get(0);
        assert_eq!(note, "written before");
    }
}
