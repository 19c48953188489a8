//! Bank and card statements in, QuickBooks records out: the import into the
//! review inbox, accepting and excluding its entries, and the IIF export.
//!
//! The reading, dedup keys, suggestions, matching and IIF writing are the
//! pure `statements` crate; this module adds the company's books (accounts,
//! past Purchases and Deposits, rules), the inbox in the local store, and
//! the records an accepted entry becomes, which the normal sync pushes.

mod rules;
mod views;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;

use base64::Engine as _;
use chrono::NaiveDate;
use local_store::{
    CompanyStore, InboxFilter, InboxRow, NewInboxEntry, NewStatementImport, RecordRow, RecordState,
    StoredSuggestion,
};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use statements::csv_import::{AmountColumns, CsvMapping};
use statements::matching::{AccountLine, ExistingTxn, TxnType};
use statements::suggest::{Categorizer, HistoryEntry, Rule, Rules, Source};
use statements::text::{DateOrder, DecimalSeparator, normalize_description};
use statements::{Format, Statement, StatementLine};

pub use views::*;

use crate::error::CoreError;
use crate::{AppCore, CoreResult, amounts};

/// The most entries one page of the inbox may hold.
const MAX_PAGE: u32 = 1_000;

/// A bank or card account of the company.
#[derive(Debug, Clone)]
struct BankAccount {
    id: String,
    name: String,
    credit_card: bool,
    number: Option<String>,
}

/// The company's accounts by id, and the ids by lower-case name.
#[derive(Debug, Default)]
struct Accounts {
    names: HashMap<String, String>,
    by_name: HashMap<String, String>,
    banks: Vec<BankAccount>,
}

impl Accounts {
    fn read(rows: &[RecordRow]) -> Accounts {
        let mut accounts = Accounts::default();
        for row in rows {
            let (Some(id), Some(object)) =
                (&row.qbo_id, row.local.as_ref().or(row.remote.as_ref()))
            else {
                continue;
            };
            if row.state == RecordState::Deleted {
                continue;
            }
            let name = text_of(object, "Name").unwrap_or_default();
            let full = text_of(object, "FullyQualifiedName").unwrap_or_else(|| name.clone());
            accounts.names.insert(id.clone(), full.clone());
            accounts.by_name.insert(full.to_lowercase(), id.clone());
            accounts
                .by_name
                .entry(name.to_lowercase())
                .or_insert(id.clone());
            let kind = text_of(object, "AccountType").unwrap_or_default();
            if row.active && (kind == "Bank" || kind == "Credit Card") {
                accounts.banks.push(BankAccount {
                    id: id.clone(),
                    name: full,
                    credit_card: kind == "Credit Card",
                    number: text_of(object, "AcctNum"),
                });
            }
        }
        accounts
            .banks
            .sort_by(|left, right| left.name.cmp(&right.name));
        accounts
    }

    /// The id of an account named by id or (case-insensitive) name.
    fn find(&self, id_or_name: &str) -> Option<String> {
        if self.names.contains_key(id_or_name) {
            return Some(id_or_name.to_owned());
        }
        self.by_name.get(&id_or_name.trim().to_lowercase()).cloned()
    }

    fn name(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    fn bank(&self, id: &str) -> Option<&BankAccount> {
        self.banks.iter().find(|bank| bank.id == id)
    }
}

fn text_of(object: &Value, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|text| !text.is_empty())
}

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::Invalid(message.into())
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Ofx1 => "ofx1",
        Format::Ofx2 => "ofx2",
        Format::Qfx => "qfx",
        Format::Csv => "csv",
        Format::Pdf => "pdf",
    }
}

/// A record's object as the books have it now (the local version first).
fn shown(row: &RecordRow) -> Option<&Value> {
    row.local.as_ref().or(row.remote.as_ref())
}

fn decimal_of(value: Option<&Value>) -> Option<Decimal> {
    match value? {
        Value::Number(number) => Decimal::from_str(&number.to_string())
            .or_else(|_| Decimal::from_scientific(&number.to_string()))
            .ok(),
        Value::String(text) => Decimal::from_str(text).ok(),
        _ => None,
    }
}

fn ref_id(object: &Value, key: &str) -> Option<String> {
    match object.get(key)?.get("value")? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The transactions already in the books as each bank account sees them,
/// for "already in QuickBooks": Purchases, Deposits and Transfers, whether
/// QuickBooks has them yet or they wait to be sent.
fn existing_transactions(rows: &[RecordRow]) -> Vec<(ExistingTxn, String)> {
    let mut found = Vec::new();
    for row in rows {
        if row.state == RecordState::Deleted || row.remote_deleted {
            continue;
        }
        let Some(object) = shown(row) else { continue };
        let Some(date) = object
            .get("TxnDate")
            .and_then(Value::as_str)
            .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        else {
            continue;
        };
        let mut push = |account: Option<String>, amount: Option<Decimal>| {
            if let (Some(bank_account), Some(amount)) = (account, amount) {
                found.push((
                    ExistingTxn {
                        id: row.local_id.clone(),
                        bank_account,
                        date,
                        amount,
                    },
                    row.local_id.clone(),
                ));
            }
        };
        match row.entity_type.as_str() {
            "Purchase" => {
                let total = decimal_of(object.get("TotalAmt"));
                let credit = object.get("Credit").and_then(Value::as_bool) == Some(true);
                push(
                    ref_id(object, "AccountRef"),
                    total.map(|total| if credit { total } else { -total }),
                );
            }
            "Deposit" => {
                push(
                    ref_id(object, "DepositToAccountRef"),
                    decimal_of(object.get("TotalAmt")),
                );
                // A line whose account is another bank account is money
                // moved out of it (an accepted transfer pair is such a
                // deposit); matching only looks at bank accounts, so other
                // lines' accounts never match a statement.
                for line in object
                    .get("Line")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(detail) = line.get("DepositLineDetail") {
                        push(
                            ref_id(detail, "AccountRef"),
                            decimal_of(line.get("Amount")).map(|value| -value),
                        );
                    }
                }
            }
            "Transfer" => {
                let amount = decimal_of(object.get("Amount"));
                push(ref_id(object, "FromAccountRef"), amount.map(|value| -value));
                push(ref_id(object, "ToAccountRef"), amount);
            }
            _ => {}
        }
    }
    found
}

