//! The plan of a push: bodies QuickBooks accepts without losing anything,
//! and an order in which every reference exists before it is used.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use local_store::{Intent, OpKind};
use proptest::prelude::*;
use serde_json::{Value, json};
use sync_engine::entities::{MASTER_ENTITIES, TRANSACTION_ENTITIES};
use sync_engine::plan::{
    Operation, PendingChange, Plan, create_body, plan, sparse_body, update_body,
};

use crate::samples;

/// A change to a record QuickBooks has (`qbo_id` Some) or not.
fn change<'a>(
    local_id: &'a str,
    entity: &'a str,
    qbo_id: Option<&'a str>,
    base: Option<&'a Value>,
    local: &'a Value,
    intent: Intent,
) -> PendingChange<'a> {
    PendingChange {
        local_id,
        entity_type: entity,
        qbo_id,
        sync_token: qbo_id.map(|_| "3"),
        base,
        local,
        intent,
    }
}

fn only(plan: &Plan) -> &Operation {
    assert_eq!(plan.operations.len(), 1, "{:?}", plan);
    &plan.operations[0]
}

#[test]
fn an_invoice_update_is_sparse_with_the_base_token_and_the_customer() {
    let base = samples::invoice();
    let mut local = base.clone();
    local["PrivateNote"] = json!("Checked");
    local["Line"][0]["SalesItemLineDetail"]["Qty"] = json!(2);
    local["Line"][0]["SalesItemLineDetail"]["UnitPrice"] = json!(50);
    local["TotalAmt"] = json!(1);
    let changes = [change(
        "a",
        "Invoice",
        Some("238"),
        Some(&base),
        &local,
        Intent::None,
    )];
    let planned = plan(&changes);
    let operation = only(&planned);
    assert_eq!(operation.kind, OpKind::Update);
    assert_eq!(operation.fields, vec!["Line", "PrivateNote"]);
    let body = operation.body.as_object().unwrap();
    let keys: Vec<&str> = body.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "Id",
            "SyncToken",
            "sparse",
            "CustomerRef",
            "Line",
            "PrivateNote"
        ]
    );
    assert_eq!(body["Id"], "238");
    assert_eq!(
        body["SyncToken"], "3",
        "the base's token, for the stale check"
    );
    assert_eq!(body["sparse"], true);
    // The whole line array, existing lines keeping their Id.
    assert_eq!(body["Line"], local["Line"]);
    assert_eq!(body["Line"][0]["Id"], "1");
}

#[test]
fn sparse_body_takes_id_and_token_from_the_base() {
    let base = samples::bill();
    let mut local = base.clone();
    local["DueDate"] = json!("2015-01-31");
    let body = sparse_body("Bill", &base, &local).unwrap();
    assert_eq!(
        body,
        json!({"Id": "151", "SyncToken": "0", "sparse": true,
               "VendorRef": {"name": "Bob's Burger Joint", "value": "56"}, "DueDate": "2015-01-31"})
    );
    assert_eq!(sparse_body("Bill", &base, &base), None);
}

#[test]
fn nothing_writable_changed_means_no_operation() {
    let base = samples::invoice();
    let mut local = base.clone();
    local["SyncToken"] = json!("7");
    local["MetaData"]["LastUpdatedTime"] = json!("2016-01-01T00:00:00-08:00");
    local["Balance"] = json!(0);
    local["CustomerRef"]["name"] = json!("Amy's Bird Sanctuary Ltd");
    local["Line"][1]["Amount"] = json!(7);
    let changes = [change(
        "a",
        "Invoice",
        Some("238"),
        Some(&base),
        &local,
        Intent::None,
    )];
    assert_eq!(plan(&changes), Plan::default());
}

#[test]
fn a_field_cleared_here_is_sent_as_null() {
    let base = samples::purchase();
    let mut local = base.clone();
    local.as_object_mut().unwrap().remove("PrivateNote");
    let body = sparse_body("Purchase", &base, &local).unwrap();
    assert_eq!(body["PrivateNote"], Value::Null);
    assert_eq!(
        body["PaymentType"], "Check",
        "QuickBooks wants it in every sparse body"
    );
    assert_eq!(body["AccountRef"], base["AccountRef"]);
    assert!(
        body.get("EntityRef").is_none(),
        "unchanged and not required"
    );
}

#[test]
fn a_deposit_update_is_the_full_version_because_deposits_ignore_sparse() {
    let base = samples::deposit();
    let mut local = base.clone();
    local["PrivateNote"] = json!("January deposits, checked");
    let body = update_body("Deposit", "123", "0", &base, &local).unwrap();
    let mut expected = local.clone();
    let object = expected.as_object_mut().unwrap();
    object.remove("MetaData");
    object.insert("sparse".to_owned(), json!(false));
    assert_eq!(
        body, expected,
        "every writable field, TotalAmt (input on a deposit) included"
    );
    assert_eq!(body["TotalAmt"], local["TotalAmt"]);
}

