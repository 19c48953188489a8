//! Changesets apply all or nothing; rows round-trip; the pragmas hold.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use local_store::{
    AppStore, Changeset, CompanyKind, CompanyRow, CompanyStore, ConflictKind, ConnectionState,
    Direction, HistoryFilter, Intent, NewConflict, NewHistoryEntry, NewOutboxEntry, OpKind,
    RecordRow, RecordState, StoreError,
};
use serde_json::json;

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, minute, 0)
        .single()
        .unwrap()
}

fn invoice(local_id: &str, qbo_id: Option<&str>) -> RecordRow {
    let mut record = RecordRow::new(local_id, "Invoice");
    record.qbo_id = qbo_id.map(str::to_owned);
    record.sync_token = Some("0".to_owned());
    record.local = Some(json!({"DocNumber": local_id, "TotalAmt": 10.25}));
    record.base = record.local.clone();
    record.state = RecordState::Pending;
    record.intent = Intent::Void;
    record.local_updated_at = Some(at(1));
    record
}

#[tokio::test]
async fn a_changeset_round_trips_every_row_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/company.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    let record = invoice("a", Some("7"));
    let changes = Changeset {
        records: vec![record.clone()],
        outbox_added: vec![NewOutboxEntry {
            local_id: "a".into(),
            entity_type: "Invoice".into(),
            operation: OpKind::Void,
            request_id: "req-1".into(),
            payload: json!({"Id": "7", "SyncToken": "0"}),
            created_at: at(2),
        }],
        conflicts_opened: vec![NewConflict {
            local_id: "a".into(),
            entity_type: "Invoice".into(),
            kind: ConflictKind::EditEdit,
            base: Some(json!({"x": 1})),
            local: Some(json!({"x": 2})),
            remote: None,
            fields: json!([{"path": "x"}]),
            opened_at: at(3),
        }],
        history: vec![NewHistoryEntry {
            at: at(4),
            local_id: "a".into(),
            entity_type: "Invoice".into(),
            qbo_id: Some("7".into()),
            direction: Direction::Local,
            operation: "void".into(),
            before: None,
            after: Some(json!({"DocNumber": "a"})),
            request_id: None,
            summary: "Invoice a voided here".into(),
        }],
        bookmarks: vec![("cdc_since".into(), "2026-03-01T00:00:00Z".into())],
        ..Changeset::default()
    };
    let committed = store.commit(changes).await.unwrap();
    assert_eq!(committed.outbox_ids.len(), 1);
    store.clone().close().await;

    let store = CompanyStore::open(&path).await.unwrap();
    assert_eq!(store.record("a").await.unwrap().unwrap(), record);
    assert_eq!(
        store
            .record_by_qbo_id("Invoice", "7")
            .await
            .unwrap()
            .unwrap()
            .local_id,
        "a"
    );
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox[0].request_id, "req-1");
    assert_eq!(outbox[0].operation, OpKind::Void);
    let conflict = store.conflict_for("a").await.unwrap().unwrap();
    assert_eq!(conflict.kind, ConflictKind::EditEdit);
    assert_eq!(conflict.remote, None);
    let history = store
        .history(&HistoryFilter {
            local_id: None,
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(history[0].summary, "Invoice a voided here");
    assert_eq!(store.count_history(Some("a")).await.unwrap(), 1);
    assert_eq!(
        store.bookmark("cdc_since").await.unwrap().as_deref(),
        Some("2026-03-01T00:00:00Z")
    );
    assert_eq!(store.pending_records().await.unwrap().len(), 1);

    // Done operations leave the outbox; resolved conflicts leave the open list.
    let mut done = Changeset::default();
    done.outbox_done.push(outbox[0].id);
    done.conflicts_resolved
        .push((conflict.id, json!("TakeLocal"), at(5)));
    store.commit(done).await.unwrap();
    assert!(store.outbox().await.unwrap().is_empty());
    assert!(store.open_conflicts().await.unwrap().is_empty());
}

#[tokio::test]
async fn many_queued_operations_and_history_entries_keep_their_order_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = CompanyStore::open(&dir.path().join("company.sqlite"))
        .await
        .unwrap();
    // 93 rows: one statement of each size the store uses, more than once
    // for the smaller ones.
    let count = 93;
    let records: Vec<RecordRow> = (0..count)
        .map(|index| invoice(&format!("r{index:03}"), None))
        .collect();
    // Planned in an order that is not the records' sort order.
    let planned: Vec<String> = (0..count)
        .rev()
        .map(|index| format!("r{index:03}"))
        .collect();
    let changes = Changeset {
        records,
        outbox_added: planned
            .iter()
            .map(|local_id| NewOutboxEntry {
                local_id: local_id.clone(),
                entity_type: "Invoice".into(),
                operation: OpKind::Create,
                request_id: format!("req-{local_id}"),
                payload: json!({"DocNumber": local_id}),
                created_at: at(2),
            })
            .collect(),
        history: planned
            .iter()
            .map(|local_id| NewHistoryEntry {
                at: at(3),
                local_id: local_id.clone(),
                entity_type: "Invoice".into(),
                qbo_id: None,
                direction: Direction::Local,
                operation: "create".into(),
                before: None,
                after: Some(json!({"DocNumber": local_id})),
                request_id: Some(format!("req-{local_id}")),
                summary: format!("Invoice {local_id} created here"),
            })
            .collect(),
        ..Changeset::default()
    };
    let committed = store.commit(changes).await.unwrap();
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.len(), count);
    assert_eq!(committed.outbox_ids.len(), count);
    for ((id, entry), local_id) in committed.outbox_ids.iter().zip(&outbox).zip(&planned) {
        assert_eq!(*id, entry.id, "the id returned for {local_id}");
        assert_eq!(
            &entry.local_id, local_id,
            "the outbox keeps the planned order"
        );
        assert_eq!(entry.payload["DocNumber"], local_id.as_str());
    }
    assert_eq!(committed.history_ids.len(), count);
    for (id, local_id) in committed.history_ids.iter().zip(&planned) {
        let entry = store.history_entry(*id).await.unwrap().unwrap();
        assert_eq!(&entry.local_id, local_id, "history entry {id}");
    }

    // Completing most of them at once leaves exactly the others.
    let done: Vec<i64> = committed.outbox_ids[..count - 2].to_vec();
    store
        .commit(Changeset {
            outbox_done: done,
            ..Changeset::default()
        })
        .await
        .unwrap();
    let left: Vec<String> = store
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.local_id)
        .collect();
    assert_eq!(left, planned[count - 2..].to_vec());

    // Operations queued on their own, as a plan is while its first batches
    // are on their way, get their ids in the order given too; one for a
    // record that does not exist stores none of its transaction.
    let entry = |local_id: &str| NewOutboxEntry {
        local_id: local_id.to_owned(),
        entity_type: "Invoice".into(),
        operation: OpKind::Update,
        request_id: format!("again-{local_id}"),
        payload: json!({"DocNumber": local_id}),
        created_at: at(4),
    };
    let again: Vec<NewOutboxEntry> = planned[..73].iter().map(|id| entry(id)).collect();
    let ids = store.queue_operations(&again).await.unwrap();
    let outbox = store.outbox().await.unwrap();
    assert_eq!(outbox.len(), 2 + 73);
    for ((id, queued), wanted) in ids.iter().zip(&outbox[2..]).zip(&again) {
        assert_eq!(*id, queued.id, "the id returned for {}", wanted.local_id);
        assert_eq!(queued.local_id, wanted.local_id);
        assert_eq!(queued.request_id, wanted.request_id);
    }
    let broken = vec![entry("r000"), entry("missing")];
    assert!(store.queue_operations(&broken).await.is_err());
    assert_eq!(store.outbox().await.unwrap().len(), 2 + 73);
}

