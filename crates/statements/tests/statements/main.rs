//! The statements crate's one test binary: parsers on bank files written from
//! the formats' documentation and what real exports contain, dedup keys,
//! suggestions, matching, and the IIF writer read back by an independent parser.

mod csv_files;
mod dedup;
mod fuzz_smoke;
mod iif;
mod matching;
mod ofx_files;
mod pdf_text;
mod suggestions;

use rust_decimal::Decimal;

/// An exact decimal from its text.
pub fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal literal")
}

pub fn date(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("an ISO date")
}
