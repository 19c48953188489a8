//! `records count`: a product's counted stock, sent to QuickBooks as its
//! quantity on hand on the next sync.

use super::{json, ledgerlink};

#[test]
fn a_count_reaches_quickbooks_on_the_next_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    json(&ledgerlink(data, &["company", "add", "demo"], None));
    json(&ledgerlink(data, &["sync", "Demo"], None));
    let items = json(&ledgerlink(
        data,
        &[
            "records", "list", "Demo", "--type", "Item", "--limit", "500",
        ],
        None,
    ));
    // The first stock-tracked product of the demo company.
    let product = items["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["localId"].as_str())
        .find(|local_id| {
            let shown = json(&ledgerlink(
                data,
                &["records", "show", "Demo", local_id],
                None,
            ));
            shown["local"]["Type"] == "Inventory" && shown["local"]["TrackQtyOnHand"] == true
        })
        .expect("the demo company has a stock-tracked product")
        .to_owned();
    let counted = json(&ledgerlink(
        data,
        &["records", "count", "Demo", &product, "1234"],
        None,
    ));
    assert_eq!(counted["localId"], product.as_str());
    let synced = json(&ledgerlink(data, &["sync", "Demo"], None));
    assert!(
        synced["report"]["pushed"].as_u64().unwrap() >= 1,
        "{synced}"
    );
    // QuickBooks' answer is the item as it now stands there.
    let shown = json(&ledgerlink(
        data,
        &["records", "show", "Demo", &product],
        None,
    ));
    let on_hand = shown["remote"]["QtyOnHand"].to_string();
    assert_eq!(
        on_hand.trim_matches('"').trim_end_matches(".0"),
        "1234",
        "{shown}"
    );

    let refused = ledgerlink(data, &["records", "count", "Demo", &product, "many"], None);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "a quantity that is no number"
    );
}
