//! Statement imports and the review inbox: each imported line, its
//! suggestion and where it stands; the CSV layout confirmed per bank account;
//! the user's categorization rules.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::StoreError;
use crate::company::CompanyStore;
use crate::connect::time_text;

/// An import to record, with its new lines.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStatementImport {
    /// When.
    pub at: DateTime<Utc>,
    /// The file's name.
    pub file_name: String,
    /// `ofx1`, `ofx2`, `qfx`, `csv` or `pdf`.
    pub format: String,
    /// QuickBooks' id of the bank or card account.
    pub bank_account_id: String,
    /// Lines the file held.
    pub lines_read: u32,
    /// Lines skipped as imported before.
    pub duplicates: u32,
    /// How sure the reader was of the file's layout, 0 to 1 (a score).
    pub layout_confidence: f64,
}

/// A statement line to add to the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInboxEntry {
    /// The line's dedup key (unique per bank account).
    pub dedup_key: String,
    /// Which occurrence of an identical line in its file (1-based).
    pub occurrence: u32,
    /// `YYYY-MM-DD`.
    pub txn_date: String,
    /// Exact decimal text, signed.
    pub amount: String,
    /// The bank's text.
    pub description: String,
    /// The bank's id of the line.
    pub fitid: Option<String>,
    /// The payee as the file gives it.
    pub payee_text: Option<String>,
    /// The check number.
    pub check_number: Option<String>,
    /// Where in the file (1-based).
    pub source_line: u32,
    /// `purchase`, `deposit` or `transfer`.
    pub txn_type: String,
    /// What the inbox suggests for it.
    pub suggestion: StoredSuggestion,
    /// `new` or `already_in_quickbooks`.
    pub state: String,
    /// The matched record, when already in the books.
    pub matched_local_id: Option<String>,
}

/// A stored inbox entry.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    /// Its id.
    pub id: i64,
    /// Its import.
    pub import_id: i64,
    /// QuickBooks' id of the bank or card account.
    pub bank_account_id: String,
    /// The entry as it was imported.
    pub entry: NewInboxEntry,
    /// The other side of a transfer.
    pub transfer_partner: Option<i64>,
    /// What was accepted, as JSON.
    pub accepted_json: Option<String>,
    /// Local ids of the records made from it.
    pub created_records: Vec<String>,
}

/// Which entries to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxFilter {
    /// The states to read (empty for all).
    pub states: Vec<String>,
    /// One import.
    pub import_id: Option<i64>,
    /// One bank account.
    pub bank_account_id: Option<String>,
    /// Specific entries.
    pub ids: Vec<i64>,
    /// Entries to skip.
    pub offset: u64,
    /// Entries to read (0 for all).
    pub limit: u64,
}

/// An accepted entry, applied with the record made from it (see
/// [`crate::Changeset::statement_links`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLink {
    /// The inbox entry.
    pub entry_id: i64,
    /// The record made from it.
    pub local_id: String,
    /// What was accepted, as JSON.
    pub accepted_json: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A suggestion worked out again for an open entry (after the rules changed).
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionUpdate {
    /// The entry.
    pub id: i64,
    /// Its new suggestion.
    pub suggestion: StoredSuggestion,
}

/// What the inbox suggests for a line, as stored: written when the line is
/// imported and again when the rules change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSuggestion {
    /// The suggested account's QuickBooks id.
    pub account_id: Option<String>,
    /// Its name.
    pub account: Option<String>,
    /// The suggested payee.
    pub payee: Option<String>,
    /// The payee would be new.
    pub payee_is_new: bool,
    /// 0 to 1 (a score, not money).
    pub confidence: f64,
    /// `rule`, `history` or `none`.
    pub source: String,
    /// Why.
    pub explanation: String,
}

/// The states an entry may be accepted from.
pub(crate) const ACCEPTABLE: &str = "('new', 'already_in_quickbooks')";