/// What an entry was accepted with, as stored (the model learns from it).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Accepted {
    account_id: Option<String>,
    account_name: Option<String>,
    payee: Option<String>,
    memo: Option<String>,
    class_id: Option<String>,
    splits: Vec<SplitLine>,
}

fn layout_from_mapping(mapping: &CsvMapping) -> CsvLayout {
    let column = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
    let (amount_kind, amount_column, negate, debit, credit, indicator, debit_values) =
        match &mapping.amounts {
            AmountColumns::Signed { column: at, negate } => (
                CsvAmountKind::Signed,
                Some(column(*at)),
                *negate,
                None,
                None,
                None,
                Vec::new(),
            ),
            AmountColumns::Split { debit, credit } => (
                CsvAmountKind::Split,
                None,
                false,
                Some(column(*debit)),
                Some(column(*credit)),
                None,
                Vec::new(),
            ),
            AmountColumns::Indicator {
                amount,
                indicator,
                debit_values,
            } => (
                CsvAmountKind::Indicator,
                Some(column(*amount)),
                false,
                None,
                None,
                Some(column(*indicator)),
                debit_values.clone(),
            ),
        };
    CsvLayout {
        delimiter: mapping.delimiter.to_string(),
        header_row: mapping.header_row.map(column),
        header: mapping.header.clone(),
        date_column: column(mapping.date_column),
        date_order: match mapping.date_order {
            DateOrder::YearMonthDay => CsvDateOrder::Ymd,
            DateOrder::DayMonthYear => CsvDateOrder::Dmy,
            DateOrder::MonthDayYear => CsvDateOrder::Mdy,
        },
        decimal_comma: mapping.decimal == DecimalSeparator::Comma,
        amount_kind,
        amount_column,
        negate,
        debit_column: debit,
        credit_column: credit,
        indicator_column: indicator,
        debit_values,
        description_columns: mapping
            .description_columns
            .iter()
            .map(|c| column(*c))
            .collect(),
        fitid_column: mapping.fitid_column.map(column),
        check_column: mapping.check_column.map(column),
        type_column: mapping.type_column.map(column),
    }
}

fn mapping_from_layout(layout: &CsvLayout) -> CoreResult<CsvMapping> {
    let mut delimiter = layout.delimiter.chars();
    let (Some(delimiter), None) = (delimiter.next(), delimiter.next()) else {
        return Err(invalid(
            "The CSV layout's delimiter must be one character, such as a comma.",
        ));
    };
    let index = |value: u32| usize::try_from(value).unwrap_or(usize::MAX);
    let needed = |value: Option<u32>, what: &str| {
        value
            .map(index)
            .ok_or_else(|| invalid(format!("The CSV layout needs the {what} column.")))
    };
    let amounts = match layout.amount_kind {
        CsvAmountKind::Signed => AmountColumns::Signed {
            column: needed(layout.amount_column, "amount")?,
            negate: layout.negate,
        },
        CsvAmountKind::Split => AmountColumns::Split {
            debit: needed(layout.debit_column, "debit")?,
            credit: needed(layout.credit_column, "credit")?,
        },
        CsvAmountKind::Indicator => AmountColumns::Indicator {
            amount: needed(layout.amount_column, "amount")?,
            indicator: needed(layout.indicator_column, "debit/credit indicator")?,
            debit_values: layout.debit_values.clone(),
        },
    };
    if layout.description_columns.is_empty() {
        return Err(invalid(
            "The CSV layout needs at least one description column.",
        ));
    }
    Ok(CsvMapping {
        delimiter,
        header_row: layout.header_row.map(index),
        header: layout.header.clone(),
        date_column: index(layout.date_column),
        date_order: match layout.date_order {
            CsvDateOrder::Ymd => DateOrder::YearMonthDay,
            CsvDateOrder::Dmy => DateOrder::DayMonthYear,
            CsvDateOrder::Mdy => DateOrder::MonthDayYear,
        },
        decimal: if layout.decimal_comma {
            DecimalSeparator::Comma
        } else {
            DecimalSeparator::Point
        },
        amounts,
        description_columns: layout
            .description_columns
            .iter()
            .map(|c| index(*c))
            .collect(),
        fitid_column: layout.fitid_column.map(index),
        check_column: layout.check_column.map(index),
        type_column: layout.type_column.map(index),
    })
}

/// The first rows of a CSV file, cell by cell, for the layout dialog.
fn preview(bytes: &[u8], delimiter: char) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(u8::try_from(delimiter).unwrap_or(b','))
        .from_reader(text.as_bytes());
    reader
        .records()
        .take(8)
        .filter_map(Result::ok)
        .map(|record| record.iter().map(str::to_owned).collect())
        .collect()
}

/// The 1-based occurrence of each line's identity within its file, as the
/// dedup keys count it.
fn occurrences(lines: &[StatementLine]) -> Vec<u32> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    lines
        .iter()
        .map(|line| {
            let base = match &line.fitid {
                Some(fitid) => format!("f{}", fitid.trim()),
                None => format!(
                    "l{}\u{0}{}\u{0}{}",
                    line.date,
                    line.amount.normalize(),
                    normalize_description(&line.description)
                ),
            };
            let count = seen.entry(base).or_insert(0);
            *count += 1;
            *count
        })
        .collect()
}

fn txn_type_text(kind: TxnType) -> &'static str {
    match kind {
        TxnType::Purchase => "purchase",
        TxnType::Deposit => "deposit",
        TxnType::Transfer => "transfer",
    }
}

fn state_text(state: InboxState) -> &'static str {
    match state {
        InboxState::New => "new",
        InboxState::Accepted => "accepted",
        InboxState::Excluded => "excluded",
        InboxState::AlreadyInQuickbooks => "already_in_quickbooks",
    }
}

