//! CSV statements in the layouts banks export: a preamble before the header row
//! (or no header at all), dates in any order, either decimal separator, and
//! amounts signed in one column, split into debit and credit columns, or given
//! with a debit/credit indicator column.
//!
//! [`detect`] proposes a [`CsvMapping`]; once the user confirms it, the app stores
//! it per bank account (it is serde) and reads later files with [`parse_with`].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::text::{DateOrder, DecimalSeparator, decode, parse_amount, parse_date};
use crate::{Format, Statement, StatementError, StatementLine};

/// Where the amount of a row is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AmountColumns {
    /// One signed column; `negate` for exports that write money out as positive
    /// (many card issuers).
    Signed { column: usize, negate: bool },
    /// Money out in `debit`, money in in `credit`; either may be empty.
    Split { debit: usize, credit: usize },
    /// An unsigned amount and a column saying which way it went; a row is money out
    /// when its indicator is one of `debit_values` (compared case-insensitively).
    Indicator {
        amount: usize,
        indicator: usize,
        debit_values: Vec<String>,
    },
}

/// How to read one bank's CSV export. Columns are 0-based; rows are 0-based
/// record indexes (blank lines are not records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvMapping {
    pub delimiter: char,
    /// The header record, or `None` for exports without one.
    pub header_row: Option<usize>,
    /// The header's cells, to find the header again when the preamble changes
    /// length, and to refuse a file whose columns differ.
    pub header: Vec<String>,
    pub date_column: usize,
    pub date_order: DateOrder,
    pub decimal: DecimalSeparator,
    pub amounts: AmountColumns,
    /// Joined with a space, in this order.
    pub description_columns: Vec<usize>,
    pub fitid_column: Option<usize>,
    pub check_column: Option<usize>,
    pub type_column: Option<usize>,
}

/// A CSV read with a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvImport {
    pub mapping: CsvMapping,
    pub statement: Statement,
    /// Rows after the header that are not transactions (totals, section titles,
    /// blank dates), with their 1-based line and why they were skipped.
    pub skipped: Vec<(usize, String)>,
}

/// One CSV record with the 1-based line it starts on.
#[derive(Debug, Clone)]
struct Record {
    line: usize,
    cells: Vec<String>,
}

const DELIMITERS: [char; 4] = [',', ';', '\t', '|'];
const DEBIT_WORDS: [&str; 8] = ["DR", "D", "DEBIT", "DBIT", "OUT", "WITHDRAWAL", "DB", "-"];
const CREDIT_WORDS: [&str; 6] = ["CR", "C", "CREDIT", "CRDT", "IN", "DEPOSIT"];

fn read_records(text: &str, delimiter: char) -> Vec<Record> {
    let Ok(delimiter) = u8::try_from(u32::from(delimiter)) else {
        return Vec::new();
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // Line numbers from byte offsets: the csv crate's own count skips blank lines.
    let line_starts: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, byte)| *byte == b'\n')
        .map(|(index, _)| index)
        .collect();
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let mut byte = record
                    .position()
                    .map_or(0, |position| usize::try_from(position.byte()).unwrap_or(0));
                // After a CR the reader's position can sit on the LF that ends the line before.
                while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
                    byte += 1;
                }
                let line = 1 + line_starts.partition_point(|start| *start < byte);
                let cells: Vec<String> =
                    record.iter().map(|cell| cell.trim().to_string()).collect();
                if cells.iter().any(|cell| !cell.is_empty()) {
                    records.push(Record { line, cells });
                }
            }
            Ok(false) => break,
            // The csv crate fails only on invalid UTF-8, which decoding removed;
            // stop at whatever it is rather than lose what was read.
            Err(_) => break,
        }
    }
    records
}