impl CompanyStore {
    /// The dedup keys already imported for a bank account.
    pub async fn inbox_keys(&self, bank_account_id: &str) -> Result<HashSet<String>, StoreError> {
        let keys: Vec<String> =
            sqlx::query_scalar("SELECT dedup_key FROM inbox_entries WHERE bank_account_id = ?")
                .bind(bank_account_id)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("reading imported statement lines"))?;
        Ok(keys.into_iter().collect())
    }

    /// Records an import and its new lines in one transaction; a line whose
    /// key is already stored is skipped (a concurrent import of the same
    /// file). Returns the import's id and the ids of the entries added.
    pub async fn add_statement_import(
        &self,
        import: &NewStatementImport,
        entries: &[NewInboxEntry],
    ) -> Result<(i64, Vec<i64>), StoreError> {
        let failed = StoreError::query;
        let mut transaction = self.begin().await?;
        let already = entries
            .iter()
            .filter(|entry| entry.state == "already_in_quickbooks")
            .count();
        let import_id = sqlx::query(
            "INSERT INTO statement_imports (imported_at, file_name, format, bank_account_id,
                lines_read, imported, duplicates, already_in_qbo, layout_confidence)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(time_text(&import.at))
        .bind(&import.file_name)
        .bind(&import.format)
        .bind(&import.bank_account_id)
        .bind(i64::from(import.lines_read))
        .bind(i64::try_from(entries.len()).unwrap_or(i64::MAX))
        .bind(i64::from(import.duplicates))
        .bind(i64::try_from(already).unwrap_or(i64::MAX))
        .bind(import.layout_confidence)
        .execute(&mut *transaction)
        .await
        .map_err(failed("recording a statement import"))?
        .last_insert_rowid();
        let mut ids = Vec::with_capacity(entries.len());
        let at = time_text(&import.at);
        for entry in entries {
            let result = sqlx::query(
                "INSERT OR IGNORE INTO inbox_entries (import_id, bank_account_id, dedup_key,
                    occurrence, txn_date, amount, description, fitid, payee_text, check_number,
                    source_line, txn_type, suggested_account_id, suggested_account,
                    suggested_payee, payee_is_new, confidence, source, explanation, state,
                    matched_local_id, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(import_id)
            .bind(&import.bank_account_id)
            .bind(&entry.dedup_key)
            .bind(i64::from(entry.occurrence))
            .bind(&entry.txn_date)
            .bind(&entry.amount)
            .bind(&entry.description)
            .bind(&entry.fitid)
            .bind(&entry.payee_text)
            .bind(&entry.check_number)
            .bind(i64::from(entry.source_line))
            .bind(&entry.txn_type)
            .bind(&entry.suggestion.account_id)
            .bind(&entry.suggestion.account)
            .bind(&entry.suggestion.payee)
            .bind(entry.suggestion.payee_is_new)
            .bind(entry.suggestion.confidence)
            .bind(&entry.suggestion.source)
            .bind(&entry.suggestion.explanation)
            .bind(&entry.state)
            .bind(&entry.matched_local_id)
            .bind(&at)
            .execute(&mut *transaction)
            .await
            .map_err(failed("adding a statement line to the inbox"))?;
            if result.rows_affected() == 1 {
                ids.push(result.last_insert_rowid());
            }
        }
        transaction
            .commit()
            .await
            .map_err(failed("committing a transaction"))?;
        Ok((import_id, ids))
    }

    /// Inbox entries, the latest statement dates first.
    pub async fn inbox_entries(&self, filter: &InboxFilter) -> Result<Vec<InboxRow>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM inbox_entries WHERE 1 = 1");
        push_inbox_filter(&mut query, filter);
        query.push(" ORDER BY txn_date DESC, id DESC");
        if filter.limit > 0 {
            query.push(" LIMIT ");
            query.push_bind(i64::try_from(filter.limit).unwrap_or(i64::MAX));
            query.push(" OFFSET ");
            query.push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        }
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading the inbox"))?;
        rows.iter().map(inbox_from_row).collect()
    }

    /// How many entries match (offset and limit aside).
    pub async fn count_inbox(&self, filter: &InboxFilter) -> Result<u64, StoreError> {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM inbox_entries WHERE 1 = 1");
        push_inbox_filter(&mut query, filter);
        let count: i64 = query
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::query("counting the inbox"))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The number of entries in each state.
    pub async fn inbox_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM inbox_entries GROUP BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("counting the inbox"))?;
        rows.iter()
            .map(|row| {
                let state: String = row
                    .try_get("state")
                    .map_err(StoreError::query("counting the inbox"))?;
                let count: i64 = row
                    .try_get("n")
                    .map_err(StoreError::query("counting the inbox"))?;
                Ok((state, u64::try_from(count).unwrap_or_default()))
            })
            .collect()
    }

    /// Moves entries from one of `from` states to `to`; returns how many moved.
    pub async fn set_inbox_state(
        &self,
        ids: &[i64],
        from: &[&str],
        to: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() || from.is_empty() {
            return Ok(0);
        }
        let mut query = QueryBuilder::<Sqlite>::new("UPDATE inbox_entries SET state = ");
        query.push_bind(to.to_owned());
        query.push(", updated_at = ");
        query.push_bind(time_text(&at));
        query.push(" WHERE id IN (");
        let mut separated = query.separated(", ");
        for id in ids {
            separated.push_bind(*id);
        }
        query.push(") AND state IN (");
        let mut separated = query.separated(", ");
        for state in from {
            separated.push_bind((*state).to_owned());
        }
        query.push(")");
        let result = query
            .build()
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("changing inbox entries"))?;
        Ok(result.rows_affected())
    }

    /// Pairs two new entries of different bank accounts as the two sides of
    /// one transfer.
    pub async fn pair_inbox_transfer(&self, out_id: i64, in_id: i64) -> Result<(), StoreError> {
        for (id, partner) in [(out_id, in_id), (in_id, out_id)] {
            sqlx::query(
                "UPDATE inbox_entries SET txn_type = 'transfer', transfer_partner = ?,
                    source = 'none', confidence = 0, suggested_payee = NULL,
                    explanation = 'the same amount left one imported account and reached another within 3 days'
                 WHERE id = ? AND transfer_partner IS NULL",
            )
            .bind(partner)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(StoreError::query("pairing a transfer"))?;
        }
        Ok(())
    }

    /// The CSV layout confirmed for a bank account, as JSON.
    pub async fn csv_layout(&self, bank_account_id: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT layout_json FROM csv_layouts WHERE bank_account_id = ?")
            .bind(bank_account_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::query("reading a CSV layout"))
    }

    /// Remembers the CSV layout confirmed for a bank account.
    pub async fn save_csv_layout(
        &self,
        bank_account_id: &str,
        layout_json: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO csv_layouts (bank_account_id, layout_json, saved_at) VALUES (?, ?, ?)
             ON CONFLICT (bank_account_id) DO UPDATE
             SET layout_json = excluded.layout_json, saved_at = excluded.saved_at",
        )
        .bind(bank_account_id)
        .bind(layout_json)
        .bind(time_text(&at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::query("saving a CSV layout"))?;
        Ok(())
    }

    /// The user's rules in order, each as JSON.
    pub async fn statement_rules(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT rule_json FROM statement_rules ORDER BY position")
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::query("reading the rules"))
    }

    /// Replaces the user's rules.
    pub async fn save_statement_rules(&self, rules: &[String]) -> Result<(), StoreError> {
        let failed = StoreError::query;
        let mut transaction = self.begin().await?;
        sqlx::query("DELETE FROM statement_rules")
            .execute(&mut *transaction)
            .await
            .map_err(failed("saving the rules"))?;
        for (position, rule) in rules.iter().enumerate() {
            sqlx::query("INSERT INTO statement_rules (position, rule_json) VALUES (?, ?)")
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(rule)
                .execute(&mut *transaction)
                .await
                .map_err(failed("saving the rules"))?;
        }
        transaction
            .commit()
            .await
            .map_err(failed("committing a transaction"))?;
        Ok(())
    }

    /// Each import's layout confidence, by import id.
    pub async fn import_layout_confidences(&self) -> Result<HashMap<i64, f64>, StoreError> {
        let rows: Vec<(i64, f64)> =
            sqlx::query_as("SELECT id, layout_confidence FROM statement_imports")
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("reading statement imports"))?;
        Ok(rows.into_iter().collect())
    }

    /// Replaces the suggestions of entries still open for review (new or
    /// already in QuickBooks, not one side of a transfer); an entry accepted
    /// or excluded meanwhile keeps what it had. Returns how many changed.
    pub async fn update_inbox_suggestions(
        &self,
        updates: &[SuggestionUpdate],
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let failed = StoreError::query;
        let mut transaction = self.begin().await?;
        let at = time_text(&at);
        let mut changed = 0;
        for update in updates {
            let result = sqlx::query(&format!(
                "UPDATE inbox_entries SET suggested_account_id = ?, suggested_account = ?,
                    suggested_payee = ?, payee_is_new = ?, confidence = ?, source = ?,
                    explanation = ?, updated_at = ?
                 WHERE id = ? AND state IN {ACCEPTABLE} AND transfer_partner IS NULL"
            ))
            .bind(&update.suggestion.account_id)
            .bind(&update.suggestion.account)
            .bind(&update.suggestion.payee)
            .bind(update.suggestion.payee_is_new)
            .bind(update.suggestion.confidence)
            .bind(&update.suggestion.source)
            .bind(&update.suggestion.explanation)
            .bind(&at)
            .bind(update.id)
            .execute(&mut *transaction)
            .await
            .map_err(failed("updating inbox suggestions"))?;
            changed += result.rows_affected();
        }
        transaction
            .commit()
            .await
            .map_err(failed("committing a transaction"))?;
        Ok(changed)
    }

    /// The inbox entry a record was made from, if any.
    pub async fn inbox_entry_of_record(&self, local_id: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar(
            "SELECT inbox_entry_id FROM history
             WHERE local_id = ? AND inbox_entry_id IS NOT NULL ORDER BY id LIMIT 1",
        )
        .bind(local_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::query("reading history"))
    }
}

