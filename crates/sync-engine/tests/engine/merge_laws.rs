//! The algebra of the three-way merge, on generated invoices.
//!
//! Amounts are JSON numbers written as decimal text (serde_json keeps the
//! text with `arbitrary_precision`), in several spellings of one value
//! ("12.5", "12.50", "12.500"), so that every law here goes through the
//! merge's exact decimal comparison: a float literal through `json!` would
//! be rounded to one spelling before the merge ever saw it.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_engine::merge::{Choice, changed_fields, merge, resolve_all, same};

/// An amount of `cents` hundredths as a JSON number written with
/// `padding` more trailing zeros than the two decimals ("12.50", "12.5000").
fn amount(cents: i64, padding: usize) -> Value {
    let text = format!("{}{}", Decimal::new(cents, 2), "0".repeat(padding));
    serde_json::from_str(&text).unwrap()
}

/// The same amount written another way: its shortest spelling, or with
/// `padding` extra zeros.
fn respelled(value: &Value, padding: usize) -> Value {
    let decimal: Decimal = value.to_string().parse().unwrap();
    let text = if padding == 0 {
        decimal.normalize().to_string()
    } else {
        format!("{}{}", decimal, "0".repeat(padding))
    };
    serde_json::from_str(&text).unwrap()
}

/// An invoice with up to five lines, from generated parts.
fn invoice() -> impl Strategy<Value = Value> {
    (
        "[A-Z]{1,3}-[0-9]{1,4}",
        prop::option::of("[a-z ]{0,12}"),
        prop::collection::vec((1i64..50_000, 0usize..3), 1..5),
    )
        .prop_map(|(doc, note, lines)| {
            let lines: Vec<Value> = lines
                .iter()
                .enumerate()
                .map(|(index, (cents, padding))| {
                    json!({"Id": (index + 1).to_string(), "Amount": amount(*cents, *padding), "DetailType": "SalesItemLineDetail"})
                })
                .collect();
            let mut object = json!({"Id": "7", "SyncToken": "1", "DocNumber": doc, "CustomerRef": {"value": "3"}, "Line": lines});
            if let Some(note) = note {
                object["PrivateNote"] = json!(note);
            }
            object
        })
}

/// An edit of some fields of `base`: the memo, the number, and one line's
/// amount set to a generated value (which may equal the old one, written
/// differently).
fn edit(base: Value) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        0usize..5,
        1i64..50_000,
        0usize..3,
        "[a-z]{1,6}",
    )
        .prop_map(move |(note, doc, line, cents, padding, word)| {
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
                target["Amount"] = amount(cents % 7 * 100, padding);
            }
            edited
        })
}

fn with_edits() -> impl Strategy<Value = (Value, Value, Value)> {
    invoice().prop_flat_map(|base| (Just(base.clone()), edit(base.clone()), edit(base)))
}

