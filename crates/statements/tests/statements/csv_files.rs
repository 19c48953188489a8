use statements::csv_import::{self, AmountColumns, CsvMapping};
use statements::text::{DateOrder, DecimalSeparator};
use statements::{Format, StatementError, parse, sniff};

use crate::{date, dec};

fn amounts(import: &csv_import::CsvImport) -> Vec<rust_decimal::Decimal> {
    import
        .statement
        .lines
        .iter()
        .map(|line| line.amount)
        .collect()
}

#[test]
fn us_checking_export_with_signed_amounts() {
    let bytes = include_bytes!("fixtures/csv-a-us-checking.csv");
    assert_eq!(sniff(bytes), Some(Format::Csv));
    let import = csv_import::parse_detected(bytes).unwrap();
    let mapping = &import.mapping;
    assert_eq!(mapping.delimiter, ',');
    assert_eq!(mapping.header_row, Some(0));
    assert_eq!(mapping.date_column, 1);
    assert_eq!(mapping.date_order, DateOrder::MonthDayYear);
    assert_eq!(mapping.decimal, DecimalSeparator::Point);
    assert_eq!(
        mapping.amounts,
        AmountColumns::Signed {
            column: 3,
            negate: false
        }
    );
    assert_eq!(mapping.description_columns, vec![2]);
    assert_eq!(mapping.check_column, Some(6));
    assert_eq!(
        amounts(&import),
        vec![
            dec("-45.20"),
            dec("2500.00"),
            dec("-1200.00"),
            dec("-5.45"),
            dec("-5.45")
        ]
    );
    let first = &import.statement.lines[0];
    assert_eq!(first.date, date("2024-01-31"));
    assert_eq!(first.description, "SHELL OIL 57444 HOUSTON TX");
    assert_eq!(first.source_line, 2);
    assert_eq!(
        import.statement.lines[2].check_number.as_deref(),
        Some("1042")
    );
    assert_eq!(import.statement.layout_confidence, 1.0);
}

#[test]
fn uk_export_with_a_preamble_and_money_out_and_in_columns() {
    let bytes = include_bytes!("fixtures/csv-b-uk-split.csv");
    let import = csv_import::parse_detected(bytes).unwrap();
    assert_eq!(import.mapping.header_row, Some(3));
    assert_eq!(import.mapping.date_order, DateOrder::DayMonthYear);
    assert_eq!(
        import.mapping.amounts,
        AmountColumns::Split {
            debit: 2,
            credit: 3
        }
    );
    assert_eq!(
        amounts(&import),
        vec![dec("-1024.50"), dec("2400.00"), dec("-86.12"), dec("-7.00")]
    );
    assert_eq!(import.statement.lines[2].date, date("2024-03-13"));
    assert_eq!(import.statement.lines[0].source_line, 6);
}

#[test]
fn german_export_with_semicolons_cp1252_and_decimal_commas() {
    let bytes = include_bytes!("fixtures/csv-c-de-semicolon.csv");
    let import = csv_import::parse_detected(bytes).unwrap();
    assert_eq!(import.mapping.delimiter, ';');
    assert_eq!(
        import.mapping.date_column, 1,
        "the booking date, not the value date"
    );
    assert_eq!(import.mapping.date_order, DateOrder::DayMonthYear);
    assert_eq!(import.mapping.decimal, DecimalSeparator::Comma);
    assert_eq!(
        amounts(&import),
        vec![dec("-1250.00"), dec("-3.80"), dec("4760.00")]
    );
    assert_eq!(
        import.statement.lines[0].description,
        "Hausverwaltung Müller LASTSCHRIFT Miete April"
    );
    assert_eq!(
        import.statement.lines[1].description,
        "Bäckerei Schäfer KARTENZAHLUNG"
    );
    assert_eq!(import.statement.lines[2].date, date("2024-04-15"));
}

