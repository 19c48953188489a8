//! Tolerant readers for the pieces every format shares: text encodings, amounts
//! and dates as banks write them.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Decodes bytes whose declared encoding may be wrong. A byte order mark wins;
/// then valid UTF-8 is taken as UTF-8 (files that declare cp1252 but were re-saved
/// as UTF-8 are common); otherwise the declared label, and failing that cp1252,
/// which also reads latin-1 the way browsers and banks mean it.
pub fn decode<'a>(bytes: &'a [u8], declared: Option<&str>) -> Cow<'a, str> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return text;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let encoding = declared
        .and_then(encoding_for_label)
        .filter(|encoding| *encoding != UTF_8)
        .unwrap_or(WINDOWS_1252);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text
}

/// The encoding for an OFX `CHARSET` value or an XML `encoding` label.
fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim();
    match label.to_ascii_uppercase().as_str() {
        // OFX 1.x writes code pages by number.
        "1252" | "CP1252" => Some(WINDOWS_1252),
        "8859-1" | "ISO-8859-1" | "LATIN1" | "LATIN-1" => Some(WINDOWS_1252),
        "NONE" | "" => None,
        _ => Encoding::for_label(label.as_bytes()),
    }
}

/// Which character separates the decimals in an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecimalSeparator {
    /// `1,234.56`
    Point,
    /// `1.234,56`
    Comma,
}

/// Reads an amount as banks write it: `-12.50`, `+12.50`, `(12.50)`, `12.50-`,
/// `12.50 DR`, `$1,234.56`, `1.234,56 €`, `1 234,56`, `1'234.56`, `-0.00`.
/// With no separator given, the last of `.` and `,` is the decimal one, and a lone
/// comma is decimal (the OFX rule). A debit marker (`DR`, `-`, parentheses) makes
/// it negative; `CR` keeps it positive. Negative zero becomes zero.
pub fn parse_amount(raw: &str, separator: Option<DecimalSeparator>) -> Result<Decimal, String> {
    let mut text = raw.trim().to_string();
    if text.is_empty() {
        return Err("the amount is empty".into());
    }
    let mut negative = false;
    let upper = text.to_ascii_uppercase();
    for (marker, is_debit) in [("DR", true), ("CR", false), ("D", true), ("C", false)] {
        if upper.ends_with(marker)
            && upper[..upper.len() - marker.len()]
                .trim_end()
                .ends_with(|c: char| c.is_ascii_digit())
        {
            negative = is_debit;
            text.truncate(text.len() - marker.len());
            break;
        }
    }
    // Currency codes and symbols before or after the number.
    let core =
        text.trim_matches(|c: char| c.is_alphabetic() || c.is_whitespace() || "$€£¥₹".contains(c));
    let mut digits = String::with_capacity(core.len());
    let mut signs = 0;
    for c in core.chars() {
        match c {
            '0'..='9' | '.' | ',' => digits.push(c),
            '-' | '\u{2212}' | '(' => {
                negative = true;
                signs += 1;
            }
            '+' | ')' => {}
            // Thousands separators that are not separators of decimals.
            ' ' | '\u{a0}' | '\u{202f}' | '\'' | '\u{2019}' => {}
            c if "$€£¥₹".contains(c) => {}
            _ => return Err(format!("'{}' is not an amount", raw.trim())),
        }
    }
    if signs > 1 {
        // "(-12.50)" and "--12.50" are not written by banks; refuse rather than guess.
        return Err(format!("'{}' has more than one sign", raw.trim()));
    }
    if !digits.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!("'{}' is not an amount", raw.trim()));
    }
    let decimal = match separator {
        Some(DecimalSeparator::Point) => Some('.'),
        Some(DecimalSeparator::Comma) => Some(','),
        None => guess_separator(&digits),
    };
    // Thousands groups after the first hold two (Indian lakhs) or three digits;
    // anything else ("12..5", "1,2,3") is not an amount.
    let integer = match decimal {
        Some(c) => digits.split(c).next().unwrap_or_default(),
        None => digits.as_str(),
    };
    let groups: Vec<&str> = integer.split(['.', ',']).collect();
    if groups.len() > 1
        && (groups[0].is_empty() && digits.len() > 1
            || groups[1..]
                .iter()
                .any(|group| !(2..=3).contains(&group.len())))
    {
        return Err(format!("'{}' is not an amount", raw.trim()));
    }
    let mut plain = String::with_capacity(digits.len());
    for c in digits.chars() {
        match c {
            '0'..='9' => plain.push(c),
            c if Some(c) == decimal => plain.push('.'),
            _ => {}
        }
    }
    if plain.matches('.').count() > 1 {
        return Err(format!(
            "'{}' has more than one decimal separator",
            raw.trim()
        ));
    }
    let mut amount = Decimal::from_str(&plain)
        .map_err(|error| format!("'{}' is not an amount: {error}", raw.trim()))?;
    if negative {
        amount = -amount;
    }
    if amount.is_zero() {
        amount = Decimal::ZERO;
    }
    Ok(amount)
}

