//! CSV exports of the lists the app shows: records (with the list's own
//! filters and search), history, products, conflicts and the companies
//! overview.
//!
//! The file is written here, in Rust, and never assembled in the webview:
//! amounts go out as the exact decimal text the store holds (no float ever
//! touches them), dates and times as ISO 8601, UTF-8 with a header row, and
//! the `csv` crate quotes every field that needs it. The front end chooses
//! where (a save dialog); this module only writes.

use std::path::{Path, PathBuf};

use local_store::HistoryFilter;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::CoreError;
use crate::records::{changed_paths, record_filter};
use crate::views::{RecordListRow, RecordQuery};
use crate::{AppCore, CoreResult};

/// Rows read from a store at a time while writing.
const EXPORT_PAGE: u64 = 1_000;

/// Which list to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, rename_all = "snake_case")]
pub enum ExportList {
    /// The records matching the Records page's filters and search (every
    /// page of them, not only the one on screen).
    Records,
    /// The company's whole history, newest first.
    History,
    /// The product catalogue.
    Products,
    /// The open conflicts.
    Conflicts,
    /// The companies overview (every company; no company id needed).
    Companies,
}

impl ExportList {
    fn file_stem(self) -> &'static str {
        match self {
            ExportList::Records => "records",
            ExportList::History => "history",
            ExportList::Products => "products",
            ExportList::Conflicts => "conflicts",
            ExportList::Companies => "companies",
        }
    }
}

/// A list export asked for by a front end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct ListExportInput {
    /// The list.
    pub list: ExportList,
    /// The company (every list but `companies` needs one).
    pub company_id: Option<String>,
    /// The Records page's query (only for `records`; its offset and limit
    /// are ignored: every matching record is written).
    #[serde(default)]
    #[ts(optional)]
    pub query: Option<RecordQuery>,
}

/// What a list export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename_all = "camelCase")]
pub struct ListExportReport {
    /// The file written.
    pub path: String,
    /// Data rows written (the header row not counted).
    pub rows: u32,
}

/// The CSV writer over a file being written, and where it goes once done.
struct CsvFile {
    writer: csv::Writer<std::fs::File>,
    partial: PathBuf,
    path: PathBuf,
    rows: u32,
}

impl CsvFile {
    /// Writes into `<name>.partial` beside the target, so that a failure
    /// halfway never leaves a cut-off file under the chosen name (nor
    /// destroys a file the person chose to replace).
    fn create(path: &Path, header: &[&str]) -> CoreResult<CsvFile> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        let file = std::fs::File::create(&partial).map_err(|source| CoreError::Io {
            what: format!("Writing {}", path.display()),
            source,
        })?;
        let mut file = CsvFile {
            writer: csv::Writer::from_writer(file),
            partial,
            path: path.to_path_buf(),
            rows: 0,
        };
        file.write(header)?;
        file.rows = 0;
        Ok(file)
    }

    fn write<I, F>(&mut self, fields: I) -> CoreResult<()>
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        let cells = fields
            .into_iter()
            .map(|field| inert_cell(field.as_ref()).into_owned());
        if let Err(error) = self.writer.write_record(cells) {
            self.abandon();
            return Err(CoreError::Io {
                what: format!("Writing {}", self.path.display()),
                source: std::io::Error::other(error),
            });
        }
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    fn abandon(&self) {
        // Best effort: the partial file is ours and useless now.
        let _ = std::fs::remove_file(&self.partial);
    }

    fn finish(mut self) -> CoreResult<ListExportReport> {
        let flushed = self
            .writer
            .flush()
            .and_then(|()| self.writer.get_ref().sync_all());
        if let Err(source) = flushed {
            self.abandon();
            return Err(CoreError::Io {
                what: format!("Writing {}", self.path.display()),
                source,
            });
        }
        if let Err(source) = std::fs::rename(&self.partial, &self.path) {
            self.abandon();
            return Err(CoreError::Io {
                what: format!("Saving {}", self.path.display()),
                source,
            });
        }
        Ok(ListExportReport {
            path: self.path.display().to_string(),
            rows: self.rows,
        })
    }
}

