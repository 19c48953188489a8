//! CSV exports of the lists: the written file, read back with the csv crate,
//! holds exactly what the store holds (amounts to the last digit, ISO
//! dates, awkward text quoted), whatever the page size on screen.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use app_core::{AppCore, ExportList, ListExportInput, RecordQuery};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::{invoices, open};

/// Every row of a CSV file, the header first, as the csv crate reads it.
fn read_csv(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn records_of(company_id: &str, query: RecordQuery) -> ListExportInput {
    ListExportInput {
        list: ExportList::Records,
        company_id: Some(company_id.to_owned()),
        query: Some(query),
    }
}

/// A new invoice whose total no float can hold and whose number needs
/// quoting (a comma, a quote, a line break and a non-ASCII letter).
async fn awkward_invoice(core: &AppCore, company_id: &str) -> (String, String) {
    let existing = core.list_records(company_id, invoices()).await.unwrap();
    let sample = core
        .get_record(company_id, &existing.rows[0].local_id)
        .await
        .unwrap()
        .local
        .unwrap();
    let mut invoice: Value = serde_json::from_str(
        r#"{"Line": [
            {"Amount": 100.10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}},
            {"Amount": 12345678901234567.89, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}
        ]}"#,
    )
    .unwrap();
    let number = "Né, \"7\"\nB";
    invoice["DocNumber"] = Value::from(number);
    invoice["TxnDate"] = Value::from("2026-03-31");
    invoice["CustomerRef"] = sample["CustomerRef"].clone();
    let item = sample["Line"][0]["SalesItemLineDetail"]["ItemRef"].clone();
    invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] = item.clone();
    invoice["Line"][1]["SalesItemLineDetail"]["ItemRef"] = item;
    let created = core
        .save_record(company_id, None, "Invoice", invoice)
        .await
        .unwrap();
    (created.record.row.local_id, number.to_owned())
}

#[tokio::test]
async fn a_records_export_holds_every_matching_record_with_its_exact_values() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let (local_id, number) = awkward_invoice(core, &demo.id).await;

    // The page on screen holds 5 rows; the export holds every match.
    let mut query = invoices();
    query.limit = 5;
    query.offset = 10;
    let path = opened.dir.path().join("invoices.csv");
    let report = core
        .export_list_csv(&records_of(&demo.id, query.clone()), &path)
        .await
        .unwrap();
    let mut everything = query.clone();
    everything.offset = 0;
    everything.limit = 1_000;
    let expected = core.list_records(&demo.id, everything).await.unwrap();
    assert!(expected.total > 5, "the demo has more invoices than a page");

    let rows = read_csv(&path);
    assert_eq!(
        rows[0],
        [
            "type",
            "number",
            "date",
            "name",
            "customer_or_vendor",
            "amount",
            "state",
            "active",
            "quickbooks_id",
            "record",
            "updated_at",
            "error"
        ]
    );
    assert_eq!(report.rows, expected.total);
    assert_eq!(rows.len() - 1, expected.rows.len());
    for (row, record) in rows[1..].iter().zip(&expected.rows) {
        assert_eq!(row[0], record.entity_type);
        assert_eq!(row[1], record.doc_number.clone().unwrap_or_default());
        assert_eq!(row[2], record.txn_date.clone().unwrap_or_default());
        assert_eq!(row[5], record.amount.clone().unwrap_or_default());
        assert_eq!(row[6], record.state.as_str());
        assert_eq!(row[9], record.local_id);
        if !row[2].is_empty() {
            chrono::NaiveDate::parse_from_str(&row[2], "%Y-%m-%d").unwrap();
        }
        if !row[10].is_empty() {
            chrono::DateTime::parse_from_rfc3339(&row[10]).unwrap();
        }
        // The amount is the record's own total, digit for digit.
        if let Some(total) = core
            .get_record(&demo.id, &record.local_id)
            .await
            .unwrap()
            .local
            .as_ref()
            .and_then(|local| local.get("TotalAmt"))
        {
            let total = match total {
                Value::String(text) => Decimal::from_str(text).unwrap(),
                number => Decimal::from_str(&number.to_string()).unwrap(),
            };
            assert_eq!(Decimal::from_str(&row[5]).unwrap(), total);
        }
    }

    // The awkward invoice comes back whole: its number unharmed by the
    // quoting, its total exact where a float would have rounded it.
    let awkward = rows
        .iter()
        .find(|row| row[9] == local_id)
        .expect("the new invoice is exported");
    assert_eq!(awkward[1], number);
    assert_eq!(awkward[2], "2026-03-31");
    assert_eq!(awkward[5], "12345678901234667.99");
    assert_eq!(awkward[6], "pending");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("\"Né, \"\"7\"\"\nB\""), "the number is quoted");
}

