//! A refusal from QuickBooks reaches the record as a plain sentence with
//! the button that fixes it.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use app_core::{ProblemAction, ProblemKind, RecordQuery, RecordState};
use serde_json::json;

use crate::support::{invoices, open};

#[tokio::test]
async fn a_closed_books_period_reads_in_plain_words_with_open_record() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let edited = page.rows[0].local_id.clone();
    core.patch_record(&demo.id, &edited, json!({"PrivateNote": "after the close"}))
        .await
        .unwrap();

    // QuickBooks refuses the push: the books are closed for its date.
    let base = core.demo_address().await.unwrap();
    let armed = reqwest::Client::new()
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({
            "kind": "xml_fault",
            "path": "/v3/company/*/batch",
            "code": "6210",
            "message": "Account Period Closed",
        }))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success(), "{}", armed.status());

    let report = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert_eq!(report.failed[0].local_id, edited);

    let refused = core
        .list_records(
            &demo.id,
            RecordQuery {
                states: vec![RecordState::Error],
                ..invoices()
            },
        )
        .await
        .unwrap();
    assert_eq!(refused.total, 1);
    let problem = refused.rows[0].problem.clone().unwrap();
    assert_eq!(problem.kind, ProblemKind::ClosedPeriod);
    assert_eq!(problem.action, Some(ProblemAction::OpenRecord));
    assert!(
        problem.plain.contains("books are closed"),
        "{}",
        problem.plain
    );
    // The record itself says the same when opened.
    let detail = core.get_record(&demo.id, &edited).await.unwrap();
    assert_eq!(detail.row.problem, Some(problem));
    // The overview counts it as failed and puts the company forward.
    let overview = core.companies_overview().await.unwrap();
    assert_eq!(overview[0].failed, 1);
    assert!(overview[0].attention > 0);
}
