//! One company's database.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::connect::{open, parse_json, parse_optional_time, parse_time, time_text};
use crate::{
    AgreedRecord, Changeset, Committed, ConflictKind, ConflictRow, Direction, HistoryEntry,
    HistoryFilter, Intent, NewOutboxEntry, OpKind, OpenDocuments, OutboxEntry, RecordFilter,
    RecordRow, RecordSort, RecordState, RecordSummary, StoreError,
};

static COMPANY_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/company");

/// Where a company's database lives under the app's data folder.
pub fn company_database_path(data_dir: &Path, company_id: &str) -> PathBuf {
    data_dir
        .join("companies")
        .join(format!("{company_id}.sqlite"))
}

/// One company's records, outbox, conflicts, history and bookmarks.
#[derive(Debug, Clone)]
pub struct CompanyStore {
    pub(crate) pool: SqlitePool,
    /// The database file, beside which the sync lock lives.
    path: PathBuf,
}

/// A record's three versions as stored: a version equal to another is not
/// written again but named in `shared` (migration 0005), so a record both
/// sides agree on (every record of a first sync) holds one copy, not three.
struct VersionTexts {
    base: Option<Vec<u8>>,
    local: Option<Vec<u8>>,
    remote: Option<Vec<u8>>,
    shared: i64,
}

/// A run of a changeset's records saved by one statement.
#[derive(Clone, Copy)]
enum RecordChunk<'a> {
    Records(&'a [RecordRow]),
    Agreed(&'a [AgreedRecord]),
}

impl<'a> RecordChunk<'a> {
    fn len(self) -> usize {
        match self {
            RecordChunk::Records(rows) => rows.len(),
            RecordChunk::Agreed(rows) => rows.len(),
        }
    }

    /// The chunk's records, in order: one of the two halves is empty, so
    /// that both kinds of chunk give the same iterator.
    fn rows(self) -> impl Iterator<Item = &'a RecordRow> {
        let (records, agreed) = match self {
            RecordChunk::Records(rows) => (rows, &[][..]),
            RecordChunk::Agreed(rows) => (&[][..], rows),
        };
        records
            .iter()
            .chain(agreed.iter().map(|agreed| &agreed.record))
    }

    /// Each record's stored form, in order.
    fn packed(self) -> Vec<PackedRecord> {
        match self {
            RecordChunk::Records(rows) => rows.iter().map(PackedRecord::of).collect(),
            RecordChunk::Agreed(rows) => rows.iter().map(PackedRecord::agreed).collect(),
        }
    }
}

/// What a record is stored as beyond its own fields: its versions serialised
/// and compressed, and the columns read out of its QuickBooks version. This
/// is the part of a save done outside SQLite.
struct PackedRecord {
    versions: VersionTexts,
    open: OpenDocumentColumns,
}

impl PackedRecord {
    fn of(row: &RecordRow) -> PackedRecord {
        PackedRecord {
            versions: VersionTexts::of(row),
            open: OpenDocumentColumns::of(&row.entity_type, row.remote.as_ref()),
        }
    }

    fn agreed(agreed: &AgreedRecord) -> PackedRecord {
        PackedRecord {
            versions: VersionTexts::agreed_text(agreed),
            open: OpenDocumentColumns::of(&agreed.record.entity_type, Some(&agreed.members)),
        }
    }
}

/// A changeset whose records are already packed into their stored form
/// ([`Changeset::pack`]), saved by [`CompanyStore::commit_packed`].
pub struct PackedChangeset {
    changes: Changeset,
    /// The stored forms of `changes.records`, in order.
    records: Vec<PackedRecord>,
    /// The stored forms of `changes.agreed_records`, in order.
    agreed: Vec<PackedRecord>,
}

impl std::fmt::Debug for PackedChangeset {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PackedChangeset")
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl Changeset {
    /// Packs the records into their stored form now. A caller that saves
    /// pages one after another packs the next page while the page before is
    /// being saved, so that each save is left with SQLite's part alone.
    pub fn pack(self) -> PackedChangeset {
        PackedChangeset {
            records: self.records.iter().map(PackedRecord::of).collect(),
            agreed: self
                .agreed_records
                .iter()
                .map(PackedRecord::agreed)
                .collect(),
            changes: self,
        }
    }
}

/// `shared_versions`: the base is the QuickBooks version.
const BASE_IS_REMOTE: i64 = 1;
/// `shared_versions`: the local version is the QuickBooks version.
const LOCAL_IS_REMOTE: i64 = 2;
/// `shared_versions`: the local version is the base.
const LOCAL_IS_BASE: i64 = 4;

impl VersionTexts {
    fn of(record: &RecordRow) -> VersionTexts {
        let mut shared = 0;
        let remote = record.remote.as_ref().map(packed_json);
        let base = match &record.base {
            Some(base) if record.remote.as_ref() == Some(base) => {
                shared |= BASE_IS_REMOTE;
                None
            }
            other => other.as_ref().map(packed_json),
        };
        let local = match &record.local {
            Some(local) if record.remote.as_ref() == Some(local) => {
                shared |= LOCAL_IS_REMOTE;
                None
            }
            Some(local) if record.base.as_ref() == Some(local) => {
                shared |= LOCAL_IS_BASE;
                None
            }
            other => other.as_ref().map(packed_json),
        };
        VersionTexts {
            base,
            local,
            remote,
            shared,
        }
    }

    /// A record whose QuickBooks version, as QuickBooks sent it, is also
    /// its base and local version: stored once, compressed, without being
    /// written out again.
    fn agreed_text(record: &AgreedRecord) -> VersionTexts {
        VersionTexts {
            base: None,
            local: None,
            remote: Some(packed_text(record.text.get().as_bytes())),
            shared: BASE_IS_REMOTE | LOCAL_IS_REMOTE,
        }
    }
}

/// The columns a record is saved with, in the order they are bound.
const RECORD_COLUMNS: &str = "local_id, entity_type, qbo_id, sync_token, base_json, local_json,
    remote_json, shared_versions, state, intent, remote_deleted, active, name, doc_number,
    txn_date, amount, amount_key, counterparty, error, local_updated_at, remote_updated_at,
    updated_key, open_balance, open_home_balance, due_date, currency";

/// The columns [`record_from_row`] reads: a record's other columns (its
/// sort keys, open balance, scan mark) are derived or the store's own, and
/// each column read costs a copy of its value; a push reads thousands of
/// records before its first batch can leave.
const RECORD_ROW_COLUMNS: &str = "local_id, entity_type, qbo_id, sync_token, base_json, local_json,
    remote_json, shared_versions, state, intent, remote_deleted, active, name, doc_number,
    txn_date, amount, counterparty, error, local_updated_at, remote_updated_at";

/// The records waiting to be sent, found by the state index: a handful in a
/// book of a hundred thousand. Named, as without statistics SQLite may pick
/// a list index by type instead and walk every invoice's entry.
const WAITING_TO_BE_SENT: (&str, &str) = (
    "records INDEXED BY records_by_state",
    " AND state IN ('pending', 'error')",
);

/// The changes the user held back (the partial index `records_held`).
const HELD_RECORDS: &str = "SELECT local_id FROM records WHERE held = 1";

/// The records of the given types in `from` (the table, or the table with
/// an index named) that also meet `condition` (SQL joined to the type test
/// with AND, or nothing), by local id.
fn records_query<'a>(
    entities: &[&'a str],
    (from, condition): (&str, &str),
) -> QueryBuilder<'a, Sqlite> {
    let mut query = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {RECORD_ROW_COLUMNS} FROM {from} WHERE entity_type IN ("
    ));
    let mut separated = query.separated(", ");
    for entity in entities {
        separated.push_bind(*entity);
    }
    query.push(")");
    query.push(condition);
    query.push(" ORDER BY local_id");
    query
}

