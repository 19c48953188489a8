//! Keys that make an import idempotent.
//!
//! A line with the bank's id (FITID) is keyed by it. Otherwise the key is a hash
//! of the account, the date, the amount, the normalised description and the
//! occurrence of that combination within the file: two identical coffees on one
//! day get occurrences 1 and 2, so both are imported once, and a re-import or an
//! overlapping statement (which lists the same two coffees) yields the same two
//! keys and imports nothing new.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::StatementLine;
use crate::text::normalize_description;

/// One key per line, in the lines' order. `account` is whatever identifies the
/// bank account in the store (its QuickBooks id, say); keys of different
/// accounts never collide.
pub fn dedup_keys(account: &str, lines: &[StatementLine]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    lines
        .iter()
        .map(|line| {
            let base = match &line.fitid {
                // A FITID a bank repeats within one file (some do, for different
                // transactions) still yields distinct keys through the count.
                Some(fitid) => format!("fitid\u{0}{account}\u{0}{}", fitid.trim()),
                None => format!(
                    "line\u{0}{account}\u{0}{}\u{0}{}\u{0}{}",
                    line.date,
                    line.amount.normalize(),
                    normalize_description(&line.description)
                ),
            };
            let occurrence = seen.entry(base.clone()).or_insert(0);
            *occurrence += 1;
            let digest = Sha256::digest(format!("{base}\u{0}{occurrence}").as_bytes());
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let hex: String = digest
                .iter()
                .take(16)
                .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]])
                .map(char::from)
                .collect();
            let kind = if line.fitid.is_some() { "f" } else { "h" };
            format!("{kind}:{hex}")
        })
        .collect()
}

/// The indexes of the lines whose keys are not among `known` (the keys already
/// imported for this account), in order.
pub fn new_lines(keys: &[String], known: &HashSet<String>) -> Vec<usize> {
    keys.iter()
        .enumerate()
        .filter(|(_, key)| !known.contains(*key))
        .map(|(index, _)| index)
        .collect()
}
