//! The product catalogue's tables: locations, where each item came from,
//! stock per location, and quantity changes waiting for QuickBooks.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};

use crate::company::{required, text};
use crate::connect::{parse_time, time_text};
use crate::{CatalogueRow, Changeset, CompanyStore, LocationRow, StockPush, StockRow, StoreError};

impl CompanyStore {
    /// Every location, by name.
    pub async fn locations(&self) -> Result<Vec<LocationRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM locations ORDER BY name COLLATE NOCASE")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading locations"))?;
        rows.iter().map(location_from_row).collect()
    }

    /// Every catalogue entry.
    pub async fn catalogue(&self) -> Result<Vec<CatalogueRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM catalogue")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading the catalogue"))?;
        rows.iter()
            .map(|row| {
                let local_id = required(row, "local_id", "a catalogue entry")?;
                Ok(CatalogueRow {
                    origin: required(row, "origin", "a catalogue entry")?,
                    seen_at: time(row, "seen_at", &local_id)?,
                    local_id,
                })
            })
            .collect()
    }

    /// Every stock level.
    pub async fn stock(&self) -> Result<Vec<StockRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM stock")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading stock"))?;
        rows.iter()
            .map(|row| {
                let local_id = required(row, "local_id", "a stock level")?;
                Ok(StockRow {
                    location_id: required(row, "location_id", "a stock level")?,
                    on_hand: amount(row, "on_hand", &local_id)?.unwrap_or_default(),
                    minimum: amount(row, "minimum", &local_id)?,
                    local_id,
                })
            })
            .collect()
    }

    /// Every quantity change waiting for QuickBooks.
    pub async fn stock_pushes(&self) -> Result<Vec<StockPush>, StoreError> {
        let rows = sqlx::query("SELECT * FROM stock_pushes")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading stock changes"))?;
        rows.iter()
            .map(|row| {
                let local_id = required(row, "local_id", "a stock change")?;
                Ok(StockPush {
                    delta: amount(row, "delta", &local_id)?.unwrap_or_default(),
                    request_id: text(row, "request_id")?,
                    target: amount(row, "target", &local_id)?,
                    sent_delta: amount(row, "sent_delta", &local_id)?,
                    error: text(row, "error")?,
                    sync_token: text(row, "sync_token")?,
                    local_id,
                })
            })
            .collect()
    }
}

fn location_from_row(row: &SqliteRow) -> Result<LocationRow, StoreError> {
    let id = required(row, "id", "a location")?;
    Ok(LocationRow {
        name: required(row, "name", "a location")?,
        created_at: time(row, "created_at", &id)?,
        id,
    })
}

fn time(row: &SqliteRow, column: &'static str, owner: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_time(
        &required(row, column, owner)?,
        &format!("the {column} of {owner}"),
    )
}

fn amount(
    row: &SqliteRow,
    column: &'static str,
    owner: &str,
) -> Result<Option<Decimal>, StoreError> {
    text(row, column)?
        .map(|value| {
            value.parse::<Decimal>().map_err(|_| StoreError::Damaged {
                what: format!("the {column} of {owner}"),
            })
        })
        .transpose()
}

/// Writes the catalogue part of a changeset inside the commit's transaction.
pub(crate) async fn apply(
    transaction: &mut Transaction<'_, Sqlite>,
    changes: &Changeset,
) -> Result<(), StoreError> {
    let failed = StoreError::query;
    for location in &changes.locations {
        sqlx::query(
            "INSERT INTO locations (id, name, created_at) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        )
        .bind(&location.id)
        .bind(&location.name)
        .bind(time_text(&location.created_at))
        .execute(&mut **transaction)
        .await
        .map_err(failed("saving a location"))?;
    }
    for id in &changes.removed_locations {
        sqlx::query("DELETE FROM locations WHERE id = ?")
            .bind(id)
            .execute(&mut **transaction)
            .await
            .map_err(failed("removing a location"))?;
    }
    for entry in &changes.catalogue {
        sqlx::query(
            "INSERT INTO catalogue (local_id, origin, seen_at) VALUES (?, ?, ?)
             ON CONFLICT (local_id) DO UPDATE SET origin = excluded.origin",
        )
        .bind(&entry.local_id)
        .bind(&entry.origin)
        .bind(time_text(&entry.seen_at))
        .execute(&mut **transaction)
        .await
        .map_err(failed("saving a catalogue entry"))?;
    }
    for level in &changes.stock {
        sqlx::query(
            "INSERT INTO stock (local_id, location_id, on_hand, minimum) VALUES (?, ?, ?, ?)
             ON CONFLICT (local_id, location_id) DO UPDATE SET
                on_hand = excluded.on_hand, minimum = excluded.minimum",
        )
        .bind(&level.local_id)
        .bind(&level.location_id)
        .bind(level.on_hand.normalize().to_string())
        .bind(level.minimum.map(|minimum| minimum.normalize().to_string()))
        .execute(&mut **transaction)
        .await
        .map_err(failed("saving a stock level"))?;
    }
    for push in &changes.stock_pushes {
        sqlx::query(
            "INSERT INTO stock_pushes (local_id, delta, request_id, target, sent_delta, error,
                sync_token)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (local_id) DO UPDATE SET delta = excluded.delta,
                request_id = excluded.request_id, target = excluded.target,
                sent_delta = excluded.sent_delta, error = excluded.error,
                sync_token = excluded.sync_token",
        )
        .bind(&push.local_id)
        .bind(push.delta.normalize().to_string())
        .bind(&push.request_id)
        .bind(push.target.map(|target| target.normalize().to_string()))
        .bind(push.sent_delta.map(|sent| sent.normalize().to_string()))
        .bind(&push.error)
        .bind(&push.sync_token)
        .execute(&mut **transaction)
        .await
        .map_err(failed("saving a stock change"))?;
    }
    for local_id in &changes.stock_pushes_done {
        sqlx::query("DELETE FROM stock_pushes WHERE local_id = ?")
            .bind(local_id)
            .execute(&mut **transaction)
            .await
            .map_err(failed("completing a stock change"))?;
    }
    Ok(())
}