#[test]
fn headerless_export_is_read_from_its_content() {
    let bytes = include_bytes!("fixtures/csv-d-headerless.csv");
    let import = csv_import::parse_detected(bytes).unwrap();
    assert_eq!(import.mapping.header_row, None);
    assert_eq!(import.mapping.date_column, 0);
    assert_eq!(
        import.mapping.amounts,
        AmountColumns::Signed {
            column: 1,
            negate: false
        }
    );
    assert_eq!(import.mapping.description_columns, vec![4]);
    assert_eq!(
        amounts(&import),
        vec![dec("-84.12"), dec("1500.00"), dec("-250.00"), dec("-19.99")]
    );
    assert_eq!(
        import.statement.lines[3].description,
        "RECURRING PAYMENT NETFLIX.COM"
    );
    assert!(
        import.statement.layout_confidence < 1.0,
        "a guessed layout is flagged"
    );
    assert!(import.statement.layout_notes[0].contains("no header row"));
}

#[test]
fn indicator_column_iso_dates_bom_and_a_total_row() {
    let bytes = include_bytes!("fixtures/csv-e-indicator.csv");
    let import = csv_import::parse_detected(bytes).unwrap();
    assert_eq!(
        import.mapping.amounts,
        AmountColumns::Indicator {
            amount: 2,
            indicator: 3,
            debit_values: ["DR", "D", "DEBIT", "DBIT", "OUT", "WITHDRAWAL", "DB", "-"]
                .map(String::from)
                .to_vec()
        }
    );
    assert_eq!(import.mapping.date_order, DateOrder::YearMonthDay);
    assert_eq!(
        amounts(&import),
        vec![dec("-23.40"), dec("-23.40"), dec("23.40"), dec("-412.80")]
    );
    assert_eq!(import.statement.lines[0].fitid.as_deref(), Some("TX-1001"));
    assert_eq!(import.skipped.len(), 1, "the total row");
    assert_eq!(import.skipped[0].0, 6);
}

#[test]
fn ambiguous_dates_are_flagged_and_a_confirmed_mapping_is_reused() {
    let bytes = include_bytes!("fixtures/csv-f-positive-charges.csv");
    let detected = csv_import::parse_detected(bytes).unwrap();
    assert_eq!(detected.mapping.date_order, DateOrder::MonthDayYear);
    assert!(detected.statement.layout_confidence < 1.0);
    assert!(
        detected
            .statement
            .layout_notes
            .iter()
            .any(|note| note.contains("month/day"))
    );
    // The user confirms: charges are positive on this card, so money out is negated.
    let mut confirmed: CsvMapping = detected.mapping.clone();
    confirmed.amounts = AmountColumns::Signed {
        column: 2,
        negate: true,
    };
    let stored = serde_json::to_string(&confirmed).unwrap();
    let restored: CsvMapping = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored, confirmed);
    let statements = parse(bytes, Some(&restored)).unwrap();
    let lines = &statements[0].lines;
    assert_eq!(
        lines.iter().map(|line| line.amount).collect::<Vec<_>>(),
        vec![dec("-54.20"), dec("500.00"), dec("-59.99"), dec("-18.25")]
    );
    assert_eq!(lines[3].date, date("2024-03-11"));
    assert_eq!(statements[0].layout_confidence, 1.0);
}

#[test]
fn date_order_follows_the_statement_order_when_both_read() {
    let bytes =
        b"Date,Description,Amount\n05/03/2024,A,-1.00\n12/03/2024,B,-2.00\n02/04/2024,C,-3.00\n";
    let import = csv_import::parse_detected(bytes).unwrap();
    assert_eq!(import.mapping.date_order, DateOrder::DayMonthYear);
    assert_eq!(import.statement.lines[2].date, date("2024-04-02"));
}

#[test]
fn a_saved_mapping_refuses_a_file_with_other_columns() {
    let mapping = csv_import::detect(include_bytes!("fixtures/csv-a-us-checking.csv")).unwrap();
    let error = csv_import::parse_with(include_bytes!("fixtures/csv-b-uk-split.csv"), &mapping)
        .unwrap_err();
    assert!(matches!(error, StatementError::Layout(_)), "{error:?}");
    assert!(error.to_string().contains("saved layout"));
}

