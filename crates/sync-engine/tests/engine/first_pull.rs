//! The first pull: a full scan that changes under it still reads every
//! object, and a type is known to be done without a count.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};

use local_store::RecordState;
use qbo_emulator::EmulatorConfig;
use serde_json::{Value, json};
use sync_engine::entities::synced_entities;
use sync_engine::{CancelFlag, EngineConfig, SyncPhase};

use crate::support::{Harness, local_by_qbo_id, local_rows, start_time, sync};

/// The ids of a type's objects the emulator holds, in numeric order.
fn emulator_ids(harness: &Harness, entity: &str) -> Vec<u64> {
    let mut ids: Vec<u64> = harness
        .server
        .emulator()
        .with_company(&harness.realm, |company| {
            company
                .all(entity)
                .map(|object| object["Id"].as_str().unwrap().parse().unwrap())
                .collect()
        })
        .unwrap();
    ids.sort_unstable();
    ids
}

/// A type's objects as the emulator holds them.
fn emulator_objects(harness: &Harness, entity: &str) -> Vec<Value> {
    harness
        .server
        .emulator()
        .with_company(&harness.realm, |company| {
            company.all(entity).cloned().collect()
        })
        .unwrap()
}

/// Deletes an object in the emulator's state directly, without a request,
/// so that it can happen inside the synchronous progress callback, between
/// two pages of a scan.
fn delete_now(harness: &Harness, entity: &str, id: &str) {
    let now = harness.server.emulator().clock().now();
    harness
        .server
        .emulator()
        .with_company(&harness.realm, |company| {
            let current: Value = company.read(entity, id).unwrap();
            company
                .delete(
                    entity,
                    json!({"Id": id, "SyncToken": current["SyncToken"]}),
                    now,
                )
                .unwrap();
        })
        .unwrap();
}

#[tokio::test]
async fn a_delete_between_two_pages_of_a_first_scan_loses_no_other_record() {
    let harness = Harness::start(Some((31, 400))).await;
    let before = emulator_ids(&harness, "Invoice");
    assert!(before.len() >= 40, "the seed has {} invoices", before.len());
    // Small pages, so the scan of invoices has many page boundaries.
    let engine = harness
        .engine_with(
            "books",
            EngineConfig {
                first_sync_page_size: 5,
                ..EngineConfig::default()
            },
        )
        .await;
    // Once the first page of invoices is written, the first invoice (on
    // that page) is deleted in QuickBooks: with offset paging every later
    // page starts one row further on, and the row at the next boundary is
    // never read.
    let victim = before[0].to_string();
    let deleted = AtomicBool::new(false);
    engine
        .sync(
            &|progress| {
                if progress.phase == SyncPhase::Pulling
                    && progress.entity.as_deref() == Some("Invoice")
                    && progress.done >= 5
                    && !deleted.swap(true, Ordering::SeqCst)
                {
                    delete_now(&harness, "Invoice", &victim);
                }
            },
            &CancelFlag::new(),
        )
        .await
        .unwrap();
    assert!(
        deleted.load(Ordering::SeqCst),
        "the scan never reached page two"
    );
    let survivors = emulator_ids(&harness, "Invoice");
    assert_eq!(survivors.len(), before.len() - 1);
    for id in &survivors {
        let record = local_by_qbo_id(&engine, "Invoice", &id.to_string()).await;
        assert_ne!(record.state, RecordState::Deleted, "invoice {id}");
    }
    // The next cycle's CDC brings the delete, and the books then hold
    // exactly what QuickBooks holds.
    sync(&engine).await;
    assert_eq!(
        local_by_qbo_id(&engine, "Invoice", &victim).await.state,
        RecordState::Deleted
    );
    let live = local_rows(&engine, "Invoice")
        .await
        .into_iter()
        .filter(|row| row.state != RecordState::Deleted)
        .count();
    assert_eq!(live, survivors.len());
}

#[tokio::test]
async fn a_first_sync_of_a_small_company_asks_one_query_per_type_and_no_count() {
    let harness = Harness::start(None).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    // Every type fits in one page, and a page that is not full ends its
    // type: one query per type, no COUNT(*) before it.
    assert_eq!(
        harness.requests_to("POST query").await,
        u64::try_from(synced_entities().len()).unwrap()
    );
    assert_eq!(
        local_rows(&engine, "Account").await.len(),
        emulator_ids(&harness, "Account").len()
    );
}

