//! Two-way sync scenarios against the emulator, each with real local books:
//! creates, edits, merges, conflicts, deletes, voids, references,
//! auto-create, restarts and throttling. The edges of a cycle (a 5010 met
//! mid-push, CDC windows, the re-scan, the first sync) are in `cycles.rs`.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use sync_engine::{CancelFlag, FieldPath, Resolution};

use crate::support::{Harness, TestEngine, first_active, local_by_qbo_id, local_rows, sync};

fn invoice_for(customer: &Value, item: &Value, note: &str) -> Value {
    json!({
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "TxnDate": "2026-03-05",
        "PrivateNote": note,
        "Line": [{
            "Amount": 120.50,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"], "name": item["Name"]}, "Qty": 1, "UnitPrice": 120.50}
        }]
    })
}

async fn sellable_item(engine: &TestEngine) -> Value {
    first_active(engine, "Item", |item| {
        matches!(
            item["Type"].as_str(),
            Some("Service" | "NonInventory" | "Inventory")
        )
    })
    .await
    .local
    .unwrap()
}

#[tokio::test]
async fn creates_and_edits_on_either_side_reach_the_other() {
    let harness = Harness::start(Some((5, 20))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let customer = first_active(&engine, "Customer", |_| true)
        .await
        .local
        .unwrap();
    let item = sellable_item(&engine).await;

    // Local create → QuickBooks.
    let created = engine
        .create_local(
            "Invoice",
            invoice_for(&customer, &item, "made in Ledgerlink"),
        )
        .await
        .unwrap();
    assert!(created.issues.is_empty(), "{:?}", created.issues);
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1, "{report:?}");
    let pushed = engine
        .store()
        .record(&created.record.local_id)
        .await
        .unwrap()
        .unwrap();
    let qbo_id = pushed.qbo_id.clone().unwrap();
    let remote = harness.remote("Invoice", &qbo_id).await;
    assert_eq!(remote["PrivateNote"], "made in Ledgerlink");
    assert_eq!(remote["TotalAmt"].to_string(), "120.5");

    // QuickBooks create → local.
    let made_there = harness
        .remote_create(
            "Invoice",
            invoice_for(&customer, &item, "made in QuickBooks"),
        )
        .await;
    sync(&engine).await;
    let arrived = local_by_qbo_id(&engine, "Invoice", made_there["Id"].as_str().unwrap()).await;
    assert_eq!(arrived.local.unwrap()["PrivateNote"], "made in QuickBooks");

    // Local edit → QuickBooks; QuickBooks edit → local.
    let mut edited = pushed.local.clone().unwrap();
    edited["PrivateNote"] = json!("edited here");
    engine.edit_local(&pushed.local_id, edited).await.unwrap();
    sync(&engine).await;
    assert_eq!(
        harness.remote("Invoice", &qbo_id).await["PrivateNote"],
        "edited here"
    );
    harness
        .remote_edit("Invoice", &qbo_id, json!({"PrivateNote": "edited there"}))
        .await;
    sync(&engine).await;
    let local = local_by_qbo_id(&engine, "Invoice", &qbo_id).await;
    assert_eq!(local.local.unwrap()["PrivateNote"], "edited there");
    assert_eq!(local.state, local_store::RecordState::Synced);
}