#[test]
fn a_saved_mapping_finds_its_header_after_a_longer_preamble() {
    let bytes = include_bytes!("fixtures/csv-b-uk-split.csv");
    let mapping = csv_import::detect(bytes).unwrap();
    let mut longer = b"Printed on:,06/04/2024\r\n".to_vec();
    longer.extend_from_slice(bytes);
    let import = csv_import::parse_with(&longer, &mapping).unwrap();
    assert_eq!(import.mapping.header_row, Some(4));
    assert_eq!(import.statement.lines.len(), 4);
}

#[test]
fn a_bad_amount_names_its_row() {
    let error = parse(include_bytes!("fixtures/csv-g-bad-row.csv"), None).unwrap_err();
    assert!(
        matches!(error, StatementError::Row { row: 3, .. }),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("row 3: "), "{error}");
}

#[test]
fn a_bad_date_names_its_row() {
    let bytes = b"Date,Description,Amount\n2024-05-01,FINE,-1.00\n2024-13-45,BAD,-2.00\n";
    let error = parse(bytes, None).unwrap_err();
    assert!(
        matches!(error, StatementError::Row { row: 3, .. }),
        "{error:?}"
    );
}

#[test]
fn utf16_export_is_decoded() {
    let text = "Date\tDescription\tAmount\r\n2024-06-01\tCAFÉ\t-3.20\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let statements = parse(&bytes, None).unwrap();
    assert_eq!(statements[0].lines[0].description, "CAFÉ");
    assert_eq!(statements[0].lines[0].amount, dec("-3.20"));
}

#[test]
fn amounts_as_banks_write_them() {
    use statements::text::parse_amount;
    for (text, separator, expected) in [
        ("-12.50", None, "-12.50"),
        ("+12.50", None, "12.50"),
        ("(12.50)", None, "-12.50"),
        ("12.50-", None, "-12.50"),
        ("12.50 DR", None, "-12.50"),
        ("12.50 CR", None, "12.50"),
        ("$1,234.56", Some(DecimalSeparator::Point), "1234.56"),
        ("1.234,56 €", Some(DecimalSeparator::Comma), "1234.56"),
        ("1 234,56", Some(DecimalSeparator::Comma), "1234.56"),
        ("1'234.56", None, "1234.56"),
        ("-0.00", None, "0"),
        ("1,5", None, "1.5"),
        ("1,00,000.00", Some(DecimalSeparator::Point), "100000.00"),
    ] {
        assert_eq!(parse_amount(text, separator), Ok(dec(expected)), "{text}");
    }
    for bad in ["", "abc", "12..5", "1,2,3", "--5", "12 apples 5"] {
        assert!(parse_amount(bad, None).is_err(), "{bad}");
    }
}

#[test]
fn dates_as_banks_write_them() {
    use statements::text::parse_date;
    for (text, order, expected) in [
        ("2024-01-31", DateOrder::YearMonthDay, "2024-01-31"),
        ("20240131", DateOrder::YearMonthDay, "2024-01-31"),
        ("31/01/2024", DateOrder::DayMonthYear, "2024-01-31"),
        ("31.01.24", DateOrder::DayMonthYear, "2024-01-31"),
        ("1/31/2024", DateOrder::MonthDayYear, "2024-01-31"),
        ("01/31/2024 09:15 AM", DateOrder::MonthDayYear, "2024-01-31"),
        ("2024-01-31T12:00:00", DateOrder::YearMonthDay, "2024-01-31"),
        ("31 Jan 2024", DateOrder::MonthDayYear, "2024-01-31"),
        ("31-JAN-24", DateOrder::MonthDayYear, "2024-01-31"),
        ("Jan 31, 2024", DateOrder::DayMonthYear, "2024-01-31"),
        ("Wed 31 Jan 2024", DateOrder::DayMonthYear, "2024-01-31"),
    ] {
        assert_eq!(parse_date(text, order), Some(date(expected)), "{text}");
    }
    assert_eq!(parse_date("31/01/2024", DateOrder::MonthDayYear), None);
    assert_eq!(parse_date("Total", DateOrder::MonthDayYear), None);
}
