//! Amounts cross to the front ends as exact decimal text and come back with
//! the same digits: what the user did not edit returns byte for byte.

use serde_json::Value;

use crate::support::{invoices, open};

#[tokio::test]
async fn untouched_amounts_cross_the_front_end_and_come_back_byte_for_byte() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let existing = core.list_records(&demo.id, invoices()).await.unwrap();
    let sample = core
        .get_record(&demo.id, &existing.rows[0].local_id)
        .await
        .unwrap()
        .local
        .unwrap();
    let customer = sample["CustomerRef"].clone();
    let item = sample["Line"][0]["SalesItemLineDetail"]["ItemRef"].clone();

    // Read from text, as QuickBooks' answers are: the digits are kept.
    let mut invoice: Value = serde_json::from_str(
        r#"{"Line": [
            {"Amount": 100.10, "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"Qty": 1.000, "UnitPrice": 100.10}},
            {"Amount": 12345678901234567.89, "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {}}
        ]}"#,
    )
    .unwrap();
    invoice["CustomerRef"] = customer;
    invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] = item.clone();
    invoice["Line"][1]["SalesItemLineDetail"]["ItemRef"] = item;
    let created = core
        .save_record(&demo.id, None, "Invoice", invoice)
        .await
        .unwrap();
    let local_id = created.record.row.local_id.clone();

    // What the webview (and a script) receives: every amount as its text.
    let detail = core.get_record(&demo.id, &local_id).await.unwrap();
    let wire = serde_json::to_string(&detail).unwrap();
    for text in [
        r#""Amount":"100.10""#,
        r#""Amount":"12345678901234567.89""#,
        r#""UnitPrice":"100.10""#,
        r#""Qty":"1.000""#,
    ] {
        assert!(wire.contains(text), "{text} is not in {wire}");
    }
    assert!(
        !wire.contains(r#""Amount":1"#),
        "an amount went out as a number: {wire}"
    );

    // The webview changes the memo only and sends the object back as it has it.
    let received: Value = serde_json::from_str(&wire).unwrap();
    let mut edited = received["local"].clone();
    edited["PrivateNote"] = Value::from("checked");
    core.save_record(&demo.id, Some(&local_id), "Invoice", edited)
        .await
        .unwrap();

    let stored = core.get_record(&demo.id, &local_id).await.unwrap();
    let local = serde_json::to_string(stored.local.as_ref().unwrap()).unwrap();
    for text in [
        r#""Amount":100.10"#,
        r#""Amount":12345678901234567.89"#,
        r#""UnitPrice":100.10"#,
        r#""Qty":1.000"#,
    ] {
        assert!(local.contains(text), "{text} is not in {local}");
    }
    assert_eq!(stored.local.as_ref().unwrap()["PrivateNote"], "checked");
}

#[tokio::test]
async fn an_amount_that_is_not_a_number_is_refused_with_its_field() {
    let opened = open().await;
    let core = &opened.core;
    let demo = core.add_demo_company().await.unwrap();
    core.sync_now(&demo.id, |_| {}).await.unwrap();
    let existing = core.list_records(&demo.id, invoices()).await.unwrap();
    let local_id = &existing.rows[0].local_id;
    let mut object = core
        .get_record(&demo.id, local_id)
        .await
        .unwrap()
        .local
        .unwrap();
    object["Line"][0]["Amount"] = Value::from("12,50");
    let refused = core
        .save_record(&demo.id, Some(local_id), "Invoice", object)
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), "invalid");
    assert!(refused.to_string().contains("Line[1].Amount"), "{refused}");
    let after = core.get_record(&demo.id, local_id).await.unwrap();
    assert_eq!(after.row.state, app_core::RecordState::Synced);
}
