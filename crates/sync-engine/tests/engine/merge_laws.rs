//! The algebra of the three-way merge, on generated invoices.

use proptest::prelude::*;
use serde_json::{Value, json};
use sync_engine::merge::{Choice, changed_fields, merge, resolve_all, same};

/// An invoice with up to five lines, from generated parts.
fn invoice() -> impl Strategy<Value = Value> {
    (
        "[A-Z]{1,3}-[0-9]{1,4}",
        prop::option::of("[a-z ]{0,12}"),
        prop::collection::vec((1u32..500, 0u32..100), 1..5),
    )
        .prop_map(|(doc, note, lines)| {
            let lines: Vec<Value> = lines
                .iter()
                .enumerate()
                .map(|(index, (units, cents))| {
                    json!({"Id": (index + 1).to_string(), "Amount": format!("{units}.{cents:02}"), "DetailType": "SalesItemLineDetail"})
                })
                .collect();
            let mut object = json!({"Id": "7", "SyncToken": "1", "DocNumber": doc, "CustomerRef": {"value": "3"}, "Line": lines});
            if let Some(note) = note {
                object["PrivateNote"] = json!(note);
            }
            object
        })
}

/// An edit of some fields of `base`.
fn edit(base: Value) -> impl Strategy<Value = Value> {
    (any::<bool>(), any::<bool>(), 0usize..5, "[a-z]{1,6}").prop_map(
        move |(note, doc, line, word)| {
            let mut edited = base.clone();
            if note {
                edited["PrivateNote"] = json!(word.clone());
            }
            if doc {
                edited["DocNumber"] = json!(format!("E-{word}"));
            }
            if let Some(lines) = edited["Line"].as_array_mut()
                && let Some(target) = lines.get_mut(line)
            {
                target["Amount"] = json!("1.00");
            }
            edited
        },
    )
}

fn with_edits() -> impl Strategy<Value = (Value, Value, Value)> {
    invoice().prop_flat_map(|base| (Just(base.clone()), edit(base.clone()), edit(base)))
}

proptest! {
    #[test]
    fn one_sided_changes_are_taken_whole((base, local, _remote) in with_edits()) {
        let only_local = merge("Invoice", &base, &local, &base);
        prop_assert!(only_local.is_clean());
        prop_assert!(changed_fields("Invoice", &local, &only_local.merged).is_empty());
        let only_remote = merge("Invoice", &base, &base, &local);
        prop_assert!(only_remote.is_clean());
        prop_assert!(changed_fields("Invoice", &local, &only_remote.merged).is_empty());
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict((base, local, _remote) in with_edits()) {
        let merged = merge("Invoice", &base, &local, &local);
        prop_assert!(merged.is_clean());
        prop_assert!(same(&merged.merged, &local));
    }

    #[test]
    fn conflicts_are_symmetric((base, local, remote) in with_edits()) {
        let forward = merge("Invoice", &base, &local, &remote);
        let backward = merge("Invoice", &base, &remote, &local);
        let mut paths: Vec<String> = forward.conflicts.iter().map(|conflict| conflict.path.to_string()).collect();
        let mut mirrored: Vec<String> = backward.conflicts.iter().map(|conflict| conflict.path.to_string()).collect();
        paths.sort();
        mirrored.sort();
        prop_assert_eq!(paths, mirrored);
    }

    #[test]
    fn taking_local_everywhere_keeps_every_local_edit((base, local, remote) in with_edits()) {
        let merged = merge("Invoice", &base, &local, &remote);
        let resolved = resolve_all(&merged, &Choice::Local);
        for path in changed_fields("Invoice", &base, &local) {
            let key = path.top_level().unwrap_or_default().to_owned();
            prop_assert!(same(&resolved[&key], &local[&key]) || key == "Line", "{key} lost");
        }
    }

    #[test]
    fn lines_added_on_both_sides_all_survive(base in invoice(), left in "[a-z]{3}", right in "[a-z]{3}") {
        let mut local = base.clone();
        let mut remote = base.clone();
        local["Line"].as_array_mut().unwrap().push(json!({"Description": left, "Amount": 1}));
        remote["Line"].as_array_mut().unwrap().push(json!({"Description": right, "Amount": 2}));
        let merged = merge("Invoice", &base, &local, &remote);
        prop_assert!(merged.is_clean());
        let count = merged.merged["Line"].as_array().unwrap().len();
        prop_assert_eq!(count, base["Line"].as_array().unwrap().len() + 2);
    }
}

#[test]
fn numbers_compare_by_exact_value() {
    let base = json!({"Line": [{"Id": "1", "Amount": 10.5}], "TotalAmt": 10.5});
    let local = json!({"Line": [{"Id": "1", "Amount": 10.50}], "TotalAmt": 10.5});
    let remote = json!({"Line": [{"Id": "1", "Amount": 10.5}], "TotalAmt": 11});
    assert!(merge("Invoice", &base, &local, &remote).is_clean());
}
