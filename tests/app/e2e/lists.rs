//! A list leaves the app as CSV: the Records page, filtered to the invoices
//! of the customer with the most of them, is exported through the save dialog (stood in for by
//! `LEDGERLINK_TEST_SAVE_FILE`), and the file holds exactly those invoices
//! with QuickBooks' totals to the last digit.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::Session;
use super::emulator::demo_with_first_invoice;

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn the_filtered_records_list_is_exported_as_csv_through_the_save_dialog() {
    let files = tempfile::tempdir().expect("a folder for the export");
    let export = files.path().join("invoices, \"filtered\".csv");
    let export_text = export.display().to_string();
    let app = Session::start_with_env(
        "lists",
        &[
            ("LEDGERLINK_DEMO_SIZE", "40"),
            ("LEDGERLINK_TEST_SAVE_FILE", &export_text),
        ],
    )
    .await;
    let (quickbooks, _) = demo_with_first_invoice(&app).await;
    let invoices = quickbooks
        .query("SELECT * FROM Invoice MAXRESULTS 1000", "Invoice")
        .await;
    let name_of = |invoice: &serde_json::Value| {
        invoice["CustomerRef"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // The customer with the most invoices, so the file has several rows.
    let mut counts = BTreeMap::<String, usize>::new();
    for invoice in &invoices {
        *counts.entry(name_of(invoice)).or_default() += 1;
    }
    let customer = counts
        .iter()
        .max_by_key(|(name, count)| (**count, std::cmp::Reverse((*name).clone())))
        .map(|(name, _)| name.clone())
        .expect("the demo has invoices");

    // What QuickBooks holds for that customer: number → total.
    let needle = customer.to_lowercase();
    let expected: BTreeMap<String, Decimal> = invoices
        .iter()
        .filter(|each| name_of(each).to_lowercase().contains(&needle))
        .map(|each| {
            let total = Decimal::from_str(&each["TotalAmt"].to_string())
                .expect("QuickBooks' total is a decimal");
            (
                each["DocNumber"].as_str().unwrap_or_default().to_owned(),
                total,
            )
        })
        .collect();
    assert!(!expected.is_empty());

    app.click("nav-records").await;
    app.select("records-entity-select", "Invoice").await;
    app.fill("records-search", &customer).await;
    let total = match expected.len() {
        1 => "1 record".to_owned(),
        count => format!("{count} records"),
    };
    app.wait_for_text("records-total", &total).await;
    app.click("records-export").await;
    let shown = app.wait_for_text("records-export-path", "filtered").await;
    assert_eq!(shown, export_text);
    let saved = app.text("records-export-saved").await;
    let rows = if expected.len() == 1 { "row" } else { "rows" };
    assert!(
        saved.contains(&format!("Saved {} {rows} to", expected.len())),
        "{saved}"
    );
    app.element("records-export-show").await;
    app.screenshot("lists-01-records-exported").await;

    let mut reader =
        csv::Reader::from_path(&export).expect("the CSV was written where the dialog said");
    let header = reader.headers().expect("a header row").clone();
    assert_eq!(&header[0], "type");
    assert_eq!(&header[5], "amount");
    let mut found = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("a well-formed CSV row");
        assert_eq!(&row[0], "Invoice");
        assert!(row[4].to_lowercase().contains(&needle), "{row:?}");
        chrono::NaiveDate::parse_from_str(&row[2], "%Y-%m-%d").expect("an ISO 8601 date");
        found.insert(
            row[1].to_owned(),
            Decimal::from_str(&row[5]).expect("an exact decimal amount"),
        );
    }
    assert_eq!(
        found, expected,
        "the file holds exactly the filtered invoices"
    );

    // The smallest window the app is made for.
    app.resize(1024, 700).await;
    app.element("records-export-saved").await;
    app.screenshot("lists-02-records-exported-1024").await;
    app.close().await;
}