/// How many columns [`RECORD_COLUMNS`] names.
const RECORD_COLUMN_COUNT: usize = 26;

/// Rows per statement when saving many: each size is one prepared
/// statement that the connection keeps, so a page of a thousand records is
/// not a thousand round trips to SQLite's thread. A first sync's page of a
/// thousand is one statement: inside a transaction each statement that
/// writes many rows copies every page it changes to a statement journal
/// first, so sixteen statements copied the index pages they shared up to
/// sixteen times (a fifth of SQLite's time). A thousand rows of the widest
/// table (26 columns) bind 26,000 values, inside SQLite's limit of 32,766.
const ROWS_PER_STATEMENT: [usize; 4] = [1000, 64, 8, 1];

/// `rows` cut into the statement sizes of [`ROWS_PER_STATEMENT`], largest
/// first, in order.
fn statement_chunks<T>(mut rows: &[T]) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    for size in ROWS_PER_STATEMENT {
        while rows.len() >= size {
            let (chunk, rest) = rows.split_at(size);
            chunks.push(chunk);
            rows = rest;
        }
    }
    chunks
}

/// The ids of one multi-row INSERT in the order of its rows. SQLite does
/// not promise an order for RETURNING, but it inserts the rows of VALUES
/// in order and an AUTOINCREMENT id only grows, so ascending ids are the
/// rows' order.
fn in_insertion_order(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

/// The upsert of `rows` records at once. An upsert by local id, not INSERT
/// OR REPLACE: a second record for the same QuickBooks object must fail on
/// the unique index instead of silently replacing the first.
fn record_upsert(rows: usize) -> String {
    let placeholders = format!("({})", vec!["?"; RECORD_COLUMN_COUNT].join(", "));
    format!(
        "INSERT INTO records ({RECORD_COLUMNS}) VALUES {}
         ON CONFLICT (local_id) DO UPDATE SET
            entity_type = excluded.entity_type, qbo_id = excluded.qbo_id,
            sync_token = excluded.sync_token, base_json = excluded.base_json,
            local_json = excluded.local_json, remote_json = excluded.remote_json,
            shared_versions = excluded.shared_versions,
            state = excluded.state, intent = excluded.intent,
            remote_deleted = excluded.remote_deleted, active = excluded.active,
            name = excluded.name, doc_number = excluded.doc_number,
            txn_date = excluded.txn_date, amount = excluded.amount,
            amount_key = excluded.amount_key, counterparty = excluded.counterparty,
            error = excluded.error, local_updated_at = excluded.local_updated_at,
            remote_updated_at = excluded.remote_updated_at,
            updated_key = excluded.updated_key, open_balance = excluded.open_balance,
            open_home_balance = excluded.open_home_balance, due_date = excluded.due_date,
            currency = excluded.currency",
        vec![placeholders; rows].join(", ")
    )
}

/// Binds one record's columns, in the order of [`RECORD_COLUMNS`].
fn bind_record<'q>(
    query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    record: &'q RecordRow,
    packed: &'q PackedRecord,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let PackedRecord { versions, open } = packed;
    let amount_key = record.summary.amount.and_then(amount_key);
    let updated = match (record.local_updated_at, record.remote_updated_at) {
        (Some(local), Some(remote)) => Some(local.max(remote)),
        (local, remote) => local.or(remote),
    };
    query
        .bind(&record.local_id)
        .bind(&record.entity_type)
        .bind(&record.qbo_id)
        .bind(&record.sync_token)
        .bind(versions.base.as_deref())
        .bind(versions.local.as_deref())
        .bind(versions.remote.as_deref())
        .bind(versions.shared)
        .bind(record.state.as_str())
        .bind(record.intent.as_str())
        .bind(record.remote_deleted)
        .bind(record.active)
        .bind(&record.summary.name)
        .bind(&record.summary.doc_number)
        .bind(record.summary.txn_date.map(|date| date.to_string()))
        .bind(record.summary.amount.map(|amount| amount.to_string()))
        .bind(amount_key)
        .bind(&record.summary.counterparty)
        .bind(&record.error)
        .bind(record.local_updated_at.as_ref().map(time_text))
        .bind(record.remote_updated_at.as_ref().map(time_text))
        .bind(updated.as_ref().map(time_text))
        .bind(open.balance.as_deref())
        .bind(open.home_balance.as_deref())
        .bind(open.due_date.as_deref())
        .bind(open.currency.as_deref())
}

/// What the open-documents indexes need of an invoice or bill, copied out of
/// its QuickBooks version when it is saved: the stored versions are
/// compressed, so SQL cannot read them (migration 0007).
#[derive(Default)]
struct OpenDocumentColumns {
    /// Set only when something is left to pay: the exact text QuickBooks wrote.
    balance: Option<String>,
    home_balance: Option<String>,
    due_date: Option<String>,
    currency: Option<String>,
}

impl OpenDocumentColumns {
    fn of(entity_type: &str, remote: Option<&serde_json::Value>) -> Self {
        let Some(remote) = remote.filter(|_| matches!(entity_type, "Invoice" | "Bill")) else {
            return Self::default();
        };
        let number_text = |field: &str| match remote.get(field) {
            Some(serde_json::Value::Number(number)) => Some(number.to_string()),
            Some(serde_json::Value::String(text)) => Some(text.clone()),
            _ => None,
        };
        let balance = number_text("Balance").filter(|text| {
            text.parse::<Decimal>()
                .is_ok_and(|balance| balance > Decimal::ZERO)
        });
        if balance.is_none() {
            return Self::default();
        }
        let text = |value: Option<&serde_json::Value>| {
            value.and_then(serde_json::Value::as_str).map(str::to_owned)
        };
        Self {
            balance,
            home_balance: number_text("HomeBalance"),
            due_date: text(remote.get("DueDate")),
            currency: text(remote.pointer("/CurrencyRef/value")),
        }
    }
}

/// An open document's due date, balance, home-currency balance and currency.
type OpenDocumentRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The scale of `amount_key`: amounts to 10^-6, exactly, as an integer.
const AMOUNT_KEY_SCALE: u32 = 6;

impl CompanyStore {
    /// Opens (or creates) a company database.
    pub async fn open(path: &Path) -> Result<CompanyStore, StoreError> {
        Ok(CompanyStore {
            pool: open(path, &COMPANY_MIGRATIONS).await?,
            path: path.to_path_buf(),
        })
    }