#[tokio::test]
async fn a_records_export_keeps_the_lists_search() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let (local_id, _) = awkward_invoice(core, &demo.id).await;
    let mut query = invoices();
    query.search = Some("Né, \"7\"".to_owned());
    let path = opened.dir.path().join("found.csv");
    let report = core
        .export_list_csv(&records_of(&demo.id, query), &path)
        .await
        .unwrap();
    let rows = read_csv(&path);
    assert_eq!(report.rows, 1);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][9], local_id);
}

#[tokio::test]
async fn history_products_conflicts_and_companies_export_what_their_pages_show() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    awkward_invoice(core, &demo.id).await;
    let folder = opened.dir.path();
    let input = |list| ListExportInput {
        list,
        company_id: Some(demo.id.clone()),
        query: None,
    };

    let path = folder.join("history.csv");
    core.export_list_csv(&input(ExportList::History), &path)
        .await
        .unwrap();
    let history = core
        .list_history(
            &demo.id,
            app_core::HistoryQuery {
                local_id: None,
                offset: 0,
                limit: 1_000,
            },
        )
        .await
        .unwrap();
    let rows = read_csv(&path);
    assert_eq!(rows[0][0], "time");
    assert_eq!(rows.len() - 1, history.rows.len());
    for (row, entry) in rows[1..].iter().zip(&history.rows) {
        assert_eq!(row[5], entry.local_id);
        assert_eq!(row[6], entry.summary);
        chrono::DateTime::parse_from_rfc3339(&row[0]).unwrap();
    }

    let path = folder.join("products.csv");
    core.export_list_csv(&input(ExportList::Products), &path)
        .await
        .unwrap();
    let catalogue = core.list_products(&demo.id).await.unwrap();
    assert!(!catalogue.products.is_empty());
    let rows = read_csv(&path);
    assert_eq!(rows[0][..3], ["name", "kind", "sku"]);
    assert_eq!(rows.len() - 1, catalogue.products.len());
    for (row, product) in rows[1..].iter().zip(&catalogue.products) {
        assert_eq!(row[0], product.name);
        assert_eq!(row[5], product.sales_price.clone().unwrap_or_default());
        assert_eq!(row[6], product.purchase_cost.clone().unwrap_or_default());
        assert_eq!(row[9], product.on_hand);
    }

    let path = folder.join("conflicts.csv");
    let report = core
        .export_list_csv(&input(ExportList::Conflicts), &path)
        .await
        .unwrap();
    let conflicts = core.list_conflicts(&demo.id).await.unwrap();
    assert_eq!(report.rows as usize, conflicts.len());
    assert_eq!(read_csv(&path)[0][0], "conflict");

    let path = folder.join("companies.csv");
    let companies = ListExportInput {
        list: ExportList::Companies,
        company_id: None,
        query: None,
    };
    core.export_list_csv(&companies, &path).await.unwrap();
    let overview = core.companies_overview().await.unwrap();
    let rows = read_csv(&path);
    assert_eq!(rows.len() - 1, overview.len());
    let row = &rows[1];
    assert_eq!(row[0], overview[0].company.name);
    assert_eq!(row[5], overview[0].pending.to_string());
    assert_eq!(row[10], overview[0].open_invoices.count.to_string());
    assert_eq!(row[11], overview[0].open_invoices.total);
    assert_eq!(
        Decimal::from_str(&row[15]).unwrap(),
        Decimal::from_str(&overview[0].unpaid_bills.total).unwrap()
    );
    assert_eq!(
        core.export_file_name(&companies).await.unwrap(),
        format!("companies-{}.csv", chrono::Utc::now().format("%Y-%m-%d"))
    );
}

#[tokio::test]
async fn an_export_that_cannot_be_written_says_so_and_leaves_nothing_behind() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let path = opened.dir.path().join("no-such-folder").join("records.csv");
    let error = core
        .export_list_csv(&records_of(&demo.id, invoices()), &path)
        .await
        .expect_err("the folder does not exist");
    assert!(error.to_string().contains("records.csv"), "{error}");
    assert!(!path.exists());

    // A records export without its filters is refused, not guessed at.
    let input = ListExportInput {
        list: ExportList::Records,
        company_id: Some(demo.id.clone()),
        query: None,
    };
    let elsewhere = opened.dir.path().join("records.csv");
    assert!(core.export_list_csv(&input, &elsewhere).await.is_err());
    assert!(!elsewhere.exists());
}
