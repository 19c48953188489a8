//! The fuzz targets (crates/statements/fuzz) as property tests that run on
//! stable in the ordinary test command: arbitrary bytes, and mutations of the
//! bank files in `fixtures/` (bytes changed, lines dropped or repeated, the file
//! cut short), through every reader. The properties: nothing panics, every line
//! read has a key, a detected CSV layout reads the same lines when reused, and
//! no amount is negative zero.

use proptest::prelude::*;
use statements::csv_import::{parse_detected, parse_with};
use statements::dedup::dedup_keys;
use statements::pdf::lines_from_text;
use statements::text::{DateOrder, DecimalSeparator, parse_amount, parse_date};
use statements::{ofx, parse};

const SEEDS: [&[u8]; 12] = [
    include_bytes!("fixtures/bank-a-checking-ofx102.ofx"),
    include_bytes!("fixtures/bank-b-card-ofx211.ofx"),
    include_bytes!("fixtures/bank-c-webconnect.qfx"),
    include_bytes!("fixtures/bank-d-malformed.ofx"),
    include_bytes!("fixtures/bank-e-oneline.ofx"),
    include_bytes!("fixtures/bank-f-unsigned.ofx"),
    include_bytes!("fixtures/csv-a-us-checking.csv"),
    include_bytes!("fixtures/csv-b-uk-split.csv"),
    include_bytes!("fixtures/csv-c-de-semicolon.csv"),
    include_bytes!("fixtures/csv-d-headerless.csv"),
    include_bytes!("fixtures/csv-e-indicator.csv"),
    include_bytes!("fixtures/csv-f-positive-charges.csv"),
];

/// One change to a file's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    SetByte(usize, u8),
    DropLine(usize),
    RepeatLine(usize),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte(at, byte)),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::RepeatLine),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                Just(b"<".to_vec()),
                Just(b"</STMTTRN>".to_vec()),
                Just(b"<STMTTRN>".to_vec()),
                Just(b"<TRNAMT>-0,00".to_vec()),
                Just(b"\"".to_vec()),
                Just(b";".to_vec()),
                Just(b"\r\n".to_vec()),
                Just("é".as_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 0..8),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
    ]
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::SetByte(at, byte) => {
                if !bytes.is_empty() {
                    bytes[at % len] = *byte;
                }
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
            Mutation::Insert(at, extra) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, extra.iter().copied());
            }
            Mutation::DropLine(at) | Mutation::RepeatLine(at) => {
                let mut lines: Vec<Vec<u8>> = bytes
                    .split(|byte| *byte == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect();
                let index = at % lines.len();
                if matches!(mutation, Mutation::DropLine(_)) {
                    lines.remove(index);
                } else {
                    let line = lines[index].clone();
                    lines.insert(index, line);
                }
                bytes = lines.join(&b'\n');
            }
        }
    }
    bytes
}

/// The properties every reader keeps on any input.
fn check(bytes: &[u8]) {
    if let Ok(statements) = parse(bytes, None) {
        for statement in &statements {
            assert_eq!(
                dedup_keys("fuzz", &statement.lines).len(),
                statement.lines.len()
            );
            for line in &statement.lines {
                assert!(!(line.amount.is_zero() && line.amount.is_sign_negative()));
            }
        }
    }
    let _ = ofx::parse_ofx(bytes);
    if let Ok(import) = parse_detected(bytes) {
        let again = parse_with(bytes, &import.mapping).map(|again| again.statement.lines);
        assert_eq!(again, Ok(import.statement.lines));
    }
    let text = String::from_utf8_lossy(bytes);
    let _ = lines_from_text(&text);
    for separator in [
        None,
        Some(DecimalSeparator::Point),
        Some(DecimalSeparator::Comma),
    ] {
        if let Ok(amount) = parse_amount(&text, separator) {
            assert!(!(amount.is_zero() && amount.is_sign_negative()));
        }
    }
    for order in [
        DateOrder::YearMonthDay,
        DateOrder::DayMonthYear,
        DateOrder::MonthDayYear,
    ] {
        let _ = parse_date(&text, order);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn mutated_bank_files_never_panic(seed in 0..SEEDS.len(), mutations in prop::collection::vec(mutation(), 1..5)) {
        check(&apply(SEEDS[seed], &mutations));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\r\n\t€éü]{0,200}") {
        check(text.as_bytes());
    }
}