    /// Takes the company's sync lock, shared with every other process on
    /// the machine (see [`crate::try_lock_sync`]), or `None` when a sync of
    /// this company holds it already.
    pub fn try_lock_sync(&self) -> Result<Option<crate::SyncLock>, StoreError> {
        crate::try_lock_sync(&self.path)
    }

    /// Closes the database, waiting for its connections to finish.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// One record.
    pub async fn record(&self, local_id: &str) -> Result<Option<RecordRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_ROW_COLUMNS} FROM records WHERE local_id = ?"
        ))
        .bind(local_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::query("reading a record"))?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Many records by local id at once (the records of a batch's answers
    /// in one query, not one each); ids without a record are left out.
    pub async fn records_by_local_ids(
        &self,
        local_ids: &[&str],
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.records_with(None, "local_id", local_ids, "reading records by local id")
            .await
    }

    /// The record of a QuickBooks object.
    pub async fn record_by_qbo_id(
        &self,
        entity: &str,
        qbo_id: &str,
    ) -> Result<Option<RecordRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_ROW_COLUMNS} FROM records WHERE entity_type = ? AND qbo_id = ?"
        ))
        .bind(entity)
        .bind(qbo_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::query("reading a record"))?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The records of many QuickBooks objects of one type at once (a page
    /// of a first sync reads its known records in one query, not one each).
    pub async fn records_by_qbo_ids(
        &self,
        entity: &str,
        qbo_ids: &[String],
    ) -> Result<Vec<RecordRow>, StoreError> {
        let qbo_ids: Vec<&str> = qbo_ids.iter().map(String::as_str).collect();
        self.records_with(
            Some(entity),
            "qbo_id",
            &qbo_ids,
            "reading records by QuickBooks id",
        )
        .await
    }

    /// The records (of one type, when given) whose `column` holds one of
    /// `values`.
    async fn records_with(
        &self,
        entity: Option<&str>,
        column: &'static str,
        values: &[&str],
        doing: &'static str,
    ) -> Result<Vec<RecordRow>, StoreError> {
        let mut found = Vec::new();
        // SQLite allows 32,766 bound values; callers pass far fewer, but
        // may pass more.
        for chunk in values.chunks(5_000) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {RECORD_ROW_COLUMNS} FROM records WHERE "
            ));
            if let Some(entity) = entity {
                query.push("entity_type = ");
                query.push_bind(entity);
                query.push(" AND ");
            }
            query.push(column);
            query.push(" IN (");
            let mut separated = query.separated(", ");
            for value in chunk {
                separated.push_bind(*value);
            }
            query.push(")");
            let rows = query
                .build()
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query(doing))?;
            for row in &rows {
                found.push(record_from_row(row)?);
            }
        }
        Ok(found)
    }

    /// A page of records. The page's ids are found first, from an index
    /// where the sort allows it, and only those rows are then read whole.
    pub async fn records(&self, filter: &RecordFilter) -> Result<Vec<RecordRow>, StoreError> {
        let failed = StoreError::query;
        let mut reading = self.begin().await?;
        let source = list_source(&mut reading, filter).await?;
        let mut query = page_ids_query(source, filter);
        let ids: Vec<i64> = query
            .build_query_scalar()
            .fetch_all(&mut *reading)
            .await
            .map_err(failed("listing records"))?;
        reading.commit().await.map_err(failed("listing records"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows_query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT rowid AS page_rowid, {RECORD_ROW_COLUMNS} FROM records WHERE rowid IN ("
        ));
        let mut separated = rows_query.separated(", ");
        for id in &ids {
            separated.push_bind(*id);
        }
        rows_query.push(")");
        let rows = rows_query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading a page of records"))?;
        let mut by_id: std::collections::HashMap<i64, RecordRow> = rows
            .iter()
            .map(|row| Ok((integer(row, "page_rowid")?, record_from_row(row)?)))
            .collect::<Result<_, StoreError>>()?;
        // In the order the sort gave.
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// How many records match (ignoring offset and limit).
    pub async fn count_records(&self, filter: &RecordFilter) -> Result<u64, StoreError> {
        let failed = StoreError::query;
        let mut reading = self.begin().await?;
        let mut query = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM ");
        query.push(list_source(&mut reading, filter).await?);
        push_where(&mut query, filter);
        let count: i64 = query
            .build_query_scalar()
            .fetch_one(&mut *reading)
            .await
            .map_err(failed("counting records"))?;
        reading.commit().await.map_err(failed("counting records"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Records whose local version has not reached QuickBooks.
    pub async fn pending_records(&self) -> Result<Vec<RecordRow>, StoreError> {
        let rows = sqlx::query(
            &format!(
                "SELECT {RECORD_ROW_COLUMNS} FROM records WHERE state IN ('pending', 'error') ORDER BY local_id"
            ),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("listing pending records"))?;
        rows.iter().map(record_from_row).collect()
    }

    /// The QuickBooks ids of the records of a type that QuickBooks still
    /// has as far as the books know (not deleted on either side): what a
    /// full scan must find again. Reads no JSON.
    pub async fn live_qbo_ids(&self, entity: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT qbo_id FROM records
             WHERE entity_type = ? AND qbo_id IS NOT NULL AND remote_deleted = 0
               AND state != 'deleted'",
        )
        .bind(entity)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("listing QuickBooks ids"))
    }

    /// The entity types that have records of QuickBooks objects: a full
    /// scan of any other type is a first read, with nothing to miss.
    pub async fn entity_types_with_qbo_ids(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT DISTINCT entity_type FROM records WHERE qbo_id IS NOT NULL")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing entity types"))
    }

    /// The QuickBooks ids of live records of a type (as in
    /// [`CompanyStore::live_qbo_ids`]) that the scan marked `mark` did not
    /// read.
    pub async fn live_qbo_ids_unmarked(
        &self,
        entity: &str,
        mark: i64,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT qbo_id FROM records
             WHERE entity_type = ? AND qbo_id IS NOT NULL AND remote_deleted = 0
               AND state != 'deleted' AND (scan_mark IS NULL OR scan_mark != ?)",
        )
        .bind(entity)
        .bind(mark)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("listing records a scan did not read"))
    }

    /// Every record of the given entity types.
    pub async fn records_of(&self, entities: &[&str]) -> Result<Vec<RecordRow>, StoreError> {
        self.records_of_where(entities, ("records", ""), "listing records by type")
            .await
    }

    /// The pending and refused records of the given entity types, by local
    /// id: what a push of those types starts from.
    pub async fn pending_records_of(
        &self,
        entities: &[&str],
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.records_of_where(
            entities,
            WAITING_TO_BE_SENT,
            "listing pending records by type",
        )
        .await
    }

    /// The records of the given entity types that QuickBooks has not been
    /// sent yet (no QuickBooks id) and that are not deleted: what a push
    /// still has to create, found without reading the whole list.
    pub async fn records_not_in_quickbooks(
        &self,
        entities: &[&str],
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.records_of_where(
            entities,
            ("records", " AND qbo_id IS NULL AND state <> 'deleted'"),
            "listing records not in QuickBooks",
        )
        .await
    }

    /// The records of [`records_query`], decoded.
    async fn records_of_where(
        &self,
        entities: &[&str],
        condition: (&'static str, &'static str),
        doing: &'static str,
    ) -> Result<Vec<RecordRow>, StoreError> {
        if entities.is_empty() {
            return Ok(Vec::new());
        }
        let rows = records_query(entities, condition)
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query(doing))?;
        rows.iter().map(record_from_row).collect()
    }

    /// The outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM outbox ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading the outbox"))?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// The invoices (or bills) with something left to pay, and those of
    /// them past their due date on `today`. Read from one small index; the
    /// balances are summed here, exactly, from the text QuickBooks wrote.
    /// Also says the home currency, when an open document shows it (one
    /// without a separate home-currency balance is in the home currency).
    pub async fn open_documents(
        &self,
        entity: &str,
        today: NaiveDate,
    ) -> Result<(OpenDocuments, Option<String>), StoreError> {
        let rows: Vec<OpenDocumentRow> = sqlx::query_as(
            "SELECT due_date, open_balance, open_home_balance, currency
                 FROM records INDEXED BY records_open_balances
                 WHERE entity_type = ? AND open_balance IS NOT NULL AND state <> 'deleted'",
        )
        .bind(entity)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("totalling open documents"))?;
        let today = today.to_string();
        let mut open = OpenDocuments::default();
        let mut home_currency = None;
        for (due, balance, home_balance, currency) in rows {
            let foreign = home_balance.is_some();
            let Some(amount) = home_balance
                .or(balance)
                .and_then(|text| text.trim_matches('"').parse::<Decimal>().ok())
            else {
                continue;
            };
            if !foreign && home_currency.is_none() {
                home_currency = currency;
            }
            open.count += 1;
            open.total += amount;
            // Dates are YYYY-MM-DD text, so text order is date order.
            if due.is_some_and(|due| due.as_str() < today.as_str()) {
                open.overdue_count += 1;
                open.overdue_total += amount;
            }
        }
        Ok((open, home_currency))
    }

    /// Holds a record's local change back from the push, or releases it.
    /// Says whether the record exists.
    pub async fn set_held(&self, local_id: &str, held: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE records SET held = ? WHERE local_id = ?")
            .bind(held)
            .bind(local_id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("holding a change back"))?;
        Ok(done.rows_affected() > 0)
    }

    /// The records whose local change the user holds back.
    pub async fn held_records(&self) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(HELD_RECORDS)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing held-back changes"))?;
        Ok(ids.into_iter().collect())
    }

    /// How many records are in each state (deleted ones left out), from
    /// the state index alone.
    pub async fn state_counts(&self) -> Result<Vec<(RecordState, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM records WHERE state <> 'deleted' GROUP BY state",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("counting records by state"))?;
        rows.into_iter()
            .map(|(state, count)| {
                Ok((
                    RecordState::parse(&state)?,
                    u64::try_from(count).unwrap_or(0),
                ))
            })
            .collect()
    }

    /// Open conflicts, oldest first.
    pub async fn open_conflicts(&self) -> Result<Vec<ConflictRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM conflicts WHERE resolved_at IS NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing conflicts"))?;
        rows.iter().map(conflict_from_row).collect()
    }

    /// One conflict.
    pub async fn conflict(&self, id: i64) -> Result<Option<ConflictRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM conflicts WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a conflict"))?;
        row.as_ref().map(conflict_from_row).transpose()
    }

    /// A record's open conflict.
    pub async fn conflict_for(&self, local_id: &str) -> Result<Option<ConflictRow>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM conflicts WHERE local_id = ? AND resolved_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(local_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::query("reading a conflict"))?;
        row.as_ref().map(conflict_from_row).transpose()
    }

    /// History, newest first.
    pub async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM history");
        if let Some(local_id) = &filter.local_id {
            query.push(" WHERE local_id = ");
            query.push_bind(local_id.clone());
        }
        query.push(" ORDER BY id DESC LIMIT ");
        query.push_bind(i64::try_from(filter.limit).unwrap_or(i64::MAX));
        query.push(" OFFSET ");
        query.push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading history"))?;
        rows.iter().map(history_from_row).collect()
    }

    /// How many history entries there are (of one record, or all).
    pub async fn count_history(&self, local_id: Option<&str>) -> Result<u64, StoreError> {
        let count: i64 = match local_id {
            Some(local_id) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM history WHERE local_id = ?")
                    .bind(local_id)
                    .fetch_one(&self.pool)
                    .await
            }
            None => {
                sqlx::query_scalar("SELECT COUNT(*) FROM history")
                    .fetch_one(&self.pool)
                    .await
            }
        }
        .map_err(StoreError::query("counting history"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// One history entry.
    pub async fn history_entry(&self, id: i64) -> Result<Option<HistoryEntry>, StoreError> {
        let row = sqlx::query("SELECT * FROM history WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading history"))?;
        row.as_ref().map(history_from_row).transpose()
    }

    /// A sync bookmark.
    pub async fn bookmark(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM bookmarks WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a bookmark"))
    }

    /// Starts a transaction on the company's database.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin()
            .await
            .map_err(StoreError::query("starting a transaction"))
    }

    /// A transaction that holds the write lock from its start (`BEGIN
    /// IMMEDIATE`), for one that reads before it writes: an ordinary one
    /// would fail at its first write, without waiting, if another
    /// connection wrote in between.
    async fn begin_writing(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::query("starting a transaction"))
    }

    /// Adds operations to the outbox in one transaction, and returns their
    /// ids in the order given. For a plan written a part at a time while
    /// its first batches are already on their way; [`Self::commit`] writes
    /// them together with other changes.
    pub async fn queue_operations(
        &self,
        entries: &[NewOutboxEntry],
    ) -> Result<Vec<i64>, StoreError> {
        let failed = StoreError::query;
        let mut transaction = self.begin().await?;
        let ids = insert_outbox(&mut transaction, entries).await?;
        transaction
            .commit()
            .await
            .map_err(failed("committing queued operations"))?;
        Ok(ids)
    }

    /// Drops the indexes of the records list (their names begin
    /// `records_list_`), saving each definition in the same transaction,
    /// for a sync about to file a whole company: it then costs one sort per
    /// index at the end ([`Self::build_deferred_indexes`]) instead of an
    /// insert at a random place in each for every record. Everything still
    /// works meanwhile: the list, and the lookups of records by type that
    /// SQLite would otherwise answer from these indexes, read the table.
    /// Returns how many were dropped.
    pub async fn defer_list_indexes(&self) -> Result<usize, StoreError> {
        let failed = StoreError::query;
        let doing = "setting the list indexes aside";
        let mut transaction = self.begin_writing().await?;
        let indexes: Vec<(String, String)> = sqlx::query_as(
            r"SELECT name, sql FROM sqlite_master
              WHERE type = 'index' AND tbl_name = 'records'
                AND name LIKE 'records\_list\_%' ESCAPE '\' AND sql IS NOT NULL",
        )
        .fetch_all(&mut *transaction)
        .await
        .map_err(failed(doing))?;
        for (name, sql) in &indexes {
            sqlx::query("INSERT OR REPLACE INTO deferred_indexes (name, sql) VALUES (?, ?)")
                .bind(name)
                .bind(sql)
                .execute(&mut *transaction)
                .await
                .map_err(failed(doing))?;
            // The name comes from SQLite's own catalogue, quoted as an
            // identifier all the same.
            sqlx::query(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                .persistent(false)
                .execute(&mut *transaction)
                .await
                .map_err(failed(doing))?;
        }
        transaction.commit().await.map_err(failed(doing))?;
        Ok(indexes.len())
    }

    /// Builds every index [`Self::defer_list_indexes`] set aside, in one
    /// transaction that also forgets their definitions, and returns how
    /// many it built. A definition whose index exists already (put back by
    /// other means) is forgotten. One that cannot be built is kept, with a
    /// warning, and tried again next time: these indexes only make the list
    /// quick, and a definition that can never be built (after a change of
    /// the schema that forgot it) must not stop every sync.
    pub async fn build_deferred_indexes(&self) -> Result<usize, StoreError> {
        let failed = StoreError::query;
        let doing = "building the list indexes";
        // Most syncs find nothing to build, and need not wait for the lock.
        if self.deferred_indexes().await?.is_empty() {
            return Ok(0);
        }
        let mut transaction = self.begin_writing().await?;
        let indexes: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT deferred.name, deferred.sql, EXISTS (
                 SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = deferred.name
             )
             FROM deferred_indexes AS deferred ORDER BY deferred.name",
        )
        .fetch_all(&mut *transaction)
        .await
        .map_err(failed(doing))?;
        let mut built = 0;
        for (name, sql, exists) in &indexes {
            if !exists {
                let created = sqlx::query(sql)
                    .persistent(false)
                    .execute(&mut *transaction)
                    .await;
                if let Err(error) = created {
                    tracing::warn!(index = %name, %error, "a list index set aside could not be built; the list reads the table until it is");
                    continue;
                }
                built += 1;
            }
            sqlx::query("DELETE FROM deferred_indexes WHERE name = ?")
                .bind(name)
                .execute(&mut *transaction)
                .await
                .map_err(failed(doing))?;
        }
        transaction.commit().await.map_err(failed(doing))?;
        Ok(built)
    }

    /// The names of the indexes set aside and not yet built again.
    pub async fn deferred_indexes(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM deferred_indexes ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("listing the indexes set aside"))
    }

    /// The indexes of the records table with their definitions, by name,
    /// for tests that compare books with those of a new store.
    pub async fn record_indexes(&self) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query_as(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL
             ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::query("listing the records' indexes"))
    }

    /// Copies what the write-ahead log holds into the database, as far as
    /// readers allow, without waiting for anyone (SQLite's PASSIVE
    /// checkpoint). SQLite otherwise does it inside the commit that grows
    /// the log past a thousand pages; a first sync calls this beside its
    /// saves so that they do not wait for it.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("checkpointing the write-ahead log"))?;
        Ok(())
    }

    /// Gives back the memory SQLite holds for speed on the connections no one
    /// is using: their page caches and their prepared statements. A first
    /// sync leaves megabytes of both (each size of a many-row insert is a
    /// statement of its own), and the app keeps them for days in the tray.
    /// The next query prepares what it needs again. Returns how many
    /// connections were cleared.
    pub async fn release_memory(&self) -> Result<usize, StoreError> {
        use sqlx::Connection as _;

        let failed = StoreError::query;
        let mut idle = Vec::new();
        while let Some(connection) = self.pool.try_acquire() {
            idle.push(connection);
        }
        for connection in &mut idle {
            connection
                .clear_cached_statements()
                .await
                .map_err(failed("releasing prepared statements"))?;
            sqlx::query("PRAGMA shrink_memory")
                .persistent(false)
                .execute(&mut **connection)
                .await
                .map_err(failed("releasing the page cache"))?;
        }
        Ok(idle.len())
    }

    /// Applies a changeset in one transaction: all of it, or nothing.
    pub async fn commit(&self, changes: Changeset) -> Result<Committed, StoreError> {
        self.commit_changes(&changes, None).await
    }

    /// [`Self::commit`] for a changeset packed beforehand.
    pub async fn commit_packed(&self, packed: &PackedChangeset) -> Result<Committed, StoreError> {
        self.commit_changes(&packed.changes, Some(packed)).await
    }

    async fn commit_changes(
        &self,
        changes: &Changeset,
        packed: Option<&PackedChangeset>,
    ) -> Result<Committed, StoreError> {
        let failed = StoreError::query;
        let mut transaction = self.begin().await?;
        let mut committed = Committed::default();
        let mut chunks: Vec<RecordChunk<'_>> = statement_chunks(&changes.records)
            .into_iter()
            .map(RecordChunk::Records)
            .collect();
        chunks.extend(
            statement_chunks(&changes.agreed_records)
                .into_iter()
                .map(RecordChunk::Agreed),
        );
        // Cut as the records are, so that each chunk has its packed records.
        let packed_before: Vec<&[PackedRecord]> = packed
            .map(|packed| {
                let mut cut = statement_chunks(&packed.records);
                cut.extend(statement_chunks(&packed.agreed));
                cut
            })
            .unwrap_or_default();
        let pack = |index: usize| match packed_before.get(index) {
            Some(_) => Vec::new(),
            None => chunks
                .get(index)
                .map(|chunk| chunk.packed())
                .unwrap_or_default(),
        };
        let mut packed_now = pack(0);
        for (index, chunk) in chunks.iter().enumerate() {
            let statement = record_upsert(chunk.len());
            let mut query = sqlx::query(&statement);
            let packed = packed_before.get(index).copied().unwrap_or(&packed_now);
            for (record, packed) in chunk.rows().zip(packed) {
                query = bind_record(query, record, packed);
            }
            // Unless they were packed beforehand, the next statement's
            // records are packed here while SQLite, on its own thread, saves
            // this one: a first sync spends about as long on each, so
            // together they take about the longer of the two, not the sum.
            let (saved, next) =
                futures::join!(query.execute(&mut *transaction), async { pack(index + 1) });
            saved.map_err(failed("saving a record"))?;
            packed_now = next;
        }
        for local_id in &changes.removed_records {
            sqlx::query("DELETE FROM records WHERE local_id = ?")
                .bind(local_id)
                .execute(&mut *transaction)
                .await
                .map_err(failed("removing a record"))?;
        }
        committed.outbox_ids = insert_outbox(&mut transaction, &changes.outbox_added).await?;
        for chunk in statement_chunks(&changes.outbox_done) {
            let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM outbox WHERE id IN (");
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(id);
            }
            query.push(")");
            query
                .build()
                .execute(&mut *transaction)
                .await
                .map_err(failed("completing an operation"))?;
        }
        for (id, error) in &changes.outbox_attempts {
            sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
                .bind(error)
                .bind(id)
                .execute(&mut *transaction)
                .await
                .map_err(failed("counting an attempt"))?;
        }
        for conflict in &changes.conflicts_opened {
            let id = sqlx::query(
                "INSERT INTO conflicts (local_id, entity_type, kind, base_json, local_json,
                    remote_json, fields, opened_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&conflict.local_id)
            .bind(&conflict.entity_type)
            .bind(conflict.kind.as_str())
            .bind(conflict.base.as_ref().map(ToString::to_string))
            .bind(conflict.local.as_ref().map(ToString::to_string))
            .bind(conflict.remote.as_ref().map(ToString::to_string))
            .bind(conflict.fields.to_string())
            .bind(time_text(&conflict.opened_at))
            .execute(&mut *transaction)
            .await
            .map_err(failed("opening a conflict"))?
            .last_insert_rowid();
            committed.conflict_ids.push(id);
        }
        for (id, resolution, at) in &changes.conflicts_resolved {
            sqlx::query("UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?")
                .bind(time_text(at))
                .bind(resolution.to_string())
                .bind(id)
                .execute(&mut *transaction)
                .await
                .map_err(failed("resolving a conflict"))?;
        }
        for chunk in statement_chunks(&changes.history) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO history (at, local_id, entity_type, qbo_id, direction, operation,
                    before_json, after_json, request_id, summary) ",
            );
            query.push_values(chunk, |mut row, entry| {
                row.push_bind(time_text(&entry.at))
                    .push_bind(&entry.local_id)
                    .push_bind(&entry.entity_type)
                    .push_bind(&entry.qbo_id)
                    .push_bind(entry.direction.as_str())
                    .push_bind(&entry.operation)
                    .push_bind(entry.before.as_ref().map(ToString::to_string))
                    .push_bind(entry.after.as_ref().map(ToString::to_string))
                    .push_bind(&entry.request_id)
                    .push_bind(&entry.summary);
            });
            query.push(" RETURNING id");
            let ids = query
                .build_query_scalar::<i64>()
                .fetch_all(&mut *transaction)
                .await
                .map_err(failed("writing history"))?;
            committed.history_ids.extend(in_insertion_order(ids));
        }
        crate::catalogue::apply(&mut transaction, changes).await?;
        crate::inbox::apply_links(&mut transaction, &changes.statement_links).await?;
        for marks in &changes.scan_marks {
            for chunk in marks.qbo_ids.chunks(5_000) {
                let mut query = QueryBuilder::<Sqlite>::new("UPDATE records SET scan_mark = ");
                query.push_bind(marks.mark);
                query.push(" WHERE entity_type = ");
                query.push_bind(&marks.entity_type);
                query.push(" AND qbo_id IN (");
                let mut separated = query.separated(", ");
                for id in chunk {
                    separated.push_bind(id);
                }
                query.push(")");
                query
                    .build()
                    .execute(&mut *transaction)
                    .await
                    .map_err(failed("marking records a scan read"))?;
            }
        }
        for (key, value) in &changes.bookmarks {
            sqlx::query(
                "INSERT INTO bookmarks (key, value) VALUES (?, ?)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *transaction)
            .await
            .map_err(failed("saving a bookmark"))?;
        }
        transaction
            .commit()
            .await
            .map_err(failed("committing a transaction"))?;
        Ok(committed)
    }
}