#[tokio::test]
async fn disjoint_edits_merge_and_the_same_field_becomes_a_conflict_resolved_per_field() {
    let harness = Harness::start(Some((8, 20))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let invoice = local_rows(&engine, "Invoice")
        .await
        .into_iter()
        .find(|row| row.active && row.qbo_id.is_some())
        .unwrap();
    let qbo_id = invoice.qbo_id.clone().unwrap();

    // Disjoint: memo here, date there.
    let mut local = invoice.local.clone().unwrap();
    local["PrivateNote"] = json!("memo from the accountant");
    engine.edit_local(&invoice.local_id, local).await.unwrap();
    harness
        .remote_edit("Invoice", &qbo_id, json!({"TxnDate": "2026-02-27"}))
        .await;
    let report = sync(&engine).await;
    assert_eq!(report.conflicts_opened, 0);
    let remote = harness.remote("Invoice", &qbo_id).await;
    assert_eq!(remote["PrivateNote"], "memo from the accountant");
    assert_eq!(remote["TxnDate"], "2026-02-27");

    // Same field: a conflict, resolved field by field.
    let current = local_by_qbo_id(&engine, "Invoice", &qbo_id).await;
    let mut local = current.local.clone().unwrap();
    local["PrivateNote"] = json!("accountant's memo");
    local["DocNumber"] = json!("A-1");
    engine.edit_local(&current.local_id, local).await.unwrap();
    harness
        .remote_edit(
            "Invoice",
            &qbo_id,
            json!({"PrivateNote": "client's memo", "DocNumber": "C-1"}),
        )
        .await;
    let report = sync(&engine).await;
    assert_eq!(report.conflicts_opened, 1);
    let conflicts = engine.store().open_conflicts().await.unwrap();
    assert_eq!(conflicts.len(), 1);
    let fields: Vec<String> = conflicts[0]
        .fields
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains(&"PrivateNote".to_owned()) && fields.contains(&"DocNumber".to_owned()),
        "{fields:?}"
    );
    let mut choices = std::collections::BTreeMap::new();
    choices.insert(
        "PrivateNote".parse::<FieldPath>().unwrap(),
        sync_engine::Choice::Remote,
    );
    choices.insert(
        "DocNumber".parse::<FieldPath>().unwrap(),
        sync_engine::Choice::Local,
    );
    engine
        .resolve_conflict(conflicts[0].id, Resolution::Fields(choices))
        .await
        .unwrap();
    sync(&engine).await;
    let remote = harness.remote("Invoice", &qbo_id).await;
    let local = local_by_qbo_id(&engine, "Invoice", &qbo_id)
        .await
        .local
        .unwrap();
    assert_eq!(remote["PrivateNote"], "client's memo");
    assert_eq!(remote["DocNumber"], "A-1");
    assert_eq!(local["PrivateNote"], remote["PrivateNote"]);
    assert_eq!(local["DocNumber"], remote["DocNumber"]);
    assert!(engine.store().open_conflicts().await.unwrap().is_empty());
}

