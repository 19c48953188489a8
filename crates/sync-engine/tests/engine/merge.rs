//! The three-way merge: its algebra as properties over generated invoices
//! built on Intuit's invoice sample, and the cases an accountant meets.

// Generators and edit helpers outside #[test] functions unwrap too: a failed
// unwrap there is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::merge::{
    Choice, FieldPath, PathSegment, ResolveError, changed_fields, equivalent, is_server_managed,
    merge, resolve, resolve_all, value_at,
};

use crate::samples;

/// An exact JSON number for an amount in cents.
fn money(cents: i64) -> Value {
    Value::Number(Decimal::new(cents, 2).to_string().parse().unwrap())
}

/// An item line as QuickBooks returns it.
fn item_line(id: usize, item: u8, quantity: u32, price_cents: u32) -> Value {
    json!({
        "Id": id.to_string(),
        "LineNum": id,
        "Description": format!("Work package {id}"),
        "Amount": money(i64::from(quantity) * i64::from(price_cents)),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {
            "ItemRef": {"value": item.to_string(), "name": format!("Service {item}")},
            "Qty": quantity,
            "UnitPrice": money(i64::from(price_cents)),
            "TaxCodeRef": {"value": "NON"}
        }
    })
}

/// Intuit's sample invoice with 3 to 8 item lines and QuickBooks' subtotal.
fn invoice() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((1u8..9, 1u32..20, 100u32..50_000), 3..=8),
        prop::option::of("[a-z ]{1,12}"),
    )
        .prop_map(|(lines, note)| {
            let mut invoice = samples::invoice();
            let mut items: Vec<Value> = lines
                .iter()
                .enumerate()
                .map(|(index, (item, quantity, price))| item_line(index + 1, *item, *quantity, *price))
                .collect();
            let subtotal: i64 = lines
                .iter()
                .map(|(_, quantity, price)| i64::from(*quantity) * i64::from(*price))
                .sum();
            items.push(json!({"DetailType": "SubTotalLineDetail", "Amount": money(subtotal), "SubTotalLineDetail": {}}));
            invoice["Line"] = Value::Array(items);
            invoice["TotalAmt"] = money(subtotal);
            invoice["Balance"] = money(subtotal);
            if let Some(note) = note {
                invoice["PrivateNote"] = json!(note);
            }
            invoice
        })
}

/// One edit an accountant (or someone in QuickBooks) makes.
#[derive(Debug, Clone)]
enum Edit {
    Note(String),
    RemoveNote,
    DueDate(u32),
    Customer(u8),
    LineAmount(usize, u32),
    LineItem(usize, u8),
    LineQuantity(usize, u8),
    DeleteLine(usize),
    AddLine(String),
}

impl Edit {
    /// The same edit with a different value, as the other side would make it.
    fn mirrored(&self) -> Edit {
        match self {
            Edit::Note(text) => Edit::Note(format!("{text} (qb)")),
            Edit::RemoveNote => Edit::RemoveNote,
            Edit::DueDate(day) => Edit::DueDate(day % 28 + 1),
            Edit::Customer(id) => Edit::Customer(id.wrapping_add(50)),
            Edit::LineAmount(line, cents) => Edit::LineAmount(*line, cents + 1),
            Edit::LineItem(line, item) => Edit::LineItem(*line, item.wrapping_add(50)),
            Edit::LineQuantity(line, quantity) => {
                Edit::LineQuantity(*line, quantity.wrapping_add(1))
            }
            Edit::DeleteLine(line) => Edit::DeleteLine(*line),
            Edit::AddLine(text) => Edit::AddLine(format!("{text} (qb)")),
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        "[a-z]{1,8}".prop_map(Edit::Note),
        Just(Edit::RemoveNote),
        (1u32..29).prop_map(Edit::DueDate),
        (1u8..40).prop_map(Edit::Customer),
        (0usize..8, 1u32..90_000).prop_map(|(line, cents)| Edit::LineAmount(line, cents)),
        (0usize..8, 1u8..40).prop_map(|(line, item)| Edit::LineItem(line, item)),
        (0usize..8, 1u8..50).prop_map(|(line, quantity)| Edit::LineQuantity(line, quantity)),
        (0usize..8).prop_map(Edit::DeleteLine),
        "[a-z]{3,8}".prop_map(Edit::AddLine),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 0..5)
}

/// The positions of the numbered lines (not the subtotal, not new lines).
fn numbered_lines(invoice: &Value) -> Vec<usize> {
    invoice["Line"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, line)| line.get("Id").is_some())
        .map(|(index, _)| index)
        .collect()
}

