//! The app database: companies and app settings.

use std::path::Path;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::connect::{open, parse_json, parse_optional_time, parse_time, time_text};
use crate::{CompanyKind, CompanyRow, ConnectionState, StoreError};

static APP_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/app");

/// The companies this installation keeps, and app settings.
#[derive(Debug, Clone)]
pub struct AppStore {
    pool: SqlitePool,
}

impl AppStore {
    /// Opens (or creates) the app database at `path`.
    pub async fn open(path: &Path) -> Result<AppStore, StoreError> {
        Ok(AppStore {
            pool: open(path, &APP_MIGRATIONS).await?,
        })
    }

    /// Adds a company.
    pub async fn add_company(&self, company: &CompanyRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO companies (id, name, kind, environment, discovery_url, api_base_url,
                client_id, redirect_page, realm_id, connection, settings, created_at,
                last_sync_at, last_sync_error, relay_url)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&company.id)
        .bind(&company.name)
        .bind(company.kind.as_str())
        .bind(&company.environment)
        .bind(&company.discovery_url)
        .bind(&company.api_base_url)
        .bind(&company.client_id)
        .bind(&company.redirect_page)
        .bind(&company.realm_id)
        .bind(company.connection.as_str())
        .bind(company.settings.to_string())
        .bind(time_text(&company.created_at))
        .bind(company.last_sync_at.as_ref().map(time_text))
        .bind(&company.last_sync_error)
        .bind(&company.relay_url)
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("adding a company"))?;
        Ok(())
    }

    /// Every company, oldest first.
    pub async fn companies(&self) -> Result<Vec<CompanyRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM companies ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing companies"))?;
        rows.iter().map(company_from_row).collect()
    }

    /// One company.
    pub async fn company(&self, id: &str) -> Result<Option<CompanyRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM companies WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a company"))?;
        row.as_ref().map(company_from_row).transpose()
    }

    /// Saves a company's changed fields.
    pub async fn update_company(&self, company: &CompanyRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE companies SET name = ?, kind = ?, environment = ?, discovery_url = ?,
                api_base_url = ?, client_id = ?, redirect_page = ?, realm_id = ?, connection = ?,
                settings = ?, last_sync_at = ?, last_sync_error = ?, relay_url = ?
             WHERE id = ?",
        )
        .bind(&company.name)
        .bind(company.kind.as_str())
        .bind(&company.environment)
        .bind(&company.discovery_url)
        .bind(&company.api_base_url)
        .bind(&company.client_id)
        .bind(&company.redirect_page)
        .bind(&company.realm_id)
        .bind(company.connection.as_str())
        .bind(company.settings.to_string())
        .bind(company.last_sync_at.as_ref().map(time_text))
        .bind(&company.last_sync_error)
        .bind(&company.relay_url)
        .bind(&company.id)
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("saving a company"))?;
        Ok(())
    }

    /// The number of the last relay event acted on for a company, if any.
    /// Kept apart from [`CompanyRow`] so that saving a row read before a
    /// pull never moves the cursor back.
    pub async fn relay_cursor(&self, id: &str) -> Result<Option<u64>, StoreError> {
        let cursor: Option<Option<i64>> =
            sqlx::query_scalar("SELECT relay_cursor FROM companies WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("reading a relay cursor"))?;
        Ok(cursor
            .flatten()
            .and_then(|cursor| u64::try_from(cursor).ok()))
    }

    /// Stores the number of the last relay event acted on; None forgets it
    /// (a company connected again starts from the relay's latest event).
    pub async fn set_relay_cursor(&self, id: &str, cursor: Option<u64>) -> Result<(), StoreError> {
        let cursor = cursor.map(|cursor| i64::try_from(cursor).unwrap_or(i64::MAX));
        sqlx::query("UPDATE companies SET relay_cursor = ? WHERE id = ?")
            .bind(cursor)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("saving a relay cursor"))?;
        Ok(())
    }

    /// Forgets a company.
    pub async fn remove_company(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM companies WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("removing a company"))?;
        Ok(())
    }

    /// An app setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a setting"))
    }

    /// Sets an app setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("saving a setting"))?;
        Ok(())
    }
}

fn company_from_row(row: &SqliteRow) -> Result<CompanyRow, StoreError> {
    let get = |column: &'static str| -> Result<Option<String>, StoreError> {
        row.try_get::<Option<String>, _>(column)
            .map_err(StoreError::query("reading a company"))
    };
    let required = |column: &'static str| -> Result<String, StoreError> {
        get(column)?.ok_or_else(|| StoreError::Damaged {
            what: format!("a company without {column}"),
        })
    };
    let id = required("id")?;
    Ok(CompanyRow {
        name: required("name")?,
        kind: CompanyKind::parse(&required("kind")?)?,
        environment: required("environment")?,
        discovery_url: required("discovery_url")?,
        api_base_url: get("api_base_url")?,
        client_id: get("client_id")?,
        redirect_page: get("redirect_page")?,
        realm_id: get("realm_id")?,
        connection: ConnectionState::parse(&required("connection")?)?,
        settings: parse_json(get("settings")?, "the company's settings")?
            .unwrap_or_else(|| serde_json::json!({})),
        created_at: parse_time(&required("created_at")?, "the company's creation time")?,
        last_sync_at: parse_optional_time(get("last_sync_at")?, "the last sync time")?,
        last_sync_error: get("last_sync_error")?,
        relay_url: get("relay_url")?,
        id,
    })
}