/// A cell a spreadsheet will show as text, never run as a formula. Names,
/// memos and statement descriptions come from clients and banks, and a
/// spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab
/// or carriage return before one) as a formula; such a cell gets a leading
/// apostrophe, the spreadsheets' own mark for "this is text". Numbers stay
/// exactly as they are, so a negative amount is still a number.
fn inert_cell(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let risky = matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let number =
        std::str::from_utf8(cell).is_ok_and(|text| text.parse::<rust_decimal::Decimal>().is_ok());
    if risky && !number {
        let mut quoted = Vec::with_capacity(cell.len() + 1);
        quoted.push(b'\'');
        quoted.extend_from_slice(cell);
        std::borrow::Cow::Owned(quoted)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The wire text of a plain enum (`pending`, `edit_edit`…), as the UI and
/// the JSON output name it.
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

fn text(value: Option<&str>) -> &str {
    value.unwrap_or("")
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A file-name-safe form of a company's name: "Acme & Sons" → "acme-sons".
pub(crate) fn slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let trimmed = slug.trim_matches('-');
    if trimmed.is_empty() {
        "company".to_owned()
    } else {
        trimmed.to_owned()
    }
}

impl AppCore {
    /// The file name a save dialog suggests for an export, e.g.
    /// `records-acme-2026-12-06.csv`.
    pub async fn export_file_name(&self, input: &ListExportInput) -> CoreResult<String> {
        let day = self.now().format("%Y-%m-%d");
        let stem = input.list.file_stem();
        match input.list {
            ExportList::Companies => Ok(format!("{stem}-{day}.csv")),
            _ => {
                let company = self.company_row(required_company(input)?).await?;
                Ok(format!("{stem}-{}-{day}.csv", slug(&company.name)))
            }
        }
    }

    /// Writes the list to `path` as CSV and says how many rows it holds.
    pub async fn export_list_csv(
        &self,
        input: &ListExportInput,
        path: &Path,
    ) -> CoreResult<ListExportReport> {
        match input.list {
            ExportList::Records => {
                let query = input.query.clone().ok_or_else(|| {
                    CoreError::Invalid("A records export needs the list's filters.".to_owned())
                })?;
                self.export_records(required_company(input)?, query, path)
                    .await
            }
            ExportList::History => self.export_history(required_company(input)?, path).await,
            ExportList::Products => self.export_products(required_company(input)?, path).await,
            ExportList::Conflicts => self.export_conflicts(required_company(input)?, path).await,
            ExportList::Companies => self.export_companies(path).await,
        }
    }

    async fn export_records(
        &self,
        company_id: &str,
        query: RecordQuery,
        path: &Path,
    ) -> CoreResult<ListExportReport> {
        let store = self.company_store(company_id).await?;
        let mut filter = record_filter(query, 0, EXPORT_PAGE)?;
        let mut file = CsvFile::create(
            path,
            &[
                "type",
                "number",
                "date",
                "name",
                "customer_or_vendor",
                "amount",
                "state",
                "active",
                "quickbooks_id",
                "record",
                "updated_at",
                "error",
            ],
        )?;
        loop {
            let rows = match store.records(&filter).await {
                Ok(rows) => rows,
                Err(error) => {
                    file.abandon();
                    return Err(error.into());
                }
            };
            if rows.is_empty() {
                break;
            }
            filter.offset += rows.len() as u64;
            for row in &rows {
                let row = RecordListRow::from_row(row);
                file.write([
                    row.entity_type.as_str(),
                    text(row.doc_number.as_deref()),
                    text(row.txn_date.as_deref()),
                    text(row.name.as_deref()),
                    text(row.counterparty.as_deref()),
                    text(row.amount.as_deref()),
                    row.state.as_str(),
                    yes_no(row.active),
                    text(row.qbo_id.as_deref()),
                    row.local_id.as_str(),
                    text(row.updated_at.as_deref()),
                    text(row.error.as_deref()),
                ])?;
            }
        }
        file.finish()
    }

    pub(crate) async fn export_history(
        &self,
        company_id: &str,
        path: &Path,
    ) -> CoreResult<ListExportReport> {
        let store = self.company_store(company_id).await?;
        let mut file = CsvFile::create(
            path,
            &[
                "time",
                "direction",
                "operation",
                "entity",
                "quickbooks_id",
                "record",
                "summary",
                "changed_fields",
            ],
        )?;
        let mut offset = 0;
        loop {
            let entries = match store
                .history(&HistoryFilter {
                    local_id: None,
                    offset,
                    limit: EXPORT_PAGE,
                })
                .await
            {
                Ok(entries) => entries,
                Err(error) => {
                    file.abandon();
                    return Err(error.into());
                }
            };
            if entries.is_empty() {
                break;
            }
            offset += entries.len() as u64;
            for entry in &entries {
                let fields = changed_paths(
                    &entry.entity_type,
                    entry.before.as_ref(),
                    entry.after.as_ref(),
                )
                .join("; ");
                file.write([
                    entry.at.to_rfc3339().as_str(),
                    entry.direction.as_str(),
                    entry.operation.as_str(),
                    entry.entity_type.as_str(),
                    text(entry.qbo_id.as_deref()),
                    entry.local_id.as_str(),
                    entry.summary.as_str(),
                    fields.as_str(),
                ])?;
            }
        }
        file.finish()
    }

    async fn export_products(&self, company_id: &str, path: &Path) -> CoreResult<ListExportReport> {
        let catalogue = self.list_products(company_id).await?;
        let mut file = CsvFile::create(
            path,
            &[
                "name",
                "kind",
                "sku",
                "category",
                "description",
                "sales_price",
                "purchase_cost",
                "taxable",
                "active",
                "on_hand",
                "low",
                "state",
                "quickbooks_id",
                "record",
            ],
        )?;
        for product in &catalogue.products {
            file.write([
                product.name.as_str(),
                wire(&product.kind).as_str(),
                text(product.sku.as_deref()),
                text(product.category.as_deref()),
                text(product.description.as_deref()),
                text(product.sales_price.as_deref()),
                text(product.purchase_cost.as_deref()),
                yes_no(product.taxable),
                yes_no(product.active),
                product.on_hand.as_str(),
                yes_no(product.low),
                product.state.as_str(),
                text(product.qbo_id.as_deref()),
                product.local_id.as_str(),
            ])?;
        }
        file.finish()
    }

    async fn export_conflicts(
        &self,
        company_id: &str,
        path: &Path,
    ) -> CoreResult<ListExportReport> {
        let conflicts = self.list_conflicts(company_id).await?;
        let mut file = CsvFile::create(
            path,
            &[
                "conflict",
                "record",
                "entity",
                "label",
                "kind",
                "fields",
                "opened_at",
            ],
        )?;
        for conflict in &conflicts {
            file.write([
                conflict.id.to_string().as_str(),
                conflict.local_id.as_str(),
                conflict.entity_type.as_str(),
                conflict.label.as_str(),
                wire(&conflict.kind).as_str(),
                conflict.field_count.to_string().as_str(),
                conflict.opened_at.as_str(),
            ])?;
        }
        file.finish()
    }

    async fn export_companies(&self, path: &Path) -> CoreResult<ListExportReport> {
        let rows = self.companies_overview().await?;
        let mut file = CsvFile::create(
            path,
            &[
                "company",
                "connection",
                "last_sync",
                "last_sync_error",
                "conflicts",
                "pending",
                "held_back",
                "failed",
                "live_updates",
                "home_currency",
                "open_invoices",
                "open_invoices_total",
                "overdue_invoices",
                "overdue_invoices_total",
                "unpaid_bills",
                "unpaid_bills_total",
                "overdue_bills",
                "overdue_bills_total",
            ],
        )?;
        for row in &rows {
            let company = &row.company;
            file.write([
                company.name.clone(),
                wire(&company.connection),
                company.last_sync_at.clone().unwrap_or_default(),
                company.last_sync_error.clone().unwrap_or_default(),
                company.open_conflicts.to_string(),
                row.pending.to_string(),
                row.held_back.to_string(),
                row.failed.to_string(),
                wire(&company.live_updates),
                row.home_currency.clone().unwrap_or_default(),
                row.open_invoices.count.to_string(),
                row.open_invoices.total.clone(),
                row.open_invoices.overdue_count.to_string(),
                row.open_invoices.overdue_total.clone(),
                row.unpaid_bills.count.to_string(),
                row.unpaid_bills.total.clone(),
                row.unpaid_bills.overdue_count.to_string(),
                row.unpaid_bills.overdue_total.clone(),
            ])?;
        }
        file.finish()
    }
}

fn required_company(input: &ListExportInput) -> CoreResult<&str> {
    input
        .company_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| CoreError::Invalid("Choose a company to export from.".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn a_cell_that_a_spreadsheet_would_run_is_written_as_text_and_numbers_stay_numbers() {
        for (cell, written) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1 555 0100", "'+1 555 0100"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-2+3", "'-2+3"),
            ("\t=1", "'\t=1"),
            ("-45.20", "-45.20"),
            ("1250.50", "1250.50"),
            ("Shell Oil", "Shell Oil"),
            ("", ""),
        ] {
            assert_eq!(
                super::inert_cell(cell.as_bytes()).as_ref(),
                written.as_bytes(),
                "{cell}"
            );
        }
    }

    #[test]
    fn a_slug_keeps_letters_and_digits_and_joins_the_rest_with_one_dash() {
        assert_eq!(slug("Acme & Sons, Ltd."), "acme-sons-ltd");
        assert_eq!(slug("Café 42"), "caf-42");
        assert_eq!(slug("***"), "company");
    }
}