/// An amount as an exact integer key at a fixed scale; None beyond i64.
fn amount_key(amount: Decimal) -> Option<i64> {
    let mut scaled = amount;
    scaled.rescale(AMOUNT_KEY_SCALE);
    i64::try_from(scaled.mantissa()).ok()
}

/// The rowids of a page of the records list, in the page's order. Rowids,
/// not local ids: the list indexes hold the rowid (and not the local id),
/// so the page is found without reading the table.
fn page_ids_query(source: &str, filter: &RecordFilter) -> QueryBuilder<'static, Sqlite> {
    let mut query = QueryBuilder::<Sqlite>::new("SELECT rowid FROM ");
    query.push(source);
    push_where(&mut query, filter);
    let direction = if filter.descending { "DESC" } else { "ASC" };
    let column = match filter.sort {
        RecordSort::TxnDate => "txn_date",
        RecordSort::Name => "name COLLATE NOCASE",
        RecordSort::DocNumber => "doc_number",
        RecordSort::Amount => "amount_key",
        RecordSort::Updated => "updated_key",
    };
    // Ties in the order of the list indexes (sort column, state,
    // rowid), so that SQLite walks one and sorts nothing.
    query.push(format!(
        " ORDER BY {column} {direction}, state {direction}, rowid {direction}"
    ));
    query.push(" LIMIT ");
    query.push_bind(i64::try_from(filter.limit).unwrap_or(i64::MAX));
    query.push(" OFFSET ");
    query.push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
    query
}

