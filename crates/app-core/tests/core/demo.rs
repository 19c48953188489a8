//! Try the demo company: add it, sync, edit, and find the edit in the emulator.

use app_core::{HistoryQuery, RecordState};
use serde_json::json;

use crate::support::{demo_query, demo_write, invoices, open, open_in};

#[tokio::test]
async fn the_demo_company_connects_syncs_and_takes_an_edit_to_quickbooks() {
    let opened = open().await;
    let core = &opened.core;
    assert!(core.list_companies().await.unwrap().is_empty());
    let demo = core.add_demo_company().await.unwrap();
    assert_eq!(demo.connection, app_core::ConnectionState::Connected);
    let phases = std::sync::Mutex::new(Vec::new());
    let report = core
        .sync_now(&demo.id, |progress| {
            phases.lock().unwrap().push(progress.phase)
        })
        .await
        .unwrap();
    assert!(report.pulled > 0);
    assert!(
        phases
            .lock()
            .unwrap()
            .contains(&app_core::SyncPhase::Pulling)
    );
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    let remote_count = demo_query(core, &realm, "SELECT COUNT(*) FROM Invoice").await["QueryResponse"]["totalCount"]
        .as_u64()
        .unwrap();
    assert_eq!(u64::from(page.total), remote_count);

    // Edit the memo of one invoice and sync.
    let row = &page.rows[0];
    let detail = core.get_record(&demo.id, &row.local_id).await.unwrap();
    let mut object = detail.local.clone().unwrap();
    object["PrivateNote"] = json!("Checked by the accountant");
    let saved = core
        .save_record(&demo.id, Some(&row.local_id), "Invoice", object)
        .await
        .unwrap();
    assert_eq!(saved.record.row.state, RecordState::Pending);
    assert_eq!(
        core.pending_changes(&demo.id)
            .await
            .unwrap()
            .operations
            .len(),
        1
    );
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let qbo_id = row.qbo_id.clone().unwrap();
    let remote = demo_query(
        core,
        &realm,
        &format!("SELECT * FROM Invoice WHERE Id = '{qbo_id}'"),
    )
    .await;
    assert_eq!(
        remote["QueryResponse"]["Invoice"][0]["PrivateNote"],
        "Checked by the accountant"
    );

    // History shows it, undo puts the old memo back.
    let history = core
        .list_history(
            &demo.id,
            HistoryQuery {
                local_id: Some(row.local_id.clone()),
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    let pushed = history
        .rows
        .iter()
        .find(|entry| entry.direction == app_core::Direction::Push)
        .unwrap();
    assert!(pushed.can_undo);
    core.undo_change(&demo.id, pushed.id).await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let remote = demo_query(
        core,
        &realm,
        &format!("SELECT * FROM Invoice WHERE Id = '{qbo_id}'"),
    )
    .await;
    assert_eq!(
        remote["QueryResponse"]["Invoice"][0]["PrivateNote"],
        detail.local.unwrap()["PrivateNote"]
    );

    let csv = core.export_history_csv(&demo.id).await.unwrap();
    let text = std::fs::read_to_string(csv).unwrap();
    assert!(text.starts_with("time,direction,operation"));
    assert!(text.contains("push"));
}

#[tokio::test]
async fn the_demo_company_survives_a_restart_of_the_app() {
    let opened = open().await;
    let demo = opened.core.add_demo_company().await.unwrap();
    opened.core.sync_now(&demo.id, |_| {}).await.unwrap();
    let before = opened
        .core
        .list_records(&demo.id, invoices())
        .await
        .unwrap()
        .total;
    let dir = opened.dir;
    drop(opened.core);
    let reopened = open_in(dir).await;
    let companies = reopened.core.list_companies().await.unwrap();
    assert_eq!(companies.len(), 1);
    // Demo tokens live in memory: the next sync connects again by itself.
    let report = reopened.core.sync_now(&demo.id, |_| {}).await.unwrap();
    assert_eq!(report.pushed, 0);
    assert_eq!(
        reopened
            .core
            .list_records(&demo.id, invoices())
            .await
            .unwrap()
            .total,
        before
    );
}

/// `status` and `company list` in a new process (the CLI, or the app just
/// started) read the counts from the company's database, not only from the
/// databases this process already opened.
#[tokio::test]
async fn a_new_process_reports_the_pending_changes_and_conflicts_on_disk() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let realm = demo.realm_id.clone().unwrap();
    let page = core.list_records(&demo.id, invoices()).await.unwrap();
    let (first, second) = (&page.rows[0], &page.rows[1]);

    // The same memo edited on both sides: a conflict after the sync.
    let detail = core.get_record(&demo.id, &first.local_id).await.unwrap();
    let mut object = detail.local.clone().unwrap();
    object["PrivateNote"] = json!("Ours");
    core.save_record(&demo.id, Some(&first.local_id), "Invoice", object)
        .await
        .unwrap();
    let remote = detail.remote.clone().unwrap();
    demo_write(
        core,
        &realm,
        "invoice",
        json!({
            "Id": remote["Id"],
            "SyncToken": remote["SyncToken"],
            "sparse": true,
            "PrivateNote": "Theirs",
        }),
    )
    .await;
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    // A second edit that waits for the next sync.
    let detail = core.get_record(&demo.id, &second.local_id).await.unwrap();
    let mut object = detail.local.clone().unwrap();
    object["PrivateNote"] = json!("Not sent yet");
    core.save_record(&demo.id, Some(&second.local_id), "Invoice", object)
        .await
        .unwrap();
    let before = core.company(&demo.id).await.unwrap();
    assert_eq!(before.open_conflicts, 1);
    assert!(before.pending_changes >= 1, "{before:?}");

    let dir = opened.dir;
    drop(opened.core);
    let reopened = open_in(dir).await;
    let listed = reopened.core.list_companies().await.unwrap();
    assert_eq!(listed[0].open_conflicts, before.open_conflicts);
    assert_eq!(listed[0].pending_changes, before.pending_changes);
    let status = reopened.core.company(&demo.id).await.unwrap();
    assert_eq!(status.open_conflicts, before.open_conflicts);
    assert_eq!(status.pending_changes, before.pending_changes);
}