/// The decimal separator of one value written without a known convention.
fn guess_separator(digits: &str) -> Option<char> {
    let last_point = digits.rfind('.');
    let last_comma = digits.rfind(',');
    match (last_point, last_comma) {
        (Some(point), Some(comma)) => Some(if point > comma { '.' } else { ',' }),
        (Some(_), None) if digits.matches('.').count() == 1 => Some('.'),
        (None, Some(_)) if digits.matches(',').count() == 1 => Some(','),
        // "1.234.567" or "1,234,567": thousands only.
        _ => None,
    }
}

/// The order of day, month and year in a numeric date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateOrder {
    /// 2024-01-31, 2024/01/31, 20240131
    YearMonthDay,
    /// 31/01/2024, 31.01.24
    DayMonthYear,
    /// 01/31/2024, 1/31/24
    MonthDayYear,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// Reads a date in the given numeric order; month names (`31 Jan 2024`,
/// `Jan 31, 2024`, `31-JAN-24`) are read whatever the order. A time after the
/// date is ignored. `None` when it is not a valid date in that order.
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    // Runs of digits or of letters; a ':' means a time began, whose hour was the
    // last run read.
    let mut groups: Vec<&str> = Vec::with_capacity(5);
    let mut current: Option<(usize, bool)> = None;
    for (index, c) in raw.char_indices() {
        let kind = if c.is_ascii_digit() {
            Some(false)
        } else if c.is_ascii_alphabetic() {
            Some(true)
        } else {
            None
        };
        match (current, kind) {
            (Some((_, alpha)), Some(now)) if alpha == now => {}
            (Some((from, _)), now) => {
                groups.push(&raw[from..index]);
                current = now.map(|now| (index, now));
            }
            (None, now) => current = now.map(|now| (index, now)),
        }
        if c == ':' {
            groups.pop();
            current = None;
            break;
        }
        if groups.len() > 6 {
            // Enough runs for any date; the rest of the text is not one.
            current = None;
            break;
        }
    }
    if let Some((from, _)) = current {
        groups.push(&raw[from..]);
    }
    let groups: Vec<&str> = groups
        .into_iter()
        .filter(|group| {
            // Weekday names and ordinal suffixes (31st) carry no part of the date.
            let starts = |prefix: &str| {
                group
                    .get(..prefix.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
            };
            let weekday = group
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphabetic)
                && WEEKDAYS.iter().any(|day| starts(day))
                && month_number(group).is_none();
            let filler = ["T", "ST", "ND", "RD", "TH"]
                .iter()
                .any(|filler| group.eq_ignore_ascii_case(filler));
            !weekday && !filler
        })
        .collect();
    if groups.len() == 1 && groups[0].len() == 8 && groups[0].bytes().all(|b| b.is_ascii_digit()) {
        let text = groups[0];
        return ymd(&text[0..4], &text[4..6], &text[6..8]);
    }
    if groups.len() < 3 {
        return None;
    }
    let (a, b, c) = (groups[0], groups[1], groups[2]);
    if let Some(month) = month_number(b) {
        // 31 Jan 2024, 31-JAN-24, 2024-Jan-31
        return if a.len() == 4 {
            from_parts(number(a)?, month, number(c)?)
        } else {
            from_parts(year(c)?, month, number(a)?)
        };
    }
    if let Some(month) = month_number(a) {
        // Jan 31, 2024
        return from_parts(year(c)?, month, number(b)?);
    }
    if [a, b, c]
        .iter()
        .any(|group| !group.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    match order {
        DateOrder::YearMonthDay if a.len() == 4 => ymd(a, b, c),
        DateOrder::DayMonthYear if c.len() == 4 || c.len() == 2 => {
            from_parts(year(c)?, number(b)?, number(a)?)
        }
        DateOrder::MonthDayYear if c.len() == 4 || c.len() == 2 => {
            from_parts(year(c)?, number(a)?, number(b)?)
        }
        _ => None,
    }
}

fn ymd(year: &str, month: &str, day: &str) -> Option<NaiveDate> {
    from_parts(number(year)?, number(month)?, number(day)?)
}

fn from_parts(year: u32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 {
        return None;
    }
    text.parse().ok()
}

/// A two-digit year is in 1970–2069.
fn year(text: &str) -> Option<u32> {
    let value = number(text)?;
    match text.len() {
        4 => Some(value),
        2 if value >= 70 => Some(1900 + value),
        2 => Some(2000 + value),
        _ => None,
    }
}

fn month_number(text: &str) -> Option<u32> {
    if text.len() < 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let upper = text.to_ascii_uppercase();
    MONTHS
        .iter()
        .position(|month| upper.starts_with(month))
        .and_then(|index| u32::try_from(index + 1).ok())
}

/// A description reduced to what identifies it: upper case, letters and digits,
/// single spaces. Used by the dedup keys and the suggestions.
pub fn normalize_description(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_uppercase());
        } else {
            space = true;
        }
    }
    out
}
