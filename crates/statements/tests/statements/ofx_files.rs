use statements::{Format, StatementError, ofx, parse, sniff};

use crate::{date, dec};

fn amounts(statement: &statements::Statement) -> Vec<rust_decimal::Decimal> {
    statement.lines.iter().map(|line| line.amount).collect()
}

#[test]
fn sgml_checking_statement_with_cp1252_zones_and_negative_zero() {
    let bytes = include_bytes!("fixtures/bank-a-checking-ofx102.ofx");
    assert_eq!(sniff(bytes), Some(Format::Ofx1));
    let statements = ofx::parse_ofx(bytes).unwrap();
    assert_eq!(statements.len(), 1);
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Ofx1);
    assert_eq!(statement.currency.as_deref(), Some("USD"));
    let account = statement.account.as_ref().unwrap();
    assert_eq!(account.bank_id.as_deref(), Some("121000248"));
    assert_eq!(account.account_id.as_deref(), Some("XXXXXX4821"));
    assert_eq!(account.account_type.as_deref(), Some("CHECKING"));
    assert_eq!(statement.ledger_balance, Some(dec("5242.05")));
    assert_eq!(
        amounts(statement),
        vec![
            dec("-45.20"),
            dec("2500.00"),
            dec("-1200.00"),
            dec("-12.75"),
            dec("0")
        ]
    );
    let zero = &statement.lines[4];
    assert!(
        zero.amount.is_zero() && !zero.amount.is_sign_negative(),
        "-0.00 is plain zero"
    );
    let fuel = &statement.lines[0];
    assert_eq!(fuel.date, date("2024-01-03"));
    assert_eq!(fuel.description, "SHELL OIL 57444 POS PURCHASE HOUSTON TX");
    assert_eq!(fuel.payee.as_deref(), Some("SHELL OIL 57444"));
    assert_eq!(fuel.fitid.as_deref(), Some("202401030001"));
    assert_eq!(fuel.bank_type.as_deref(), Some("DEBIT"));
    // The [-8:PST] zone does not move the date.
    assert_eq!(statement.lines[2].date, date("2024-01-10"));
    assert_eq!(statement.lines[2].check_number.as_deref(), Some("1042"));
    // The cp1252 byte 0xC9 is É.
    assert_eq!(statement.lines[3].payee.as_deref(), Some("CAFÉ RÉGAL"));
    // Lines point at their <STMTTRN> in the file.
    assert_eq!(fuel.source_line, 39);
    assert_eq!(statement.layout_confidence, 1.0);
}

#[test]
fn xml_credit_card_statement_decodes_entities() {
    let bytes = include_bytes!("fixtures/bank-b-card-ofx211.ofx");
    assert_eq!(sniff(bytes), Some(Format::Ofx2));
    let statements = parse(bytes, None).unwrap();
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Ofx2);
    assert_eq!(
        amounts(statement),
        vec![dec("-89.99"), dec("-64.10"), dec("500.00")]
    );
    assert_eq!(statement.lines[1].description, "AT&T *BILL PAYMENT");
    assert_eq!(
        statement.account.as_ref().unwrap().account_id.as_deref(),
        Some("XXXXXXXXXXXX1007")
    );
    assert_eq!(statement.ledger_balance, Some(dec("-1354.09")));
    assert_eq!(statement.lines[0].date, date("2024-02-02"));
}

#[test]
fn qfx_web_connect_file_on_few_lines() {
    let bytes = include_bytes!("fixtures/bank-c-webconnect.qfx");
    assert_eq!(sniff(bytes), Some(Format::Qfx));
    let statements = parse(bytes, None).unwrap();
    let statement = &statements[0];
    assert_eq!(statement.format, Format::Qfx);
    assert_eq!(
        amounts(statement),
        vec![dec("1000.00"), dec("1.37"), dec("-5.00")]
    );
    assert_eq!(
        statement.account.as_ref().unwrap().account_type.as_deref(),
        Some("SAVINGS")
    );
    assert_eq!(statement.lines[2].source_line, 17);
}