/// The delimiter whose split gives the most records of one width (above 1).
fn detect_delimiter(text: &str) -> char {
    let sample: String = text.lines().take(200).collect::<Vec<_>>().join("\n");
    let mut best = (',', 0usize, 0usize);
    for delimiter in DELIMITERS {
        let records = read_records(&sample, delimiter);
        let mut widths: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for record in &records {
            if record.cells.len() > 1 {
                *widths.entry(record.cells.len()).or_default() += 1;
            }
        }
        if let Some((width, count)) = widths
            .into_iter()
            .max_by_key(|(width, count)| (*count, *width))
            && (count, width) > (best.1, best.2)
        {
            best = (delimiter, count, width);
        }
    }
    best.0
}

/// What a header cell names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Date,
    Amount,
    Debit,
    Credit,
    Indicator,
    Description,
    WeakDescription,
    Fitid,
    Check,
    Type,
    Balance,
    Other,
}

fn role(cell: &str) -> Role {
    let name = cell.trim().to_lowercase();
    let has = |word: &str| name.contains(word);
    if name.is_empty() {
        return Role::Other;
    }
    if has("balance") || has("saldo") || has("solde") {
        return Role::Balance;
    }
    if (has("debit") && has("credit")) || has("dr/cr") || has("cr/dr") || has("credit/debit") {
        return Role::Indicator;
    }
    if has("date")
        || has("datum")
        || has("fecha")
        || name == "posted"
        || has("booked")
        || has("buchungstag")
        || has("wertstellung")
    {
        return Role::Date;
    }
    if has("check") || has("cheque") || has("slip") {
        return Role::Check;
    }
    if has("debit")
        || has("withdrawal")
        || has("money out")
        || has("paid out")
        || has("outflow")
        || has("payments") && !has("credit")
    {
        return Role::Debit;
    }
    if has("credit") || has("deposit") || has("money in") || has("paid in") || has("inflow") {
        return Role::Credit;
    }
    if has("amount")
        || has("betrag")
        || has("importe")
        || has("montant")
        || name == "value"
        || has("summe")
    {
        return Role::Amount;
    }
    if name == "id"
        || has("transaction id")
        || has("reference number")
        || has("fitid")
        || has("trans id")
        || has("ref no")
    {
        return Role::Fitid;
    }
    if name == "type" || has("transaction type") || name == "details" {
        return Role::Type;
    }
    if has("description")
        || has("payee")
        || has("narrative")
        || has("merchant")
        || has("particulars")
        || name == "name"
        || has("beneficiary")
        || has("counterparty")
        || has("beguenstigter")
        || has("begünstigter")
        || has("zahlungspflichtiger")
        || has("empfänger")
    {
        return Role::Description;
    }
    if has("memo")
        || has("reference")
        || has("transaction")
        || has("details")
        || has("text")
        || has("verwendungszweck")
    {
        return Role::WeakDescription;
    }
    Role::Other
}

/// Proposes a mapping for a CSV export, or says why none fits.
pub fn detect(bytes: &[u8]) -> Result<CsvMapping, StatementError> {
    let text = decode(bytes, None);
    detected(&text).map(|(mapping, _, _)| mapping)
}

/// The proposed mapping, the notes on what was guessed, and the records.
fn detected(text: &str) -> Result<(CsvMapping, Vec<String>, Vec<Record>), StatementError> {
    let delimiter = detect_delimiter(text);
    let records = read_records(text, delimiter);
    if records.is_empty() {
        return Err(StatementError::Layout("the CSV file is empty".into()));
    }
    let header_index = records.iter().take(40).position(|record| {
        let roles: Vec<Role> = record.cells.iter().map(|cell| role(cell)).collect();
        roles.contains(&Role::Date)
            && (roles.contains(&Role::Amount)
                || roles.contains(&Role::Debit)
                || roles.contains(&Role::Credit))
    });
    let (mapping, notes) = match header_index {
        Some(index) => mapping_from_header(&records, index, delimiter)?,
        None => mapping_from_content(&records, delimiter)?,
    };
    Ok((mapping, notes, records))
}

/// Reads a CSV with a detected mapping; the statement's layout confidence says
/// how sure the detection was.
pub fn parse_detected(bytes: &[u8]) -> Result<CsvImport, StatementError> {
    let text = decode(bytes, None);
    let (mapping, notes, records) = detected(&text)?;
    let mut import = read_with(&records, mapping)?;
    if !notes.is_empty() {
        import.statement.layout_confidence = 0.6;
        import.statement.layout_notes = notes;
    }
    Ok(import)
}

