//! The record of past syncs, which the sync-activity chart reads.

use chrono::{DateTime, Utc};

use crate::connect::{parse_time, time_text};
use crate::{CompanyStore, StoreError, SyncRun};

impl CompanyStore {
    /// Records one finished sync and prunes the runs that finished before
    /// `keep_since`, in one transaction.
    pub async fn record_sync_run(
        &self,
        run: &SyncRun,
        keep_since: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(StoreError::query("recording a sync"))?;
        sqlx::query(
            "INSERT INTO sync_runs
                 (finished_at, pull_only, pulled, pushed, conflicts_opened, refused, failed)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(time_text(&run.finished_at))
        .bind(run.pull_only)
        .bind(count_column(run.pulled))
        .bind(count_column(run.pushed))
        .bind(count_column(run.conflicts_opened))
        .bind(count_column(run.refused))
        .bind(run.failed)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query("recording a sync"))?;
        sqlx::query("DELETE FROM sync_runs WHERE finished_at < ?")
            .bind(time_text(&keep_since))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::query("pruning old syncs"))?;
        tx.commit()
            .await
            .map_err(StoreError::query("recording a sync"))
    }

    /// The syncs that finished at or after `since`, oldest first.
    pub async fn sync_runs_since(&self, since: DateTime<Utc>) -> Result<Vec<SyncRun>, StoreError> {
        let rows: Vec<SyncRunRow> = sqlx::query_as(
            "SELECT finished_at, pull_only, pulled, pushed, conflicts_opened, refused, failed
                 FROM sync_runs WHERE finished_at >= ? ORDER BY finished_at, id",
        )
        .bind(time_text(&since))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("reading past syncs"))?;
        rows.into_iter()
            .map(
                |(finished_at, pull_only, pulled, pushed, conflicts_opened, refused, failed)| {
                    Ok(SyncRun {
                        finished_at: parse_time(&finished_at, "a sync's end")?,
                        pull_only,
                        pulled: count_value(pulled),
                        pushed: count_value(pushed),
                        conflicts_opened: count_value(conflicts_opened),
                        refused: count_value(refused),
                        failed,
                    })
                },
            )
            .collect()
    }
}

type SyncRunRow = (String, bool, i64, i64, i64, i64, bool);

/// SQLite integers are signed; a count never comes near the limit.
fn count_column(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn count_value(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