/// Where a list query reads from. A search of one type scans the narrow
/// search index, which holds every column the search and the sorts need;
/// left to itself SQLite may walk a sort index instead and read each wide
/// row to test the search, which is many times slower on large books.
///
/// While a first sync files a company the index does not exist (see
/// [`CompanyStore::defer_list_indexes`]), and naming it would fail the
/// query, so the table is read instead. The caller runs its query in the
/// read transaction `reading`, which sees the schema this looked at.
async fn list_source(
    reading: &mut sqlx::SqliteConnection,
    filter: &RecordFilter,
) -> Result<&'static str, StoreError> {
    if filter.search.is_none() || filter.entity_type.is_none() {
        return Ok("records");
    }
    let indexed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master
             WHERE type = 'index' AND name = 'records_list_search')",
    )
    .fetch_one(reading)
    .await
    .map_err(StoreError::query("finding the search index"))?;
    Ok(if indexed {
        "records INDEXED BY records_list_search"
    } else {
        "records"
    })
}

fn push_where(query: &mut QueryBuilder<'_, Sqlite>, filter: &RecordFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(entity) = &filter.entity_type {
        query.push(" AND entity_type = ");
        query.push_bind(entity.clone());
    }
    if !filter.states.is_empty() {
        query.push(" AND state IN (");
        let mut separated = query.separated(", ");
        for state in &filter.states {
            separated.push_bind(state.as_str());
        }
        query.push(")");
    } else if !filter.include_deleted {
        query.push(" AND state <> 'deleted'");
    }
    if let Some(search) = &filter.search {
        let pattern = format!(
            "%{}%",
            search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // SQLite's LIKE ignores ASCII case already (its lower() folds no
        // more than that), and a NULL column simply does not match.
        query.push(" AND (name LIKE ");
        query.push_bind(pattern.clone());
        query.push(" ESCAPE '\\' OR doc_number LIKE ");
        query.push_bind(pattern.clone());
        query.push(" ESCAPE '\\' OR counterparty LIKE ");
        query.push_bind(pattern);
        query.push(" ESCAPE '\\')");
    }
    if filter.open_only {
        // Spelled as the open-documents indexes are, so SQLite uses them.
        query.push(" AND open_balance IS NOT NULL");
    }
    if let Some(from) = filter.date_from {
        query.push(" AND txn_date >= ");
        query.push_bind(from.to_string());
    }
    if let Some(to) = filter.date_to {
        query.push(" AND txn_date <= ");
        query.push_bind(to.to_string());
    }
}