/// Reads a CSV with a confirmed mapping. The header is looked for again (a
/// preamble that names dates changes length); a file whose header differs from
/// the mapping's is refused rather than read into the wrong columns.
pub fn parse_with(bytes: &[u8], mapping: &CsvMapping) -> Result<CsvImport, StatementError> {
    let text = decode(bytes, None);
    let records = read_records(&text, mapping.delimiter);
    let mut mapping = mapping.clone();
    if mapping.header_row.is_some() {
        let wanted: Vec<String> = mapping
            .header
            .iter()
            .map(|cell| cell.to_lowercase())
            .collect();
        let matches = |record: &Record| {
            record
                .cells
                .iter()
                .map(|cell| cell.to_lowercase())
                .collect::<Vec<_>>()
                == wanted
        };
        // The saved position first, then anywhere near the top.
        let found = mapping
            .header_row
            .filter(|index| records.get(*index).is_some_and(matches))
            .or_else(|| records.iter().take(60).position(matches));
        match found {
            Some(index) => mapping.header_row = Some(index),
            None => {
                return Err(StatementError::Layout(format!(
                    "the file's columns differ from the saved layout for this account (expected a header row '{}')",
                    mapping.header.join(&mapping.delimiter.to_string())
                )));
            }
        }
    }
    read_with(&records, mapping)
}

/// The data rows: after the header, or all of them without one.
fn data_rows(records: &[Record], header: Option<usize>) -> &[Record] {
    match header {
        Some(index) => records.get(index + 1..).unwrap_or_default(),
        None => records,
    }
}

fn cell(record: &Record, column: usize) -> &str {
    record.cells.get(column).map_or("", String::as_str)
}

/// A date cell that could be a date: it has digits. Cells without any (section
/// titles, "Total", blanks) mark rows that are not transactions.
fn date_like(text: &str) -> bool {
    text.bytes().any(|byte| byte.is_ascii_digit())
}

fn mapping_from_header(
    records: &[Record],
    index: usize,
    delimiter: char,
) -> Result<(CsvMapping, Vec<String>), StatementError> {
    let header = &records[index];
    let roles: Vec<Role> = header.cells.iter().map(|cell| role(cell)).collect();
    let first = |wanted: Role| roles.iter().position(|role| *role == wanted);
    let rows = data_rows(records, Some(index));
    // The transaction date before a value date when both are there.
    let date_column = header
        .cells
        .iter()
        .enumerate()
        .filter(|(column, _)| roles[*column] == Role::Date)
        .min_by_key(|(_, name)| {
            let name = name.to_lowercase();
            usize::from(
                name.contains("value")
                    || name.contains("valuta")
                    || name.contains("wertstellung")
                    || name.contains("effective"),
            )
        })
        .map(|(column, _)| column)
        .ok_or_else(|| StatementError::Layout("no date column".into()))?;
    let indicator = first(Role::Indicator).or_else(|| {
        first(Role::Type).filter(|column| {
            let values: Vec<&str> = rows
                .iter()
                .map(|row| cell(row, *column))
                .filter(|value| !value.is_empty())
                .collect();
            !values.is_empty() && values.iter().all(|value| is_direction_word(value))
        })
    });
    let amounts = match (first(Role::Debit), first(Role::Credit), first(Role::Amount)) {
        (Some(debit), Some(credit), _) => AmountColumns::Split { debit, credit },
        (_, _, Some(amount)) => match indicator {
            Some(indicator) => AmountColumns::Indicator {
                amount,
                indicator,
                debit_values: DEBIT_WORDS.iter().map(|word| (*word).to_string()).collect(),
            },
            None => AmountColumns::Signed {
                column: amount,
                negate: false,
            },
        },
        (Some(column), None, None) | (None, Some(column), None) => {
            return Err(StatementError::Layout(format!(
                "row {}: the header has a '{}' column but no amount column for the other direction",
                header.line, header.cells[column]
            )));
        }
        (None, None, None) => {
            return Err(StatementError::Layout(format!(
                "row {}: the header has no amount column",
                header.line
            )));
        }
    };
    let strong: Vec<usize> = (0..roles.len())
        .filter(|column| roles[*column] == Role::Description)
        .collect();
    let weak: Vec<usize> = (0..roles.len())
        .filter(|column| roles[*column] == Role::WeakDescription)
        .collect();
    let mut description_columns = strong;
    description_columns.extend(weak);
    if description_columns.is_empty() {
        description_columns = first(Role::Type).into_iter().collect();
    }
    let type_column = first(Role::Type).filter(|column| Some(*column) != indicator);
    let amount_cells = amount_cells(rows, &amounts);
    let decimal = detect_decimal(&amount_cells, delimiter);
    let (date_order, mut notes) = detect_date_order(rows, date_column, decimal)?;
    if let AmountColumns::Signed { column, .. } = amounts
        && rows
            .iter()
            .filter(|row| date_like(cell(row, date_column)))
            .all(|row| {
                !cell(row, column).trim_start().starts_with(['-', '('])
                    && !cell(row, column).ends_with('-')
            })
    {
        notes.push(format!(
            "every amount in '{}' is positive: confirm whether they are money in or money out",
            header.cells[column]
        ));
    }
    Ok((
        CsvMapping {
            delimiter,
            header_row: Some(index),
            header: header.cells.clone(),
            date_column,
            date_order,
            decimal,
            amounts,
            description_columns,
            fitid_column: first(Role::Fitid),
            check_column: first(Role::Check),
            type_column,
        },
        notes,
    ))
}

