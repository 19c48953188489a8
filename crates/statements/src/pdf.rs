//! Text-layer PDF statements, best effort.
//!
//! The text is taken from the PDF (with the `pdf` feature), then each text line
//! that starts with a date and ends with one or two amounts is a transaction:
//! `01/05  SHELL OIL 5744 HOUSTON TX  45.20  1,234.56`. When a second amount is a
//! running balance, the change in balance gives the sign; otherwise the section
//! heading above the line does (withdrawals, deposits), and the confidence says
//! it was a guess. Dates without a year take the statement's year.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use rust_decimal::Decimal;

use crate::text::{DateOrder, parse_amount, parse_date};
use crate::{Format, Statement, StatementError, StatementLine};

/// Reads a PDF statement's text layer. Without the `pdf` feature this says so.
pub fn parse_pdf(bytes: &[u8]) -> Result<Statement, StatementError> {
    let text = extract_text(bytes)?;
    if text.chars().filter(|c| c.is_alphanumeric()).count() < 20 {
        return Err(StatementError::PdfNoText);
    }
    lines_from_text(&text)
}

#[cfg(feature = "pdf")]
fn extract_text(bytes: &[u8]) -> Result<String, StatementError> {
    let document =
        lopdf::Document::load_mem(bytes).map_err(|error| StatementError::Pdf(error.to_string()))?;
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    if pages.is_empty() {
        return Err(StatementError::Pdf("the PDF has no pages".into()));
    }
    // A page whose text cannot be decoded counts as having none.
    let mut text = String::new();
    for page in pages {
        if let Ok(page_text) = document.extract_text(&[page]) {
            text.push_str(&page_text);
            text.push('\n');
        }
    }
    Ok(text)
}

#[cfg(not(feature = "pdf"))]
fn extract_text(bytes: &[u8]) -> Result<String, StatementError> {
    // Without a PDF parser, a file with no font resources at all is still
    // recognisably a scan; anything else needs the parser.
    let has_fonts = bytes.windows(5).any(|window| window == b"/Font")
        || bytes.windows(7).any(|window| window == b"/ObjStm");
    if has_fonts {
        Err(StatementError::Pdf(
            "this build reads PDF statements only with the `pdf` feature; export the statement as OFX, QFX or CSV".into(),
        ))
    } else {
        Err(StatementError::PdfNoText)
    }
}

fn row_pattern() -> Option<&'static Regex> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    PATTERN
        .get_or_init(|| {
            let date = r"(?:\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[A-Za-z]{3}(?:\s+\d{2,4})?|[A-Za-z]{3}\s+\d{1,2}(?:,?\s+\d{4})?)";
            let amount = r"(?:-?\(?[$€£]?-?\d{1,3}(?:[,.' ]\d{3})*[.,]\d{2}\)?-?(?:\s?(?:CR|DR))?)";
            Regex::new(&format!(
                r"^\s*(?P<date>{date})\s+(?P<text>.*?\S)\s+(?P<amount>{amount})(?:\s+(?P<balance>{amount}))?\s*$"
            ))
            .ok()
        })
        .as_ref()
}

/// Which way the lines under a heading go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Out,
    In,
    Unknown,
}

fn section_of(line: &str) -> Option<Section> {
    let lower = line.to_lowercase();
    if lower.len() > 60 {
        return None;
    }
    let has = |word: &str| lower.contains(word);
    if has("withdrawal")
        || has("debits")
        || has("checks paid")
        || has("purchases")
        || has("fees")
        || has("payments and other debits")
    {
        Some(Section::Out)
    } else if has("deposit") || has("credits") || has("payments received") || has("additions") {
        Some(Section::In)
    } else {
        None
    }
}