#[test]
fn malformed_file_without_closing_tags_with_comma_decimals() {
    let bytes = include_bytes!("fixtures/bank-d-malformed.ofx");
    let statements = parse(bytes, None).unwrap();
    let statement = &statements[0];
    assert_eq!(statement.currency.as_deref(), Some("EUR"));
    assert_eq!(
        amounts(statement),
        vec![dec("-1234.56"), dec("-3.5"), dec("2000.00")]
    );
    assert_eq!(statement.lines[0].description, "MIETE APRIL Überweisung");
    assert_eq!(statement.lines[1].description, "BÄCKEREI MÜLLER");
    assert_eq!(
        statement.account.as_ref().unwrap().account_type.as_deref(),
        Some("CHECKING")
    );
}

#[test]
fn single_line_file_with_a_repeated_fitid() {
    let bytes = include_bytes!("fixtures/bank-e-oneline.ofx");
    let statements = parse(bytes, None).unwrap();
    assert_eq!(amounts(&statements[0]), vec![dec("-4.50"), dec("-4.50")]);
    let keys = statements::dedup::dedup_keys("chk", &statements[0].lines);
    assert_ne!(keys[0], keys[1], "two coffees with one FITID are two lines");
}

#[test]
fn unsigned_amounts_take_their_direction_from_the_type() {
    let bytes = include_bytes!("fixtures/bank-f-unsigned.ofx");
    let statement = &parse(bytes, None).unwrap()[0];
    assert_eq!(
        amounts(statement),
        vec![dec("-19.99"), dec("100.00"), dec("-3.00")]
    );
    assert!(statement.layout_confidence < 1.0);
    assert_eq!(statement.layout_notes.len(), 1);
}

#[test]
fn a_bad_amount_names_its_line() {
    let bytes = include_bytes!("fixtures/bank-g-bad-amount.ofx");
    let error = parse(bytes, None).unwrap_err();
    assert!(
        matches!(error, StatementError::Line { line: 18, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("12..50"), "{error}");
}

#[test]
fn a_missing_date_names_its_transaction() {
    let bytes = include_bytes!("fixtures/bank-h-no-date.ofx");
    let error = parse(bytes, None).unwrap_err();
    assert_eq!(
        error,
        StatementError::Line {
            line: 6,
            message: "the transaction has no <DTPOSTED> date".into()
        }
    );
}

#[test]
fn two_accounts_in_one_file_are_two_statements() {
    let bytes = include_bytes!("fixtures/bank-i-two-accounts.ofx");
    let statements = parse(bytes, None).unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(
        statements[0]
            .account
            .as_ref()
            .unwrap()
            .account_id
            .as_deref(),
        Some("111")
    );
    assert_eq!(amounts(&statements[0]), vec![dec("-250.00")]);
    assert_eq!(
        statements[1]
            .account
            .as_ref()
            .unwrap()
            .account_id
            .as_deref(),
        Some("222")
    );
    assert_eq!(amounts(&statements[1]), vec![dec("250.00"), dec("0.42")]);
}

#[test]
fn a_bank_error_is_reported_in_the_banks_words() {
    let bytes = include_bytes!("fixtures/bank-j-error.ofx");
    let error = parse(bytes, None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the bank reported an error: Signon invalid"
    );
}

#[test]
fn not_ofx_at_all() {
    let error = ofx::parse_ofx(b"hello, world").unwrap_err();
    assert!(matches!(error, StatementError::UnknownFormat(_)));
}

#[test]
fn ofx_dates_in_the_forms_banks_write() {
    for (text, expected) in [
        ("20240131", "2024-01-31"),
        ("20240131120000.000[-5:EST]", "2024-01-31"),
        ("20240131235959[+10.5:ACST]", "2024-01-31"),
        ("202401311200", "2024-01-31"),
        ("2024-01-31", "2024-01-31"),
    ] {
        assert_eq!(ofx::ofx_date(text), Some(date(expected)), "{text}");
    }
    assert_eq!(ofx::ofx_date("20241331"), None);
    assert_eq!(ofx::ofx_date("yesterday"), None);
}

#[test]
fn binary_and_empty_input_are_not_statements() {
    let binary: Vec<u8> = (0u8..=255).cycle().take(600).collect();
    assert_eq!(sniff(&binary), None);
    assert!(matches!(
        parse(&binary, None),
        Err(StatementError::UnknownFormat(_))
    ));
    assert!(matches!(
        parse(b"", None),
        Err(StatementError::UnknownFormat(_))
    ));
}