fn is_direction_word(value: &str) -> bool {
    let upper = value.trim().to_uppercase();
    DEBIT_WORDS.contains(&upper.as_str()) || CREDIT_WORDS.contains(&upper.as_str())
}

/// Without a header: the date column is the first whose cells are dates, the
/// amount the first (after it) whose cells are amounts, the description the
/// column with the longest text.
fn mapping_from_content(
    records: &[Record],
    delimiter: char,
) -> Result<(CsvMapping, Vec<String>), StatementError> {
    let width = records
        .iter()
        .map(|record| record.cells.len())
        .max()
        .unwrap_or(0);
    let share = |test: &dyn Fn(&str) -> bool, column: usize| {
        let matching = records
            .iter()
            .filter(|record| test(cell(record, column)))
            .count();
        matching * 10 >= records.len() * 9
    };
    let is_date = |text: &str| {
        [
            DateOrder::YearMonthDay,
            DateOrder::DayMonthYear,
            DateOrder::MonthDayYear,
        ]
        .iter()
        .any(|order| parse_date(text, *order).is_some())
    };
    let is_amount = |text: &str| {
        !text.is_empty()
            && text.chars().any(|c| c.is_ascii_digit())
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || "-+.,()$€£ ".contains(c))
            && parse_amount(text, None).is_ok()
    };
    let date_column = (0..width)
        .find(|column| share(&is_date, *column))
        .ok_or_else(|| {
            StatementError::Layout(
                "no header row with a date and an amount column, and no column of dates".into(),
            )
        })?;
    let amount_column = (0..width)
        .filter(|column| *column != date_column)
        .find(|column| share(&is_amount, *column))
        .ok_or_else(|| StatementError::Layout("no header row, and no column of amounts".into()))?;
    let description_column = (0..width)
        .filter(|column| *column != date_column && *column != amount_column)
        .filter(|column| !share(&is_amount, *column))
        .max_by_key(|column| {
            records
                .iter()
                .map(|record| cell(record, *column).len())
                .sum::<usize>()
        })
        .ok_or_else(|| {
            StatementError::Layout("no header row, and no column of descriptions".into())
        })?;
    let amounts = AmountColumns::Signed {
        column: amount_column,
        negate: false,
    };
    let decimal = detect_decimal(&amount_cells(records, &amounts), delimiter);
    let (date_order, mut notes) = detect_date_order(records, date_column, decimal)?;
    notes.insert(
        0,
        "the file has no header row: the columns were recognised from their content".into(),
    );
    Ok((
        CsvMapping {
            delimiter,
            header_row: None,
            header: Vec::new(),
            date_column,
            date_order,
            decimal,
            amounts,
            description_columns: vec![description_column],
            fitid_column: None,
            check_column: None,
            type_column: None,
        },
        notes,
    ))
}

