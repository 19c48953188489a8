//! The relay's only storage: received changes, pruning marks and the
//! generated signing key, in one SQLite file through sqlx.
//!
//! Every query of the relay is in this module, so another database (e.g.
//! PostgreSQL for several relay instances) needs only another `Store`.
//! Writes are committed with `synchronous=FULL` in WAL mode: once
//! [`Store::insert_changes`] returns, the changes survive a crash or a power
//! cut, which is what lets the webhook handler acknowledge Intuit.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::webhooks::Change;

/// The most rows one catch-up read returns; a stream reads again for more.
pub const PAGE_SIZE: i64 = 500;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("the event store failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("the event store's schema could not be updated: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// A stored change with its cursor position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The cursor: increases with every stored change, never reused.
    pub seq: i64,
    /// The company.
    pub realm_id: String,
    /// QBO's entity name.
    pub entity: String,
    /// The entity's id.
    pub entity_id: String,
    /// Intuit's operation name.
    pub operation: String,
    /// When it changed, as Intuit wrote it.
    pub last_updated: String,
    /// For a merge, the id merged away.
    pub deleted_id: Option<String>,
    /// When the relay stored it (Unix milliseconds).
    pub received_at: i64,
}

/// The event store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Stores `changes` in one transaction and returns those that were new;
    /// a change whose dedupe key is already stored is skipped.
    pub async fn insert_changes(
        &self,
        changes: &[Change],
        received_at: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stored = self.insert_deliveries(&[(changes, received_at)]).await?;
        Ok(stored.pop().unwrap_or_default())
    }

    /// Stores several deliveries (their changes and when each was received)
    /// in one transaction, in order, and returns for each delivery the
    /// changes that were new: one commit, so one fsync, for them all. A
    /// change already stored, or stored by an earlier delivery of the same
    /// call, is skipped.
    pub async fn insert_deliveries(
        &self,
        deliveries: &[(&[Change], i64)],
    ) -> Result<Vec<Vec<StoredEvent>>, StoreError> {
        let mut transaction = self.pool.begin().await?;
        let mut all = Vec::with_capacity(deliveries.len());
        for (changes, received_at) in deliveries {
            let received_at = *received_at;
            let mut inserted = Vec::new();
            for change in *changes {
                let seq: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO events (dedupe_key, realm_id, entity, entity_id, operation, \
                     last_updated, deleted_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (dedupe_key) DO NOTHING RETURNING seq",
                )
                .bind(&change.dedupe_key)
                .bind(&change.realm_id)
                .bind(&change.entity)
                .bind(&change.entity_id)
                .bind(&change.operation)
                .bind(&change.last_updated)
                .bind(&change.deleted_id)
                .bind(received_at)
                .fetch_optional(&mut *transaction)
                .await?;
                if let Some(seq) = seq {
                    inserted.push(StoredEvent {
                        seq,
                        realm_id: change.realm_id.clone(),
                        entity: change.entity.clone(),
                        entity_id: change.entity_id.clone(),
                        operation: change.operation.clone(),
                        last_updated: change.last_updated.clone(),
                        deleted_id: change.deleted_id.clone(),
                        received_at,
                    });
                }
            }
            all.push(inserted);
        }
        transaction.commit().await?;
        Ok(all)
    }

    /// The realm's stored events after `cursor`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        realm_id: &str,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, realm_id, entity, entity_id, operation, last_updated, deleted_id, \
             received_at FROM events WHERE realm_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(realm_id)
        .bind(cursor)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(StoredEvent {
                    seq: row.try_get("seq")?,
                    realm_id: row.try_get("realm_id")?,
                    entity: row.try_get("entity")?,
                    entity_id: row.try_get("entity_id")?,
                    operation: row.try_get("operation")?,
                    last_updated: row.try_get("last_updated")?,
                    deleted_id: row.try_get("deleted_id")?,
                    received_at: row.try_get("received_at")?,
                })
            })
            .collect()
    }

    /// The highest seq the realm has had, stored or pruned; 0 when none.
    pub async fn latest_seq(&self, realm_id: &str) -> Result<i64, StoreError> {
        let seq: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(seq) FROM (SELECT MAX(seq) AS seq FROM events WHERE realm_id = ? \
             UNION ALL SELECT max_seq FROM pruned WHERE realm_id = ?)",
        )
        .bind(realm_id)
        .bind(realm_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(seq.unwrap_or(0))
    }

    /// The highest seq of the realm that was pruned; 0 when none was. A
    /// cursor below it has missed events.
    pub async fn pruned_through(&self, realm_id: &str) -> Result<i64, StoreError> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT max_seq FROM pruned WHERE realm_id = ?")
            .bind(realm_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Deletes events received before `cutoff` (Unix milliseconds),
    /// remembering per realm the highest seq deleted; returns how many.
    pub async fn prune_received_before(&self, cutoff: i64) -> Result<u64, StoreError> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO pruned (realm_id, max_seq) \
             SELECT realm_id, MAX(seq) FROM events WHERE received_at < ? GROUP BY realm_id \
             ON CONFLICT (realm_id) DO UPDATE SET max_seq = MAX(max_seq, excluded.max_seq)",
        )
        .bind(cutoff)
        .execute(&mut *transaction)
        .await?;
        let deleted = sqlx::query("DELETE FROM events WHERE received_at < ?")
            .bind(cutoff)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        transaction.commit().await?;
        Ok(deleted)
    }

    /// How many events are stored for the realm.
    pub async fn count(&self, realm_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE realm_id = ?")
                .bind(realm_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The value stored under `name`, or `candidate` stored now when there
    /// is none (the first writer wins, so two relays on one file agree).
    pub async fn setting_or_insert(
        &self,
        name: &str,
        candidate: &str,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(realm: &str, id: &str) -> Change {
        Change {
            realm_id: realm.to_owned(),
            entity: "Invoice".to_owned(),
            entity_id: id.to_owned(),
            operation: "Update".to_owned(),
            last_updated: "2026-01-01T00:00:00Z".to_owned(),
            deleted_id: None,
            dedupe_key: format!("{realm}-{id}"),
        }
    }

    #[tokio::test]
    async fn deliveries_committed_together_keep_their_order_and_dedupe() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("relay.sqlite")).await.unwrap();
        let first = [change("1", "a"), change("1", "b")];
        let second = [change("1", "b"), change("2", "c")];
        let stored = store
            .insert_deliveries(&[(&first, 1_000), (&second, 1_001)])
            .await
            .unwrap();
        assert_eq!(stored.len(), 2);
        let ids = |events: &[StoredEvent]| -> Vec<String> {
            events.iter().map(|event| event.entity_id.clone()).collect()
        };
        assert_eq!(ids(&stored[0]), ["a", "b"]);
        // The second delivery's copy of "b" was stored by the first.
        assert_eq!(ids(&stored[1]), ["c"]);
        assert_eq!(stored[1][0].received_at, 1_001);
        assert!(stored[0][1].seq < stored[1][0].seq);
    }

    #[tokio::test]
    async fn dedupes_orders_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("relay.sqlite")).await.unwrap();
        let first = store
            .insert_changes(
                &[change("1", "a"), change("2", "b"), change("1", "c")],
                1_000,
            )
            .await
            .unwrap();
        assert_eq!(first.len(), 3);
        let again = store
            .insert_changes(&[change("1", "a"), change("1", "d")], 5_000)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].entity_id, "d");
        let realm_one = store.events_after("1", 0, PAGE_SIZE).await.unwrap();
        let ids: Vec<&str> = realm_one.iter().map(|e| e.entity_id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        assert!(realm_one.windows(2).all(|pair| pair[0].seq < pair[1].seq));
        let latest = store.latest_seq("1").await.unwrap();
        assert_eq!(latest, realm_one[2].seq);

        assert_eq!(store.prune_received_before(2_000).await.unwrap(), 3);
        assert_eq!(store.pruned_through("1").await.unwrap(), realm_one[1].seq);
        assert_eq!(store.latest_seq("1").await.unwrap(), latest);
        assert_eq!(store.count("2").await.unwrap(), 0);
        assert!(store.latest_seq("2").await.unwrap() > 0);
        // A seq is never reused after pruning.
        let next = store
            .insert_changes(&[change("2", "e")], 6_000)
            .await
            .unwrap();
        assert!(next[0].seq > latest);
    }

    #[tokio::test]
    async fn the_first_setting_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("relay.sqlite")).await.unwrap();
        assert_eq!(store.setting_or_insert("key", "one").await.unwrap(), "one");
        assert_eq!(store.setting_or_insert("key", "two").await.unwrap(), "one");
    }
}