pub(crate) fn text(row: &SqliteRow, column: &'static str) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>, _>(column)
        .map_err(StoreError::query("reading a row"))
}

pub(crate) fn required(
    row: &SqliteRow,
    column: &'static str,
    what: &str,
) -> Result<String, StoreError> {
    text(row, column)?.ok_or_else(|| StoreError::Damaged {
        what: format!("{what} without {column}"),
    })
}

fn integer(row: &SqliteRow, column: &'static str) -> Result<i64, StoreError> {
    row.try_get::<i64, _>(column)
        .map_err(StoreError::query("reading a row"))
}

/// Inserts outbox entries, a statement of many rows at a time, and returns
/// their ids in the order given.
async fn insert_outbox(
    transaction: &mut sqlx::Transaction<'_, Sqlite>,
    entries: &[NewOutboxEntry],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(entries.len());
    for chunk in statement_chunks(entries) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO outbox (local_id, entity_type, operation, request_id, payload, created_at) ",
        );
        query.push_values(chunk, |mut row, entry| {
            row.push_bind(&entry.local_id)
                .push_bind(&entry.entity_type)
                .push_bind(entry.operation.as_str())
                .push_bind(&entry.request_id)
                .push_bind(entry.payload.to_string())
                .push_bind(time_text(&entry.created_at));
        });
        query.push(" RETURNING id");
        let chunk_ids = query
            .build_query_scalar::<i64>()
            .fetch_all(&mut **transaction)
            .await
            .map_err(StoreError::query("queueing an operation"))?;
        ids.extend(in_insertion_order(chunk_ids));
    }
    Ok(ids)
}

