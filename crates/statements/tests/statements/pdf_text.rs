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
fn december_lines_on_a_statement_ending_in_january_keep_their_year() {
    let text = "Statement period 12/15/2023 to 01/14/2024\nWithdrawals\n12/20 HOLIDAY PARTY 300.00\n01/05 RENT 1,000.00\n";
    let statement = lines_from_text(text).unwrap();
    assert_eq!(
        statement
            .lines
            .iter()
            .map(|line| line.date)
            .collect::<Vec<_>>(),
        vec![date("2023-12-20"), date("2024-01-05")]
    );
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
    let content = "q 1 0 0 1 0 0 cm /Im0 Do Q\n";
    let scan = build_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\u{7f}\nendstream".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ]);
    let error = parse(&scan, None).unwrap_err();
    assert_eq!(error, StatementError::PdfNoText);
    assert!(
        error
            .to_string()
            .contains("scanned statements are not supported")
    );
    assert!(matches!(parse_pdf(&scan), Err(StatementError::PdfNoText)));
}

/// A PDF of the given objects (numbered from 1, the first the catalog) with a
/// correct cross-reference table.
fn build_pdf(objects: &[String]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A one-page PDF with a Helvetica text layer, one text object per line.
fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::new();
    for (index, line) in lines.iter().enumerate() {
        let y = 750 - 14 * index;
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("BT /F1 10 Tf 40 {y} Td ({escaped}) Tj ET\n"));
    }
    build_pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ])
}

#[cfg(feature = "pdf")]
#[test]
fn a_text_pdf_is_read_through_its_text_layer() {
    let pdf = text_pdf(&STATEMENT.lines().collect::<Vec<_>>());
    let statements = parse(&pdf, None).unwrap();
    assert_eq!(
        statements[0]
            .lines
            .iter()
            .map(|line| line.amount)
            .collect::<Vec<_>>(),
        vec![dec("-45.20"), dec("2500.00"), dec("-1200.00")]
    );
    assert_eq!(statements[0].lines[1].description, "ACME CORP PAYROLL");
}

#[cfg(not(feature = "pdf"))]
#[test]
fn a_text_pdf_without_the_pdf_feature_says_what_is_missing() {
    let pdf = text_pdf(&STATEMENT.lines().collect::<Vec<_>>());
    let error = parse(&pdf, None).unwrap_err();
    assert!(matches!(error, StatementError::Pdf(_)), "{error:?}");
    assert!(error.to_string().contains("`pdf` feature"), "{error}");
}