/// Applies accepted entries inside a changeset's transaction: each entry
/// must still be acceptable, or the whole changeset is refused (two accepts
/// of one line never make two records). The record's newest history entry
/// is linked to the line.
pub(crate) async fn apply_links(
    transaction: &mut sqlx::Transaction<'_, Sqlite>,
    links: &[StatementLink],
) -> Result<(), StoreError> {
    let failed = StoreError::query;
    for link in links {
        let created: Option<String> = sqlx::query_scalar(&format!(
            "SELECT created_records FROM inbox_entries WHERE id = ? AND state IN {ACCEPTABLE}"
        ))
        .bind(link.entry_id)
        .fetch_optional(&mut **transaction)
        .await
        .map_err(failed("reading an inbox entry"))?;
        let Some(created) = created else {
            return Err(StoreError::Inbox(format!(
                "statement line {} was accepted, excluded or removed meanwhile; nothing was created",
                link.entry_id
            )));
        };
        let mut records: Vec<String> = serde_json::from_str(&created).unwrap_or_default();
        records.push(link.local_id.clone());
        sqlx::query(
            "UPDATE inbox_entries SET state = 'accepted', accepted_json = ?, created_records = ?,
                updated_at = ? WHERE id = ?",
        )
        .bind(&link.accepted_json)
        .bind(serde_json::to_string(&records).unwrap_or_else(|_| "[]".to_owned()))
        .bind(time_text(&link.at))
        .bind(link.entry_id)
        .execute(&mut **transaction)
        .await
        .map_err(failed("accepting an inbox entry"))?;
        sqlx::query(
            "UPDATE history SET inbox_entry_id = ?
             WHERE id = (SELECT MAX(id) FROM history WHERE local_id = ?)",
        )
        .bind(link.entry_id)
        .bind(&link.local_id)
        .execute(&mut **transaction)
        .await
        .map_err(failed("linking history to a statement line"))?;
    }
    Ok(())
}