fn state_of(text: &str) -> InboxState {
    match text {
        "accepted" => InboxState::Accepted,
        "excluded" => InboxState::Excluded,
        "already_in_quickbooks" => InboxState::AlreadyInQuickbooks,
        _ => InboxState::New,
    }
}

fn view_of(row: &InboxRow, accounts: &Accounts) -> InboxEntryView {
    let entry = &row.entry;
    let accepted: Option<Accepted> = row
        .accepted_json
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok());
    InboxEntryView {
        id: row.id,
        import_id: row.import_id,
        bank_account_id: row.bank_account_id.clone(),
        bank_account_name: accounts.name(&row.bank_account_id),
        date: entry.txn_date.clone(),
        amount: entry.amount.clone(),
        description: entry.description.clone(),
        fitid: entry.fitid.clone(),
        state: state_of(&entry.state),
        suggestion: InboxSuggestion {
            txn_type: match entry.txn_type.as_str() {
                "deposit" => StatementTxnType::Deposit,
                "transfer" => StatementTxnType::Transfer,
                _ => StatementTxnType::Purchase,
            },
            account_id: entry.suggestion.account_id.clone(),
            account_name: entry
                .suggestion
                .account_id
                .as_deref()
                .map(|id| accounts.name(id))
                .or_else(|| entry.suggestion.account.clone()),
            payee: entry.suggestion.payee.clone(),
            payee_is_new: entry.suggestion.payee_is_new,
            confidence: entry.suggestion.confidence,
            source: match entry.suggestion.source.as_str() {
                "rule" => SuggestionSource::Rule,
                "history" => SuggestionSource::History,
                _ => SuggestionSource::None,
            },
            explanation: entry.suggestion.explanation.clone(),
        },
        matched_record: entry.matched_local_id.clone(),
        transfer_partner_id: row.transfer_partner,
        created_records: row.created_records.clone(),
        accepted_account_name: accepted
            .as_ref()
            .and_then(|accepted| accepted.account_id.as_deref())
            .map(|id| accounts.name(id)),
        edited_by_user: accepted
            .as_ref()
            .is_some_and(|accepted| edited_by_user(entry, accepted)),
        accepted: accepted.map(|accepted| AcceptEdits {
            account_id: accepted.account_id,
            payee: accepted.payee,
            memo: accepted.memo,
            class_id: accepted.class_id,
            splits: accepted.splits,
        }),
    }
}

/// Whether the user, not the suggestion, chose what an entry was accepted
/// with: another account or payee, or a split. A transfer accepted as paired
/// and a suggestion accepted as it was are not edits.
fn edited_by_user(entry: &NewInboxEntry, accepted: &Accepted) -> bool {
    if !accepted.splits.is_empty() {
        return true;
    }
    if entry.txn_type == "transfer" && accepted.account_id.is_none() {
        return false;
    }
    let payee = |payee: Option<&str>| {
        payee
            .map(|payee| payee.trim().to_lowercase())
            .filter(|payee| !payee.is_empty())
    };
    accepted.account_id != entry.suggestion.account_id
        || payee(accepted.payee.as_deref()) != payee(entry.suggestion.payee.as_deref())
}

/// The payees the books know, by lower-case display name: (list, id, name).
fn parties(rows: &[RecordRow]) -> HashMap<String, (String, String, String)> {
    let mut found = HashMap::new();
    for row in rows {
        let (Some(id), Some(object)) = (&row.qbo_id, shown(row)) else {
            continue;
        };
        if row.state == RecordState::Deleted || !row.active {
            continue;
        }
        if let Some(name) = text_of(object, "DisplayName") {
            found.entry(name.trim().to_lowercase()).or_insert((
                row.entity_type.clone(),
                id.clone(),
                name,
            ));
        }
    }
    found
}

/// A line's suggestion as the inbox stores it, with the transaction type
/// it suggests.
struct SuggestionFields {
    txn_type: TxnType,
    stored: StoredSuggestion,
}

/// Suggests for one line: the rules, else the history; a suggestion for an
/// account the books no longer have is none, and an unsure layout discounts
/// the confidence.
fn suggestion_fields(
    categorizer: &Categorizer,
    rules: &Rules,
    accounts: &Accounts,
    line: &StatementLine,
    layout_discount: f64,
) -> SuggestionFields {
    let suggestion = categorizer.suggest(rules, line);
    let account_id = suggestion
        .account
        .as_deref()
        .and_then(|name| accounts.find(name));
    let (confidence, explanation) = match (&suggestion.account, &account_id) {
        (Some(name), None) => (
            0.0,
            format!(
                "{} (the account '{name}' is not in the books)",
                suggestion.explanation
            ),
        ),
        // Confidences are scores, not money: a float product is right.
        #[allow(clippy::float_arithmetic)]
        _ => (
            suggestion.confidence * layout_discount,
            suggestion.explanation.clone(),
        ),
    };
    SuggestionFields {
        txn_type: suggestion.txn_type,
        stored: StoredSuggestion {
            // The stored name is the account's name in the books, not a rule's id.
            account: account_id
                .as_deref()
                .map(|id| accounts.name(id))
                .or(suggestion.account),
            account_id,
            payee: suggestion.payee,
            payee_is_new: suggestion.payee_is_new,
            confidence: if suggestion.source == Source::None {
                0.0
            } else {
                confidence
            },
            source: match suggestion.source {
                Source::Rule => "rule",
                Source::History => "history",
                Source::None => "none",
            }
            .to_owned(),
            explanation,
        },
    }
}