fn amount_cells<'a>(rows: &'a [Record], amounts: &AmountColumns) -> Vec<&'a str> {
    let columns: Vec<usize> = match amounts {
        AmountColumns::Signed { column, .. } => vec![*column],
        AmountColumns::Split { debit, credit } => vec![*debit, *credit],
        AmountColumns::Indicator { amount, .. } => vec![*amount],
    };
    rows.iter()
        .flat_map(|row| columns.iter().map(move |column| cell(row, *column)))
        .filter(|value| !value.is_empty())
        .collect()
}

/// The decimal separator the amounts agree on: a separator followed by one or two
/// digits at the end is a decimal one; followed by three, a thousands one.
fn detect_decimal(cells: &[&str], delimiter: char) -> DecimalSeparator {
    let (mut point, mut comma) = (0usize, 0usize);
    for value in cells {
        let digits: String = value
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        let Some(at) = digits.rfind(['.', ',']) else {
            continue;
        };
        let after = digits.len() - at - 1;
        let is_point = digits[at..].starts_with('.');
        match (is_point, after) {
            (true, 1 | 2) | (false, 3) => point += 1,
            (false, 1 | 2) | (true, 3) => comma += 1,
            _ => {}
        }
    }
    if comma > point || (comma == point && delimiter == ';') {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    }
}

/// The date order every date cell reads in. When day/month and month/day both
/// read every row (all days up to 12), the one that keeps the statement in date
/// order wins, then day/month for files with decimal commas; the note says the
/// order was a guess.
fn detect_date_order(
    rows: &[Record],
    column: usize,
    decimal: DecimalSeparator,
) -> Result<(DateOrder, Vec<String>), StatementError> {
    let cells: Vec<&str> = rows
        .iter()
        .map(|row| cell(row, column))
        .filter(|value| date_like(value))
        .collect();
    if cells.is_empty() {
        return Err(StatementError::Layout(
            "the date column holds no dates".into(),
        ));
    }
    let orders = [
        DateOrder::YearMonthDay,
        DateOrder::DayMonthYear,
        DateOrder::MonthDayYear,
    ];
    let failures: Vec<usize> = orders
        .iter()
        .map(|order| {
            cells
                .iter()
                .filter(|value| parse_date(value, *order).is_none())
                .count()
        })
        .collect();
    let fewest = failures.iter().copied().min().unwrap_or(0);
    let candidates: Vec<DateOrder> = orders
        .iter()
        .zip(&failures)
        .filter(|(_, failed)| **failed == fewest)
        .map(|(order, _)| *order)
        .collect();
    if candidates.len() == 1 || candidates.contains(&DateOrder::YearMonthDay) {
        return Ok((candidates[0], Vec::new()));
    }
    let disorder = |order: DateOrder| {
        let dates: Vec<NaiveDate> = cells
            .iter()
            .filter_map(|value| parse_date(value, order))
            .collect();
        let ascending = dates.windows(2).filter(|pair| pair[0] > pair[1]).count();
        let descending = dates.windows(2).filter(|pair| pair[0] < pair[1]).count();
        ascending.min(descending)
    };
    let day_first = disorder(DateOrder::DayMonthYear);
    let month_first = disorder(DateOrder::MonthDayYear);
    let order = if day_first < month_first
        || (day_first == month_first && decimal == DecimalSeparator::Comma)
    {
        DateOrder::DayMonthYear
    } else {
        DateOrder::MonthDayYear
    };
    let note = if day_first == month_first {
        format!(
            "every date reads both as day/month and as month/day; {} was assumed: confirm it",
            if order == DateOrder::DayMonthYear {
                "day/month"
            } else {
                "month/day"
            }
        )
    } else {
        format!(
            "every date reads both as day/month and as month/day; {} keeps the statement in date order",
            if order == DateOrder::DayMonthYear {
                "day/month"
            } else {
                "month/day"
            }
        )
    };
    Ok((order, vec![note]))
}