fn push_inbox_filter(query: &mut QueryBuilder<'_, Sqlite>, filter: &InboxFilter) {
    if !filter.states.is_empty() {
        query.push(" AND state IN (");
        let mut separated = query.separated(", ");
        for state in &filter.states {
            separated.push_bind(state.clone());
        }
        query.push(")");
    }
    if let Some(import_id) = filter.import_id {
        query.push(" AND import_id = ");
        query.push_bind(import_id);
    }
    if let Some(account) = &filter.bank_account_id {
        query.push(" AND bank_account_id = ");
        query.push_bind(account.clone());
    }
    if !filter.ids.is_empty() {
        query.push(" AND id IN (");
        let mut separated = query.separated(", ");
        for id in &filter.ids {
            separated.push_bind(*id);
        }
        query.push(")");
    }
}

fn inbox_from_row(row: &SqliteRow) -> Result<InboxRow, StoreError> {
    let read = StoreError::query("reading an inbox entry");
    let get_i64 = |column: &str| -> Result<i64, StoreError> {
        row.try_get::<i64, _>(column)
            .map_err(StoreError::query("reading an inbox entry"))
    };
    let get_text = |column: &str| -> Result<String, StoreError> {
        row.try_get::<String, _>(column)
            .map_err(StoreError::query("reading an inbox entry"))
    };
    let get_optional = |column: &str| -> Result<Option<String>, StoreError> {
        row.try_get::<Option<String>, _>(column)
            .map_err(StoreError::query("reading an inbox entry"))
    };
    let created: String = get_text("created_records")?;
    let created_records: Vec<String> =
        serde_json::from_str(&created).map_err(|_| StoreError::Damaged {
            what: format!(
                "the created records of inbox entry {}",
                get_i64("id").unwrap_or(0)
            ),
        })?;
    Ok(InboxRow {
        id: get_i64("id")?,
        import_id: get_i64("import_id")?,
        bank_account_id: get_text("bank_account_id")?,
        entry: NewInboxEntry {
            dedup_key: get_text("dedup_key")?,
            occurrence: u32::try_from(get_i64("occurrence")?).unwrap_or_default(),
            txn_date: get_text("txn_date")?,
            amount: get_text("amount")?,
            description: get_text("description")?,
            fitid: get_optional("fitid")?,
            payee_text: get_optional("payee_text")?,
            check_number: get_optional("check_number")?,
            source_line: u32::try_from(get_i64("source_line")?).unwrap_or_default(),
            txn_type: get_text("txn_type")?,
            suggestion: StoredSuggestion {
                account_id: get_optional("suggested_account_id")?,
                account: get_optional("suggested_account")?,
                payee: get_optional("suggested_payee")?,
                payee_is_new: get_i64("payee_is_new")? != 0,
                confidence: row.try_get::<f64, _>("confidence").map_err(read)?,
                source: get_text("source")?,
                explanation: get_text("explanation")?,
            },
            state: get_text("state")?,
            matched_local_id: get_optional("matched_local_id")?,
        },
        transfer_partner: row
            .try_get::<Option<i64>, _>("transfer_partner")
            .map_err(StoreError::query("reading an inbox entry"))?,
        accepted_json: get_optional("accepted_json")?,
        created_records,
    })
}