impl AppCore {
    /// The categorizer trained on the company's Purchases and Deposits and
    /// on the accepted inbox entries (the user's corrections included); the
    /// records made from inbox entries are learnt through their entries.
    async fn categorizer(
        &self,
        store: &CompanyStore,
        accounts: &Accounts,
    ) -> CoreResult<(Categorizer, Rules)> {
        let accepted = store
            .inbox_entries(&InboxFilter {
                states: vec!["accepted".to_owned()],
                ..InboxFilter::default()
            })
            .await?;
        let from_inbox: HashSet<&str> = accepted
            .iter()
            .flat_map(|row| row.created_records.iter().map(String::as_str))
            .collect();
        let mut history: Vec<HistoryEntry> = store
            .records_of(&["Purchase", "Deposit"])
            .await?
            .iter()
            .filter(|row| row.state != RecordState::Deleted && !row.remote_deleted)
            .filter(|row| !from_inbox.contains(row.local_id.as_str()))
            .filter_map(|row| statements::suggest::history_from_qbo(&row.entity_type, shown(row)?))
            .collect();
        for row in &accepted {
            let Some(accepted) = row
                .accepted_json
                .as_deref()
                .and_then(|text| serde_json::from_str::<Accepted>(text).ok())
            else {
                continue;
            };
            let account = accepted
                .account_id
                .as_deref()
                .map(|id| accounts.name(id))
                .or(accepted.account_name);
            let (Some(account), Ok(date), Ok(amount)) = (
                account,
                NaiveDate::parse_from_str(&row.entry.txn_date, "%Y-%m-%d"),
                Decimal::from_str(&row.entry.amount),
            ) else {
                continue;
            };
            history.push(HistoryEntry {
                date,
                description: row.entry.description.clone(),
                amount,
                account,
                payee: accepted.payee,
            });
        }
        let rules: Vec<Rule> = rules::stored_rules(store)
            .await?
            .iter()
            .map(rules::StoredRule::to_rule)
            .collect();
        let rules = Rules::new(rules).map_err(|error| invalid(format!("{error}.")))?;
        Ok((Categorizer::train(&history), rules))
    }