#[tokio::test]
async fn a_re_scan_after_a_long_absence_finds_deletions_on_every_page() {
    let harness = Harness::start_with(
        EmulatorConfig::default(),
        Some((32, 200)),
        Some(start_time()),
    )
    .await;
    let config = EngineConfig {
        first_sync_page_size: 7,
        ..EngineConfig::default()
    };
    let engine = harness.engine_with("books", config.clone()).await;
    sync(&engine).await;
    // Deletes spread over the Id range, then longer away than CDC reaches:
    // the next cycle re-reads everything and must find each one gone.
    let ids = emulator_ids(&harness, "Invoice");
    let gone: Vec<String> = ids.iter().step_by(6).map(ToString::to_string).collect();
    for id in &gone {
        delete_now(&harness, "Invoice", id);
    }
    drop(engine);
    harness.advance_days(40).await;
    let harness = Harness {
        token: harness.mint().await,
        ..harness
    };
    let engine = harness.engine_with("books", config).await;
    let report = sync(&engine).await;
    assert!(report.full_rescan);
    for id in &gone {
        assert_eq!(
            local_by_qbo_id(&engine, "Invoice", id).await.state,
            RecordState::Deleted,
            "invoice {id}"
        );
    }
    let live = local_rows(&engine, "Invoice")
        .await
        .into_iter()
        .filter(|row| row.state != RecordState::Deleted)
        .count();
    assert_eq!(live, ids.len() - gone.len());
}

#[tokio::test]
async fn a_first_sync_keeps_each_object_as_sent_with_the_columns_of_the_whole_object() {
    let harness = Harness::start(Some((7, 300))).await;
    // Text that JSON writes with escapes, in a name and a memo: the stored
    // text is QuickBooks' own, and must read back as the same object.
    harness
        .remote_create(
            "Customer",
            json!({"DisplayName": "Café \"Zoë\" \\ Ünïcode / 北京", "CompanyName": "Tab\there"}),
        )
        .await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let mut checked = 0;
    for entity in synced_entities() {
        let objects = emulator_objects(&harness, entity);
        for object in objects {
            let id = object["Id"].as_str().unwrap();
            let record = local_by_qbo_id(&engine, entity, id).await;
            assert_eq!(record.remote.as_ref(), Some(&object), "{entity} {id}");
            assert_eq!(record.base, record.remote, "{entity} {id}");
            assert_eq!(record.local, record.remote, "{entity} {id}");
            assert_eq!(record.state, RecordState::Synced, "{entity} {id}");
            // The columns read out of the text are those of the whole object.
            assert_eq!(
                record.summary,
                sync_engine::entities::summary_of(entity, &object),
                "{entity} {id}"
            );
            assert_eq!(record.active, object.get("Active") != Some(&json!(false)));
            assert_eq!(
                record.sync_token.as_deref(),
                object["SyncToken"].as_str(),
                "{entity} {id}"
            );
            assert!(record.remote_updated_at.is_some(), "{entity} {id}");
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} objects were checked");
    // The open-documents columns, copied out of the text as it was saved.
    let today = start_time().date_naive();
    for entity in ["Invoice", "Bill"] {
        let (open, _) = engine.store().open_documents(entity, today).await.unwrap();
        let objects = emulator_objects(&harness, entity);
        let amount = |object: &Value, field: &str| -> Option<rust_decimal::Decimal> {
            object
                .get(field)
                .map(|value| value.to_string().trim_matches('"').parse().unwrap())
        };
        let unpaid: Vec<&Value> = objects
            .iter()
            .filter(|object| {
                amount(object, "Balance")
                    .is_some_and(|balance| balance > rust_decimal::Decimal::ZERO)
            })
            .collect();
        assert!(!unpaid.is_empty(), "the seed has no open {entity}");
        assert_eq!(open.count, u64::try_from(unpaid.len()).unwrap(), "{entity}");
        let total: rust_decimal::Decimal = unpaid
            .iter()
            .map(|object| {
                amount(object, "HomeBalance")
                    .or(amount(object, "Balance"))
                    .unwrap()
            })
            .sum();
        assert_eq!(open.total, total, "{entity}");
    }
}

/// The records' indexes of a new store: what every sync must leave.
async fn indexes_of_new_books(harness: &Harness) -> Vec<(String, String)> {
    let store = local_store::CompanyStore::open(&harness.database("new"))
        .await
        .unwrap();
    let indexes = store.record_indexes().await.unwrap();
    store.close().await;
    indexes
}

/// The indexes set aside in the books at `database`, and the names of
/// the records' indexes there, read by a connection of a thread and
/// runtime of its own: from inside a progress callback, which cannot wait.
fn set_aside_in(database: &std::path::Path) -> (Vec<String>, Vec<String>) {
    let database = database.to_path_buf();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let store = local_store::CompanyStore::open(&database).await.unwrap();
                let set_aside = store.deferred_indexes().await.unwrap();
                let indexes = store
                    .record_indexes()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect();
                store.close().await;
                (set_aside, indexes)
            })
    })
    .join()
    .unwrap()
}

