//! Review before sending: before → after of each changed field, holding a
//! change back (it stays out of the push, checked in QuickBooks), discarding
//! one (recorded in the history), and the mode where the timer only pulls.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use app_core::{AppCore, CompanySettings, RecordState};
use serde_json::json;

use crate::support::{demo_query, invoices, open, open_with};
use crate::timer::wait_for;

async fn invoice_in_quickbooks(core: &AppCore, realm: &str, id: &str) -> serde_json::Value {
    demo_query(
        core,
        realm,
        &format!("SELECT * FROM Invoice WHERE Id = '{id}'"),
    )
    .await["QueryResponse"]["Invoice"][0]
        .clone()
}

#[tokio::test]
async fn a_held_back_change_stays_out_of_the_push_until_released() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let realm = core.company(&demo.id).await.unwrap().realm_id.unwrap();
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let (held, sent) = (&page.rows[0], &page.rows[1]);

    // A memo and a line amount change on the one held back.
    let detail = core.get_record(&demo.id, &held.local_id).await.unwrap();
    let mut object = detail.local.clone().unwrap();
    let before_note = object["PrivateNote"].as_str().map(str::to_owned);
    object["PrivateNote"] = json!("Wait for the client");
    let line = object["Line"]
        .as_array()
        .unwrap()
        .iter()
        .position(|line| line["Id"].is_string() && line["DetailType"] == "SalesItemLineDetail")
        .unwrap();
    let line_id = object["Line"][line]["Id"].as_str().unwrap().to_owned();
    let before_amount = object["Line"][line]["Amount"].to_string();
    // One at 1,234.56, so quantity × price stays equal to the amount.
    object["Line"][line]["Amount"] = json!("1234.56");
    object["Line"][line]["SalesItemLineDetail"]["Qty"] = json!(1);
    object["Line"][line]["SalesItemLineDetail"]["UnitPrice"] = json!("1234.56");
    core.save_record(&demo.id, Some(&held.local_id), "Invoice", object)
        .await
        .unwrap();
    core.patch_record(&demo.id, &sent.local_id, json!({"PrivateNote": "Send me"}))
        .await
        .unwrap();

    let review = core.pending_review(&demo.id).await.unwrap();
    assert_eq!(review.changes.len(), 2);
    let item = review
        .changes
        .iter()
        .find(|change| change.local_id == held.local_id)
        .unwrap();
    assert_eq!(item.operation, "update");
    let note = item
        .changes
        .iter()
        .find(|change| change.field == "PrivateNote")
        .unwrap();
    assert_eq!(note.before, before_note);
    assert_eq!(note.after.as_deref(), Some("Wait for the client"));
    let amount = item
        .changes
        .iter()
        .find(|change| change.field == format!("Line[Id={line_id}].Amount"))
        .unwrap_or_else(|| panic!("the amount in {:?}", item.changes));
    assert_eq!(amount.before.as_deref(), Some(before_amount.as_str()));
    assert_eq!(amount.after.as_deref(), Some("1234.56"));

    core.hold_back(&demo.id, &held.local_id, true)
        .await
        .unwrap();
    let review = core.pending_review(&demo.id).await.unwrap();
    assert!(review.changes.iter().any(|change| change.held));
    let overview = core.companies_overview().await.unwrap();
    assert_eq!(overview[0].held_back, 1);

    let report = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(report.pushed, 1, "only the change not held back went");
    let held_id = held.qbo_id.clone().unwrap();
    let in_quickbooks = invoice_in_quickbooks(core, &realm, &held_id).await;
    assert_ne!(in_quickbooks["PrivateNote"], "Wait for the client");
    let sent_id = sent.qbo_id.clone().unwrap();
    assert_eq!(
        invoice_in_quickbooks(core, &realm, &sent_id).await["PrivateNote"],
        "Send me"
    );
    assert_eq!(
        core.get_record(&demo.id, &held.local_id)
            .await
            .unwrap()
            .row
            .state,
        RecordState::Pending
    );

    // Released, it goes with the next sync.
    core.hold_back(&demo.id, &held.local_id, false)
        .await
        .unwrap();
    let report = core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.pushed, 1);
    assert_eq!(
        invoice_in_quickbooks(core, &realm, &held_id).await["PrivateNote"],
        "Wait for the client"
    );
}

