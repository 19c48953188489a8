//! Bank and card statements in, QuickBooks records out: the pure core.
//!
//! - [`ofx`] reads OFX 1.x (SGML), OFX 2.x (XML) and QFX, tolerating what real bank
//!   files do (missing closing tags, cp1252 text, bracketed time zones, `-0.00`).
//! - [`csv_import`] detects a CSV layout (header row, date order, decimal separator,
//!   signed or split amounts) into a [`csv_import::CsvMapping`] that can be stored per
//!   bank account, and reads the lines with it.
//! - [`pdf`] reads the transaction table of a text-layer PDF statement, best effort.
//! - [`dedup`] gives each line a key so that nothing is imported twice.
//! - [`suggest`] suggests an account and payee from the user's rules, then from the
//!   company's history, with a confidence and an explanation.
//! - [`matching`] finds lines already in QuickBooks, the transaction type, transfers.
//! - [`iif`] writes lists and transactions as QuickBooks Desktop IIF.
//!
//! Nothing here reads a file, a clock or a database: bytes and values in, values out.

pub mod csv_import;
pub mod dedup;
pub mod iif;
pub mod matching;
pub mod ofx;
pub mod pdf;
pub mod suggest;
pub mod text;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One transaction of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The date the bank posted it, as the statement shows it (no time zone shift).
    pub date: NaiveDate,
    /// Signed: negative is money out of the account, positive is money in.
    pub amount: Decimal,
    /// The text a person would read: the payee name and memo, joined.
    pub description: String,
    /// The bank's own id of the transaction (OFX `FITID`), where the file has one.
    pub fitid: Option<String>,
    /// The payee name as the file gives it separately (OFX `NAME`), if any.
    pub payee: Option<String>,
    /// The check number, if any.
    pub check_number: Option<String>,
    /// The bank's transaction type (OFX `TRNTYPE`, or a CSV type column), if any.
    pub bank_type: Option<String>,
    /// The line (OFX, PDF) or row (CSV) of the file it came from, 1-based.
    pub source_line: usize,
}

/// The file formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// OFX 1.x: SGML with an `OFXHEADER:100` header.
    Ofx1,
    /// OFX 2.x: XML with an `<?OFX OFXHEADER="200" ...?>` instruction.
    Ofx2,
    /// Quicken's OFX dialect (an `INTU.BID` element), either version.
    Qfx,
    /// Comma-, semicolon- or tab-separated values.
    Csv,
    /// A PDF statement's text layer.
    Pdf,
}

/// The account a statement is for, as the bank names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    /// The bank's routing or sort code (`BANKID`), absent for cards.
    pub bank_id: Option<String>,
    /// The account or card number (`ACCTID`), often masked.
    pub account_id: Option<String>,
    /// `CHECKING`, `SAVINGS`, `CREDITLINE`, `CREDITCARD`, ...
    pub account_type: Option<String>,
}

/// The transactions of one account from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub format: Format,
    pub account: Option<BankAccount>,
    /// ISO 4217 code of the statement's currency (OFX `CURDEF`), if given.
    pub currency: Option<String>,
    /// The closing balance the bank reports (OFX `LEDGERBAL`), if given.
    pub ledger_balance: Option<Decimal>,
    pub lines: Vec<StatementLine>,
    /// How sure the reader is of the layout, 0.0 to 1.0: 1.0 for OFX and a CSV whose
    /// layout was unambiguous or confirmed; lower for a PDF table or a guessed CSV.
    pub layout_confidence: f64,
    /// Why the layout confidence is below 1.0, for the UI (empty when it is 1.0).
    pub layout_notes: Vec<String>,
}

/// Why a file could not be read. Errors about one transaction name its line or row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("row {row}: {message}")]
    Row { row: usize, message: String },
    #[error("not a statement this app reads: {0}")]
    UnknownFormat(String),
    #[error("{0}")]
    Layout(String),
    #[error(
        "this PDF has no text layer (a scanned statement); scanned statements are not supported: download the statement as OFX, QFX, CSV or a text PDF"
    )]
    PdfNoText,
    #[error("the PDF could not be read: {0}")]
    Pdf(String),
}

/// Reads a statement of any supported format, recognised from its content.
/// A CSV is read with `csv_mapping` when given (a confirmed layout), else with a
/// detected one. PDFs need the `pdf` feature.
pub fn parse(
    bytes: &[u8],
    csv_mapping: Option<&csv_import::CsvMapping>,
) -> Result<Vec<Statement>, StatementError> {
    match sniff(bytes) {
        Some(Format::Pdf) => pdf::parse_pdf(bytes).map(|statement| vec![statement]),
        Some(Format::Ofx1 | Format::Ofx2 | Format::Qfx) => ofx::parse_ofx(bytes),
        Some(Format::Csv) => {
            let import = match csv_mapping {
                Some(mapping) => csv_import::parse_with(bytes, mapping)?,
                None => csv_import::parse_detected(bytes)?,
            };
            Ok(vec![import.statement])
        }
        None => Err(StatementError::UnknownFormat(
            "expected OFX, QFX, CSV or a PDF statement".into(),
        )),
    }
}

/// Recognises the format from the first bytes: a PDF signature, an OFX header or
/// `<OFX>` element, else delimited text.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    let head = &bytes[..bytes.len().min(4096)];
    if head.starts_with(b"%PDF") {
        return Some(Format::Pdf);
    }
    // A UTF-16 byte order mark: some banks export their CSV that way.
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some(Format::Csv);
    }
    let text = String::from_utf8_lossy(head).to_ascii_uppercase();
    if text.contains("OFXHEADER") || text.contains("<OFX>") {
        let qfx = String::from_utf8_lossy(bytes)
            .to_ascii_uppercase()
            .contains("<INTU.BID>");
        return Some(if qfx {
            Format::Qfx
        } else if text.contains("<?OFX") || text.contains("<?XML") {
            Format::Ofx2
        } else {
            Format::Ofx1
        });
    }
    let printable = head
        .iter()
        .filter(|byte| byte.is_ascii_graphic() || byte.is_ascii_whitespace() || **byte >= 0x80)
        .count();
    if !head.is_empty() && printable * 10 >= head.len() * 9 {
        Some(Format::Csv)
    } else {
        None
    }
}
