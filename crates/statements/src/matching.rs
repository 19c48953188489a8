//! What kind of record a line becomes, which lines QuickBooks already has, and
//! which lines of two imported accounts are the two sides of one transfer.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::StatementLine;

/// The QuickBooks record a statement line becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxnType {
    /// Money out: a `Purchase` against the bank or card account.
    Purchase,
    /// Money in: a `Deposit` to the bank account.
    Deposit,
    /// Both sides are in imported accounts: one `Transfer`.
    Transfer,
}

/// Purchase for money out, Deposit for money in (a zero line is a deposit of
/// nothing, which the user will usually exclude).
pub fn txn_type(amount: Decimal) -> TxnType {
    if amount < Decimal::ZERO {
        TxnType::Purchase
    } else {
        TxnType::Deposit
    }
}

/// A transaction already in QuickBooks, seen from the bank account it touches:
/// `amount` is signed as the statement would show it (a Purchase is negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingTxn {
    pub id: String,
    pub bank_account: String,
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// How far apart a statement date and a QuickBooks date may be and still be one
/// transaction: cards post a few days after the purchase.
pub const MATCH_DAYS: i64 = 3;

/// For each line of `bank_account`, the index in `existing` of the QuickBooks
/// transaction it already is: same account, same amount, dates at most
/// [`MATCH_DAYS`] apart. Each existing transaction matches at most one line, the
/// closest in date first, so two identical coffees with one in QuickBooks leave
/// one to import.
pub fn already_in_quickbooks(
    bank_account: &str,
    lines: &[StatementLine],
    existing: &[ExistingTxn],
) -> Vec<Option<usize>> {
    let mut by_amount: HashMap<Decimal, Vec<usize>> = HashMap::new();
    for (txn_index, txn) in existing.iter().enumerate() {
        if txn.bank_account == bank_account {
            by_amount.entry(txn.amount).or_default().push(txn_index);
        }
    }
    let mut pairs: Vec<(i64, usize, usize)> = Vec::new();
    for (line_index, line) in lines.iter().enumerate() {
        for txn_index in by_amount.get(&line.amount).into_iter().flatten() {
            let (txn_index, txn) = (*txn_index, &existing[*txn_index]);
            let days = (txn.date - line.date).num_days().abs();
            if days <= MATCH_DAYS {
                pairs.push((days, line_index, txn_index));
            }
        }
    }
    pairs.sort_unstable();
    let mut matched = vec![None; lines.len()];
    let mut used = vec![false; existing.len()];
    for (_, line_index, txn_index) in pairs {
        if matched[line_index].is_none() && !used[txn_index] {
            matched[line_index] = Some(txn_index);
            used[txn_index] = true;
        }
    }
    matched
}

/// A line of any imported account, for transfer pairing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLine {
    pub bank_account: String,
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// Pairs money leaving one imported account with the same amount arriving in
/// another within [`MATCH_DAYS`]: `(out, in)` indexes into `lines`, closest
/// dates first, each line in at most one pair.
pub fn pair_transfers(lines: &[AccountLine]) -> Vec<(usize, usize)> {
    let mut money_in: HashMap<Decimal, Vec<usize>> = HashMap::new();
    for (in_index, into) in lines.iter().enumerate() {
        if into.amount > Decimal::ZERO {
            money_in.entry(into.amount).or_default().push(in_index);
        }
    }
    let mut candidates: Vec<(i64, usize, usize)> = Vec::new();
    for (out_index, out) in lines.iter().enumerate() {
        if out.amount >= Decimal::ZERO {
            continue;
        }
        for in_index in money_in.get(&-out.amount).into_iter().flatten() {
            let (in_index, into) = (*in_index, &lines[*in_index]);
            if into.bank_account == out.bank_account {
                continue;
            }
            let days = (into.date - out.date).num_days().abs();
            if days <= MATCH_DAYS {
                candidates.push((days, out_index, in_index));
            }
        }
    }
    candidates.sort_unstable();
    let mut used = vec![false; lines.len()];
    let mut pairs = Vec::new();
    for (_, out_index, in_index) in candidates {
        if !used[out_index] && !used[in_index] {
            used[out_index] = true;
            used[in_index] = true;
            pairs.push((out_index, in_index));
        }
    }
    pairs.sort_unstable();
    pairs
}