#[tokio::test]
async fn a_failing_changeset_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = CompanyStore::open(&dir.path().join("c.sqlite"))
        .await
        .unwrap();
    let changes = Changeset {
        records: vec![invoice("kept-out", Some("1"))],
        // An operation for a record that does not exist breaks the foreign key.
        outbox_added: vec![NewOutboxEntry {
            local_id: "missing".into(),
            entity_type: "Invoice".into(),
            operation: OpKind::Create,
            request_id: "req-x".into(),
            payload: json!({}),
            created_at: at(1),
        }],
        ..Changeset::default()
    };
    let error = store.commit(changes).await.unwrap_err();
    assert!(matches!(error, StoreError::Query { .. }), "{error}");
    assert!(store.record("kept-out").await.unwrap().is_none());
    assert!(store.outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn one_qbo_object_has_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = CompanyStore::open(&dir.path().join("c.sqlite"))
        .await
        .unwrap();
    store
        .commit(Changeset {
            records: vec![invoice("a", Some("7"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let duplicate = store
        .commit(Changeset {
            records: vec![invoice("b", Some("7"))],
            ..Changeset::default()
        })
        .await;
    assert!(
        duplicate.is_err(),
        "the same QuickBooks id twice must be refused"
    );
}

#[tokio::test]
async fn a_relay_company_keeps_its_relay_and_cursor_apart_from_row_saves() {
    let dir = tempfile::tempdir().unwrap();
    let store = AppStore::open(&dir.path().join("app.sqlite"))
        .await
        .unwrap();
    let company = CompanyRow {
        id: "r1".into(),
        name: "Client R".into(),
        kind: CompanyKind::Relay,
        environment: "production".into(),
        discovery_url: String::new(),
        api_base_url: Some("https://example.test".into()),
        client_id: None,
        redirect_page: None,
        realm_id: Some("42".into()),
        connection: ConnectionState::Connected,
        settings: json!({}),
        created_at: at(0),
        last_sync_at: None,
        last_sync_error: None,
        relay_url: Some("https://relay.example.test".into()),
    };
    store.add_company(&company).await.unwrap();
    assert_eq!(store.relay_cursor("r1").await.unwrap(), None);
    store.set_relay_cursor("r1", Some(17)).await.unwrap();
    // A row read before the cursor moved, saved afterwards, leaves it alone.
    store.update_company(&company).await.unwrap();
    assert_eq!(store.relay_cursor("r1").await.unwrap(), Some(17));
    assert_eq!(store.company("r1").await.unwrap(), Some(company));
    store.set_relay_cursor("r1", None).await.unwrap();
    assert_eq!(store.relay_cursor("r1").await.unwrap(), None);
}

#[tokio::test]
async fn the_app_database_keeps_companies_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sqlite");
    let store = AppStore::open(&path).await.unwrap();
    let mut company = CompanyRow {
        id: "c1".into(),
        name: "Client A".into(),
        kind: CompanyKind::Intuit,
        environment: "sandbox".into(),
        discovery_url: "https://example.test/discovery".into(),
        api_base_url: Some("https://example.test".into()),
        client_id: Some("id".into()),
        redirect_page: None,
        realm_id: None,
        connection: ConnectionState::NotConnected,
        settings: json!({"syncIntervalMinutes": 15}),
        created_at: at(0),
        last_sync_at: None,
        last_sync_error: None,
        relay_url: None,
    };
    store.add_company(&company).await.unwrap();
    company.connection = ConnectionState::ReconnectNeeded;
    company.last_sync_at = Some(at(9));
    store.update_company(&company).await.unwrap();
    store.set_setting("theme", "dark").await.unwrap();
    store.set_setting("theme", "light").await.unwrap();
    drop(store);
    let store = AppStore::open(&path).await.unwrap();
    assert_eq!(store.companies().await.unwrap(), vec![company]);
    assert_eq!(
        store.setting("theme").await.unwrap().as_deref(),
        Some("light")
    );
    store.remove_company("c1").await.unwrap();
    assert!(store.company("c1").await.unwrap().is_none());
}

#[tokio::test]
async fn wal_foreign_keys_and_migrations_are_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    CompanyStore::open(&path).await.unwrap().close().await;
    // Opening again runs no migration twice.
    CompanyStore::open(&path).await.unwrap().close().await;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let migrations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&raw)
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/company"))
        .unwrap()
        .count();
    assert_eq!(
        migrations,
        i64::try_from(files).unwrap(),
        "one applied migration per file in migrations/company"
    );
    raw.close().await;
    // Foreign keys are on in the store's own connections: see
    // a_failing_changeset_changes_nothing, which relies on one.
}

#[tokio::test]
async fn a_damaged_row_is_an_error_that_names_it_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let store = CompanyStore::open(&path).await.unwrap();
    store
        .commit(Changeset {
            records: vec![invoice("a", Some("7"))],
            ..Changeset::default()
        })
        .await
        .unwrap();
    // Another program (or a disk fault) damages the stored JSON.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE records SET local_json = '{broken' WHERE local_id = 'a'")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let error = store.record("a").await.unwrap_err();
    assert!(error.to_string().contains("record a"), "{error}");
}
