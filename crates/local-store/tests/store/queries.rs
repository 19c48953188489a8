//! Lists: filters, search, exact amount sorting, paging.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use local_store::{Changeset, CompanyStore, RecordFilter, RecordRow, RecordSort, RecordState};
use rust_decimal::Decimal;
use serde_json::json;

async fn books(rows: Vec<RecordRow>) -> (tempfile::TempDir, CompanyStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = CompanyStore::open(&dir.path().join("c.sqlite"))
        .await
        .unwrap();
    store
        .commit(Changeset {
            records: rows,
            ..Changeset::default()
        })
        .await
        .unwrap();
    (dir, store)
}

fn row(
    id: &str,
    entity: &str,
    amount: &str,
    date: &str,
    party: &str,
    state: RecordState,
) -> RecordRow {
    let mut record = RecordRow::new(id, entity);
    record.local = Some(json!({}));
    record.state = state;
    record.summary.amount = Some(amount.parse::<Decimal>().unwrap());
    record.summary.txn_date = Some(date.parse::<NaiveDate>().unwrap());
    record.summary.counterparty = Some(party.to_owned());
    record.summary.doc_number = Some(format!("D-{id}"));
    record
}

/// The local ids of a page, in its order.
fn ids(rows: Vec<RecordRow>) -> Vec<String> {
    rows.into_iter().map(|row| row.local_id).collect()
}

#[tokio::test]
async fn amounts_sort_exactly_and_filters_combine() {
    let (_dir, store) = books(vec![
        row(
            "a",
            "Invoice",
            "10.00",
            "2026-01-05",
            "O'Brien & Sons",
            RecordState::Synced,
        ),
        row(
            "b",
            "Invoice",
            "9.99",
            "2026-02-05",
            "Acme 100%",
            RecordState::Pending,
        ),
        row(
            "c",
            "Invoice",
            "100",
            "2026-03-05",
            "acme_ltd",
            RecordState::Conflict,
        ),
        row(
            "d",
            "Invoice",
            "-5",
            "2026-04-05",
            "Zed",
            RecordState::Synced,
        ),
        row(
            "e",
            "Bill",
            "0",
            "2026-05-05",
            "Supplier",
            RecordState::Deleted,
        ),
    ])
    .await;
    let by_amount = RecordFilter {
        sort: RecordSort::Amount,
        descending: false,
        ..RecordFilter::default()
    };
    assert_eq!(
        ids(store.records(&by_amount).await.unwrap()),
        ["d", "b", "a", "c"]
    );
    let invoices_2026_q1 = RecordFilter {
        entity_type: Some("Invoice".into()),
        date_from: Some("2026-01-01".parse().unwrap()),
        date_to: Some("2026-03-31".parse().unwrap()),
        sort: RecordSort::TxnDate,
        descending: true,
        ..RecordFilter::default()
    };
    assert_eq!(
        ids(store.records(&invoices_2026_q1).await.unwrap()),
        ["c", "b", "a"]
    );
    assert_eq!(store.count_records(&invoices_2026_q1).await.unwrap(), 3);
    // Search is a case-insensitive substring; % and _ are plain characters.
    let search = |text: &str| RecordFilter {
        search: Some(text.into()),
        ..RecordFilter::default()
    };
    assert_eq!(ids(store.records(&search("ACME")).await.unwrap()).len(), 2);
    assert_eq!(ids(store.records(&search("100%")).await.unwrap()), ["b"]);
    assert_eq!(ids(store.records(&search("e_l")).await.unwrap()), ["c"]);
    assert_eq!(ids(store.records(&search("o'brien")).await.unwrap()), ["a"]);
    // A search of one type reads the search index; it finds the same.
    let typed = |text: &str| RecordFilter {
        entity_type: Some("Invoice".into()),
        ..search(text)
    };
    let typed_acme = ids(store.records(&typed("acme")).await.unwrap());
    let all_acme = ids(store.records(&search("acme")).await.unwrap());
    assert!(!typed_acme.is_empty());
    assert!(typed_acme.iter().all(|id| all_acme.contains(id)));
    assert_eq!(
        store.count_records(&typed("acme")).await.unwrap(),
        u64::try_from(typed_acme.len()).unwrap()
    );
    // Deleted records show only when asked for.
    let states = RecordFilter {
        states: vec![RecordState::Deleted],
        ..RecordFilter::default()
    };
    assert_eq!(ids(store.records(&states).await.unwrap()), ["e"]);
    let paged = RecordFilter {
        sort: RecordSort::Amount,
        descending: false,
        offset: 1,
        limit: 2,
        ..RecordFilter::default()
    };
    assert_eq!(ids(store.records(&paged).await.unwrap()), ["b", "a"]);
}