    /// Imports a statement file into the inbox (see the contract in the
    /// module's documentation and `StatementImportInput`).
    pub async fn import_statement(
        &self,
        company_id: &str,
        input: StatementImportInput,
    ) -> CoreResult<StatementImportReport> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(input.content_base64.trim())
            .map_err(|_| invalid("The file's content is not valid base64."))?;
        self.import_statement_bytes(
            company_id,
            &input.file_name,
            &bytes,
            input.bank_account_id.as_deref(),
            input.csv_layout.as_ref(),
        )
        .await
    }

    /// Imports a statement from its bytes; `bank_account` is an account id or
    /// name (the CLI's `--account`).
    pub async fn import_statement_bytes(
        &self,
        company_id: &str,
        file_name: &str,
        bytes: &[u8],
        bank_account: Option<&str>,
        csv_layout: Option<&CsvLayout>,
    ) -> CoreResult<StatementImportReport> {
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let chosen = match bank_account {
            Some(wanted) => {
                let id = accounts.find(wanted).ok_or_else(|| {
                    invalid(format!("This company has no account named '{wanted}'."))
                })?;
                Some(
                    accounts
                        .bank(&id)
                        .ok_or_else(|| {
                            invalid(format!(
                                "'{}' is not an active bank or credit card account; statements are imported into those.",
                                accounts.name(&id)
                            ))
                        })?
                        .clone(),
                )
            }
            None => None,
        };
        let format = statements::sniff(bytes)
            .ok_or_else(|| invalid("This is not a statement Ledgerlink reads: expected OFX, QFX, CSV or a PDF statement."))?;
        let sole = || -> CoreResult<BankAccount> {
            match accounts.banks.as_slice() {
                [only] => Ok(only.clone()),
                [] => Err(invalid(
                    "This company has no bank or credit card account to import a statement into.",
                )),
                _ => Err(invalid(
                    "Choose the bank account this statement is for (--account NAME).",
                )),
            }
        };
        let (bank, statement, confirmed) = if format == Format::Csv {
            let bank = match chosen {
                Some(bank) => bank,
                None => sole()?,
            };
            let (mapping, confirmed) = match csv_layout {
                Some(layout) => (Some(mapping_from_layout(layout)?), true),
                None => match store.csv_layout(&bank.id).await? {
                    Some(saved) => (serde_json::from_str::<CsvMapping>(&saved).ok(), false),
                    None => (None, false),
                },
            };
            let import = match &mapping {
                Some(mapping) => statements::csv_import::parse_with(bytes, mapping),
                None => statements::csv_import::parse_detected(bytes),
            }
            .map_err(|error| invalid(format!("The statement could not be read: {error}.")))?;
            if mapping.is_none() && import.statement.layout_confidence < 1.0 {
                // An unsure layout is never guessed into the books: the user
                // confirms it first, and it is remembered for the account.
                return Ok(StatementImportReport {
                    import_id: None,
                    format: "csv".to_owned(),
                    bank_account_id: bank.id.clone(),
                    bank_account_name: bank.name.clone(),
                    lines_read: u32::try_from(import.statement.lines.len()).unwrap_or(u32::MAX),
                    imported: 0,
                    duplicates: 0,
                    already_in_quickbooks: 0,
                    layout_confidence: import.statement.layout_confidence,
                    layout_notes: import.statement.layout_notes.clone(),
                    needs_layout: Some(CsvLayoutProposal {
                        layout: layout_from_mapping(&import.mapping),
                        preview: preview(bytes, import.mapping.delimiter),
                        notes: import.statement.layout_notes.clone(),
                    }),
                    entries: Vec::new(),
                });
            }
            if confirmed || mapping.is_none() {
                let json = serde_json::to_string(&import.mapping)
                    .map_err(|error| invalid(error.to_string()))?;
                store.save_csv_layout(&bank.id, &json, self.now()).await?;
            }
            (bank, import.statement, confirmed)
        } else {
            let mut found = statements::parse(bytes, None)
                .map_err(|error| invalid(format!("The statement could not be read: {error}.")))?;
            if found.len() != 1 {
                return Err(invalid(format!(
                    "This file holds the statements of {} accounts; export one account per file.",
                    found.len()
                )));
            }
            let statement = found.remove(0);
            let bank = match chosen {
                Some(bank) => bank,
                None => match find_bank(&accounts, &statement) {
                    Some(bank) => bank,
                    None => sole()?,
                },
            };
            (bank, statement, false)
        };
        let _ = confirmed;
        self.import_lines(&store, &accounts, &bank, file_name, statement)
            .await
    }

    async fn import_lines(
        &self,
        store: &CompanyStore,
        accounts: &Accounts,
        bank: &BankAccount,
        file_name: &str,
        statement: Statement,
    ) -> CoreResult<StatementImportReport> {
        let lines = &statement.lines;
        let keys = statements::dedup::dedup_keys(&bank.id, lines);
        let counts = occurrences(lines);
        let known = store.inbox_keys(&bank.id).await?;
        let fresh = statements::dedup::new_lines(&keys, &known);
        let fresh_lines: Vec<StatementLine> =
            fresh.iter().map(|index| lines[*index].clone()).collect();
        let records = store
            .records_of(&["Purchase", "Deposit", "Transfer"])
            .await?;
        let existing = existing_transactions(&records);
        let existing_txns: Vec<ExistingTxn> = existing.iter().map(|(txn, _)| txn.clone()).collect();
        let matched =
            statements::matching::already_in_quickbooks(&bank.id, &fresh_lines, &existing_txns);
        let (categorizer, rules) = self.categorizer(store, accounts).await?;
        let layout_discount = statement.layout_confidence.clamp(0.0, 1.0);
        let mut entries = Vec::with_capacity(fresh.len());
        for (position, index) in fresh.iter().enumerate() {
            let line = &lines[*index];
            let fields = suggestion_fields(&categorizer, &rules, accounts, line, layout_discount);
            let matched_local_id = matched[position].map(|txn| existing[txn].1.clone());
            entries.push(NewInboxEntry {
                dedup_key: keys[*index].clone(),
                occurrence: counts[*index],
                txn_date: line.date.to_string(),
                amount: line.amount.to_string(),
                description: line.description.clone(),
                fitid: line.fitid.clone(),
                payee_text: line.payee.clone(),
                check_number: line.check_number.clone(),
                source_line: u32::try_from(line.source_line).unwrap_or(u32::MAX),
                txn_type: txn_type_text(fields.txn_type).to_owned(),
                suggestion: fields.stored,
                state: if matched_local_id.is_some() {
                    "already_in_quickbooks"
                } else {
                    "new"
                }
                .to_owned(),
                matched_local_id,
            });
        }
        let import = NewStatementImport {
            at: self.now(),
            file_name: file_name.to_owned(),
            format: format_name(statement.format).to_owned(),
            bank_account_id: bank.id.clone(),
            lines_read: u32::try_from(lines.len()).unwrap_or(u32::MAX),
            duplicates: u32::try_from(lines.len() - fresh.len()).unwrap_or(u32::MAX),
            layout_confidence: layout_discount,
        };
        let (import_id, ids) = store.add_statement_import(&import, &entries).await?;
        self.pair_transfers(store).await?;
        let rows = if ids.is_empty() {
            Vec::new()
        } else {
            store
                .inbox_entries(&InboxFilter {
                    ids: ids.clone(),
                    ..InboxFilter::default()
                })
                .await?
        };
        let mut views: Vec<InboxEntryView> =
            rows.iter().map(|row| view_of(row, accounts)).collect();
        views.sort_by_key(|view| view.id);
        let already = views
            .iter()
            .filter(|view| view.state == InboxState::AlreadyInQuickbooks)
            .count();
        Ok(StatementImportReport {
            import_id: Some(import_id),
            format: import.format,
            bank_account_id: bank.id.clone(),
            bank_account_name: bank.name.clone(),
            lines_read: import.lines_read,
            imported: u32::try_from(ids.len()).unwrap_or(u32::MAX),
            duplicates: u32::try_from(lines.len() - ids.len()).unwrap_or(u32::MAX),
            already_in_quickbooks: u32::try_from(already).unwrap_or(u32::MAX),
            layout_confidence: statement.layout_confidence,
            layout_notes: statement.layout_notes.clone(),
            needs_layout: None,
            entries: views,
        })
    }

    /// Pairs new entries of two imported accounts that are one transfer.
    async fn pair_transfers(&self, store: &CompanyStore) -> CoreResult<()> {
        let open: Vec<InboxRow> = store
            .inbox_entries(&InboxFilter {
                states: vec!["new".to_owned()],
                ..InboxFilter::default()
            })
            .await?
            .into_iter()
            .filter(|row| row.transfer_partner.is_none())
            .collect();
        let lines: Vec<AccountLine> = open
            .iter()
            .filter_map(|row| {
                Some(AccountLine {
                    bank_account: row.bank_account_id.clone(),
                    date: NaiveDate::parse_from_str(&row.entry.txn_date, "%Y-%m-%d").ok()?,
                    amount: Decimal::from_str(&row.entry.amount).ok()?,
                })
            })
            .collect();
        if lines.len() != open.len() {
            return Ok(());
        }
        for (out, into) in statements::matching::pair_transfers(&lines) {
            store
                .pair_inbox_transfer(open[out].id, open[into].id)
                .await?;
        }
        Ok(())
    }

    /// A page of the inbox.
    pub async fn list_inbox(&self, company_id: &str, query: InboxQuery) -> CoreResult<InboxPage> {
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let filter = InboxFilter {
            states: query
                .states
                .iter()
                .map(|state| state_text(*state).to_owned())
                .collect(),
            import_id: query.import_id,
            bank_account_id: query.bank_account_id.clone(),
            ids: Vec::new(),
            offset: u64::from(query.offset),
            limit: u64::from(query.limit.clamp(1, MAX_PAGE)),
        };
        let rows = store.inbox_entries(&filter).await?;
        let total = store.count_inbox(&filter).await?;
        let mut counts = InboxCounts::default();
        for (state, count) in store.inbox_counts().await? {
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            match state_of(&state) {
                InboxState::New => counts.new = count,
                InboxState::Accepted => counts.accepted = count,
                InboxState::Excluded => counts.excluded = count,
                InboxState::AlreadyInQuickbooks => counts.already_in_quickbooks = count,
            }
        }
        Ok(InboxPage {
            entries: rows.iter().map(|row| view_of(row, &accounts)).collect(),
            total: u32::try_from(total).unwrap_or(u32::MAX),
            counts,
        })
    }

    async fn entries(&self, store: &CompanyStore, ids: &[i64]) -> CoreResult<Vec<InboxRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(store
            .inbox_entries(&InboxFilter {
                ids: ids.to_vec(),
                ..InboxFilter::default()
            })
            .await?)
    }

    /// Leaves entries out: they are never pushed, and a re-import does not
    /// bring them back.
    pub async fn exclude_inbox_entries(
        &self,
        company_id: &str,
        ids: &[i64],
    ) -> CoreResult<Vec<InboxEntryView>> {
        self.move_entries(
            company_id,
            ids,
            &["new", "already_in_quickbooks"],
            "excluded",
            "excluded",
        )
        .await
    }

    /// Puts excluded or already-in-QuickBooks entries back into review.
    pub async fn restore_inbox_entries(
        &self,
        company_id: &str,
        ids: &[i64],
    ) -> CoreResult<Vec<InboxEntryView>> {
        self.move_entries(
            company_id,
            ids,
            &["excluded", "already_in_quickbooks"],
            "new",
            "restored",
        )
        .await
    }

    async fn move_entries(
        &self,
        company_id: &str,
        ids: &[i64],
        from: &[&str],
        to: &str,
        verb: &str,
    ) -> CoreResult<Vec<InboxEntryView>> {
        let store = self.company_store(company_id).await?;
        let rows = self.entries(&store, ids).await?;
        for id in ids {
            match rows.iter().find(|row| row.id == *id) {
                None => return Err(invalid(format!("There is no inbox entry {id}."))),
                Some(row) if !from.contains(&row.entry.state.as_str()) => {
                    return Err(invalid(format!(
                        "Inbox entry {id} is {}; it cannot be {verb}.",
                        row.entry.state.replace('_', " ")
                    )));
                }
                Some(_) => {}
            }
        }
        store.set_inbox_state(ids, from, to, self.now()).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let mut views: Vec<InboxEntryView> = self
            .entries(&store, ids)
            .await?
            .iter()
            .map(|row| view_of(row, &accounts))
            .collect();
        views.sort_by_key(|view| view.id);
        Ok(views)
    }

    /// Accepts one entry, with the user's edits: it becomes a local
    /// Purchase or Deposit that the next sync pushes (a transfer pair: both
    /// sides, as one Deposit into the receiving account).
    pub async fn accept_inbox_entry(
        &self,
        company_id: &str,
        input: AcceptInput,
    ) -> CoreResult<AcceptReport> {
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let view = self
            .accept_one(
                company_id,
                &store,
                &accounts,
                input.entry_id,
                input.edits.unwrap_or_default(),
                input.force,
            )
            .await?;
        Ok(AcceptReport {
            accepted: view,
            skipped: Vec::new(),
        })
    }

    /// Accepts every new entry suggested with at least `min_confidence`.
    pub async fn bulk_accept_inbox(
        &self,
        company_id: &str,
        input: BulkAcceptInput,
    ) -> CoreResult<AcceptReport> {
        if !(0.0..=1.0).contains(&input.min_confidence) {
            return Err(invalid("The least confidence must be between 0 and 1."));
        }
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let candidates = store
            .inbox_entries(&InboxFilter {
                states: vec!["new".to_owned()],
                import_id: input.import_id,
                ..InboxFilter::default()
            })
            .await?;
        let mut report = AcceptReport::default();
        for row in candidates {
            if row.entry.suggestion.confidence < input.min_confidence
                || row.entry.suggestion.account_id.is_none()
            {
                continue;
            }
            match self
                .accept_one(
                    company_id,
                    &store,
                    &accounts,
                    row.id,
                    AcceptEdits::default(),
                    false,
                )
                .await
            {
                Ok(views) => report.accepted.extend(views),
                Err(CoreError::Invalid(reason)) => {
                    report.skipped.push(SkippedEntry { id: row.id, reason })
                }
                Err(error) => return Err(error),
            }
        }
        Ok(report)
    }

    async fn accept_one(
        &self,
        company_id: &str,
        store: &CompanyStore,
        accounts: &Accounts,
        entry_id: i64,
        edits: AcceptEdits,
        force: bool,
    ) -> CoreResult<Vec<InboxEntryView>> {
        let row = self
            .entries(store, &[entry_id])
            .await?
            .pop()
            .ok_or_else(|| invalid(format!("There is no inbox entry {entry_id}.")))?;
        check_acceptable(&row, force)?;
        let entry = &row.entry;
        let amount = Decimal::from_str(&entry.amount)
            .map_err(|_| invalid(format!("Inbox entry {entry_id} has no readable amount.")))?;
        let bank = accounts.bank(&row.bank_account_id).cloned().ok_or_else(|| {
            invalid(format!(
                "The bank account of inbox entry {entry_id} is no longer an active bank or card account."
            ))
        })?;
        let memo = edits.memo.clone().filter(|memo| !memo.trim().is_empty());
        let class_id = edits.class_id.clone().filter(|id| !id.is_empty());
        if entry.txn_type == "transfer" && edits.splits.is_empty() && edits.account_id.is_none() {
            return self
                .accept_transfer(
                    company_id, store, accounts, &row, &bank, amount, memo, force,
                )
                .await;
        }
        let account_id = match &edits.account_id {
            Some(wanted) => Some(
                accounts
                    .find(wanted)
                    .ok_or_else(|| invalid(format!("This company has no account '{wanted}'.")))?,
            ),
            None => entry.suggestion.account_id.clone(),
        };
        let magnitude = amount.abs();
        let lines: Vec<(String, Decimal, Option<String>)> = if edits.splits.is_empty() {
            let account = account_id.clone().ok_or_else(|| {
                invalid(format!(
                    "Inbox entry {entry_id} has no suggested account: choose one."
                ))
            })?;
            vec![(account, magnitude, None)]
        } else {
            let mut lines = Vec::new();
            let mut sum = Decimal::ZERO;
            for split in &edits.splits {
                let account = accounts.find(&split.account_id).ok_or_else(|| {
                    invalid(format!(
                        "This company has no account '{}'.",
                        split.account_id
                    ))
                })?;
                let part = Decimal::from_str(split.amount.trim())
                    .map_err(|_| invalid(format!("'{}' is not an amount.", split.amount)))?;
                if part <= Decimal::ZERO {
                    return Err(invalid("Each split amount must be more than zero."));
                }
                sum += part;
                lines.push((account, part, split.memo.clone()));
            }
            if sum != magnitude {
                return Err(invalid(format!(
                    "The split amounts add up to {sum}, not the line's {magnitude}."
                )));
            }
            lines
        };
        let (parties_rows, payee) = (
            store.records_of(&["Vendor", "Customer"]).await?,
            edits
                .payee
                .clone()
                .or_else(|| entry.suggestion.payee.clone())
                .map(|payee| payee.trim().to_owned())
                .filter(|payee| !payee.is_empty()),
        );
        let known = parties(&parties_rows);
        let known_payee = payee
            .as_ref()
            .and_then(|payee| known.get(&payee.to_lowercase()).cloned());
        let money_out = amount < Decimal::ZERO;
        let detail_key = if money_out || bank.credit_card {
            "AccountBasedExpenseLineDetail"
        } else {
            "DepositLineDetail"
        };
        let mut object_lines = Vec::new();
        for (account, part, line_memo) in &lines {
            let mut detail = Map::new();
            detail.insert(
                "AccountRef".to_owned(),
                json!({"value": account, "name": accounts.name(account)}),
            );
            if let Some(class_id) = &class_id {
                detail.insert("ClassRef".to_owned(), json!({ "value": class_id }));
            }
            if detail_key == "DepositLineDetail"
                && let Some((list, id, name)) = &known_payee
            {
                detail.insert(
                    "Entity".to_owned(),
                    json!({"value": id, "name": name, "type": list}),
                );
            }
            object_lines.push(json!({
                "Amount": part.to_string(),
                "DetailType": detail_key,
                "Description": line_memo.clone().unwrap_or_else(|| entry.description.clone()),
                detail_key: Value::Object(detail),
            }));
        }
        let (entity, mut object) = if detail_key == "AccountBasedExpenseLineDetail" {
            let mut object = json!({
                "PaymentType": if bank.credit_card { "CreditCard" } else { "Cash" },
                "AccountRef": {"value": bank.id, "name": bank.name},
                "TxnDate": entry.txn_date,
                "Line": object_lines,
            });
            if !money_out {
                // Money back onto a card is a card credit (a refund).
                object["Credit"] = json!(true);
            }
            match (&known_payee, &payee) {
                (Some((list, id, name)), _) => {
                    object["EntityRef"] = json!({"value": id, "name": name, "type": list});
                }
                // A name alone: the engine's vendor auto-create finds or
                // makes the vendor before the push.
                (None, Some(name)) => {
                    object["EntityRef"] = json!({"name": name, "type": "Vendor"});
                }
                (None, None) => {}
            }
            ("Purchase", object)
        } else {
            (
                "Deposit",
                json!({
                    "DepositToAccountRef": {"value": bank.id, "name": bank.name},
                    "TxnDate": entry.txn_date,
                    "Line": object_lines,
                }),
            )
        };
        object["PrivateNote"] = json!(memo.clone().unwrap_or_else(|| entry.description.clone()));
        let object = amounts::amounts_as_numbers(object)?;
        let accepted = Accepted {
            account_id: if lines.len() == 1 {
                lines.first().map(|line| line.0.clone())
            } else {
                account_id
            },
            account_name: lines
                .iter()
                .max_by_key(|line| line.1)
                .map(|line| accounts.name(&line.0)),
            payee,
            memo,
            class_id,
            splits: edits.splits.clone(),
        };
        let summary = format!(
            "{entity} created here from statement line {} of {} ({} {}, '{}')",
            entry.source_line, bank.name, entry.txn_date, entry.amount, entry.description
        );
        self.create_from_lines(
            company_id,
            store,
            accounts,
            entity,
            object,
            summary,
            vec![(row.id, &accepted)],
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn accept_transfer(
        &self,
        company_id: &str,
        store: &CompanyStore,
        accounts: &Accounts,
        row: &InboxRow,
        bank: &BankAccount,
        amount: Decimal,
        memo: Option<String>,
        force: bool,
    ) -> CoreResult<Vec<InboxEntryView>> {
        let partner_id = row.transfer_partner.ok_or_else(|| {
            invalid(format!(
                "Inbox entry {} has no other side of its transfer.",
                row.id
            ))
        })?;
        let partner = self
            .entries(store, &[partner_id])
            .await?
            .pop()
            .ok_or_else(|| invalid(format!("There is no inbox entry {partner_id}.")))?;
        check_acceptable(&partner, force)?;
        let (out, into) = if amount < Decimal::ZERO {
            (row, &partner)
        } else {
            (&partner, row)
        };
        // QuickBooks' own Transfer is not among the record types Ledgerlink
        // syncs, so the pair becomes one Deposit into the receiving account
        // whose line's account is the paying one: QuickBooks' usual way to
        // record money moved between two bank accounts, and both balances
        // move as they do on the statements.
        let amount_text = amount.abs().to_string();
        let object = amounts::amounts_as_numbers(json!({
            "DepositToAccountRef": {"value": into.bank_account_id, "name": accounts.name(&into.bank_account_id)},
            "TxnDate": out.entry.txn_date,
            "Line": [{
                "Amount": amount_text,
                "DetailType": "DepositLineDetail",
                "Description": out.entry.description,
                "DepositLineDetail": {
                    "AccountRef": {"value": out.bank_account_id, "name": accounts.name(&out.bank_account_id)},
                },
            }],
            "PrivateNote": memo.clone().unwrap_or_else(|| out.entry.description.clone()),
        }))?;
        let accepted = Accepted {
            account_id: None,
            account_name: None,
            payee: None,
            memo,
            class_id: None,
            splits: Vec::new(),
        };
        let summary = format!(
            "Deposit (a transfer from {} to {}) created here from statement lines of both ({} {})",
            accounts.name(&out.bank_account_id),
            accounts.name(&into.bank_account_id),
            out.entry.txn_date,
            amount.abs()
        );
        let _ = bank;
        self.create_from_lines(
            company_id,
            store,
            accounts,
            "Deposit",
            object,
            summary,
            vec![(out.id, &accepted), (into.id, &accepted)],
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_from_lines(
        &self,
        company_id: &str,
        store: &CompanyStore,
        accounts: &Accounts,
        entity: &str,
        object: Value,
        summary: String,
        lines: Vec<(i64, &Accepted)>,
    ) -> CoreResult<Vec<InboxEntryView>> {
        let ids: Vec<i64> = lines.iter().map(|(id, _)| *id).collect();
        let links = lines
            .into_iter()
            .map(|(id, accepted)| {
                serde_json::to_string(accepted)
                    .map(|json| (id, json))
                    .map_err(|error| invalid(error.to_string()))
            })
            .collect::<CoreResult<Vec<_>>>()?;
        let engine = self.engine(company_id).await?;
        engine
            .create_local_from_statement(entity, object, summary, links)
            .await?;
        self.notify_companies().await;
        let mut views: Vec<InboxEntryView> = self
            .entries(store, &ids)
            .await?
            .iter()
            .map(|row| view_of(row, accounts))
            .collect();
        views.sort_by_key(|view| view.id);
        Ok(views)
    }

    /// Writes the company's lists and its transactions dated `from..=to` as
    /// a QuickBooks Desktop IIF file: to `path`, or into the exports folder.
    pub async fn export_iif(
        &self,
        company_id: &str,
        input: IifExportInput,
        path: Option<PathBuf>,
    ) -> CoreResult<IifExportReport> {
        let parse = |what: &str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                invalid(format!(
                    "The {what} date '{text}' is not a date like 2026-01-31."
                ))
            })
        };
        let (from, to) = (parse("from", &input.from)?, parse("to", &input.to)?);
        if from > to {
            return Err(invalid("The from date is after the to date."));
        }
        let company = self.company_row(company_id).await?;
        let store = self.company_store(company_id).await?;
        let live = |rows: Vec<RecordRow>| -> Vec<(String, Value)> {
            rows.into_iter()
                .filter(|row| row.state != RecordState::Deleted && !row.remote_deleted)
                .filter_map(|row| {
                    let object = row.local.or(row.remote)?;
                    Some((row.entity_type, object))
                })
                .collect()
        };
        let lists = |entity: &str, rows: &[(String, Value)]| -> Vec<Value> {
            rows.iter()
                .filter(|(kind, _)| kind == entity)
                .map(|(_, object)| object.clone())
                .collect()
        };
        let masters = live(
            store
                .records_of(&["Account", "Customer", "Vendor", "Item"])
                .await?,
        );
        let accounts = lists("Account", &masters);
        let customers = lists("Customer", &masters);
        let vendors = lists("Vendor", &masters);
        let items = lists("Item", &masters);
        let transactions: Vec<(String, Value)> =
            live(store.records_of(&statements::iif::TYPES).await?)
                .into_iter()
                .filter(|(_, object)| {
                    object
                        .get("TxnDate")
                        .and_then(Value::as_str)
                        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
                        .is_some_and(|date| date >= from && date <= to)
                })
                .collect();
        let text = statements::iif::write_iif(&statements::iif::IifInput {
            accounts: &accounts,
            customers: &customers,
            vendors: &vendors,
            items: &items,
            transactions: &transactions,
        })
        .map_err(|error| invalid(format!("{error}.")))?;
        let path = match path {
            Some(path) => path,
            None => {
                let dir = self.exports_dir();
                std::fs::create_dir_all(&dir).map_err(|source| CoreError::Io {
                    what: format!("Creating the exports folder {}", dir.display()),
                    source,
                })?;
                let slug: String = company
                    .name
                    .chars()
                    .map(|character| {
                        if character.is_ascii_alphanumeric() {
                            character.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect();
                dir.join(format!("{slug}-{from}-{to}.iif"))
            }
        };
        std::fs::write(&path, text.as_bytes()).map_err(|source| CoreError::Io {
            what: format!("Writing {}", path.display()),
            source,
        })?;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(IifExportReport {
            path: path.display().to_string(),
            list_entries: count(accounts.len() + customers.len() + vendors.len() + items.len()),
            transactions: count(transactions.len()),
        })
    }
}

fn check_acceptable(row: &InboxRow, force: bool) -> CoreResult<()> {
    match row.entry.state.as_str() {
        "new" => Ok(()),
        "already_in_quickbooks" if force => Ok(()),
        "already_in_quickbooks" => Err(invalid(format!(
            "Inbox entry {} matches a transaction already in the books; accept it with force to record it again.",
            row.id
        ))),
        state => Err(invalid(format!(
            "Inbox entry {} is {}; only new entries can be accepted.",
            row.id,
            state.replace('_', " ")
        ))),
    }
}

/// The bank account an OFX statement names: its account number's last four
/// digits in an account's number or name.
fn find_bank(accounts: &Accounts, statement: &Statement) -> Option<BankAccount> {
    let number = statement.account.as_ref()?.account_id.as_deref()?;
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let tail = &digits[digits.len() - 4..];
    let found: Vec<&BankAccount> = accounts
        .banks
        .iter()
        .filter(|bank| {
            bank.number
                .as_deref()
                .is_some_and(|own| own.ends_with(tail))
                || bank.name.contains(tail)
        })
        .collect();
    match found.as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    }
}
