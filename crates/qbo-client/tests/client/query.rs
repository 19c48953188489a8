//! The query builder and paging against a seeded emulator company.

use std::collections::BTreeSet;

use futures::StreamExt;
use qbo_client::{ErrorKind, QboError, Query, RequestId};
use serde_json::json;

use crate::support::Emulator;

#[tokio::test]
async fn pages_cover_every_row_once() -> Result<(), QboError> {
    let emulator = Emulator::start_seeded().await;
    let client = emulator.client();
    let query = Query::select("Invoice").order_by("Id", false);
    let total = client.count(&query).await?;
    assert!(
        total > 3,
        "the seeded company should have several invoices, has {total}"
    );

    let pages: Vec<_> = client.pages(query, 3).collect().await;
    let mut ids = BTreeSet::new();
    let mut rows = 0;
    for (index, page) in pages.iter().enumerate() {
        let page = page.as_ref().map_err(Clone::clone)?;
        assert_eq!(
            page.start_position,
            u32::try_from(index * 3 + 1).unwrap_or(0)
        );
        assert!(page.len() <= 3 && !page.is_empty());
        rows += page.len();
        for row in &page.clone().rows()? {
            ids.insert(row["Id"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(u64::try_from(rows).ok(), Some(total));
    assert_eq!(ids.len(), rows, "no row is seen twice");
    Ok(())
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_with_its_error() {
    let emulator = Emulator::start_seeded().await;
    let client = emulator.client();
    // The second page's query answers with an XML validation fault.
    emulator
        .arm(json!({"kind": "xml_fault", "method": "POST", "path": "*/query", "status": 400, "count": 1}))
        .await;
    let results: Vec<_> = client.pages(Query::select("Invoice"), 2).collect().await;
    assert_eq!(results.len(), 1, "{results:?}");
    let error = results[0].as_ref().expect_err("the fault is yielded");
    assert_eq!(error.kind(), ErrorKind::Validation);
}

/// A page keeps its rows as the text QuickBooks sent; read back, they are
/// the rows of the same query answered whole.
#[tokio::test]
async fn a_page_reads_back_the_rows_of_the_whole_answer() -> Result<(), QboError> {
    let emulator = Emulator::start_seeded().await;
    let client = emulator.client();
    let whole = client
        .query("SELECT * FROM Invoice ORDERBY Id ASC STARTPOSITION 1 MAXRESULTS 1000")
        .await?;
    let expected = whole["Invoice"].as_array().cloned().unwrap_or_default();
    assert!(expected.len() > 3, "the seeded company has invoices");
    let mut read = Vec::new();
    let mut pages = std::pin::pin!(client.pages_by_id(Query::select("Invoice"), 3));
    while let Some(page) = pages.next().await {
        read.extend(page?.rows()?);
    }
    assert_eq!(read, expected);

    // An answer cut in half is an error, not a short page.
    emulator
        .arm(json!({"kind": "malformed_json", "method": "POST", "path": "*/query", "count": 1}))
        .await;
    let results: Vec<_> = client
        .pages_by_id(Query::select("Invoice"), 3)
        .collect()
        .await;
    assert_eq!(results.len(), 1, "{results:?}");
    let error = results[0].as_ref().expect_err("the cut answer is yielded");
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error:?}");
    Ok(())
}

#[tokio::test]
async fn values_with_quotes_and_backslashes_find_their_record() -> Result<(), QboError> {
    let emulator = Emulator::start().await;
    let client = emulator.client();
    for name in [r"O'Brien \ Sons", r"Trailing \", "Plain"] {
        client
            .create(
                "Customer",
                &json!({ "DisplayName": name }),
                &RequestId::new(),
            )
            .await?;
    }
    for name in [r"O'Brien \ Sons", r"Trailing \", "Plain"] {
        let query = Query::select("Customer").equal("DisplayName", name);
        let pages: Vec<_> = client.pages(query, 10).collect().await;
        assert_eq!(pages.len(), 1, "{name}");
        let rows = pages[0].clone()?.rows()?;
        assert_eq!(rows.len(), 1, "{name}");
        assert_eq!(rows[0]["DisplayName"], name);
    }
    // A bad field name is refused before anything is sent.
    let error = client
        .count(&Query::select("Customer").equal("DisplayName' OR Id", "1"))
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Validation);
    Ok(())
}
