use statements::pdf::{lines_from_text, parse_pdf};
use statements::{StatementError, parse};

use crate::{date, dec};

const STATEMENT: &str = "\
FIRST COMMUNITY BANK
Business Checking Statement
Statement Period 01/01/2024 through 01/31/2024
Beginning Balance 1,000.00
Date Description Amount Balance
01/03 SHELL OIL 57444 HOUSTON TX 45.20 954.80
01/05 ACME CORP PAYROLL 2,500.00 3,454.80
01/10 CHECK 1042 1,200.00 2,254.80
Page 1 of 1
";

#[test]
fn a_text_table_with_running_balances_gets_its_signs_from_them() {
    let statement = lines_from_text(STATEMENT).unwrap();
    let lines = &statement.lines;
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines.iter().map(|line| line.amount).collect::<Vec<_>>(),
        vec![dec("-45.20"), dec("2500.00"), dec("-1200.00")]
    );
    assert_eq!(lines[0].date, date("2024-01-03"));
    assert_eq!(lines[0].description, "SHELL OIL 57444 HOUSTON TX");
    assert_eq!(lines[0].source_line, 6);
    assert!(statement.layout_confidence < 1.0, "a PDF is never certain");
}

#[test]
fn sections_give_the_sign_without_balances_and_guesses_are_flagged() {
    let text = "Statement date 31 Mar 2024\nDeposits and other credits\n03/04 CLIENT PAYMENT 800.00\nWithdrawals and other debits\n03/07 OFFICE DEPOT 54.10\n";
    let statement = lines_from_text(text).unwrap();
    assert_eq!(
        statement
            .lines
            .iter()
            .map(|line| line.amount)
            .collect::<Vec<_>>(),
        vec![dec("800.00"), dec("-54.10")]
    );
    assert_eq!(statement.layout_confidence, 0.6);
    let unsure = lines_from_text("Period ending 12/31/2023\n12/02 SOMETHING 10.00\n").unwrap();
    assert_eq!(unsure.lines[0].amount, dec("-10.00"));
    assert_eq!(unsure.lines[0].date, date("2023-12-02"));
    assert!(unsure.layout_confidence < 0.5);
}

#[test]
fn no_table_or_no_year_is_a_clear_error() {
    assert!(matches!(
        lines_from_text("Dear customer, 2024 was great."),
        Err(StatementError::Layout(_))
    ));
    assert!(matches!(
        lines_from_text("01/03 COFFEE 4.50"),
        Err(StatementError::Layout(_))
    ));
}

#[test]
fn a_scanned_pdf_says_scans_are_not_supported() {
    // A PDF whose only page is an image: no fonts, no text.
    let scan = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >> endobj\n4 0 obj << /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >> stream\n\x00\nendstream endobj\n5 0 obj << /Length 20 >> stream\nq 1 0 0 1 0 0 cm /Im0 Do Q\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let error = parse(scan, None).unwrap_err();
    assert_eq!(error, StatementError::PdfNoText);
    assert!(
        error
            .to_string()
            .contains("scanned statements are not supported")
    );
    assert!(matches!(parse_pdf(scan), Err(StatementError::PdfNoText)));
}