fn record_from_row(row: &SqliteRow) -> Result<RecordRow, StoreError> {
    let local_id = required(row, "local_id", "a record")?;
    let what = |column: &str| format!("the {column} of record {local_id}");
    let amount = text(row, "amount")?
        .map(|amount| {
            amount.parse::<Decimal>().map_err(|_| StoreError::Damaged {
                what: what("amount"),
            })
        })
        .transpose()?;
    let txn_date = text(row, "txn_date")?
        .map(|date| {
            date.parse()
                .map_err(|_| StoreError::Damaged { what: what("date") })
        })
        .transpose()?;
    // A shared version is parsed once and copied, not stored or read twice.
    // A column that holds text is read for itself (a shared version's
    // column is NULL), so damage to any stored text is found.
    let shared = integer(row, "shared_versions")?;
    let remote = unpacked_json(row, "remote_json", || what("QuickBooks version"))?;
    let shared_copy = |source: &Option<serde_json::Value>, name: &str| {
        source.clone().map(Some).ok_or_else(|| StoreError::Damaged {
            what: what(&format!("{name} (shared with a version that is missing)")),
        })
    };
    let base = match unpacked_json(row, "base_json", || what("base version"))? {
        Some(base) => Some(base),
        None if shared & BASE_IS_REMOTE != 0 => shared_copy(&remote, "base version")?,
        None => None,
    };
    let local = match unpacked_json(row, "local_json", || what("local version"))? {
        Some(local) => Some(local),
        None if shared & LOCAL_IS_REMOTE != 0 => shared_copy(&remote, "local version")?,
        None if shared & LOCAL_IS_BASE != 0 => shared_copy(&base, "local version")?,
        None => None,
    };
    Ok(RecordRow {
        entity_type: required(row, "entity_type", "a record")?,
        qbo_id: text(row, "qbo_id")?,
        sync_token: text(row, "sync_token")?,
        base,
        local,
        remote,
        state: RecordState::parse(&required(row, "state", "a record")?)?,
        intent: Intent::parse(&required(row, "intent", "a record")?)?,
        remote_deleted: integer(row, "remote_deleted")? != 0,
        active: integer(row, "active")? != 0,
        summary: RecordSummary {
            name: text(row, "name")?,
            doc_number: text(row, "doc_number")?,
            txn_date,
            amount,
            counterparty: text(row, "counterparty")?,
        },
        error: text(row, "error")?,
        local_updated_at: record_time(row, "local_updated_at", || what("local time"))?,
        remote_updated_at: record_time(row, "remote_updated_at", || what("QuickBooks time"))?,
        local_id,
    })
}

/// A record's stored time; `what` is worked out only to name a damaged one
/// (a list of thousands of records would otherwise build a name for each).
fn record_time(
    row: &SqliteRow,
    column: &'static str,
    what: impl Fn() -> String,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(text) = text(row, column)? else {
        return Ok(None);
    };
    match DateTime::parse_from_rfc3339(&text) {
        Ok(time) => Ok(Some(time.with_timezone(&Utc))),
        Err(_) => parse_time(&text, &what()).map(Some),
    }
}

/// The first byte of a record's JSON stored deflated, as books written
/// before LZ4 keep it (raw deflate after this byte). JSON text never starts
/// with it, so older books' plain text is read as it is.
const DEFLATED: u8 = 1;

/// The first byte of a record's JSON stored as an LZ4 block: then the JSON's
/// length (four bytes, little-endian), then the block. LZ4 rather than
/// deflate because a first sync stores every object it reads: it compresses
/// several times faster for a somewhat larger copy.
const LZ4: u8 = 2;

/// Bytes before an LZ4 block: the marker and the length.
const LZ4_HEADER: usize = 5;

/// No stored version inflates beyond this (QuickBooks' own documents are
/// far smaller): a damaged length cannot make a read allocate without end.
const MAX_JSON_BYTES: usize = 64 * 1024 * 1024;

/// A record version as stored: its JSON text compressed after the [`LZ4`]
/// byte and its length, or the plain text should it not compress (it
/// always does; plain text is what older books hold, so it reads back).
fn packed_json(value: &serde_json::Value) -> Vec<u8> {
    packed_text(value.to_string().as_bytes())
}

/// JSON text as [`packed_json`] stores it.
fn packed_text(text: &[u8]) -> Vec<u8> {
    let Ok(length) = u32::try_from(text.len()) else {
        return text.to_vec();
    };
    let mut packed = vec![0; LZ4_HEADER + lz4_flex::block::get_maximum_output_size(text.len())];
    packed[0] = LZ4;
    packed[1..LZ4_HEADER].copy_from_slice(&length.to_le_bytes());
    match lz4_flex::block::compress_into(text, &mut packed[LZ4_HEADER..]) {
        Ok(written) => {
            packed.truncate(LZ4_HEADER + written);
            packed
        }
        Err(_) => text.to_vec(),
    }
}

/// A record version read back: LZ4 (see [`packed_json`]), deflated, or, in
/// books written before either, plain JSON text.
fn unpacked_json(
    row: &SqliteRow,
    column: &'static str,
    what: impl Fn() -> String,
) -> Result<Option<serde_json::Value>, StoreError> {
    let stored: Option<&[u8]> = row
        .try_get(column)
        .map_err(StoreError::query("reading a row"))?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let damaged = |why: String| StoreError::Damaged {
        what: format!("{} cannot be decompressed ({why})", what()),
    };
    let inflated;
    let text = match stored.split_first() {
        Some((&LZ4, packed)) => {
            let (length, block) = packed
                .split_first_chunk::<4>()
                .ok_or_else(|| damaged("it is cut short".to_owned()))?;
            let length = usize::try_from(u32::from_le_bytes(*length)).unwrap_or(usize::MAX);
            if length > MAX_JSON_BYTES {
                return Err(damaged(format!("it claims {length} bytes")));
            }
            inflated = lz4_flex::block::decompress(block, length)
                .map_err(|error| damaged(error.to_string()))?;
            inflated.as_slice()
        }
        Some((&DEFLATED, deflated)) => {
            inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, MAX_JSON_BYTES)
                .map_err(|error| damaged(error.to_string()))?;
            inflated.as_slice()
        }
        _ => stored,
    };
    serde_json::from_slice(text)
        .map(Some)
        .map_err(|error| StoreError::Damaged {
            what: format!("{} is not JSON ({error})", what()),
        })
}