/// The path of line `index`'s amount, as conflicts name it.
fn amount_path(index: usize) -> String {
    format!("Line[Id={}].Amount", index + 1)
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
        // Line by line: every amount changed here keeps its local value.
        let lines = base["Line"].as_array().unwrap().len();
        for index in 0..lines {
            let ours = &local["Line"][index]["Amount"];
            if !same(ours, &base["Line"][index]["Amount"]) {
                let kept = resolved["Line"].as_array().unwrap().iter().find(|line| line["Id"] == base["Line"][index]["Id"]).unwrap();
                prop_assert!(same(&kept["Amount"], ours), "line {} amount lost", index + 1);
            }
        }
    }

    #[test]
    fn an_amount_written_another_way_is_no_change(base in invoice(), line in 0usize..5, padding in 0usize..4, cents in 1i64..50_000) {
        let lines = base["Line"].as_array().unwrap().len();
        let line = line % lines;
        let mut local = base.clone();
        local["Line"][line]["Amount"] = respelled(&base["Line"][line]["Amount"], padding);
        prop_assert!(changed_fields("Invoice", &base, &local).is_empty(), "{} vs {}", base["Line"][line]["Amount"], local["Line"][line]["Amount"]);
        // Against a real change of the same amount in QuickBooks, the
        // respelling is no edit: QuickBooks' amount is taken without a conflict.
        let mut remote = base.clone();
        let current: Decimal = base["Line"][line]["Amount"].to_string().parse().unwrap();
        let changed = Decimal::new(cents, 2) + current;
        remote["Line"][line]["Amount"] = serde_json::from_str(&changed.to_string()).unwrap();
        let merged = merge("Invoice", &base, &local, &remote);
        prop_assert!(merged.is_clean(), "{:?}", merged.conflicts);
        prop_assert!(same(&merged.merged["Line"][line]["Amount"], &remote["Line"][line]["Amount"]));
    }

    #[test]
    fn different_amounts_on_both_sides_conflict_and_equal_ones_merge(
        base in invoice(),
        line in 0usize..5,
        ours in 0i64..6,
        theirs in 0i64..6,
        padding in 0usize..3,
    ) {
        let lines = base["Line"].as_array().unwrap().len();
        let line = line % lines;
        // Both sides move the amount away from the base (a value the
        // generator never makes: whole hundreds above 500.00).
        let mut local = base.clone();
        local["Line"][line]["Amount"] = amount(50_000 + ours * 100, 0);
        let mut remote = base.clone();
        remote["Line"][line]["Amount"] = amount(50_000 + theirs * 100, padding);
        let merged = merge("Invoice", &base, &local, &remote);
        let paths: Vec<String> = merged.conflicts.iter().map(|conflict| conflict.path.to_string()).collect();
        if ours == theirs {
            prop_assert!(merged.is_clean(), "{paths:?}");
            prop_assert!(same(&merged.merged["Line"][line]["Amount"], &local["Line"][line]["Amount"]));
        } else {
            prop_assert_eq!(paths, vec![amount_path(line)]);
            let kept_local = resolve_all(&merged, &Choice::Local);
            prop_assert!(same(&kept_local["Line"][line]["Amount"], &local["Line"][line]["Amount"]));
            let kept_remote = resolve_all(&merged, &Choice::Remote);
            prop_assert!(same(&kept_remote["Line"][line]["Amount"], &remote["Line"][line]["Amount"]));
        }
    }

    #[test]
    fn lines_added_on_both_sides_all_survive(base in invoice(), left in "[a-z]{3}", right in "[a-z]{3}") {
        let mut local = base.clone();
        let mut remote = base.clone();
        local["Line"].as_array_mut().unwrap().push(json!({"Description": left, "Amount": amount(100, 0)}));
        remote["Line"].as_array_mut().unwrap().push(json!({"Description": right, "Amount": amount(200, 1)}));
        let merged = merge("Invoice", &base, &local, &remote);
        prop_assert!(merged.is_clean());
        let count = merged.merged["Line"].as_array().unwrap().len();
        prop_assert_eq!(count, base["Line"].as_array().unwrap().len() + 2);
    }
}

#[test]
fn numbers_compare_by_exact_value() {
    let number = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
    // Written differently, equal in value: no change, so QuickBooks' total is taken.
    let base = json!({"Line": [{"Id": "1", "Amount": number("10.5")}], "TotalAmt": number("10.5")});
    let local =
        json!({"Line": [{"Id": "1", "Amount": number("10.50")}], "TotalAmt": number("10.5")});
    let remote = json!({"Line": [{"Id": "1", "Amount": number("10.5")}], "TotalAmt": number("11")});
    assert_ne!(local["Line"][0]["Amount"].to_string(), "10.5");
    assert!(merge("Invoice", &base, &local, &remote).is_clean());
    // Different by a hundredth on each side: a conflict on that amount.
    let local =
        json!({"Line": [{"Id": "1", "Amount": number("10.51")}], "TotalAmt": number("10.5")});
    let remote =
        json!({"Line": [{"Id": "1", "Amount": number("10.49")}], "TotalAmt": number("10.5")});
    let merged = merge("Invoice", &base, &local, &remote);
    let paths: Vec<String> = merged
        .conflicts
        .iter()
        .map(|conflict| conflict.path.to_string())
        .collect();
    assert_eq!(paths, vec!["Line[Id=1].Amount".to_owned()]);
}