/// The transaction table of a statement's extracted text.
pub fn lines_from_text(text: &str) -> Result<Statement, StatementError> {
    let pattern = row_pattern()
        .ok_or_else(|| StatementError::Layout("the PDF table pattern did not compile".into()))?;
    // Rows first, then the date order every row agrees on.
    struct Row<'a> {
        line: usize,
        date: &'a str,
        text: &'a str,
        amount: &'a str,
        balance: Option<&'a str>,
        section: Section,
    }
    let mut rows = Vec::new();
    let mut section = Section::Unknown;
    let mut opening_balance: Option<Decimal> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some(captures) = pattern.captures(line) {
            let (Some(date), Some(description), Some(amount)) = (
                captures.name("date"),
                captures.name("text"),
                captures.name("amount"),
            ) else {
                continue;
            };
            rows.push(Row {
                line: index + 1,
                date: date.as_str(),
                text: description.as_str(),
                amount: amount.as_str(),
                balance: captures.name("balance").map(|balance| balance.as_str()),
                section,
            });
        } else if let Some(found) = section_of(line) {
            section = found;
        } else if opening_balance.is_none() && rows.is_empty() {
            let lower = line.to_lowercase();
            if lower.contains("beginning balance")
                || lower.contains("opening balance")
                || lower.contains("previous balance")
            {
                opening_balance = line
                    .split_whitespace()
                    .last()
                    .and_then(|last| parse_amount(last, None).ok());
            }
        }
    }
    if rows.is_empty() {
        return Err(StatementError::Layout(
            "no transaction table found in the PDF's text: export the statement as OFX, QFX or CSV"
                .into(),
        ));
    }
    let day_first = rows.iter().any(|row| leading_number(row.date) > 12);
    let order = if day_first {
        DateOrder::DayMonthYear
    } else {
        DateOrder::MonthDayYear
    };
    let end = statement_end(text, order).ok_or_else(|| {
        StatementError::Layout("the PDF's text names no year, so its dates cannot be read".into())
    })?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut previous_balance = opening_balance;
    let mut guessed = 0usize;
    for row in &rows {
        let date = pdf_date(row.date, order, end).ok_or_else(|| StatementError::Line {
            line: row.line,
            message: format!("'{}' is not a date", row.date),
        })?;
        let mut amount =
            parse_amount(row.amount, None).map_err(|message| StatementError::Line {
                line: row.line,
                message,
            })?;
        let balance = row
            .balance
            .and_then(|balance| parse_amount(balance, None).ok());
        let explicit = row.amount.contains(['-', '('])
            || row.amount.to_uppercase().ends_with("DR")
            || row.amount.to_uppercase().ends_with("CR");
        if !explicit {
            match (previous_balance, balance) {
                (Some(before), Some(after)) if before - amount == after => amount = -amount,
                (Some(before), Some(after)) if before + amount == after => {}
                _ => match row.section {
                    Section::Out => amount = -amount,
                    Section::In => {}
                    Section::Unknown => {
                        amount = -amount;
                        guessed += 1;
                    }
                },
            }
        }
        if balance.is_some() {
            previous_balance = balance;
        }
        lines.push(StatementLine {
            date,
            amount,
            description: row.text.split_whitespace().collect::<Vec<_>>().join(" "),
            fitid: None,
            payee: None,
            check_number: None,
            bank_type: None,
            source_line: row.line,
        });
    }
    let mut notes =
        vec!["read from a PDF's text: check each line against the statement".to_string()];
    let confidence = if guessed > 0 {
        notes.push(format!(
            "{guessed} lines had no sign, balance or section heading and were taken as money out"
        ));
        0.3
    } else {
        0.6
    };
    Ok(Statement {
        format: Format::Pdf,
        account: None,
        currency: None,
        ledger_balance: None,
        lines,
        layout_confidence: confidence,
        layout_notes: notes,
    })
}

fn leading_number(text: &str) -> u32 {
    text.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

/// A date of the table, completed with the statement's year when it has none;
/// a date that would fall more than a month after the statement's end is from
/// the year before (December lines on a statement that ends in January).
fn pdf_date(text: &str, order: DateOrder, end: NaiveDate) -> Option<NaiveDate> {
    let groups = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|group| !group.is_empty())
        .count();
    if groups >= 3 || (groups == 1 && text.len() == 8) {
        return parse_date(text, order);
    }
    let date = parse_date(&format!("{text} {}", end.year()), order)?;
    if date > end + chrono::Days::new(31) {
        parse_date(&format!("{text} {}", end.year() - 1), order)
    } else {
        Some(date)
    }
}

/// The latest full date the text names (statement periods end with it), read in
/// the table's order; ISO dates and month names read in any order.
fn statement_end(text: &str, order: DateOrder) -> Option<NaiveDate> {
    static DATES: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = DATES
        .get_or_init(|| {
            Regex::new(
                r"\b(\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+(?:19|20)\d{2}|\d{1,2}\s+[A-Za-z]{3,9}\s+(?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2})\b",
            )
            .ok()
        })
        .as_ref()?;
    pattern
        .find_iter(text)
        .filter_map(|found| {
            parse_date(found.as_str(), order)
                .or_else(|| parse_date(found.as_str(), DateOrder::YearMonthDay))
        })
        .max()
}