#[test]
fn an_account_update_carries_name_and_type() {
    let base = json!({"Id": "33", "SyncToken": "1", "Name": "Accounts Payable (A/P)", "AccountType": "Accounts Payable",
                      "AccountSubType": "AccountsPayable", "Classification": "Liability", "CurrentBalance": -1091.23,
                      "FullyQualifiedName": "Accounts Payable (A/P)", "Active": true});
    let mut local = base.clone();
    local["Description"] = json!("Suppliers");
    local["CurrentBalance"] = json!(0);
    assert_eq!(
        sparse_body("Account", &base, &local).unwrap(),
        json!({"Id": "33", "SyncToken": "1", "sparse": true, "Name": "Accounts Payable (A/P)",
               "AccountType": "Accounts Payable", "Description": "Suppliers"})
    );
}

#[test]
fn a_create_sends_neither_ids_nor_what_quickbooks_computes() {
    let mut local = samples::invoice();
    local["Line"][0]["Id"] = json!("1");
    let body = create_body("Invoice", &local);
    for field in [
        "Id",
        "SyncToken",
        "MetaData",
        "domain",
        "sparse",
        "TotalAmt",
        "Balance",
    ] {
        assert!(body.get(field).is_none(), "{field} sent");
    }
    let lines = body["Line"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "QuickBooks makes its own subtotal");
    assert!(lines[0].get("Id").is_none());
    assert_eq!(body["CustomerRef"], local["CustomerRef"]);
    // A payment's amount is what was received: it is sent.
    let payment = create_body("Payment", &samples::payment());
    assert_eq!(payment["TotalAmt"], json!(25));
    assert!(payment.get("UnappliedAmt").is_none());

    let changes = [change("n", "Invoice", None, None, &local, Intent::None)];
    let planned = plan(&changes);
    assert_eq!(only(&planned).kind, OpKind::Create);
    assert_eq!(only(&planned).body, body);
}

#[test]
fn deleting_a_list_entry_makes_it_inactive_under_its_quickbooks_name() {
    let base =
        json!({"Id": "56", "SyncToken": "2", "DisplayName": "Bob's Burger Joint", "Active": true});
    let mut local = base.clone();
    local["DisplayName"] = json!("Bob's Burgers");
    let changes = [change(
        "v",
        "Vendor",
        Some("56"),
        Some(&base),
        &local,
        Intent::Delete,
    )];
    let planned = plan(&changes);
    let operation = only(&planned);
    assert_eq!(operation.kind, OpKind::Deactivate);
    assert_eq!(
        operation.body,
        json!({"Id": "56", "SyncToken": "3", "sparse": true, "DisplayName": "Bob's Burger Joint", "Active": false})
    );
}

#[test]
fn transactions_are_deleted_and_voided_with_id_and_token() {
    let invoice = samples::invoice();
    let bill = samples::bill();
    let changes = [
        change(
            "i",
            "Invoice",
            Some("238"),
            Some(&invoice),
            &invoice,
            Intent::Void,
        ),
        change("b", "Bill", Some("151"), Some(&bill), &bill, Intent::Delete),
    ];
    let planned = plan(&changes);
    let summary: Vec<(&str, OpKind, &Value)> = planned
        .operations
        .iter()
        .map(|operation| (operation.local_id.as_str(), operation.kind, &operation.body))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("b", OpKind::Delete, &json!({"Id": "151", "SyncToken": "3"})),
            ("i", OpKind::Void, &json!({"Id": "238", "SyncToken": "3"})),
        ]
    );
}