#[tokio::test]
async fn delete_versus_edit_waits_for_the_user_both_ways() {
    let harness = Harness::start(Some((9, 20))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let invoices: Vec<_> = local_rows(&engine, "Invoice")
        .await
        .into_iter()
        .filter(|row| row.qbo_id.is_some())
        .take(2)
        .collect();

    // Edited here, deleted in QuickBooks → conflict; keeping the edit re-creates it.
    let first = &invoices[0];
    let mut local = first.local.clone().unwrap();
    local["PrivateNote"] = json!("keep me");
    engine.edit_local(&first.local_id, local).await.unwrap();
    let remote = harness
        .remote("Invoice", first.qbo_id.as_deref().unwrap())
        .await;
    harness
        .client()
        .delete(
            "Invoice",
            remote["Id"].as_str().unwrap(),
            remote["SyncToken"].as_str().unwrap(),
            &qbo_client::RequestId::new(),
        )
        .await
        .unwrap();

    // Deleted here, edited in QuickBooks → conflict; QuickBooks' version wins when chosen.
    let second = &invoices[1];
    engine.delete_local(&second.local_id).await.unwrap();
    harness
        .remote_edit(
            "Invoice",
            second.qbo_id.as_deref().unwrap(),
            json!({"PrivateNote": "still needed"}),
        )
        .await;

    let report = sync(&engine).await;
    assert_eq!(report.conflicts_opened, 2, "{report:?}");
    for conflict in engine.store().open_conflicts().await.unwrap() {
        let resolution = if conflict.local_id == first.local_id {
            assert_eq!(
                conflict.kind,
                local_store::ConflictKind::LocalEditRemoteDelete
            );
            Resolution::KeepLocalVersion
        } else {
            assert_eq!(
                conflict.kind,
                local_store::ConflictKind::LocalDeleteRemoteEdit
            );
            Resolution::TakeRemote
        };
        engine
            .resolve_conflict(conflict.id, resolution)
            .await
            .unwrap();
    }
    sync(&engine).await;
    let recreated = engine
        .store()
        .record(&first.local_id)
        .await
        .unwrap()
        .unwrap();
    let new_id = recreated.qbo_id.clone().unwrap();
    assert_ne!(Some(new_id.as_str()), first.qbo_id.as_deref());
    assert_eq!(
        harness.remote("Invoice", &new_id).await["PrivateNote"],
        "keep me"
    );
    let kept = harness
        .remote("Invoice", second.qbo_id.as_deref().unwrap())
        .await;
    assert_eq!(kept["PrivateNote"], "still needed");
    assert_eq!(
        engine
            .store()
            .record(&second.local_id)
            .await
            .unwrap()
            .unwrap()
            .local
            .unwrap()["PrivateNote"],
        "still needed"
    );
}

#[tokio::test]
async fn deletes_and_voids_go_both_ways_and_leave_tombstones() {
    let harness = Harness::start(Some((10, 20))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let invoices: Vec<_> = local_rows(&engine, "Invoice")
        .await
        .into_iter()
        .filter(|row| row.qbo_id.is_some())
        .take(3)
        .collect();
    // Deleted in QuickBooks → tombstone here.
    let gone = harness
        .remote("Invoice", invoices[0].qbo_id.as_deref().unwrap())
        .await;
    harness
        .client()
        .delete(
            "Invoice",
            gone["Id"].as_str().unwrap(),
            gone["SyncToken"].as_str().unwrap(),
            &qbo_client::RequestId::new(),
        )
        .await
        .unwrap();
    // Deleted and voided here → in QuickBooks.
    engine.delete_local(&invoices[1].local_id).await.unwrap();
    engine.void_local(&invoices[2].local_id).await.unwrap();
    sync(&engine).await;
    let tombstone = engine
        .store()
        .record(&invoices[0].local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tombstone.state, local_store::RecordState::Deleted);
    assert!(tombstone.remote_deleted);
    assert!(
        harness
            .client()
            .get_entity("Invoice", invoices[1].qbo_id.as_deref().unwrap())
            .await
            .is_err()
    );
    let voided = harness
        .remote("Invoice", invoices[2].qbo_id.as_deref().unwrap())
        .await;
    assert_eq!(voided["TotalAmt"].to_string(), "0");
    // A bill cannot be voided: refused with a reason, nothing queued.
    let bill = local_rows(&engine, "Bill")
        .await
        .into_iter()
        .find(|row| row.qbo_id.is_some())
        .unwrap();
    assert!(engine.void_local(&bill.local_id).await.is_err());
}

#[tokio::test]
async fn an_inactive_account_blocks_the_push_with_a_message_naming_the_field() {
    let harness = Harness::start(Some((11, 20))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let expense = first_active(&engine, "Account", |account| {
        account["AccountType"] == "Expense"
    })
    .await;
    let vendor = first_active(&engine, "Vendor", |_| true)
        .await
        .local
        .unwrap();
    let account = expense.local.clone().unwrap();
    let bill = json!({
        "VendorRef": {"value": vendor["Id"]},
        "TxnDate": "2026-03-04",
        "Line": [{"Amount": 40, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account["Id"], "name": account["Name"]}}}]
    });
    let created = engine.create_local("Bill", bill).await.unwrap();
    // The account is made inactive in QuickBooks before the next sync.
    harness.remote_edit("Account", account["Id"].as_str().unwrap(), json!({"Active": false, "Name": account["Name"], "AccountType": account["AccountType"]})).await;
    // The emulator would refuse the bill with a 610 that carries the same
    // words, so the message alone proves nothing: nothing may be sent.
    let writes = harness.writes().await;
    let report = sync(&engine).await;
    assert_eq!(
        harness.writes().await,
        writes,
        "the bill was held back before any request"
    );
    assert_eq!(report.pushed, 0);
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].message.contains("inactive"),
        "{}",
        report.failed[0].message
    );
    let held = engine
        .store()
        .record(&created.record.local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.state, local_store::RecordState::Error);
    assert!(held.error.unwrap().contains("AccountRef"));
    let inactive = local_by_qbo_id(&engine, "Account", account["Id"].as_str().unwrap()).await;
    assert!(!inactive.active, "inactive, not deleted");
    assert_ne!(inactive.state, local_store::RecordState::Deleted);
}