fn outbox_from_row(row: &SqliteRow) -> Result<OutboxEntry, StoreError> {
    let id = integer(row, "id")?;
    let what = format!("outbox entry {id}");
    Ok(OutboxEntry {
        id,
        local_id: required(row, "local_id", &what)?,
        entity_type: required(row, "entity_type", &what)?,
        operation: OpKind::parse(&required(row, "operation", &what)?)?,
        request_id: required(row, "request_id", &what)?,
        payload: parse_json(text(row, "payload")?, &what)?.unwrap_or_default(),
        created_at: parse_time(&required(row, "created_at", &what)?, &what)?,
        attempts: u32::try_from(integer(row, "attempts")?).unwrap_or(0),
        last_error: text(row, "last_error")?,
    })
}

fn conflict_from_row(row: &SqliteRow) -> Result<ConflictRow, StoreError> {
    let id = integer(row, "id")?;
    let what = format!("conflict {id}");
    Ok(ConflictRow {
        id,
        local_id: required(row, "local_id", &what)?,
        entity_type: required(row, "entity_type", &what)?,
        kind: ConflictKind::parse(&required(row, "kind", &what)?)?,
        base: parse_json(text(row, "base_json")?, &what)?,
        local: parse_json(text(row, "local_json")?, &what)?,
        remote: parse_json(text(row, "remote_json")?, &what)?,
        fields: parse_json(text(row, "fields")?, &what)?.unwrap_or_default(),
        opened_at: parse_time(&required(row, "opened_at", &what)?, &what)?,
        resolved_at: parse_optional_time(text(row, "resolved_at")?, &what)?,
        resolution: parse_json(text(row, "resolution")?, &what)?,
    })
}

fn history_from_row(row: &SqliteRow) -> Result<HistoryEntry, StoreError> {
    let id = integer(row, "id")?;
    let what = format!("history entry {id}");
    Ok(HistoryEntry {
        id,
        at: parse_time(&required(row, "at", &what)?, &what)?,
        local_id: required(row, "local_id", &what)?,
        entity_type: required(row, "entity_type", &what)?,
        qbo_id: text(row, "qbo_id")?,
        direction: Direction::parse(&required(row, "direction", &what)?)?,
        operation: required(row, "operation", &what)?,
        before: parse_json(text(row, "before_json")?, &what)?,
        after: parse_json(text(row, "after_json")?, &what)?,
        request_id: text(row, "request_id")?,
        summary: required(row, "summary", &what)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new company store in a temporary folder, kept while the folder is.
    async fn empty_store() -> (tempfile::TempDir, CompanyStore) {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = CompanyStore::open(&folder.path().join("company.sqlite"))
            .await
            .expect("the store opens");
        (folder, store)
    }

    /// The plan SQLite makes for `sql` with `binds`, one line a step.
    async fn query_plan(store: &CompanyStore, sql: &str, binds: &[&str]) -> String {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query(&explain);
        for bind in binds {
            query = query.bind(*bind);
        }
        let rows = query.fetch_all(&store.pool).await.expect("the plan");
        rows.iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A page of the list of every type, sorted by any column, is found
    /// from a list index alone: the indexes on the name and the number
    /// across types (dropped by migration 0012) were walked instead for
    /// those two sorts, reading every row's state from the table on the
    /// way, which made the deeper pages of a large book the slowest.
    #[tokio::test]
    async fn a_page_of_every_type_is_found_from_a_list_index_alone() {
        let (_folder, store) = empty_store().await;
        for sort in [
            RecordSort::Name,
            RecordSort::DocNumber,
            RecordSort::TxnDate,
            RecordSort::Amount,
            RecordSort::Updated,
        ] {
            let filter = RecordFilter {
                sort,
                limit: 100,
                offset: 50_000,
                ..RecordFilter::default()
            };
            let page = page_ids_query("records", &filter);
            let plan = query_plan(&store, page.sql(), &["100", "50000"]).await;
            assert!(
                plan.contains("USING COVERING INDEX records_list_by_"),
                "{sort:?}: {plan}"
            );
        }
    }

    /// A push first reads the records waiting to be sent and the changes
    /// held back: in a book of a hundred thousand records, a handful. They
    /// must be found by the state index and by the held ones' own partial
    /// index, not by a walk of every invoice's list entry or of the table.
    #[tokio::test]
    async fn waiting_and_held_records_are_read_from_their_own_indexes() {
        let (_folder, store) = empty_store().await;
        let entities = ["Customer", "Invoice", "Bill"];
        let waiting = records_query(&entities, WAITING_TO_BE_SENT);
        let plan = query_plan(&store, waiting.sql(), &entities).await;
        assert!(plan.contains("records_by_state"), "{plan}");
        let plan = query_plan(&store, HELD_RECORDS, &[]).await;
        assert!(plan.contains("records_held"), "{plan}");
    }

    /// Waits until every open connection is back in the pool: a connection
    /// goes back from a task of its own.
    async fn all_connections_idle(store: &CompanyStore) {
        for _ in 0..500 {
            if store.pool.num_idle() == store.pool.size() as usize {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the pool's connections did not all come back");
    }

    /// After a sync the idle connections give back their prepared
    /// statements and page caches, and the store goes on answering as before.
    #[tokio::test]
    async fn released_connections_hold_no_prepared_statements_and_still_answer() {
        use sqlx::Connection as _;

        let (_folder, store) = empty_store().await;
        let filter = RecordFilter::default();
        let counted = store.count_records(&filter).await.expect("a count");
        // Prepare statements on more than one connection at once.
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut connection = store.pool.acquire().await.expect("a connection");
            sqlx::query("SELECT count(*) FROM records")
                .fetch_one(&mut *connection)
                .await
                .expect("a count");
            // The connection's thread counts its statements after it has
            // handed over the rows; a ping is answered after that.
            connection.ping().await.expect("a ping");
            assert!(connection.cached_statements_size() > 0);
            held.push(connection);
        }
        drop(held);
        all_connections_idle(&store).await;
        let released = store.release_memory().await.expect("released");
        assert!(released >= 2, "{released} connections released");
        all_connections_idle(&store).await;
        let mut connections = Vec::new();
        while let Some(connection) = store.pool.try_acquire() {
            connections.push(connection);
        }
        assert_eq!(connections.len(), released);
        for connection in &connections {
            assert_eq!(connection.cached_statements_size(), 0);
        }
        drop(connections);
        assert_eq!(
            store.count_records(&filter).await.expect("a count"),
            counted
        );
    }
}