#[test]
fn what_quickbooks_cannot_do_is_refused_with_a_reason_naming_the_record() {
    let bill = samples::bill();
    let tax_code = json!({"Id": "2", "SyncToken": "0", "Name": "California"});
    let mut edited_tax_code = tax_code.clone();
    edited_tax_code["Name"] = json!("CA");
    let customer = json!({"Id": "5", "DisplayName": "Acme"});
    let mut no_token = change(
        "t",
        "Invoice",
        Some("238"),
        Some(&bill),
        &bill,
        Intent::None,
    );
    no_token.sync_token = None;
    let changes = [
        change("b", "Bill", Some("151"), Some(&bill), &bill, Intent::Void),
        change(
            "c",
            "Customer",
            Some("5"),
            Some(&customer),
            &customer,
            Intent::Void,
        ),
        change(
            "x",
            "TaxCode",
            Some("2"),
            Some(&tax_code),
            &edited_tax_code,
            Intent::None,
        ),
        no_token,
    ];
    let planned = plan(&changes);
    assert!(planned.operations.is_empty(), "{:?}", planned.operations);
    let reasons: Vec<(&str, &str)> = planned
        .refused
        .iter()
        .map(|(id, reason)| (id.as_str(), reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 4);
    assert!(
        reasons[0]
            .1
            .starts_with("Bill of 2014-12-31 (Bob's Burger Joint): QuickBooks cannot void a bill"),
        "{}",
        reasons[0].1
    );
    assert!(reasons[0].1.contains("delete it instead"));
    assert!(
        reasons[1].1.contains("make it inactive instead"),
        "{}",
        reasons[1].1
    );
    assert!(
        reasons[2].1.starts_with("Tax code California:"),
        "{}",
        reasons[2].1
    );
    assert!(
        reasons[3].1.contains("no SyncToken"),
        "never created twice: {}",
        reasons[3].1
    );
}

#[test]
fn a_delete_or_void_of_something_never_pushed_sends_nothing() {
    let invoice = json!({"CustomerRef": {"value": "1"}, "Line": []});
    let changes = [
        change("d", "Invoice", None, None, &invoice, Intent::Delete),
        change("v", "Invoice", None, None, &invoice, Intent::Void),
    ];
    assert_eq!(plan(&changes), Plan::default());
}

/// One pending change per (local_id, entity, kind).
fn mixed_changes(values: &[(String, String, u8, Value, Value)]) -> Vec<PendingChange<'_>> {
    values
        .iter()
        .map(|(local_id, entity, kind, base, local)| match kind {
            0 => change(local_id, entity, None, None, local, Intent::None),
            1 => change(local_id, entity, Some("9"), Some(base), local, Intent::None),
            _ => change(
                local_id,
                entity,
                Some("9"),
                Some(base),
                base,
                Intent::Delete,
            ),
        })
        .collect()
}

/// A base and an edited local version of any entity.
fn versions(entity: &str, note: &str) -> (Value, Value) {
    let base = json!({"Id": "9", "SyncToken": "3", "Name": entity, "DisplayName": entity, "Active": true,
                      "CustomerRef": {"value": "1"}, "VendorRef": {"value": "2"}, "PrivateNote": "before"});
    let mut local = base.clone();
    local["PrivateNote"] = json!(note);
    (base, local)
}

