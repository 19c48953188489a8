use statements::StatementLine;
use statements::matching::{
    AccountLine, ExistingTxn, TxnType, already_in_quickbooks, pair_transfers, txn_type,
};

use crate::{date, dec};

fn line(day: &str, amount: &str) -> StatementLine {
    StatementLine {
        date: date(day),
        amount: dec(amount),
        description: "X".into(),
        fitid: None,
        payee: None,
        check_number: None,
        bank_type: None,
        source_line: 1,
    }
}

fn existing(id: &str, account: &str, day: &str, amount: &str) -> ExistingTxn {
    ExistingTxn {
        id: id.into(),
        bank_account: account.into(),
        date: date(day),
        amount: dec(amount),
    }
}

#[test]
fn direction_gives_the_type() {
    assert_eq!(txn_type(dec("-0.01")), TxnType::Purchase);
    assert_eq!(txn_type(dec("0.01")), TxnType::Deposit);
}

#[test]
fn a_line_in_quickbooks_matches_once_within_three_days_on_its_account() {
    let lines = vec![
        line("2024-01-10", "-4.50"),
        line("2024-01-10", "-4.50"),
        line("2024-01-10", "-99.00"),
        line("2024-01-10", "250.00"),
    ];
    let candidates = vec![
        existing("1", "checking", "2024-01-12", "-4.50"),
        existing("2", "savings", "2024-01-10", "-99.00"),
        existing("3", "checking", "2024-01-14", "250.00"),
        existing("4", "checking", "2024-01-13", "250.00"),
        existing("5", "checking", "2024-01-10", "-99.01"),
    ];
    let matched = already_in_quickbooks("checking", &lines, &candidates);
    // One coffee is in QuickBooks, the other is not; another account's 99.00 and
    // a 99.01 do not match; the deposit matches the candidate within 3 days.
    assert_eq!(matched, vec![Some(0), None, None, Some(3)]);
}

#[test]
fn transfers_pair_across_imported_accounts() {
    let lines = vec![
        AccountLine {
            bank_account: "checking".into(),
            date: date("2024-08-01"),
            amount: dec("-250.00"),
        },
        AccountLine {
            bank_account: "checking".into(),
            date: date("2024-08-01"),
            amount: dec("250.00"),
        },
        AccountLine {
            bank_account: "savings".into(),
            date: date("2024-08-02"),
            amount: dec("250.00"),
        },
        AccountLine {
            bank_account: "card".into(),
            date: date("2024-08-20"),
            amount: dec("250.00"),
        },
        AccountLine {
            bank_account: "savings".into(),
            date: date("2024-08-05"),
            amount: dec("-40.00"),
        },
    ];
    assert_eq!(pair_transfers(&lines), vec![(0, 2)]);
}
