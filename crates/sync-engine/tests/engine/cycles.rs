//! Sync cycles at their edges: a 5010 met in the middle of a push, our own
//! writes coming back, work done offline, a cancel between batches, CDC
//! windows narrowed under the cap, a re-scan that finds deletions, inactive
//! list entries, undo and the dry run.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use local_store::{ConflictKind, Direction, HistoryFilter, Intent, RecordState};
use qbo_emulator::EmulatorConfig;
use serde_json::json;
use sync_engine::entities::{MASTER_ENTITIES, TRANSACTION_ENTITIES};
use sync_engine::{CancelFlag, EngineConfig, EngineError, IssueCode, SyncPhase, SyncProgress};

use crate::support::{
    Harness, TestEngine, bill_body, capped_change_capture, first_active, local_by_qbo_id,
    local_record, local_rows, start_time, sync,
};

async fn history_len(engine: &TestEngine) -> usize {
    engine
        .store()
        .history(&HistoryFilter {
            limit: 100_000,
            ..HistoryFilter::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_first_sync_reads_every_type_with_progress_and_keeps_inactive_entries() {
    let harness = Harness::start(Some((21, 30))).await;
    let vendor = harness
        .remote_rows("SELECT * FROM Vendor", "Vendor")
        .await
        .remove(0);
    harness
        .remote_edit(
            "Vendor",
            vendor["Id"].as_str().unwrap(),
            json!({"Active": false, "DisplayName": vendor["DisplayName"]}),
        )
        .await;
    let engine = harness.engine("books").await;
    let seen: Mutex<Vec<SyncProgress>> = Mutex::new(Vec::new());
    let report = engine
        .sync(
            &|progress| seen.lock().unwrap().push(progress),
            &CancelFlag::new(),
        )
        .await
        .unwrap();
    assert!(!report.full_rescan);
    let seen = seen.into_inner().unwrap();
    for entity in MASTER_ENTITIES.iter().chain(TRANSACTION_ENTITIES) {
        let held = local_rows(&engine, entity)
            .await
            .iter()
            .filter(|row| row.state != RecordState::Deleted)
            .count();
        assert_eq!(held, harness.emulator_count(entity), "{entity}");
        let last = seen
            .iter()
            .rev()
            .find(|progress| {
                progress.phase == SyncPhase::Pulling && progress.entity.as_deref() == Some(entity)
            })
            .unwrap_or_else(|| panic!("no progress for {entity}"));
        assert_eq!(last.total, Some(held as u64), "{entity}");
        assert_eq!(last.done, held as u64, "{entity}");
    }
    assert_eq!(seen.last().unwrap().phase, SyncPhase::Done);
    let inactive = local_by_qbo_id(&engine, "Vendor", vendor["Id"].as_str().unwrap()).await;
    assert!(!inactive.active);
    assert_eq!(inactive.state, RecordState::Synced);
    // The company's own settings come along, read-only.
    assert_eq!(local_rows(&engine, "CompanyInfo").await.len(), 1);
    // A second sync changes nothing, and an idle cycle is one CDC request.
    let total_requests = || {
        harness
            .server
            .emulator()
            .operations()
            .counters
            .snapshot()
            .total
            .requests
    };
    let requests_before = total_requests();
    let again = sync(&engine).await;
    assert_eq!((again.pulled, again.pushed), (0, 0), "{again:?}");
    let requests = total_requests() - requests_before;
    assert_eq!(requests, 1, "an idle cycle sends exactly one request");
}

#[tokio::test]
async fn a_stale_token_met_during_the_push_is_merged_and_sent_again() {
    let harness = Harness::start(Some((22, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let invoice = first_active(&engine, "Invoice", |_| true).await;
    let qbo_id = invoice.qbo_id.clone().unwrap();
    let mut local = invoice.local.clone().unwrap();
    local["PrivateNote"] = json!("ours");
    engine.edit_local(&invoice.local_id, local).await.unwrap();
    // Someone saves the invoice in QuickBooks after the pull and before the
    // push: the push carries a SyncToken that is no longer current.
    let edited = AtomicBool::new(false);
    let report = engine
        .sync(
            &|progress| {
                if progress.phase == SyncPhase::Pushing && !edited.swap(true, Ordering::SeqCst) {
                    harness.remote_edit_now("Invoice", &qbo_id, json!({"DocNumber": "THEIRS-7"}));
                }
            },
            &CancelFlag::new(),
        )
        .await
        .unwrap();
    assert!(edited.load(Ordering::SeqCst));
    assert_eq!(report.conflicts_opened, 0, "{report:?}");
    assert_eq!(report.pushed, 1, "{report:?}");
    let remote = harness.remote("Invoice", &qbo_id).await;
    assert_eq!(remote["PrivateNote"], "ours");
    assert_eq!(
        remote["DocNumber"], "THEIRS-7",
        "their change was not overwritten"
    );
    let record = local_record(&engine, &invoice.local_id).await;
    assert_eq!(record.state, RecordState::Synced);
    assert_eq!(
        record.sync_token,
        remote["SyncToken"].as_str().map(str::to_owned)
    );
    let history = engine
        .store()
        .history(&HistoryFilter {
            local_id: Some(invoice.local_id.clone()),
            limit: 10,
            ..HistoryFilter::default()
        })
        .await
        .unwrap();
    assert!(history.iter().any(|entry| entry.operation == "merge"));
}

#[tokio::test]
async fn our_own_writes_coming_back_change_nothing() {
    let harness = Harness::start(Some((23, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let body = bill_body(&engine, "echo").await;
    engine.create_local("Bill", body).await.unwrap();
    let customer = first_active(&engine, "Customer", |_| true).await;
    let mut local = customer.local.clone().unwrap();
    local["Notes"] = json!("called on Tuesday");
    engine.edit_local(&customer.local_id, local).await.unwrap();
    let pushed = sync(&engine).await;
    assert_eq!(pushed.pushed, 2, "{pushed:?}");

    let writes = harness.writes().await;
    let history = history_len(&engine).await;
    let records = local_rows(&engine, "Bill").await;
    let again = sync(&engine).await;
    assert_eq!((again.pulled, again.pushed), (0, 0), "{again:?}");
    assert_eq!(harness.writes().await, writes, "no write was sent");
    assert_eq!(
        history_len(&engine).await,
        history,
        "nothing new in the history"
    );
    assert_eq!(local_rows(&engine, "Bill").await, records);
}

#[tokio::test]
async fn work_done_offline_waits_and_is_sent_when_quickbooks_answers() {
    let harness = Harness::start(Some((24, 12))).await;
    let engine = harness.engine("books").await;
    // Before the first sync, with QuickBooks unreachable.
    let created = engine
        .create_local("Customer", json!({"DisplayName": "Offline Oak Ltd"}))
        .await
        .unwrap();
    let mut edited = created.record.local.clone().unwrap();
    edited["Notes"] = json!("second thoughts");
    engine
        .edit_local(&created.record.local_id, edited)
        .await
        .unwrap();
    harness
        .arm(json!({"kind": "service_unavailable", "path": "/v3/*", "count": 100}))
        .await;
    let failed = engine.sync(&|_| {}, &CancelFlag::new()).await;
    assert!(matches!(failed, Err(EngineError::Qbo(_))), "{failed:?}");
    let kept = local_record(&engine, &created.record.local_id).await;
    assert_eq!(kept.state, RecordState::Pending);
    assert_eq!(kept.local.unwrap()["Notes"], "second thoughts");
    harness.clear_faults().await;
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1, "{report:?}");
    let synced = local_record(&engine, &created.record.local_id).await;
    assert_eq!(synced.state, RecordState::Synced);
    let remote = harness
        .remote("Customer", synced.qbo_id.as_deref().unwrap())
        .await;
    assert_eq!(remote["DisplayName"], "Offline Oak Ltd");
    assert_eq!(remote["Notes"], "second thoughts");
}

#[tokio::test]
async fn a_cancel_between_batches_keeps_the_queue_and_the_next_sync_sends_it_once() {
    let harness = Harness::start(Some((25, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let created = engine
        .create_local("Customer", json!({"DisplayName": "Cancelled Cedar Co"}))
        .await
        .unwrap();
    let cancel = CancelFlag::new();
    let outcome = engine
        .sync(
            &|progress| {
                if progress.phase == SyncPhase::Pushing {
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .await;
    assert!(
        matches!(outcome, Err(EngineError::Cancelled)),
        "{outcome:?}"
    );
    assert_eq!(engine.store().outbox().await.unwrap().len(), 1);
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1);
    assert!(engine.store().outbox().await.unwrap().is_empty());
    let named = harness
        .remote_rows(
            "SELECT * FROM Customer WHERE DisplayName = 'Cancelled Cedar Co'",
            "Customer",
        )
        .await;
    assert_eq!(named.len(), 1, "created exactly once");
    let record = local_record(&engine, &created.record.local_id).await;
    assert_eq!(record.qbo_id.as_deref(), named[0]["Id"].as_str());
}

#[tokio::test]
async fn a_truncated_change_capture_is_read_in_narrower_windows() {
    // The emulator truncates at the engine's cap, as QuickBooks does at 1,000.
    let (harness, engine, customers) = capped_change_capture((26, 10), 12).await;
    for (index, row) in customers.iter().enumerate() {
        harness.advance(json!({"seconds": 20})).await;
        harness
            .remote_edit(
                "Customer",
                row.qbo_id.as_deref().unwrap(),
                json!({"DisplayName": row.summary.name, "Notes": format!("note {index}")}),
            )
            .await;
    }
    // Changes of another type inside the same windows are not missed either.
    let vendors: Vec<_> = local_rows(&engine, "Vendor")
        .await
        .into_iter()
        .filter(|row| row.active)
        .take(3)
        .collect();
    assert_eq!(vendors.len(), 3);
    for row in &vendors {
        harness.advance(json!({"seconds": 20})).await;
        harness
            .remote_edit(
                "Vendor",
                row.qbo_id.as_deref().unwrap(),
                json!({"DisplayName": row.summary.name, "AcctNum": "A-9"}),
            )
            .await;
    }
    let cdc_before = harness.requests_to("GET cdc").await;
    let queries_before = harness.requests_to("POST query").await;
    let report = sync(&engine).await;
    let cdc_requests = harness.requests_to("GET cdc").await - cdc_before;
    // One for all types (truncated), then narrower windows of customers and
    // vendors and one for each other type.
    assert!(cdc_requests >= 4, "{cdc_requests} CDC requests");
    assert_eq!(
        harness.requests_to("POST query").await,
        queries_before,
        "narrower windows sufficed; nothing was re-read by query"
    );
    assert_eq!(report.pulled, 15, "{report:?}");
    for (index, row) in customers.iter().enumerate() {
        let local = local_record(&engine, &row.local_id).await.local.unwrap();
        assert_eq!(local["Notes"], format!("note {index}"));
    }
    for row in &vendors {
        let local = local_record(&engine, &row.local_id).await.local.unwrap();
        assert_eq!(local["AcctNum"], "A-9");
    }
    let again = sync(&engine).await;
    assert_eq!(again.pulled, 0, "the bookmark moved past every window");
}

#[tokio::test]
async fn a_rescan_after_thirty_days_finds_deletions_and_new_objects() {
    let harness = Harness::start_with(
        EmulatorConfig::default(),
        Some((27, 12)),
        Some(start_time()),
    )
    .await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let body = bill_body(&engine, "gone while away").await;
    let bill = harness.remote_create("Bill", body).await;
    sync(&engine).await;
    let bill_id = bill["Id"].as_str().unwrap().to_owned();
    let local_bill = local_by_qbo_id(&engine, "Bill", &bill_id).await;
    let invoice = first_active(&engine, "Invoice", |_| true).await;
    drop(engine);
    harness.advance_days(31).await;
    let harness = Harness {
        token: harness.mint().await,
        ..harness
    };
    harness.remote_delete("Bill", &bill_id).await;
    let newcomer = harness
        .remote_create("Customer", json!({"DisplayName": "Arrived Later Ltd"}))
        .await;
    harness
        .remote_edit(
            "Invoice",
            invoice.qbo_id.as_deref().unwrap(),
            json!({"PrivateNote": "while you were away"}),
        )
        .await;
    // Past CDC's reach, even the tombstone is gone: only a re-scan sees it.
    harness.advance_days(31).await;
    let harness = Harness {
        token: harness.mint().await,
        ..harness
    };
    let engine = harness.engine("books").await;
    let report = sync(&engine).await;
    assert!(report.full_rescan);
    let deleted = local_record(&engine, &local_bill.local_id).await;
    assert_eq!(deleted.state, RecordState::Deleted);
    assert!(deleted.remote_deleted);
    local_by_qbo_id(&engine, "Customer", newcomer["Id"].as_str().unwrap()).await;
    let edited = local_record(&engine, &invoice.local_id).await;
    assert_eq!(edited.local.unwrap()["PrivateNote"], "while you were away");
    assert_eq!(edited.state, RecordState::Synced);
    let again = sync(&engine).await;
    assert!(!again.full_rescan);
    assert_eq!(again.pulled, 0);
}

#[tokio::test]
async fn deleting_a_list_entry_makes_it_inactive_and_undo_brings_it_back() {
    let harness = Harness::start(Some((28, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let vendor = first_active(&engine, "Vendor", |_| true).await;
    let vendor_id = vendor.qbo_id.clone().unwrap();
    engine.delete_local(&vendor.local_id).await.unwrap();
    let plan = engine.dry_run().await.unwrap();
    assert_eq!(plan.operations.len(), 1);
    assert_eq!(plan.operations[0].operation, "deactivate");
    sync(&engine).await;
    assert_eq!(harness.remote("Vendor", &vendor_id).await["Active"], false);
    let inactive = local_record(&engine, &vendor.local_id).await;
    assert!(!inactive.active);
    assert_eq!(inactive.state, RecordState::Synced);
    assert_eq!(inactive.intent, Intent::None);

    let history = engine
        .store()
        .history(&HistoryFilter {
            local_id: Some(vendor.local_id.clone()),
            limit: 10,
            ..HistoryFilter::default()
        })
        .await
        .unwrap();
    let inactivation = history
        .iter()
        .find(|entry| entry.direction == Direction::Local && entry.operation == "inactivate")
        .unwrap();
    engine.undo(inactivation.id).await.unwrap();
    sync(&engine).await;
    assert_eq!(harness.remote("Vendor", &vendor_id).await["Active"], true);
    assert!(local_record(&engine, &vendor.local_id).await.active);

    // A list entry cannot be deleted in QuickBooks, so undoing its creation is refused.
    let created = engine
        .create_local("Customer", json!({"DisplayName": "Undo Me Ltd"}))
        .await
        .unwrap();
    sync(&engine).await;
    let creation = engine
        .store()
        .history(&HistoryFilter {
            local_id: Some(created.record.local_id.clone()),
            limit: 10,
            ..HistoryFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|entry| entry.direction == Direction::Local && entry.operation == "create")
        .unwrap();
    let refused = engine.undo(creation.id).await;
    assert!(
        matches!(&refused, Err(EngineError::Refused(message)) if message.contains("inactive")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn undo_pushes_the_version_before_and_the_dry_run_shows_what_is_held_back() {
    let harness = Harness::start(Some((29, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let body = bill_body(&engine, "first note").await;
    let created = engine.create_local("Bill", body).await.unwrap();
    sync(&engine).await;
    let pushed = local_record(&engine, &created.record.local_id).await;
    let qbo_id = pushed.qbo_id.clone().unwrap();
    let mut edited = pushed.local.clone().unwrap();
    edited["PrivateNote"] = json!("second note");
    engine.edit_local(&pushed.local_id, edited).await.unwrap();
    sync(&engine).await;
    assert_eq!(
        harness.remote("Bill", &qbo_id).await["PrivateNote"],
        "second note"
    );
    let edit = engine
        .store()
        .history(&HistoryFilter {
            local_id: Some(pushed.local_id.clone()),
            limit: 10,
            ..HistoryFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|entry| entry.direction == Direction::Local && entry.operation == "update")
        .unwrap();
    let undone = engine.undo(edit.id).await.unwrap();
    assert_eq!(undone.record.state, RecordState::Pending);
    sync(&engine).await;
    assert_eq!(
        harness.remote("Bill", &qbo_id).await["PrivateNote"],
        "first note"
    );

    // A bill on an account QuickBooks does not have is held back, by field.
    let mut broken = bill_body(&engine, "broken").await;
    broken["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"] = json!({"value": "99999"});
    let saved = engine.create_local("Bill", broken).await.unwrap();
    assert!(
        saved
            .issues
            .iter()
            .any(|issue| issue.code == IssueCode::MissingReference)
    );
    assert_eq!(saved.record.state, RecordState::Error);
    let plan = engine.dry_run().await.unwrap();
    assert!(plan.operations.is_empty(), "{plan:?}");
    assert_eq!(plan.held_back.len(), 1);
    assert!(plan.held_back[0].issues[0].field.contains("AccountRef"));
    let writes = harness.writes().await;
    let report = sync(&engine).await;
    assert_eq!(report.failed.len(), 1);
    assert_eq!(harness.writes().await, writes, "nothing was sent for it");
}

#[tokio::test]
async fn an_edit_against_a_deletion_keeps_both_versions_in_the_conflict() {
    let harness = Harness::start(Some((30, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let body = bill_body(&engine, "to be deleted there").await;
    let bill = harness.remote_create("Bill", body).await;
    sync(&engine).await;
    let bill_id = bill["Id"].as_str().unwrap();
    let record = local_by_qbo_id(&engine, "Bill", bill_id).await;
    let mut edited = record.local.clone().unwrap();
    edited["PrivateNote"] = json!("edited here");
    engine.edit_local(&record.local_id, edited).await.unwrap();
    harness.remote_delete("Bill", bill_id).await;
    let report = sync(&engine).await;
    assert_eq!(report.conflicts_opened, 1);
    let conflict = engine
        .store()
        .conflict_for(&record.local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conflict.kind, ConflictKind::LocalEditRemoteDelete);
    assert_eq!(conflict.local.unwrap()["PrivateNote"], "edited here");
    assert!(conflict.remote.is_none());
    // Nothing is sent while the user decides, and a local edit waits too.
    let refused = engine
        .edit_local(&record.local_id, json!({"PrivateNote": "again"}))
        .await;
    assert!(
        matches!(refused, Err(EngineError::Refused(_))),
        "{refused:?}"
    );
    let writes = harness.writes().await;
    sync(&engine).await;
    assert_eq!(harness.writes().await, writes);
    engine
        .resolve_conflict(conflict.id, sync_engine::Resolution::AcceptDelete)
        .await
        .unwrap();
    let settled = local_record(&engine, &record.local_id).await;
    assert_eq!(settled.state, RecordState::Deleted);
    assert!(engine.store().open_conflicts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refusal_by_quickbooks_is_kept_until_the_record_is_changed() {
    let harness = Harness::start(Some((31, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    // Names are unique across customers, vendors and employees (6240).
    let vendor = first_active(&engine, "Vendor", |_| true).await;
    let taken = vendor.summary.name.clone().unwrap();
    let created = engine
        .create_local("Customer", json!({"DisplayName": taken}))
        .await
        .unwrap();
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 0);
    let refused = local_record(&engine, &created.record.local_id).await;
    assert_eq!(refused.state, RecordState::Error);
    let message = refused.error.clone().unwrap();
    assert!(message.contains("6240"), "{message}");
    // Sent as it is, it would be refused again: it waits for a change.
    let writes = harness.writes().await;
    let again = sync(&engine).await;
    assert_eq!(harness.writes().await, writes, "not sent again unchanged");
    assert_eq!(again.failed.len(), 0, "{again:?}");
    let mut renamed = refused.local.clone().unwrap();
    renamed["DisplayName"] = json!(format!("{taken} Customer"));
    engine.edit_local(&refused.local_id, renamed).await.unwrap();
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1, "{report:?}");
    assert_eq!(
        local_record(&engine, &refused.local_id).await.state,
        RecordState::Synced
    );
}

#[tokio::test]
async fn without_automatic_creation_a_new_vendor_name_is_held_back() {
    let harness = Harness::start(Some((32, 12))).await;
    let engine = harness
        .engine_with(
            "books",
            EngineConfig {
                auto_create_parties: false,
                ..EngineConfig::default()
            },
        )
        .await;
    sync(&engine).await;
    let vendors = harness.emulator_count("Vendor");
    let mut body = bill_body(&engine, "new supplier").await;
    body["VendorRef"] = json!({"name": "Nobody Knows Ltd"});
    let created = engine.create_local("Bill", body).await.unwrap();
    assert_eq!(created.record.state, RecordState::Error);
    let report = sync(&engine).await;
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].message.contains("VendorRef"));
    assert_eq!(
        harness.emulator_count("Vendor"),
        vendors,
        "no vendor was created"
    );
}