#[test]
fn lists_first_then_transaction_edits_then_deletes_then_deactivations() {
    let spec = [
        ("p1", "Payment", 0u8),
        ("i1", "Invoice", 0),
        ("it", "Item", 0),
        ("ac", "Account", 0),
        ("cu", "Customer", 1),
        ("dp", "Payment", 2),
        ("di", "Invoice", 2),
        ("dd", "Deposit", 2),
        ("xa", "Account", 2),
        ("xi", "Item", 2),
        ("je", "JournalEntry", 1),
    ];
    let values: Vec<(String, String, u8, Value, Value)> = spec
        .iter()
        .map(|(id, entity, kind)| {
            let (base, local) = versions(entity, "after");
            (id.to_string(), entity.to_string(), *kind, base, local)
        })
        .collect();
    let changes = mixed_changes(&values);
    let planned = plan(&changes);
    let order: Vec<(&str, OpKind)> = planned
        .operations
        .iter()
        .map(|operation| (operation.local_id.as_str(), operation.kind))
        .collect();
    assert_eq!(
        order,
        vec![
            ("ac", OpKind::Create),
            ("cu", OpKind::Update),
            ("it", OpKind::Create),
            ("i1", OpKind::Create),
            ("p1", OpKind::Create),
            ("je", OpKind::Update),
            // Deletes: what links to others first (deposit → payment → invoice).
            ("dd", OpKind::Delete),
            ("dp", OpKind::Delete),
            ("di", OpKind::Delete),
            // Deactivations: the item before the account it posts to.
            ("xi", OpKind::Deactivate),
            ("xa", OpKind::Deactivate),
        ]
    );
    let batches: Vec<Vec<&str>> = planned
        .batches(30)
        .iter()
        .map(|batch| {
            batch
                .iter()
                .map(|operation| operation.local_id.as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        batches,
        vec![
            vec!["ac"],
            vec!["cu"],
            vec!["it"],
            vec!["i1"],
            vec!["p1"],
            vec!["je"],
            vec!["dd"],
            vec!["dp"],
            vec!["di"],
            vec!["xi"],
            vec!["xa"],
        ]
    );
}

#[test]
fn a_list_entry_made_inactive_by_an_edit_goes_after_the_transactions() {
    let (base, _) = versions("Account", "x");
    let mut inactive = base.clone();
    inactive["Active"] = json!(false);
    let (bill_base, bill_local) = versions("Bill", "moved to another account");
    let changes = [
        change(
            "a",
            "Account",
            Some("9"),
            Some(&base),
            &inactive,
            Intent::None,
        ),
        change(
            "b",
            "Bill",
            Some("9"),
            Some(&bill_base),
            &bill_local,
            Intent::None,
        ),
    ];
    let planned = plan(&changes);
    let order: Vec<&str> = planned
        .operations
        .iter()
        .map(|operation| operation.local_id.as_str())
        .collect();
    assert_eq!(order, vec!["b", "a"]);
    assert!(planned.operations[1].must_follow(&planned.operations[0]));
}

#[test]
fn forty_invoices_go_in_batches_of_thirty_and_ten() {
    let values: Vec<(String, String, u8, Value, Value)> = (0..40)
        .map(|index| {
            let (base, local) = versions("Invoice", &format!("note {index}"));
            (
                format!("inv-{index:02}"),
                "Invoice".to_owned(),
                0,
                base,
                local,
            )
        })
        .collect();
    let changes = mixed_changes(&values);
    let planned = plan(&changes);
    let sizes: Vec<usize> = planned
        .batches(30)
        .iter()
        .map(|batch| batch.len())
        .collect();
    assert_eq!(sizes, vec![30, 10]);
    assert_eq!(planned.operations[0].local_id, "inv-00");
    assert_eq!(
        planned.batches(0).len(),
        40,
        "a batch holds at least one operation"
    );
}

fn any_entity() -> impl Strategy<Value = String> {
    let all: Vec<&'static str> = MASTER_ENTITIES
        .iter()
        .chain(TRANSACTION_ENTITIES)
        .copied()
        .filter(|entity| !matches!(*entity, "TaxCode" | "TaxRate"))
        .collect();
    prop::sample::select(all).prop_map(str::to_owned)
}

proptest! {
    #[test]
    fn no_operation_shares_a_batch_with_or_precedes_one_it_depends_on(
        spec in prop::collection::vec((any_entity(), 0u8..3), 0..80),
        max in 1usize..=30,
    ) {
        let values: Vec<(String, String, u8, Value, Value)> = spec
            .iter()
            .enumerate()
            .map(|(index, (entity, kind))| {
                let (base, local) = versions(entity, &format!("edit {index}"));
                (format!("r{index:03}"), entity.clone(), *kind, base, local)
            })
            .collect();
        let changes = mixed_changes(&values);
        let planned = plan(&changes);
        prop_assert!(planned.refused.is_empty(), "{:?}", planned.refused);
        let batches = planned.batches(max);
        let flattened: Vec<&Operation> = batches.iter().flat_map(|batch| batch.iter()).collect();
        prop_assert_eq!(flattened.len(), planned.operations.len());
        let mut batch_of = Vec::new();
        for (number, batch) in batches.iter().enumerate() {
            prop_assert!(!batch.is_empty() && batch.len() <= max);
            batch_of.extend(batch.iter().map(|operation| (number, operation)));
        }
        for (later_batch, later) in &batch_of {
            for (earlier_batch, earlier) in &batch_of {
                if later.must_follow(earlier) {
                    prop_assert!(later_batch > earlier_batch, "{} {:?} not after {} {:?}", later.entity, later.kind, earlier.entity, earlier.kind);
                }
            }
        }
        // The dependencies an accountant would name, checked directly.
        let position = |entity: &str, kind: OpKind| planned.operations.iter().position(|operation| operation.entity == entity && operation.kind == kind);
        let before = |first: Option<usize>, second: Option<usize>| match (first, second) {
            (Some(first), Some(second)) => first < second,
            _ => true,
        };
        prop_assert!(before(position("Account", OpKind::Create), position("Item", OpKind::Create)));
        prop_assert!(before(position("Customer", OpKind::Create), position("Invoice", OpKind::Create)));
        prop_assert!(before(position("Vendor", OpKind::Update), position("Bill", OpKind::Create)));
        prop_assert!(before(position("Invoice", OpKind::Create), position("Payment", OpKind::Create)));
        prop_assert!(before(position("Bill", OpKind::Create), position("BillPayment", OpKind::Update)));
        prop_assert!(before(position("Payment", OpKind::Delete), position("Invoice", OpKind::Delete)));
        prop_assert!(before(position("Payment", OpKind::Update), position("Invoice", OpKind::Delete)));
        prop_assert!(before(position("Invoice", OpKind::Delete), position("Customer", OpKind::Deactivate)));
        prop_assert!(before(position("Item", OpKind::Deactivate), position("Account", OpKind::Deactivate)));
    }
}
