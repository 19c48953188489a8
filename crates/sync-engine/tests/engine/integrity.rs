//! Exactly once and lossless: the paths that could lose or duplicate an
//! entry (issue 14), each driven against the emulator until it would have
//! gone wrong — a count resent after a sale in QuickBooks, two engines on one
//! folder, a batch item that fails after QuickBooks wrote it, a void kept
//! against a deletion, an edit made while its push was in flight, a delete
//! made while its plan was still being stored — and the
//! handling that scenario tests used to pass without: a real 5010 on a field
//! edited on both sides, and the emulator's own CDC cap.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use local_store::{ConflictKind, Intent, MAIN_LOCATION_ID, RecordState};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::stock::ProductMaster;
use sync_engine::{CancelFlag, EngineConfig, EngineError, Resolution, SyncPhase};
use tokio::sync::Notify;

use crate::support::{
    Harness, TestEngine, account_id, bill_body, capped_change_capture, first_active,
    local_by_qbo_id, local_record, local_rows, product_rules, remote_on_hand, sync,
};

/// An invoice on the first active customer and service item of the books.
async fn invoice_body(engine: &TestEngine, note: &str) -> Value {
    let customer = first_active(engine, "Customer", |_| true)
        .await
        .local
        .unwrap();
    let item = first_active(engine, "Item", |item| item["Type"] == "Service")
        .await
        .local
        .unwrap();
    json!({
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "PrivateNote": note,
        "Line": [{
            "Amount": 120.50,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"], "name": item["Name"]}, "Qty": 1, "UnitPrice": 120.50}
        }]
    })
}

/// The QuickBooks objects of a type whose `PrivateNote` is `note`.
fn remote_with_note(harness: &Harness, entity: &str, note: &str) -> usize {
    harness
        .server
        .emulator()
        .with_company(&harness.realm, |company| {
            company
                .all(entity)
                .filter(|object| object["PrivateNote"] == note)
                .count()
        })
        .unwrap()
}

/// Local records of a type per QuickBooks id: none may appear twice.
async fn assert_one_local_record_per_qbo_id(engine: &TestEngine, entity: &str) {
    let mut ids: Vec<String> = local_rows(engine, entity)
        .await
        .into_iter()
        .filter(|row| row.state != RecordState::Deleted)
        .filter_map(|row| row.qbo_id)
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "a {entity} is held twice locally");
}

// --- Stock counts -----------------------------------------------------------

/// An empty company with a customer and one stock-tracked product,
/// "Widget", of `on_hand` units, synced once. Returns the customer's and
/// the widget's QuickBooks ids.
async fn with_widget(on_hand: i64) -> (Harness, TestEngine, String, String) {
    let harness = Harness::start(None).await;
    let customer = harness
        .remote_create("Customer", json!({ "DisplayName": "Corner Shop" }))
        .await["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let widget = json!({
        "Name": "Widget",
        "Type": "Inventory",
        "TrackQtyOnHand": true,
        "QtyOnHand": on_hand,
        "InvStartDate": "2026-01-01",
        "UnitPrice": 10,
        "IncomeAccountRef": { "value": account_id(&harness, "Sales of Product Income").await },
        "ExpenseAccountRef": { "value": account_id(&harness, "Cost of Goods Sold").await },
        "AssetAccountRef": { "value": account_id(&harness, "Inventory Asset").await },
    });
    let widget = harness.remote_create("Item", widget).await["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let engine = harness
        .engine_with("books", product_rules(ProductMaster::QuickBooks))
        .await;
    sync(&engine).await;
    (harness, engine, customer, widget)
}

/// A sale of `quantity` widgets recorded in QuickBooks.
async fn remote_sale(harness: &Harness, customer: &str, widget: &str, quantity: i64) {
    harness
        .remote_create(
            "Invoice",
            json!({
                "CustomerRef": { "value": customer },
                "TxnDate": "2026-11-20",
                "Line": [{
                    "DetailType": "SalesItemLineDetail",
                    "Amount": quantity * 10,
                    "SalesItemLineDetail": { "ItemRef": { "value": widget }, "Qty": quantity, "UnitPrice": 10 }
                }]
            }),
        )
        .await;
}