#[tokio::test]
async fn a_renamed_account_is_seen_and_records_using_it_still_push() {
    let harness = Harness::start(Some((12, 20))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let expense = first_active(&engine, "Account", |account| {
        account["AccountType"] == "Expense"
    })
    .await
    .local
    .unwrap();
    let vendor = first_active(&engine, "Vendor", |_| true)
        .await
        .local
        .unwrap();
    harness
        .remote_edit(
            "Account",
            expense["Id"].as_str().unwrap(),
            json!({"Name": "Office costs (renamed)", "AccountType": expense["AccountType"]}),
        )
        .await;
    let bill = json!({
        "VendorRef": {"value": vendor["Id"]},
        "Line": [{"Amount": 12.34, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"], "name": expense["Name"]}}}]
    });
    let created = engine.create_local("Bill", bill).await.unwrap();
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1, "{report:?}");
    let account = local_by_qbo_id(&engine, "Account", expense["Id"].as_str().unwrap()).await;
    assert_eq!(
        account.summary.name.as_deref(),
        Some("Office costs (renamed)")
    );
    let pushed = engine
        .store()
        .record(&created.record.local_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pushed.state, local_store::RecordState::Synced);
}

#[tokio::test]
async fn vendor_auto_create_reuses_reactivates_and_never_collides() {
    let harness = Harness::start(None).await;
    let expense = harness
        .remote_create(
            "Account",
            json!({"Name": "Supplies", "AccountType": "Expense"}),
        )
        .await;
    harness
        .remote_create("Customer", json!({"DisplayName": "Acme Ltd"}))
        .await;
    let sleeping = harness
        .remote_create("Vendor", json!({"DisplayName": "Sleepy Supplies"}))
        .await;
    harness
        .remote_edit(
            "Vendor",
            sleeping["Id"].as_str().unwrap(),
            json!({"Active": false, "DisplayName": "Sleepy Supplies"}),
        )
        .await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let bill = |vendor: &str| {
        json!({
            "VendorRef": {"name": vendor},
            "Line": [{"Amount": 10, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}}}]
        })
    };
    for name in [
        "Acme Ltd",
        "Sleepy Supplies",
        "Brand New Co",
        "brand new co ",
    ] {
        let created = engine.create_local("Bill", bill(name)).await.unwrap();
        assert!(
            created
                .issues
                .iter()
                .all(|issue| issue.code == sync_engine::IssueCode::AutoCreate),
            "{:?}",
            created.issues
        );
    }
    let report = sync(&engine).await;
    assert!(report.failed.is_empty(), "{report:?}");
    let vendors = harness
        .remote_rows(
            "SELECT * FROM Vendor WHERE Active IN (true, false)",
            "Vendor",
        )
        .await;
    let names: Vec<&str> = vendors
        .iter()
        .map(|vendor| vendor["DisplayName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Acme Ltd (Vendor)"), "{names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|name| name.eq_ignore_ascii_case("brand new co"))
            .count(),
        1,
        "{names:?}"
    );
    let reactivated = vendors
        .iter()
        .find(|vendor| vendor["DisplayName"] == "Sleepy Supplies")
        .unwrap();
    assert_eq!(reactivated["Active"], true);
    assert_eq!(
        harness
            .remote_rows("SELECT * FROM Bill", "Bill")
            .await
            .len(),
        4
    );
    // A second sync creates nothing more.
    sync(&engine).await;
    assert_eq!(
        harness
            .remote_rows(
                "SELECT * FROM Vendor WHERE Active IN (true, false)",
                "Vendor"
            )
            .await
            .len(),
        vendors.len()
    );
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_push_neither_duplicates_nor_loses() {
    let harness = Harness::start(Some((13, 10))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let customer = first_active(&engine, "Customer", |_| true)
        .await
        .local
        .unwrap();
    let item = sellable_item(&engine).await;
    for index in 0..3 {
        engine
            .create_local(
                "Invoice",
                invoice_for(&customer, &item, &format!("offline {index}")),
            )
            .await
            .unwrap();
    }
    let count_before = harness
        .client()
        .count(&qbo_client::Query::select("Invoice"))
        .await
        .unwrap();
    // QuickBooks commits the batch, then every answer is lost.
    harness
        .arm(json!({"kind": "drop_after_commit", "method": "POST", "path": "*/batch", "count": 10}))
        .await;
    assert!(engine.sync(&|_| {}, &CancelFlag::new()).await.is_err());
    drop(engine);
    harness.clear_faults().await;
    let restarted = harness.engine("books").await;
    sync(&restarted).await;
    let count_after = harness
        .client()
        .count(&qbo_client::Query::select("Invoice"))
        .await
        .unwrap();
    assert_eq!(
        count_after,
        count_before + 3,
        "exactly three invoices were created"
    );
    let pending = restarted.store().pending_records().await.unwrap();
    assert!(pending.is_empty(), "{pending:?}");
    assert!(restarted.store().outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_throttled_push_waits_and_completes() {
    let harness = Harness::start(Some((15, 10))).await;
    let engine = harness.engine("books").await;
    sync(&engine).await;
    let customer = first_active(&engine, "Customer", |_| true)
        .await
        .local
        .unwrap();
    let item = sellable_item(&engine).await;
    engine
        .create_local("Invoice", invoice_for(&customer, &item, "throttled"))
        .await
        .unwrap();
    harness
        .arm(json!({"kind": "throttle", "method": "POST", "path": "*/batch", "count": 1}))
        .await;
    let report = sync(&engine).await;
    assert_eq!(report.pushed, 1);
    assert!(
        harness
            .server
            .emulator()
            .operations()
            .counters
            .snapshot()
            .total
            .throttled
            >= 1
    );
}