#[tokio::test]
async fn a_discarded_change_goes_back_to_quickbooks_version_and_is_in_the_history() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let row = &page.rows[0];
    let original = core.get_record(&demo.id, &row.local_id).await.unwrap();
    core.patch_record(&demo.id, &row.local_id, json!({"PrivateNote": "oops"}))
        .await
        .unwrap();

    let outcome = core.discard_change(&demo.id, &row.local_id).await.unwrap();
    assert_eq!(outcome.record.row.state, RecordState::Synced);
    assert_eq!(
        outcome.record.local.as_ref().unwrap()["PrivateNote"],
        original.local.as_ref().unwrap()["PrivateNote"]
    );
    assert!(
        core.pending_review(&demo.id)
            .await
            .unwrap()
            .changes
            .is_empty()
    );
    let history = core
        .list_history(
            &demo.id,
            app_core::HistoryQuery {
                local_id: Some(row.local_id.clone()),
                offset: 0,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert!(
        history
            .rows
            .iter()
            .any(|entry| entry.operation == "discard" && entry.local_id == row.local_id),
        "the discard is in the history"
    );
    // Nothing is left to discard.
    assert!(core.discard_change(&demo.id, &row.local_id).await.is_err());
}

#[tokio::test]
async fn in_review_mode_the_timer_pulls_but_does_not_push() {
    // A "minute" of 20 ms: the shortest interval (5 minutes) is 0.1 s.
    let opened = open_with(|options| {
        options.timers = true;
        options.minute = Duration::from_millis(20);
    })
    .await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    assert!(
        wait_for(|| async {
            core.list_companies().await.unwrap()[0]
                .last_sync_at
                .is_some()
        })
        .await
    );
    let settings = core.company_settings(&demo.id).await.unwrap();
    core.save_company_settings(
        &demo.id,
        CompanySettings {
            review_before_sending: Some(true),
            ..settings
        },
    )
    .await
    .unwrap();
    assert!(
        core.pending_review(&demo.id)
            .await
            .unwrap()
            .review_before_sending
    );
    // A sync that started before the setting was saved may still push:
    // wait for two more, so the next ones started after it.
    for _ in 0..2 {
        let last = core.list_companies().await.unwrap()[0].last_sync_at.clone();
        assert!(
            wait_for(|| async { core.list_companies().await.unwrap()[0].last_sync_at != last })
                .await,
            "{:?}",
            core.list_companies().await.unwrap()[0]
        );
    }
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let row = &page.rows[0];
    core.patch_record(&demo.id, &row.local_id, json!({"PrivateNote": "Reviewed"}))
        .await
        .unwrap();
    let first = core.list_companies().await.unwrap()[0].last_sync_at.clone();

    // The timer keeps syncing (pulling) …
    assert!(
        wait_for(|| async { core.list_companies().await.unwrap()[0].last_sync_at != first }).await,
        "the timer still ran"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // … but the change is not sent.
    let id = row.qbo_id.clone().unwrap();
    assert_ne!(
        invoice_in_quickbooks(core, &realm, &id).await["PrivateNote"],
        "Reviewed"
    );
    assert_eq!(
        core.pending_review(&demo.id).await.unwrap().changes.len(),
        1
    );

    // "Send now" sends it.
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(
        invoice_in_quickbooks(core, &realm, &id).await["PrivateNote"],
        "Reviewed"
    );
}

#[tokio::test]
async fn in_review_mode_sync_all_pulls_but_does_not_push() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let realm = core.company(&demo.id).await.unwrap().realm_id.unwrap();
    let settings = core.company_settings(&demo.id).await.unwrap();
    core.save_company_settings(
        &demo.id,
        CompanySettings {
            review_before_sending: Some(true),
            ..settings
        },
    )
    .await
    .unwrap();
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let row = &page.rows[0];
    let id = row.qbo_id.clone().unwrap();
    core.patch_record(
        &demo.id,
        &row.local_id,
        json!({"PrivateNote": "Not approved yet"}),
    )
    .await
    .unwrap();

    let report = core.sync_all().await.unwrap();
    assert_eq!(report.synced, 1, "{report:?}");
    assert_ne!(
        invoice_in_quickbooks(core, &realm, &id).await["PrivateNote"],
        "Not approved yet"
    );
    assert_eq!(
        core.pending_review(&demo.id).await.unwrap().changes.len(),
        1
    );
}