fn read_with(records: &[Record], mapping: CsvMapping) -> Result<CsvImport, StatementError> {
    let rows = data_rows(records, mapping.header_row);
    let mut lines = Vec::with_capacity(rows.len());
    let mut skipped = Vec::new();
    for row in rows {
        let date_text = cell(row, mapping.date_column);
        if !date_like(date_text) {
            skipped.push((row.line, format!("no date ('{date_text}')")));
            continue;
        }
        let date =
            parse_date(date_text, mapping.date_order).ok_or_else(|| StatementError::Row {
                row: row.line,
                message: format!(
                    "'{date_text}' is not a date in this file's {:?} order",
                    mapping.date_order
                ),
            })?;
        let amount = row_amount(row, &mapping)?;
        let mut description = String::new();
        for column in &mapping.description_columns {
            let text = cell(row, *column);
            if !text.is_empty() && !description.contains(text) {
                if !description.is_empty() {
                    description.push(' ');
                }
                description.push_str(text);
            }
        }
        let optional = |column: Option<usize>| {
            column
                .map(|column| cell(row, column).to_string())
                .filter(|value| !value.is_empty())
        };
        lines.push(StatementLine {
            date,
            amount,
            description,
            fitid: optional(mapping.fitid_column),
            payee: None,
            check_number: optional(mapping.check_column),
            bank_type: optional(mapping.type_column),
            source_line: row.line,
        });
    }
    if lines.is_empty() {
        return Err(StatementError::Layout(
            "the CSV file has no transaction rows".into(),
        ));
    }
    Ok(CsvImport {
        statement: Statement {
            format: Format::Csv,
            account: None,
            currency: None,
            ledger_balance: None,
            lines,
            layout_confidence: 1.0,
            layout_notes: Vec::new(),
        },
        mapping,
        skipped,
    })
}

fn row_amount(row: &Record, mapping: &CsvMapping) -> Result<Decimal, StatementError> {
    let read = |column: usize| -> Result<Option<Decimal>, StatementError> {
        let text = cell(row, column);
        if text.is_empty() {
            return Ok(None);
        }
        parse_amount(text, Some(mapping.decimal))
            .map(Some)
            .map_err(|message| StatementError::Row {
                row: row.line,
                message,
            })
    };
    match &mapping.amounts {
        AmountColumns::Signed { column, negate } => {
            let amount = read(*column)?.ok_or_else(|| StatementError::Row {
                row: row.line,
                message: "the amount is empty".into(),
            })?;
            Ok(if *negate && !amount.is_zero() {
                -amount
            } else {
                amount
            })
        }
        AmountColumns::Split { debit, credit } => match (read(*debit)?, read(*credit)?) {
            (None, None) => Err(StatementError::Row {
                row: row.line,
                message: "neither the debit nor the credit column has an amount".into(),
            }),
            (out, into) => {
                let amount = into.unwrap_or_default().abs() - out.unwrap_or_default().abs();
                Ok(if amount.is_zero() {
                    Decimal::ZERO
                } else {
                    amount
                })
            }
        },
        AmountColumns::Indicator {
            amount,
            indicator,
            debit_values,
        } => {
            let value = read(*amount)?.ok_or_else(|| StatementError::Row {
                row: row.line,
                message: "the amount is empty".into(),
            })?;
            let direction = cell(row, *indicator).trim().to_uppercase();
            let out = debit_values
                .iter()
                .any(|word| word.eq_ignore_ascii_case(&direction));
            if !out && !CREDIT_WORDS.contains(&direction.as_str()) && !direction.is_empty() {
                return Err(StatementError::Row {
                    row: row.line,
                    message: format!("'{direction}' says neither debit nor credit"),
                });
            }
            let value = value.abs();
            Ok(if out && !value.is_zero() {
                -value
            } else {
                value
            })
        }
    }
}