fn apply(invoice: &Value, edits: &[Edit]) -> Value {
    let mut edited = invoice.clone();
    for edit in edits {
        let numbered = numbered_lines(&edited);
        let line = |index: usize| numbered.get(index % numbered.len().max(1)).copied();
        match edit {
            Edit::Note(text) => edited["PrivateNote"] = json!(text),
            Edit::RemoveNote => {
                edited.as_object_mut().unwrap().remove("PrivateNote");
            }
            Edit::DueDate(day) => edited["DueDate"] = json!(format!("2015-08-{day:02}")),
            Edit::Customer(id) => {
                edited["CustomerRef"] =
                    json!({"value": id.to_string(), "name": format!("Customer {id}")});
            }
            Edit::LineAmount(index, cents) => {
                if let Some(position) = line(*index) {
                    edited["Line"][position]["Amount"] = money(i64::from(*cents));
                }
            }
            Edit::LineItem(index, item) => {
                if let Some(position) = line(*index) {
                    edited["Line"][position]["SalesItemLineDetail"]["ItemRef"] =
                        json!({"value": item.to_string(), "name": format!("Service {item}")});
                }
            }
            Edit::LineQuantity(index, quantity) => {
                if let Some(position) = line(*index) {
                    edited["Line"][position]["SalesItemLineDetail"]["Qty"] = json!(quantity);
                }
            }
            Edit::DeleteLine(index) => {
                if let Some(position) = line(*index) {
                    edited["Line"].as_array_mut().unwrap().remove(position);
                }
            }
            Edit::AddLine(text) => {
                let lines = edited["Line"].as_array_mut().unwrap();
                let before_subtotal = lines.len().saturating_sub(1);
                lines.insert(
                    before_subtotal,
                    json!({"Description": text, "Amount": money(1000), "DetailType": "SalesItemLineDetail",
                           "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}, "Qty": 1, "UnitPrice": money(1000)}}),
                );
            }
        }
    }
    edited
}

/// QuickBooks' answer to an edit: a new SyncToken and new totals.
fn saved_by_quickbooks(invoice: &Value) -> Value {
    let mut saved = invoice.clone();
    saved["SyncToken"] = json!("1");
    saved["MetaData"]["LastUpdatedTime"] = json!("2015-07-25T09:00:00-07:00");
    saved["TotalAmt"] = money(123_456);
    saved
}

/// The object without what QuickBooks manages.
fn without_server_fields(object: &Value) -> Value {
    let mut object = object.clone();
    object
        .as_object_mut()
        .unwrap()
        .retain(|key, _| !is_server_managed("Invoice", key));
    object
}

fn conflict_paths(merged: &sync_engine::merge::Merge) -> BTreeSet<String> {
    merged
        .conflicts
        .iter()
        .map(|conflict| conflict.path.to_string())
        .collect()
}

/// Whether a path lies inside (or is) a line path `Line[Id=…]`, or the two
/// are equal.
fn covers(shorter: &FieldPath, longer: &FieldPath) -> bool {
    shorter == longer
        || (longer.segments().starts_with(shorter.segments())
            && matches!(shorter.segments().last(), Some(PathSegment::Line(_))))
}

fn equivalent_at(left: &Value, right: &Value, path: &FieldPath) -> bool {
    match (value_at(left, path), value_at(right, path)) {
        (Some(left), Some(right)) => equivalent(left, right),
        (None, None) => true,
        (Some(value), None) | (None, Some(value)) => value.is_null(),
    }
}

proptest! {
    #[test]
    fn a_change_made_only_here_comes_through_whole(base in invoice(), local_edits in edits()) {
        let local = apply(&base, &local_edits);
        let merged = merge("Invoice", &base, &local, &base);
        prop_assert!(merged.is_clean(), "{:?}", merged.conflicts);
        prop_assert_eq!(without_server_fields(&merged.merged), without_server_fields(&local));
        prop_assert_eq!(&merged.merged["SyncToken"], &base["SyncToken"]);
    }

    #[test]
    fn a_change_made_only_in_quickbooks_comes_through_whole(base in invoice(), remote_edits in edits()) {
        let remote = saved_by_quickbooks(&apply(&base, &remote_edits));
        let merged = merge("Invoice", &base, &base, &remote);
        prop_assert!(merged.is_clean(), "{:?}", merged.conflicts);
        prop_assert_eq!(&merged.merged, &remote);
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict(base in invoice(), both in edits()) {
        let edited = apply(&base, &both);
        let merged = merge("Invoice", &base, &edited, &saved_by_quickbooks(&edited));
        prop_assert!(merged.is_clean(), "{:?}", merged.conflicts);
        prop_assert_eq!(without_server_fields(&merged.merged), without_server_fields(&edited));
        prop_assert!(changed_fields("Invoice", &edited, &merged.merged).is_empty());
    }

    #[test]
    fn swapping_the_sides_gives_the_same_conflicts(base in invoice(), local_edits in edits(), remote_edits in edits()) {
        let local = apply(&base, &local_edits);
        let remote = apply(&base, &remote_edits);
        let forward = merge("Invoice", &base, &local, &remote);
        let backward = merge("Invoice", &base, &remote, &local);
        prop_assert_eq!(conflict_paths(&forward), conflict_paths(&backward));
        for conflict in &forward.conflicts {
            let mirror = backward.conflicts.iter().find(|other| other.path == conflict.path).unwrap();
            prop_assert_eq!(&mirror.local, &conflict.remote);
            prop_assert_eq!(&mirror.remote, &conflict.local);
        }
    }

    #[test]
    fn taking_local_everywhere_keeps_every_local_change_and_adds_only_quickbooks_changes(
        base in invoice(), local_edits in edits(), remote_edits in edits()
    ) {
        let local = apply(&base, &local_edits);
        let remote = apply(&base, &remote_edits);
        let merged = merge("Invoice", &base, &local, &remote);
        let resolved = resolve_all(&merged, &Choice::Local);
        for path in changed_fields("Invoice", &base, &local) {
            if path.to_string() == "Line" {
                continue; // new lines: checked below
            }
            prop_assert!(equivalent_at(&resolved, &local, &path), "local change at {path} lost");
        }
        for path in changed_fields("Invoice", &base, &resolved) {
            if path.to_string() == "Line" {
                continue;
            }
            prop_assert!(
                equivalent_at(&resolved, &local, &path) || equivalent_at(&resolved, &remote, &path),
                "{path} holds a value neither side wrote"
            );
        }
        let new_lines = |object: &Value| -> Vec<Value> {
            object["Line"].as_array().unwrap().iter()
                .filter(|line| line.get("Id").is_none() && line["DetailType"] != "SubTotalLineDetail")
                .cloned().collect()
        };
        let mut expected = new_lines(&remote);
        expected.extend(new_lines(&local));
        prop_assert_eq!(new_lines(&resolved), expected);
    }

    #[test]
    fn taking_local_when_quickbooks_changed_the_same_fields_gives_exactly_the_local_changes(
        base in invoice(), local_edits in edits()
    ) {
        let remote_edits: Vec<Edit> = local_edits.iter().map(Edit::mirrored).collect();
        let local = apply(&base, &local_edits);
        let remote = apply(&base, &remote_edits);
        let local_paths = changed_fields("Invoice", &base, &local);
        let remote_paths = changed_fields("Invoice", &base, &remote);
        // Only cases where QuickBooks touched nothing local left alone.
        prop_assume!(remote_paths.iter().all(|remote_path| local_paths
            .iter()
            .any(|local_path| covers(local_path, remote_path) || covers(remote_path, local_path))));
        let resolved = resolve_all(&merge("Invoice", &base, &local, &remote), &Choice::Local);
        let resolved_paths: BTreeSet<String> =
            changed_fields("Invoice", &base, &resolved).iter().map(ToString::to_string).collect();
        let local_paths: BTreeSet<String> = local_paths.iter().map(ToString::to_string).collect();
        prop_assert_eq!(resolved_paths, local_paths);
    }

    #[test]
    fn lines_added_on_both_sides_all_survive(
        base in invoice(),
        local_added in prop::collection::vec("[a-z]{3,8}", 1..4),
        remote_added in prop::collection::vec("[a-z]{3,8}", 1..4),
    ) {
        let local = apply(&base, &local_added.iter().map(|text| Edit::AddLine(format!("here {text}"))).collect::<Vec<_>>());
        let remote = apply(&base, &remote_added.iter().map(|text| Edit::AddLine(format!("qb {text}"))).collect::<Vec<_>>());
        let merged = merge("Invoice", &base, &local, &remote);
        prop_assert!(merged.is_clean(), "{:?}", merged.conflicts);
        let lines = merged.merged["Line"].as_array().unwrap();
        prop_assert_eq!(lines.len(), base["Line"].as_array().unwrap().len() + local_added.len() + remote_added.len());
        for text in local_added.iter().map(|text| format!("here {text}")).chain(remote_added.iter().map(|text| format!("qb {text}"))) {
            prop_assert!(lines.iter().any(|line| line["Description"] == json!(text)), "{text} lost");
        }
        let subtotals = lines.iter().filter(|line| line["DetailType"] == "SubTotalLineDetail").count();
        prop_assert_eq!(subtotals, 1);
    }
}

/// Changes the first item line of the sample invoice.
fn with_first_line(invoice: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut changed = invoice.clone();
    change(&mut changed["Line"][0]);
    changed
}

#[test]
fn edits_to_different_fields_of_the_sample_invoice_merge_cleanly() {
    let base = samples::invoice();
    let mut local = with_first_line(&base, |line| {
        line["SalesItemLineDetail"]["Qty"] = json!(2);
        line["SalesItemLineDetail"]["UnitPrice"] = json!(50);
    });
    local["PrivateNote"] = json!("Checked against the delivery note");
    let mut remote = with_first_line(&base, |line| {
        line["SalesItemLineDetail"]["TaxCodeRef"] = json!({"value": "TAX"});
        line["Description"] = json!("Bird feeder service");
    });
    remote["DueDate"] = json!("2015-09-01");
    remote["SyncToken"] = json!("1");
    remote["Balance"] = json!(80.0);
    // QuickBooks regenerates its subtotal line.
    remote["Line"][1]["Amount"] = json!(100.0);

    let merged = merge("Invoice", &base, &local, &remote);
    assert!(merged.is_clean(), "{:?}", merged.conflicts);
    let result = &merged.merged;
    assert_eq!(result["PrivateNote"], "Checked against the delivery note");
    assert_eq!(result["DueDate"], "2015-09-01");
    assert_eq!(result["SyncToken"], "1");
    assert_eq!(result["Balance"], json!(80.0));
    let detail = &result["Line"][0]["SalesItemLineDetail"];
    assert_eq!(detail["Qty"], json!(2));
    assert_eq!(detail["TaxCodeRef"], json!({"value": "TAX"}));
    assert_eq!(result["Line"][0]["Description"], "Bird feeder service");
    assert_eq!(
        result["Line"].as_array().unwrap().len(),
        2,
        "one subtotal line"
    );
    assert_eq!(result["Line"][1], remote["Line"][1]);
}

#[test]
fn numbers_compare_by_exact_value() {
    let base = samples::invoice();
    let local = with_first_line(&base, |line| {
        line["Amount"] = Value::Number("120.00".parse().unwrap());
    });
    let remote = with_first_line(&base, |line| line["Amount"] = json!(120));
    let merged = merge("Invoice", &base, &local, &remote);
    assert!(merged.is_clean(), "{:?}", merged.conflicts);
    assert_eq!(merged.merged["Line"][0]["Amount"], json!(120));
    let cent_apart = with_first_line(&base, |line| {
        line["Amount"] = Value::Number("120.01".parse().unwrap());
    });
    let merged = merge("Invoice", &base, &local, &cent_apart);
    assert_eq!(
        conflict_paths(&merged),
        BTreeSet::from(["Line[Id=1].Amount".to_owned()])
    );
}

#[test]
fn a_conflicting_line_amount_keeps_all_three_values_and_is_resolved_per_field() {
    let base = samples::invoice();
    let local = with_first_line(&base, |line| line["Amount"] = json!(110.0));
    let remote = with_first_line(&base, |line| line["Amount"] = json!(90.0));
    let merged = merge("Invoice", &base, &local, &remote);
    assert_eq!(merged.conflicts.len(), 1);
    let conflict = &merged.conflicts[0];
    assert_eq!(conflict.path.to_string(), "Line[Id=1].Amount");
    assert_eq!(
        (
            conflict.base.clone(),
            conflict.local.clone(),
            conflict.remote.clone()
        ),
        (Some(json!(100.0)), Some(json!(110.0)), Some(json!(90.0)))
    );
    assert_eq!(
        merged.merged["Line"][0]["Amount"],
        json!(110.0),
        "the local value waits"
    );

    let path: FieldPath = "Line[Id=1].Amount".parse().unwrap();
    let pick =
        |choice: Choice| resolve(&merged, &BTreeMap::from([(path.clone(), choice)])).unwrap();
    assert_eq!(pick(Choice::Remote)["Line"][0]["Amount"], json!(90.0));
    assert_eq!(pick(Choice::Local)["Line"][0]["Amount"], json!(110.0));
    assert_eq!(
        pick(Choice::Value(json!(95.5)))["Line"][0]["Amount"],
        json!(95.5)
    );
}

#[test]
fn two_different_customers_are_one_conflict_on_the_whole_reference() {
    let base = samples::invoice();
    let mut local = base.clone();
    local["CustomerRef"] = json!({"value": "7", "name": "Cool Cars"});
    let mut remote = base.clone();
    remote["CustomerRef"] = json!({"value": "9", "name": "Dukes Basketball Camp"});
    let merged = merge("Invoice", &base, &local, &remote);
    assert_eq!(
        conflict_paths(&merged),
        BTreeSet::from(["CustomerRef".to_owned()])
    );
    let resolved = resolve(
        &merged,
        &BTreeMap::from([(FieldPath::key("CustomerRef"), Choice::Remote)]),
    )
    .unwrap();
    assert_eq!(resolved["CustomerRef"], remote["CustomerRef"]);
}

#[test]
fn a_rename_in_quickbooks_is_no_edit_and_its_label_wins() {
    let base = samples::invoice();
    // The customer was renamed in QuickBooks: only the label changed.
    let mut remote = base.clone();
    remote["CustomerRef"]["name"] = json!("Amy's Bird Sanctuary Ltd");
    let mut local = base.clone();
    local["CustomerRef"]["name"] = json!("Amy's Birds");
    local["PrivateNote"] = json!("call before delivery");
    let merged = merge("Invoice", &base, &local, &remote);
    assert!(merged.is_clean(), "{:?}", merged.conflicts);
    assert_eq!(merged.merged["CustomerRef"], remote["CustomerRef"]);
    assert!(changed_fields("Invoice", &remote, &base).is_empty());
    // The item was renamed too, and the quantity changed here.
    let remote = with_first_line(&base, |line| {
        line["SalesItemLineDetail"]["ItemRef"]["name"] = json!("Bird services");
    });
    let local = with_first_line(&base, |line| line["SalesItemLineDetail"]["Qty"] = json!(4));
    let merged = merge("Invoice", &base, &local, &remote);
    assert!(merged.is_clean());
    let detail = &merged.merged["Line"][0]["SalesItemLineDetail"];
    assert_eq!(detail["ItemRef"]["name"], "Bird services");
    assert_eq!(detail["Qty"], json!(4));
}

#[test]
fn a_line_deleted_here_but_edited_in_quickbooks_is_a_conflict_on_the_whole_line() {
    let base = samples::invoice();
    let mut local = base.clone();
    local["Line"].as_array_mut().unwrap().remove(0);
    let remote = with_first_line(&base, |line| line["Amount"] = json!(150.0));
    let merged = merge("Invoice", &base, &local, &remote);
    assert_eq!(merged.conflicts.len(), 1);
    let conflict = &merged.conflicts[0];
    assert_eq!(conflict.path.to_string(), "Line[Id=1]");
    assert_eq!(conflict.local, None);
    assert_eq!(conflict.remote.as_ref(), Some(&remote["Line"][0]));
    assert!(
        value_at(&merged.merged, &conflict.path).is_none(),
        "the local delete waits"
    );

    let keep = resolve(
        &merged,
        &BTreeMap::from([(conflict.path.clone(), Choice::Remote)]),
    )
    .unwrap();
    assert_eq!(
        keep["Line"][0], remote["Line"][0],
        "restored before the subtotal"
    );
    let drop = resolve(
        &merged,
        &BTreeMap::from([(conflict.path.clone(), Choice::Local)]),
    )
    .unwrap();
    assert_eq!(drop["Line"].as_array().unwrap().len(), 1);
    // Swapped: deleted in QuickBooks, edited here.
    let merged = merge("Invoice", &base, &remote, &local);
    assert_eq!(merged.conflicts[0].remote, None);
    assert_eq!(
        merged.merged["Line"][0]["Amount"],
        json!(150.0),
        "the local edit waits"
    );
}

#[test]
fn a_line_deleted_on_one_side_and_untouched_on_the_other_is_deleted() {
    let base = samples::journal_entry();
    let mut remote = base.clone();
    remote["Line"].as_array_mut().unwrap().remove(1);
    let mut local = base.clone();
    local["PrivateNote"] = json!("December accrual");
    let merged = merge("JournalEntry", &base, &local, &remote);
    assert!(merged.is_clean());
    let ids: Vec<&Value> = merged.merged["Line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| &line["Id"])
        .collect();
    assert_eq!(ids, vec![&json!("0")]);
    assert_eq!(merged.merged["PrivateNote"], "December accrual");
}

#[test]
fn payment_lines_have_no_ids_so_two_different_edits_conflict_as_a_whole() {
    let base = samples::payment();
    let mut local = base.clone();
    local["Line"][0]["Amount"] = json!(20);
    let mut remote = base.clone();
    remote["Line"][0]["Amount"] = json!(15);
    let merged = merge("Payment", &base, &local, &remote);
    assert_eq!(conflict_paths(&merged), BTreeSet::from(["Line".to_owned()]));
    assert_eq!(merged.merged["Line"], local["Line"]);
    // One side only: taken whole, never applied twice.
    let merged = merge("Payment", &base, &local, &base);
    assert!(merged.is_clean());
    assert_eq!(merged.merged["Line"], local["Line"]);
}

#[test]
fn the_amount_of_a_payment_is_input_and_the_total_of_a_bill_is_computed() {
    let base = samples::payment();
    let mut local = base.clone();
    local["TotalAmt"] = json!(30);
    let mut remote = base.clone();
    remote["TotalAmt"] = json!(35);
    assert_eq!(
        conflict_paths(&merge("Payment", &base, &local, &remote)),
        BTreeSet::from(["TotalAmt".to_owned()])
    );
    let base = samples::bill();
    let mut local = base.clone();
    local["TotalAmt"] = json!(1.0);
    local["Line"][0]["Amount"] = json!(250.0);
    let mut remote = base.clone();
    remote["TotalAmt"] = json!(210.0);
    remote["Balance"] = json!(0);
    let merged = merge("Bill", &base, &local, &remote);
    assert!(merged.is_clean());
    assert_eq!(merged.merged["TotalAmt"], json!(210.0));
    assert_eq!(merged.merged["Balance"], json!(0));
    assert_eq!(merged.merged["Line"][0]["Amount"], json!(250.0));
}

#[test]
fn changed_fields_tells_no_edit_from_an_edit() {
    let base = samples::invoice();
    let mut echo = base.clone();
    echo["SyncToken"] = json!("4");
    echo["MetaData"]["LastUpdatedTime"] = json!("2015-08-01T00:00:00-07:00");
    echo["TotalAmt"] = json!(100);
    echo["CustomerRef"]["name"] = json!("Renamed");
    echo["Line"][0]["Amount"] = Value::Number("100.000".parse().unwrap());
    echo["Line"][1]["Amount"] = json!(99);
    let mut without_note = base.clone();
    without_note["PrivateNote"] = Value::Null;
    assert!(changed_fields("Invoice", &base, &echo).is_empty());
    assert!(changed_fields("Invoice", &base, &without_note).is_empty());

    let edited = with_first_line(&base, |line| {
        line["SalesItemLineDetail"]["ItemRef"] = json!({"value": "2", "name": "Hours"});
    });
    let paths: Vec<String> = changed_fields("Invoice", &base, &edited)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(paths, vec!["Line[Id=1].SalesItemLineDetail.ItemRef"]);
    let mut added = base.clone();
    added["Line"]
        .as_array_mut()
        .unwrap()
        .insert(1, json!({"Amount": 5, "DetailType": "DescriptionOnly"}));
    added["Line"].as_array_mut().unwrap().remove(0);
    let paths: Vec<String> = changed_fields("Invoice", &base, &added)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(paths, vec!["Line[Id=1]", "Line"]);
}

#[test]
fn resolve_names_the_missing_and_the_unknown_choice() {
    let base = samples::invoice();
    let mut local = base.clone();
    local["DocNumber"] = json!("1069-A");
    local["DueDate"] = json!("2015-08-30");
    let mut remote = base.clone();
    remote["DocNumber"] = json!("1069-B");
    remote["DueDate"] = json!("2015-08-31");
    let merged = merge("Invoice", &base, &local, &remote);
    assert_eq!(merged.conflicts.len(), 2);
    let one = BTreeMap::from([(FieldPath::key("DocNumber"), Choice::Local)]);
    assert_eq!(
        resolve(&merged, &one),
        Err(ResolveError::Missing("DueDate".to_owned()))
    );
    let error = resolve(&merged, &one).unwrap_err().to_string();
    assert!(
        error.contains("DueDate") && error.contains("choose"),
        "{error}"
    );
    let mut stray = one.clone();
    stray.insert(FieldPath::key("DueDate"), Choice::Remote);
    stray.insert(FieldPath::key("PrivateNote"), Choice::Local);
    assert_eq!(
        resolve(&merged, &stray),
        Err(ResolveError::Unknown("PrivateNote".to_owned()))
    );
    stray.remove(&FieldPath::key("PrivateNote"));
    let resolved = resolve(&merged, &stray).unwrap();
    assert_eq!(
        (&resolved["DocNumber"], &resolved["DueDate"]),
        (&json!("1069-A"), &json!("2015-08-31"))
    );
}

#[test]
fn a_whole_line_choice_must_be_that_line() {
    let base = samples::invoice();
    let mut local = base.clone();
    local["Line"].as_array_mut().unwrap().remove(0);
    let remote = with_first_line(&base, |line| line["Amount"] = json!(150.0));
    let merged = merge("Invoice", &base, &local, &remote);
    let path: FieldPath = "Line[Id=1]".parse().unwrap();
    let wrong = BTreeMap::from([(path.clone(), Choice::Value(json!({"Id": "2", "Amount": 1})))]);
    assert!(matches!(
        resolve(&merged, &wrong),
        Err(ResolveError::NotALine { .. })
    ));
    let typed = BTreeMap::from([(
        path,
        Choice::Value(json!({"Id": "1", "Amount": 125.0, "DetailType": "SalesItemLineDetail"})),
    )]);
    assert_eq!(
        resolve(&merged, &typed).unwrap()["Line"][0]["Amount"],
        json!(125.0)
    );
}

#[test]
fn conflicts_and_choices_travel_as_text() {
    let path: FieldPath = "Line[Id=3].SalesItemLineDetail.ItemRef".parse().unwrap();
    let choices = BTreeMap::from([
        (path.clone(), Choice::Value(json!({"value": "4"}))),
        (FieldPath::key("DueDate"), Choice::Remote),
    ]);
    let text = serde_json::to_string(&choices).unwrap();
    assert_eq!(
        text,
        r#"{"DueDate":"Remote","Line[Id=3].SalesItemLineDetail.ItemRef":{"Value":{"value":"4"}}}"#
    );
    let back: BTreeMap<FieldPath, Choice> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, choices);
}