async fn local_on_hand(engine: &TestEngine, widget: &str) -> Decimal {
    engine
        .catalogue()
        .await
        .unwrap()
        .entries
        .into_iter()
        .find(|entry| entry.record.qbo_id.as_deref() == Some(widget))
        .unwrap()
        .stock[MAIN_LOCATION_ID]
        .0
}

#[tokio::test]
async fn a_count_resent_after_a_sale_in_quickbooks_keeps_the_sale() {
    let (harness, engine, customer, widget) = with_widget(10).await;
    let local_id = local_by_qbo_id(&engine, "Item", &widget).await.local_id;
    // Counted 12 here: two more than QuickBooks' 10.
    engine
        .set_stock(&local_id, MAIN_LOCATION_ID, Decimal::from(12), None)
        .await
        .unwrap();
    // The count's send never reaches QuickBooks, retries included.
    harness
        .arm(json!({"kind": "drop_before_commit", "method": "POST", "path": "*/item", "count": 2}))
        .await;
    let failed = engine.sync(&|_| {}, &CancelFlag::new()).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(remote_on_hand(&harness, &widget).await, Decimal::from(10));
    harness.clear_faults().await;
    // Three sold in QuickBooks before the next sync pulls the item again.
    remote_sale(&harness, &customer, &widget, 3).await;
    sync(&engine).await;
    assert_eq!(
        remote_on_hand(&harness, &widget).await,
        Decimal::from(9),
        "10 - 3 sold + 2 counted: the resend must not erase the sale"
    );
    assert_eq!(local_on_hand(&engine, &widget).await, Decimal::from(9));
    assert!(engine.store().stock_pushes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_count_met_as_stale_is_computed_again_from_the_new_quantity() {
    let (harness, engine, _customer, widget) = with_widget(10).await;
    let local_id = local_by_qbo_id(&engine, "Item", &widget).await.local_id;
    engine
        .set_stock(&local_id, MAIN_LOCATION_ID, Decimal::from(12), None)
        .await
        .unwrap();
    // Something to push, so that the push reports progress before the
    // count goes out.
    engine
        .create_local("Customer", json!({"DisplayName": "Hook Ltd"}))
        .await
        .unwrap();
    // QuickBooks' quantity is adjusted to 6 after the pull read 10.
    let adjusted = AtomicBool::new(false);
    sync_with(&engine, &|phase| {
        if phase == SyncPhase::Pushing && !adjusted.swap(true, Ordering::SeqCst) {
            harness.remote_edit_now("Item", &widget, json!({"QtyOnHand": 6}));
        }
    })
    .await
    .unwrap();
    assert!(adjusted.load(Ordering::SeqCst));
    assert_eq!(
        remote_on_hand(&harness, &widget).await,
        Decimal::from(8),
        "the stale count is computed again in the same sync: 6 + 2"
    );
    assert_eq!(local_on_hand(&engine, &widget).await, Decimal::from(8));
}

/// One sync whose progress callback sees each phase.
async fn sync_with(
    engine: &TestEngine,
    on_phase: &(dyn Fn(SyncPhase) + Send + Sync),
) -> Result<sync_engine::SyncReport, EngineError> {
    engine
        .sync(&|progress| on_phase(progress.phase), &CancelFlag::new())
        .await
}

// --- Two engines on one folder ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_engines_on_one_folder_create_each_record_once() {
    let harness = Harness::start(Some((41, 10))).await;
    let first = Arc::new(harness.engine("books").await);
    let second = Arc::new(harness.engine("books").await);
    sync(&first).await;
    let invoices_before = harness.emulator_count("Invoice");
    for index in 0..3 {
        first
            .create_local(
                "Invoice",
                invoice_body(&first, &format!("twice {index}")).await,
            )
            .await
            .unwrap();
    }
    // The first engine's batch is held in flight (written, not answered).
    harness
        .arm(json!({"kind": "timeout", "method": "POST", "path": "*/batch", "hold_ms": 1500}))
        .await;
    let (signal, signalled) = mpsc::channel::<()>();
    let signalled = Mutex::new(signalled);
    let waiting = Arc::new(Notify::new());
    // The second engine starts first and waits, once past its start, until
    // the first one has its batch in flight (or has finished).
    let second_task = {
        let second = Arc::clone(&second);
        let waiting = Arc::clone(&waiting);
        tokio::spawn(async move {
            let paused = AtomicBool::new(false);
            second
                .sync(
                    &|_| {
                        if !paused.swap(true, Ordering::SeqCst) {
                            waiting.notify_one();
                            let _ = signalled
                                .lock()
                                .unwrap()
                                .recv_timeout(Duration::from_secs(10));
                        }
                    },
                    &CancelFlag::new(),
                )
                .await
        })
    };
    // Started while the second engine waits, or after it finished (it
    // reports progress only once it holds the company).
    tokio::select! {
        () = waiting.notified() => {}
        () = tokio::time::sleep(Duration::from_secs(3)) => {}
    }
    let first_task = {
        let first = Arc::clone(&first);
        let signal = signal.clone();
        tokio::spawn(async move {
            let sent = AtomicBool::new(false);
            let outcome = first
                .sync(
                    &|progress| {
                        if progress.phase == SyncPhase::Pushing
                            && !sent.swap(true, Ordering::SeqCst)
                        {
                            let _ = signal.send(());
                        }
                    },
                    &CancelFlag::new(),
                )
                .await;
            let _ = signal.send(());
            outcome
        })
    };
    let first_outcome = first_task.await.unwrap();
    let second_outcome = second_task.await.unwrap();
    for outcome in [&first_outcome, &second_outcome] {
        assert!(
            matches!(outcome, Ok(_) | Err(EngineError::AlreadySyncing)),
            "{outcome:?}"
        );
    }
    // Whatever the interleaving, the next syncs settle everything.
    harness.clear_faults().await;
    sync(&first).await;
    sync(&second).await;
    for index in 0..3 {
        assert_eq!(
            remote_with_note(&harness, "Invoice", &format!("twice {index}")),
            1,
            "invoice {index} is in QuickBooks exactly once"
        );
    }
    assert_eq!(harness.emulator_count("Invoice"), invoices_before + 3);
    assert_one_local_record_per_qbo_id(&first, "Invoice").await;
    assert!(first.store().outbox().await.unwrap().is_empty());
    assert!(
        matches!(first_outcome, Err(EngineError::AlreadySyncing))
            || matches!(second_outcome, Err(EngineError::AlreadySyncing)),
        "one of the two syncs found the company busy"
    );
}

#[tokio::test]
async fn a_second_engine_on_a_syncing_company_is_told_it_is_busy() {
    let harness = Harness::start(None).await;
    let first = Arc::new(harness.engine("books").await);
    let second = harness.engine("books").await;
    sync(&first).await;
    // The first engine's change capture is held long enough for the second
    // (another process, as far as the lock is concerned) to try.
    harness
        .arm(json!({"kind": "timeout", "method": "GET", "path": "*/cdc", "hold_ms": 1000}))
        .await;
    let started = Arc::new(Notify::new());
    let running = {
        let first = Arc::clone(&first);
        let started = Arc::clone(&started);
        tokio::spawn(async move {
            let told = AtomicBool::new(false);
            first
                .sync(
                    &|_| {
                        if !told.swap(true, Ordering::SeqCst) {
                            started.notify_one();
                        }
                    },
                    &CancelFlag::new(),
                )
                .await
        })
    };
    started.notified().await;
    let refused = second.sync(&|_| {}, &CancelFlag::new()).await;
    assert!(
        matches!(refused, Err(EngineError::AlreadySyncing)),
        "{refused:?}"
    );
    running.await.unwrap().unwrap();
    // Once the first is done, the second syncs.
    sync(&second).await;
}

// --- A batch item that may have been written --------------------------------

#[tokio::test]
async fn a_system_fault_on_one_batch_item_keeps_its_request_id_and_never_duplicates() {
    let harness = Harness::start(Some((42, 10))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let bills_before = harness.emulator_count("Bill");
    for note in ["item fault a", "item fault b"] {
        engine
            .create_local("Bill", bill_body(&engine, note).await)
            .await
            .unwrap();
    }
    // QuickBooks writes both bills, then answers the first with a SystemFault.
    harness
        .arm(json!({"kind": "item_system_fault", "method": "POST", "path": "*/batch", "b_id": "1"}))
        .await;
    let failed = engine.sync(&|_| {}, &CancelFlag::new()).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(harness.emulator_count("Bill"), bills_before + 2);
    assert_eq!(
        engine.store().outbox().await.unwrap().len(),
        1,
        "the faulted item waits in the outbox with its request id"
    );
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1, "{report:?}");
    assert_eq!(
        harness.emulator_count("Bill"),
        bills_before + 2,
        "the resend was answered from the first write, not written again"
    );
    for note in ["item fault a", "item fault b"] {
        assert_eq!(remote_with_note(&harness, "Bill", note), 1, "{note}");
    }
    let mine: Vec<_> = local_rows(&engine, "Bill")
        .await
        .into_iter()
        .filter(|row| {
            row.local.as_ref().is_some_and(|local| {
                local["PrivateNote"]
                    .as_str()
                    .is_some_and(|note| note.starts_with("item fault"))
            })
        })
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(
        mine.iter()
            .all(|row| row.state == RecordState::Synced && row.qbo_id.is_some()),
        "{mine:?}"
    );
    assert_one_local_record_per_qbo_id(&engine, "Bill").await;
    assert!(engine.store().outbox().await.unwrap().is_empty());
}

// --- Batches of one stage on their way together -----------------------------

/// Books synced once, pushing in batches of `size`.
async fn synced_books_in_batches_of(size: usize) -> (Harness, TestEngine) {
    let harness = Harness::start(Some((44, 10))).await;
    let engine = harness
        .engine_with(
            "books",
            EngineConfig {
                batch_size: size,
                ..EngineConfig::default()
            },
        )
        .await;
    sync(&engine).await;
    (harness, engine)
}

/// `count` invoices made here, noted `prefix 0`, `prefix 1`…: their notes
/// and local ids, in that order.
async fn new_invoices(
    engine: &TestEngine,
    prefix: &str,
    count: usize,
) -> (Vec<String>, Vec<String>) {
    let notes: Vec<String> = (0..count)
        .map(|index| format!("{prefix} {index}"))
        .collect();
    let mut local_ids = Vec::new();
    for note in &notes {
        let created = engine
            .create_local("Invoice", invoice_body(engine, note).await)
            .await
            .unwrap();
        local_ids.push(created.record.local_id);
    }
    (notes, local_ids)
}

#[tokio::test]
async fn a_fault_in_one_of_several_batches_on_their_way_duplicates_nothing() {
    let (harness, engine) = synced_books_in_batches_of(5).await;
    let invoices_before = harness.emulator_count("Invoice");
    let (notes, local_ids) = new_invoices(&engine, "together", 40).await;
    // Eight batches of five. QuickBooks writes the first batch to arrive,
    // then answers one of its items with a SystemFault.
    harness
        .arm(json!({"kind": "item_system_fault", "method": "POST", "path": "*/batch", "b_id": "3"}))
        .await;
    let failed = engine.sync(&|_| {}, &CancelFlag::new()).await;
    assert!(failed.is_err(), "{failed:?}");
    let mut confirmed = 0;
    for local_id in &local_ids {
        let record = local_record(&engine, local_id).await;
        if record.state == RecordState::Synced {
            confirmed += 1;
        }
    }
    // The batches sent beside the faulted one were answered and kept: the
    // faulted batch's four other items and at least three whole batches.
    assert!(confirmed >= 4 + 3 * 5, "only {confirmed} confirmed");
    assert_eq!(
        engine.store().outbox().await.unwrap().len(),
        40 - confirmed,
        "what was not confirmed waits in the outbox, and nothing else"
    );
    let report = sync(&engine).await;
    assert_eq!(
        report.pushed,
        u64::try_from(40 - confirmed).unwrap(),
        "{report:?}"
    );
    assert_eq!(harness.emulator_count("Invoice"), invoices_before + 40);
    for (note, local_id) in notes.iter().zip(&local_ids) {
        assert_eq!(remote_with_note(&harness, "Invoice", note), 1, "{note}");
        let record = local_record(&engine, local_id).await;
        assert_eq!(record.state, RecordState::Synced, "{note}");
        let remote = harness
            .remote("Invoice", record.qbo_id.as_deref().unwrap())
            .await;
        assert_eq!(
            remote["PrivateNote"],
            note.as_str(),
            "{note} is bound to its own invoice"
        );
    }
    assert_one_local_record_per_qbo_id(&engine, "Invoice").await;
    assert!(engine.store().outbox().await.unwrap().is_empty());
}

// --- A void kept against a deletion -----------------------------------------

#[tokio::test]
async fn keeping_a_void_against_a_deletion_lets_the_void_stand() {
    let harness = Harness::start(Some((43, 10))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let created = engine
        .create_local("Invoice", invoice_body(&engine, "void versus delete").await)
        .await
        .unwrap();
    sync(&engine).await;
    let invoice = local_record(&engine, &created.record.local_id).await;
    let qbo_id = invoice.qbo_id.clone().unwrap();
    engine.void_local(&invoice.local_id).await.unwrap();
    harness.remote_delete("Invoice", &qbo_id).await;
    let invoices_after_delete = harness.emulator_count("Invoice");
    let report = sync(&engine).await;
    assert_eq!(report.conflicts_opened, 1, "{report:?}");
    let conflict = engine
        .store()
        .conflict_for(&invoice.local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conflict.kind, ConflictKind::LocalEditRemoteDelete);
    // What the conflict view reads to say that keeping mine keeps a void.
    assert_eq!(
        local_record(&engine, &invoice.local_id).await.intent,
        Intent::Void
    );
    engine
        .resolve_conflict(conflict.id, Resolution::KeepLocalVersion)
        .await
        .unwrap();
    sync(&engine).await;
    assert_eq!(
        harness.emulator_count("Invoice"),
        invoices_after_delete,
        "nothing was created again"
    );
    assert_eq!(
        remote_with_note(&harness, "Invoice", "void versus delete"),
        0
    );
    let record = local_record(&engine, &invoice.local_id).await;
    assert_eq!(record.state, RecordState::Deleted);
    assert!(engine.store().open_conflicts().await.unwrap().is_empty());
    assert!(engine.store().pending_records().await.unwrap().is_empty());
}

// --- An edit made while its push was in flight ------------------------------

#[tokio::test]
async fn an_edit_made_during_a_push_that_clashes_with_the_answer_opens_a_conflict() {
    let harness = Harness::start(Some((44, 10))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let created = engine
        .create_local("Invoice", invoice_body(&engine, "in flight").await)
        .await
        .unwrap();
    let local_id = created.record.local_id.clone();
    // The create's answer is held; meanwhile the user types a number of
    // their own, and QuickBooks numbers the invoice itself.
    harness
        .arm(json!({"kind": "timeout", "method": "POST", "path": "*/batch", "hold_ms": 2500}))
        .await;
    let pushing = Notify::new();
    let sent = AtomicBool::new(false);
    let on_progress = |progress: sync_engine::SyncProgress| {
        if progress.phase == SyncPhase::Pushing && !sent.swap(true, Ordering::SeqCst) {
            pushing.notify_one();
        }
    };
    let cancel = CancelFlag::new();
    let syncing = engine.sync(&on_progress, &cancel);
    let editing = async {
        pushing.notified().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut local = local_record(&engine, &local_id).await.local.unwrap();
        local["DocNumber"] = json!("MINE-1");
        engine.edit_local(&local_id, local).await.unwrap();
    };
    let (report, ()) = tokio::join!(syncing, editing);
    let report = report.unwrap();
    assert_eq!(report.conflicts_opened, 1, "{report:?}");
    let record = local_record(&engine, &local_id).await;
    assert_eq!(record.state, RecordState::Conflict);
    let qbo_id = record.qbo_id.clone().unwrap();
    let numbered = harness.remote("Invoice", &qbo_id).await["DocNumber"].clone();
    assert!(numbered.is_string() && numbered != "MINE-1", "{numbered}");
    assert_eq!(
        record.local.as_ref().unwrap()["DocNumber"],
        "MINE-1",
        "the edit is kept"
    );
    let conflict = engine
        .store()
        .conflict_for(&local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conflict.kind, ConflictKind::EditEdit);
    assert!(
        conflict.fields.to_string().contains("DocNumber"),
        "{}",
        conflict.fields
    );
    // Keeping mine sends it.
    engine
        .resolve_conflict(conflict.id, Resolution::TakeLocal)
        .await
        .unwrap();
    sync(&engine).await;
    assert_eq!(
        harness.remote("Invoice", &qbo_id).await["DocNumber"],
        "MINE-1"
    );
    assert_eq!(remote_with_note(&harness, "Invoice", "in flight"), 1);
}

// --- Edits while a large plan is still being stored ------------------------

/// A large plan is stored a few batches at a time while its first batches
/// are on their way. A delete or an edit made meanwhile must wait until the
/// whole plan is in the outbox: a record deleted (forgotten, as it never
/// reached QuickBooks) before its create was queued would leave a create
/// planned for a record that is gone. Both are sent by the next sync.
#[tokio::test]
async fn a_delete_made_while_a_plan_is_stored_waits_for_its_outbox_and_nothing_unwanted_is_created()
{
    let (harness, engine) = synced_books_in_batches_of(1).await;
    let invoices_before = harness.emulator_count("Invoice");
    // Thirty-six batches of one (inside Intuit's forty batches a minute),
    // stored in transactions of one, two, four, eight, sixteen and five.
    let (notes, local_ids) = new_invoices(&engine, "stored", 36).await;
    let deleted = local_ids[35].clone();
    let edited = local_ids[34].clone();
    let pushing = Notify::new();
    let started = AtomicBool::new(false);
    let on_progress = |progress: sync_engine::SyncProgress| {
        if progress.phase == SyncPhase::Pushing && !started.swap(true, Ordering::SeqCst) {
            pushing.notify_one();
        }
    };
    let cancel = CancelFlag::new();
    let syncing = engine.sync(&on_progress, &cancel);
    let editing = async {
        pushing.notified().await;
        engine.delete_local(&deleted).await.unwrap();
        // The delete got in only once every planned invoice was queued:
        // each is in the outbox or already answered.
        let queued: Vec<String> = engine
            .store()
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .map(|entry| entry.local_id)
            .collect();
        assert!(!queued.is_empty(), "the delete came during the push");
        for (note, local_id) in notes.iter().zip(&local_ids) {
            let answered = local_record(&engine, local_id).await.qbo_id.is_some();
            assert!(
                answered || queued.contains(local_id),
                "{note} was planned but neither queued nor answered when the delete got in"
            );
        }
        let mut local = local_record(&engine, &edited).await.local.unwrap();
        local["CustomerMemo"] = json!({"value": "edited while the plan was stored"});
        engine.edit_local(&edited, local).await.unwrap();
    };
    let (report, ()) = tokio::join!(syncing, editing);
    let report = report.unwrap();
    // Every create went out as planned; the delete and the edit follow.
    assert_eq!(report.pushed, 36, "{report:?}");
    assert_eq!(report.conflicts_opened, 0, "{report:?}");
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 2, "{report:?}");
    assert_eq!(report.conflicts_opened, 0, "{report:?}");
    assert_eq!(remote_with_note(&harness, "Invoice", &notes[35]), 0);
    assert!(
        engine.store().record(&deleted).await.unwrap().is_none()
            || local_record(&engine, &deleted).await.state == RecordState::Deleted
    );
    let record = local_record(&engine, &edited).await;
    assert_eq!(record.state, RecordState::Synced);
    assert_eq!(
        harness
            .remote("Invoice", record.qbo_id.as_deref().unwrap())
            .await["CustomerMemo"]["value"],
        "edited while the plan was stored"
    );
    assert_eq!(harness.emulator_count("Invoice"), invoices_before + 35);
    for (note, local_id) in notes.iter().zip(&local_ids).take(35) {
        assert_eq!(remote_with_note(&harness, "Invoice", note), 1, "{note}");
        let record = local_record(&engine, local_id).await;
        assert_eq!(record.state, RecordState::Synced, "{note}");
    }
    assert_one_local_record_per_qbo_id(&engine, "Invoice").await;
    assert!(engine.store().outbox().await.unwrap().is_empty());
}

// --- A real 5010 on a field edited on both sides ----------------------------

#[tokio::test]
async fn a_push_met_as_stale_on_a_field_edited_on_both_sides_opens_a_conflict() {
    let harness = Harness::start(Some((45, 12))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let invoice = first_active(&engine, "Invoice", |_| true).await;
    let qbo_id = invoice.qbo_id.clone().unwrap();
    let mut local = invoice.local.clone().unwrap();
    local["PrivateNote"] = json!("ours");
    engine.edit_local(&invoice.local_id, local).await.unwrap();
    let reads_before = harness.requests_to("GET invoice/{id}").await;
    // Saved in QuickBooks after the pull read it, before the push: the
    // push carries a SyncToken that is no longer current.
    let edited = AtomicBool::new(false);
    let report = sync_with(&engine, &|phase| {
        if phase == SyncPhase::Pushing && !edited.swap(true, Ordering::SeqCst) {
            harness.remote_edit_now("Invoice", &qbo_id, json!({"PrivateNote": "theirs"}));
        }
    })
    .await
    .unwrap();
    assert!(edited.load(Ordering::SeqCst));
    assert_eq!(
        harness.requests_to("GET invoice/{id}").await - reads_before,
        1,
        "the push met 5010 and read QuickBooks' version"
    );
    assert_eq!(report.pushed, 0, "{report:?}");
    assert_eq!(report.conflicts_opened, 1, "{report:?}");
    assert_eq!(
        harness.remote("Invoice", &qbo_id).await["PrivateNote"],
        "theirs",
        "nothing was overwritten"
    );
    let record = local_record(&engine, &invoice.local_id).await;
    assert_eq!(record.state, RecordState::Conflict);
    assert_eq!(
        record.local.unwrap()["PrivateNote"],
        "ours",
        "nothing was lost"
    );
    let conflict = engine
        .store()
        .conflict_for(&invoice.local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conflict.kind, ConflictKind::EditEdit);
    assert!(conflict.fields.to_string().contains("PrivateNote"));
}

// --- The emulator's own CDC cap ---------------------------------------------

#[tokio::test]
async fn more_changes_at_one_instant_than_the_cdc_cap_are_read_again_in_full() {
    let (harness, engine, customers) = capped_change_capture((46, 10), 8).await;
    harness.advance(json!({"minutes": 1})).await;
    // Eight changes at one frozen instant: no narrower window holds fewer
    // than the cap, and the emulator answers with five of them.
    for (index, row) in customers.iter().enumerate() {
        harness
            .remote_edit(
                "Customer",
                row.qbo_id.as_deref().unwrap(),
                json!({"DisplayName": row.summary.name, "Notes": format!("instant {index}")}),
            )
            .await;
    }
    let queries_before = harness.requests_to("POST query").await;
    let report = sync(&engine).await;
    assert!(
        harness.requests_to("POST query").await > queries_before,
        "customers were read again by query"
    );
    assert!(report.pulled >= 8, "{report:?}");
    for (index, row) in customers.iter().enumerate() {
        let local = local_record(&engine, &row.local_id).await.local.unwrap();
        assert_eq!(local["Notes"], format!("instant {index}"));
    }
}