#[tokio::test]
async fn a_hundred_thousand_records_commit_in_chunks_and_page_quickly() {
    let rows: Vec<RecordRow> = (0..100_000)
        .map(|index| {
            row(
                &format!("r{index:06}"),
                "Invoice",
                &format!("{}.{:02}", index % 5000, index % 100),
                "2026-01-01",
                "Customer",
                RecordState::Synced,
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store = CompanyStore::open(&dir.path().join("c.sqlite"))
        .await
        .unwrap();
    for chunk in rows.chunks(10_000) {
        store
            .commit(Changeset {
                records: chunk.to_vec(),
                ..Changeset::default()
            })
            .await
            .unwrap();
    }
    let filter = RecordFilter {
        offset: 99_950,
        limit: 100,
        sort: RecordSort::Amount,
        ..RecordFilter::default()
    };
    assert_eq!(store.records(&filter).await.unwrap().len(), 50);
    assert_eq!(
        store.count_records(&RecordFilter::default()).await.unwrap(),
        100_000
    );
}

/// An invoice or bill as QuickBooks holds it, with what is left to pay.
fn document(id: &str, entity: &str, remote: serde_json::Value, state: RecordState) -> RecordRow {
    let mut record = RecordRow::new(id, entity);
    record.qbo_id = Some(id.to_owned());
    record.remote = Some(remote);
    record.state = state;
    record.summary.txn_date = Some("2026-03-01".parse::<NaiveDate>().unwrap());
    record
}

#[tokio::test]
async fn open_documents_are_counted_totalled_and_listed_exactly() {
    let store_rows = vec![
        document(
            "i1",
            "Invoice",
            json!({"Balance": 100.10, "DueDate": "2026-03-10", "CurrencyRef": {"value": "USD"}}),
            RecordState::Synced,
        ),
        document(
            "i2",
            "Invoice",
            // Balances that a float would round: the sum must stay exact.
            // (Parsed from text: `json!` would read the literal as a float.)
            serde_json::from_str(r#"{"Balance": 0.10000000000000000001, "DueDate": "2026-04-30"}"#)
                .unwrap(),
            RecordState::Pending,
        ),
        // A foreign-currency invoice counts at its home-currency balance.
        document(
            "i3",
            "Invoice",
            json!({"Balance": 50, "HomeBalance": 64.5, "DueDate": "2026-03-01", "CurrencyRef": {"value": "EUR"}}),
            RecordState::Synced,
        ),
        document(
            "paid",
            "Invoice",
            json!({"Balance": 0}),
            RecordState::Synced,
        ),
        document(
            "gone",
            "Invoice",
            json!({"Balance": 5}),
            RecordState::Deleted,
        ),
        document(
            "b1",
            "Bill",
            json!({"Balance": 20, "DueDate": "2026-02-01"}),
            RecordState::Synced,
        ),
        // A customer's Balance is not an open document.
        document(
            "c1",
            "Customer",
            json!({"Balance": 999}),
            RecordState::Synced,
        ),
    ];
    let (_dir, store) = books(store_rows).await;
    let today = "2026-03-15".parse::<NaiveDate>().unwrap();

    let (invoices, currency) = store.open_documents("Invoice", today).await.unwrap();
    assert_eq!(invoices.count, 3);
    assert_eq!(
        invoices.total,
        "164.70000000000000000001".parse::<Decimal>().unwrap()
    );
    assert_eq!(invoices.overdue_count, 2, "i1 and i3 are past due");
    assert_eq!(invoices.overdue_total, "164.6".parse::<Decimal>().unwrap());
    assert_eq!(currency.as_deref(), Some("USD"));

    let (bills, _) = store.open_documents("Bill", today).await.unwrap();
    assert_eq!((bills.count, bills.total), (1, Decimal::from(20)));
    let (customers, _) = store.open_documents("Customer", today).await.unwrap();
    assert_eq!(customers.count, 0);

    let open_invoices = RecordFilter {
        entity_type: Some("Invoice".into()),
        open_only: true,
        sort: RecordSort::TxnDate,
        ..RecordFilter::default()
    };
    let mut ids: Vec<String> = store
        .records(&open_invoices)
        .await
        .unwrap()
        .into_iter()
        .map(|record| record.local_id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["i1", "i2", "i3"]);
    assert_eq!(store.count_records(&open_invoices).await.unwrap(), 3);

    let counts = store.state_counts().await.unwrap();
    assert!(counts.contains(&(RecordState::Synced, 5)));
    assert!(counts.contains(&(RecordState::Pending, 1)));
    assert!(
        !counts
            .iter()
            .any(|(state, _)| *state == RecordState::Deleted)
    );
}

#[tokio::test]
async fn list_indexes_set_aside_are_built_again_as_they_were_even_after_a_restart() {
    let (dir, store) = books(vec![
        row(
            "a",
            "Invoice",
            "12.50",
            "2026-01-03",
            "Acme",
            RecordState::Synced,
        ),
        row(
            "b",
            "Invoice",
            "7",
            "2026-01-01",
            "Birch",
            RecordState::Pending,
        ),
        row(
            "c",
            "Bill",
            "99.99",
            "2026-01-02",
            "Acme",
            RecordState::Synced,
        ),
    ])
    .await;
    let before = store.record_indexes().await.unwrap();
    let filters = [
        RecordFilter {
            entity_type: Some("Invoice".into()),
            search: Some("acme".into()),
            ..RecordFilter::default()
        },
        RecordFilter {
            sort: RecordSort::Amount,
            ..RecordFilter::default()
        },
        RecordFilter {
            entity_type: Some("Invoice".into()),
            sort: RecordSort::TxnDate,
            descending: true,
            ..RecordFilter::default()
        },
    ];
    let mut listed = Vec::new();
    for filter in &filters {
        listed.push((
            ids(store.records(filter).await.unwrap()),
            store.count_records(filter).await.unwrap(),
        ));
    }
    assert_eq!(listed[0], (vec!["a".to_owned()], 1));

    let set_aside = store.defer_list_indexes().await.unwrap();
    let list_indexes: Vec<String> = before
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| name.starts_with("records_list_"))
        .collect();
    assert_eq!(set_aside, list_indexes.len());
    assert!(set_aside >= 6, "only {set_aside} list indexes");
    assert_eq!(store.deferred_indexes().await.unwrap(), list_indexes);
    let during = store.record_indexes().await.unwrap();
    assert!(
        during
            .iter()
            .all(|(name, _)| !name.starts_with("records_list_")),
        "{during:?}"
    );
    // The list answers the same without them (a search of one type, which
    // otherwise names its index, too).
    for (filter, expected) in filters.iter().zip(&listed) {
        let answer = (
            ids(store.records(filter).await.unwrap()),
            store.count_records(filter).await.unwrap(),
        );
        assert_eq!(&answer, expected, "{filter:?}");
    }

    // A restart (the sync was killed) finds the definitions where it left them.
    store.close().await;
    let store = CompanyStore::open(&dir.path().join("c.sqlite"))
        .await
        .unwrap();
    assert_eq!(store.deferred_indexes().await.unwrap(), list_indexes);
    assert_eq!(store.build_deferred_indexes().await.unwrap(), set_aside);
    assert_eq!(store.record_indexes().await.unwrap(), before);
    assert!(store.deferred_indexes().await.unwrap().is_empty());
    assert_eq!(store.build_deferred_indexes().await.unwrap(), 0);
    for (filter, expected) in filters.iter().zip(&listed) {
        let answer = (
            ids(store.records(filter).await.unwrap()),
            store.count_records(filter).await.unwrap(),
        );
        assert_eq!(&answer, expected, "{filter:?}");
    }
}

/// Books of one invoice, and a second connection to them, as another
/// process or tool would open them.
async fn one_invoice_opened_twice() -> (tempfile::TempDir, CompanyStore, sqlx::SqlitePool) {
    let (dir, store) = books(vec![row(
        "a",
        "Invoice",
        "1",
        "2026-01-01",
        "Acme",
        RecordState::Synced,
    )])
    .await;
    let other = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("c.sqlite")),
    )
    .await
    .unwrap();
    (dir, store, other)
}

#[tokio::test]
async fn a_set_aside_definition_whose_index_is_back_is_forgotten_and_one_that_fails_waits() {
    let (_dir, store, other) = one_invoice_opened_twice().await;
    let before = store.record_indexes().await.unwrap();
    let set_aside = store.defer_list_indexes().await.unwrap();
    // One index put back by other means, and one definition that can no
    // longer be built (as after a change of the schema that forgot it).
    let (name, sql) = before
        .iter()
        .find(|(name, _)| name == "records_list_by_date")
        .unwrap()
        .clone();
    sqlx::query(&sql).execute(&other).await.unwrap();
    sqlx::query("UPDATE deferred_indexes SET sql = 'CREATE INDEX records_list_by_name ON records (no_such_column)' WHERE name = 'records_list_by_name'")
        .execute(&other)
        .await
        .unwrap();
    assert_eq!(
        store.build_deferred_indexes().await.unwrap(),
        set_aside - 2,
        "{name} was back, and the name index cannot be built"
    );
    assert_eq!(
        store.deferred_indexes().await.unwrap(),
        ["records_list_by_name"]
    );
    // Every index as it was, but the one that could not be built.
    let mut expected = before.clone();
    expected.retain(|(name, _)| name != "records_list_by_name");
    assert_eq!(store.record_indexes().await.unwrap(), expected);
    // The list works all the same.
    let sorted = RecordFilter {
        sort: RecordSort::Name,
        ..RecordFilter::default()
    };
    assert_eq!(ids(store.records(&sorted).await.unwrap()), ["a"]);
}

#[tokio::test]
async fn setting_aside_and_building_wait_for_another_writer_instead_of_failing() {
    let (_dir, store, other) = one_invoice_opened_twice().await;
    let before = store.record_indexes().await.unwrap();
    // Another process (the app, while the command line syncs) is writing.
    for step in ["set aside", "build"] {
        let mut writing = other.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("UPDATE records SET error = 'held by the other writer'")
            .execute(&mut *writing)
            .await
            .unwrap();
        let work = {
            let store = store.clone();
            tokio::spawn(async move {
                if step == "set aside" {
                    store.defer_list_indexes().await
                } else {
                    store.build_deferred_indexes().await
                }
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        writing.commit().await.unwrap();
        let done = work.await.unwrap();
        assert!(done.is_ok_and(|count| count >= 6), "{step}");
    }
    assert_eq!(store.record_indexes().await.unwrap(), before);
}