#[tokio::test]
async fn a_first_sync_stopped_half_way_still_builds_the_list_indexes_it_set_aside() {
    let harness = Harness::start(Some((33, 300))).await;
    let expected = indexes_of_new_books(&harness).await;
    let engine = harness
        .engine_with(
            "books",
            EngineConfig {
                first_sync_page_size: 10,
                ..EngineConfig::default()
            },
        )
        .await;
    // Stopped once the first page of invoices is saved; at that moment the
    // books, opened as another process would, have the list indexes set
    // aside.
    let cancel = CancelFlag::new();
    let seen_during = std::sync::Mutex::new(None);
    let indexing = std::sync::Mutex::new(Vec::new());
    let database = harness.database("books");
    let stopped = engine
        .sync(
            &|progress| {
                if progress.phase == SyncPhase::Indexing {
                    indexing
                        .lock()
                        .unwrap()
                        .push((progress.done, progress.total));
                }
                if progress.entity.as_deref() == Some("Invoice") && progress.done >= 10 {
                    if !cancel.is_cancelled() {
                        *seen_during.lock().unwrap() = Some(set_aside_in(&database));
                    }
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .await;
    assert!(stopped.is_err(), "the sync was not stopped: {stopped:?}");
    let (set_aside, indexes) = seen_during.lock().unwrap().take().unwrap();
    let list_indexes: Vec<String> = expected
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| name.starts_with("records_list_"))
        .collect();
    assert!(!list_indexes.is_empty());
    assert_eq!(set_aside, list_indexes);
    assert!(
        indexes
            .iter()
            .all(|name| !name.starts_with("records_list_")),
        "{indexes:?}"
    );
    // The build is a phase of its own: from none of them to all of them.
    let count = u64::try_from(list_indexes.len()).unwrap();
    assert_eq!(
        *indexing.lock().unwrap(),
        [(0, Some(count)), (count, Some(count))]
    );
    assert!(!local_rows(&engine, "Invoice").await.is_empty());
    assert!(engine.store().deferred_indexes().await.unwrap().is_empty());
    assert_eq!(engine.store().record_indexes().await.unwrap(), expected);
    // The next sync is a first scan again (no type is done), with records
    // filed already; it too ends with every index in place.
    sync(&engine).await;
    assert!(engine.store().deferred_indexes().await.unwrap().is_empty());
    assert_eq!(engine.store().record_indexes().await.unwrap(), expected);
    assert_eq!(
        local_rows(&engine, "Invoice").await.len(),
        emulator_ids(&harness, "Invoice").len()
    );
}

#[tokio::test]
async fn a_sync_builds_the_list_indexes_a_killed_first_sync_left_aside() {
    let harness = Harness::start(Some((34, 200))).await;
    let expected = indexes_of_new_books(&harness).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    // The books as a first sync killed between its pages leaves them: the
    // list indexes dropped, their definitions saved.
    let set_aside = engine.store().defer_list_indexes().await.unwrap();
    assert!(set_aside > 0);
    drop(engine);
    let engine = harness.engine("books").await;
    // A pull alone (what a live update asks for) builds them too.
    engine.pull(&|_| {}, &CancelFlag::new()).await.unwrap();
    assert!(engine.store().deferred_indexes().await.unwrap().is_empty());
    assert_eq!(engine.store().record_indexes().await.unwrap(), expected);
    engine.store().defer_list_indexes().await.unwrap();
    drop(engine);
    let engine = harness.engine("books").await;
    assert_eq!(
        engine.store().deferred_indexes().await.unwrap().len(),
        set_aside
    );
    // The list still answers meanwhile, a search of one type included.
    let invoices = local_rows(&engine, "Invoice").await;
    let party = invoices
        .iter()
        .find_map(|row| row.summary.counterparty.clone())
        .unwrap();
    let found = engine
        .store()
        .records(&local_store::RecordFilter {
            entity_type: Some("Invoice".into()),
            search: Some(party.clone()),
            limit: 10_000,
            ..local_store::RecordFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        invoices
            .iter()
            .filter(|row| {
                // The search: a case-insensitive part of the name, the
                // number or the other party.
                let summary = &row.summary;
                [&summary.name, &summary.doc_number, &summary.counterparty]
                    .into_iter()
                    .flatten()
                    .any(|text| text.to_lowercase().contains(&party.to_lowercase()))
            })
            .count()
    );
    sync(&engine).await;
    assert!(engine.store().deferred_indexes().await.unwrap().is_empty());
    assert_eq!(engine.store().record_indexes().await.unwrap(), expected);
}
