use std::collections::HashSet;

use statements::StatementLine;
use statements::dedup::{dedup_keys, new_lines};

use crate::{date, dec};

fn line(day: &str, amount: &str, description: &str, fitid: Option<&str>) -> StatementLine {
    StatementLine {
        date: date(day),
        amount: dec(amount),
        description: description.into(),
        fitid: fitid.map(str::to_string),
        payee: None,
        check_number: None,
        bank_type: None,
        source_line: 1,
    }
}

#[test]
fn two_identical_coffees_import_once_each_and_an_overlap_imports_nothing_new() {
    let january = vec![
        line("2024-01-04", "-3.50", "BLUE BOTTLE COFFEE", None),
        line("2024-01-05", "-4.50", "BLUE BOTTLE COFFEE", None),
        line("2024-01-05", "-4.50", "BLUE BOTTLE COFFEE", None),
        line("2024-01-06", "-60.00", "SHELL OIL", None),
    ];
    let keys = dedup_keys("checking", &january);
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        4,
        "every line has its own key"
    );
    let known: HashSet<String> = HashSet::new();
    assert_eq!(new_lines(&keys, &known), vec![0, 1, 2, 3]);
    let known: HashSet<String> = keys.iter().cloned().collect();
    // The same file again: nothing new.
    assert_eq!(
        new_lines(&dedup_keys("checking", &january), &known),
        Vec::<usize>::new()
    );
    // An overlapping statement, written differently (case, spacing, amount scale).
    let overlap = vec![
        line("2024-01-05", "-4.5", "Blue  Bottle Coffee", None),
        line("2024-01-05", "-4.50", "blue bottle coffee", None),
        line("2024-01-06", "-60", "SHELL OIL", None),
        line("2024-01-07", "-4.50", "BLUE BOTTLE COFFEE", None),
    ];
    assert_eq!(
        new_lines(&dedup_keys("checking", &overlap), &known),
        vec![3]
    );
    // A third coffee on the 5th is new.
    let mut three = january.clone();
    three.push(line("2024-01-05", "-4.50", "BLUE BOTTLE COFFEE", None));
    assert_eq!(new_lines(&dedup_keys("checking", &three), &known), vec![4]);
}

#[test]
fn fitid_keys_ignore_the_text_and_accounts_are_separate() {
    let first = vec![line(
        "2024-01-05",
        "-4.50",
        "SQ *BLUE BOTTLE",
        Some("ABC123"),
    )];
    let renamed = vec![line(
        "2024-01-05",
        "-4.50",
        "BLUE BOTTLE COFFEE SF",
        Some("ABC123"),
    )];
    assert_eq!(dedup_keys("card", &first), dedup_keys("card", &renamed));
    assert_ne!(dedup_keys("card", &first), dedup_keys("checking", &first));
    let without = vec![line("2024-01-05", "-4.50", "SQ *BLUE BOTTLE", None)];
    assert_ne!(dedup_keys("card", &first), dedup_keys("card", &without));
}
