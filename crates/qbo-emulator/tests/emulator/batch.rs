//! Batch against a real server: mixed operations, per-item faults with HTTP
//! 200, queries, voids through `optionsData`, the 30-item limit, `requestid`
//! replay and the shape of samples/batch-response.json.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::sample;
use crate::api_client::{Api, id, number, token};

fn item_keys(item: &Value) -> BTreeSet<String> {
    item.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn a_batch_runs_each_item_and_reports_faults_per_item() {
    let api = Api::start().await;
    let customer = api.customer("Dylan Sollfrank").await;
    let item = api.service_item("Design").await;
    let stale_vendor = api.vendor("Stale Vendor").await;
    let receipt = api
        .create(
            "SalesReceipt",
            json!({ "CustomerRef": { "value": customer },
                    "Line": [{ "DetailType": "SalesItemLineDetail", "Amount": 337.5,
                               "SalesItemLineDetail": { "ItemRef": { "value": item }, "Qty": 4.5, "UnitPrice": 75 } }] }),
        )
        .await;
    let invoice = api.invoice(&customer, &item, "60").await;
    let doomed = api.invoice(&customer, &item, "70").await;
    let payment = api
        .create(
            "Payment",
            json!({ "CustomerRef": { "value": customer }, "TotalAmt": 60,
                    "Line": [{ "Amount": 60, "LinkedTxn": [{ "TxnId": id(&invoice), "TxnType": "Invoice" }] }] }),
        )
        .await;
    let (status, body) = api
        .post(
            "/batch?minorversion=75",
            &json!({ "BatchItemRequest": [
                { "bId": "bid1", "operation": "create", "Vendor": { "DisplayName": "Dylan Sollfrank" } },
                { "bId": "bid2", "operation": "create", "Vendor": { "DisplayName": "Fresh Vendor" } },
                { "bId": "bid3", "operation": "update", "Vendor": { "Id": stale_vendor, "SyncToken": "9", "sparse": true, "AcctNum": "1" } },
                { "bId": "bid4", "Query": "select * from SalesReceipt" },
                { "bId": "bid5", "operation": "delete", "Invoice": { "Id": id(&doomed), "SyncToken": token(&doomed) } },
                { "bId": "bid6", "operation": "update", "optionsData": "void",
                  "Payment": { "Id": id(&payment), "SyncToken": token(&payment), "sparse": true } },
                { "bId": "bid7", "operation": "update", "Query": "select * from Customer" },
            ] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "item faults do not fail the batch: {body}"
    );
    let items = body["BatchItemResponse"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    assert!(body["time"].is_string());
    let sample_body = sample("batch-response.json");
    let sample_items = sample_body["BatchItemResponse"].as_array().unwrap();

    // bid1: 6240 as in the sample's first item.
    assert_eq!(item_keys(&items[0]), item_keys(&sample_items[0]));
    assert_eq!(items[0]["bId"], "bid1");
    assert_eq!(items[0]["Fault"]["Error"][0]["code"], "6240");
    assert_eq!(items[0]["Fault"]["type"], "ValidationFault");
    let fault_keys = item_keys(&items[0]["Fault"]["Error"][0]);
    assert_eq!(fault_keys, item_keys(&sample_items[0]["Fault"]["Error"][0]));
    // bid2: created.
    assert_eq!(items[1]["Vendor"]["DisplayName"], "Fresh Vendor");
    assert_eq!(items[1]["Vendor"]["SyncToken"], "0");
    // bid3: 5010 as in the sample's third item.
    assert_eq!(items[2]["Fault"]["Error"][0]["code"], "5010");
    assert_eq!(
        items[2]["Fault"]["Error"][0]["Message"],
        sample_items[2]["Fault"]["Error"][0]["Message"]
    );
    // bid4: a QueryResponse with the sample's keys.
    assert_eq!(item_keys(&items[3]), item_keys(&sample_items[3]));
    assert_eq!(
        item_keys(&items[3]["QueryResponse"]),
        item_keys(&sample_items[3]["QueryResponse"])
    );
    assert_eq!(
        items[3]["QueryResponse"]["SalesReceipt"][0]["Id"],
        receipt["Id"]
    );
    // bid5: deleted.
    assert_eq!(items[4]["Invoice"]["status"], "Deleted");
    let (status, _) = api.get(&format!("/invoice/{}", id(&doomed))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // bid6: voided, and the invoice it paid is open again.
    assert_eq!(number(&items[5]["Payment"]["TotalAmt"]), "0");
    assert_eq!(
        number(&api.read("Invoice", &id(&invoice)).await["Balance"]),
        "60"
    );
    // bid7: a query item with an operation is refused.
    assert!(items[6]["Fault"].is_object());
}

#[tokio::test]
async fn a_batch_of_more_than_30_items_is_refused_whole() {
    let api = Api::start().await;
    let too_many: Vec<Value> = (0..31)
        .map(|index| json!({ "bId": format!("b{index}"), "operation": "create", "Customer": { "DisplayName": format!("C{index}") } }))
        .collect();
    let (status, body) = api
        .post("/batch", &json!({ "BatchItemRequest": too_many }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["Fault"]["Error"][0]["code"], "1040");
    let count = api.query("select count(*) from Customer").await;
    assert_eq!(
        count["totalCount"], 0,
        "nothing of a refused batch is written"
    );

    let thirty: Vec<Value> = too_many.into_iter().take(30).collect();
    let (status, body) = api
        .post("/batch", &json!({ "BatchItemRequest": thirty }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["BatchItemResponse"].as_array().unwrap().len(), 30);
    assert_eq!(
        api.query("select count(*) from Customer").await["totalCount"],
        30
    );
}

#[tokio::test]
async fn a_batch_requestid_replays_the_whole_answer() {
    let api = Api::start().await;
    let batch = json!({ "BatchItemRequest": [
        { "bId": "one", "operation": "create", "Customer": { "DisplayName": "Batch Once" } },
        { "bId": "two", "operation": "create", "Vendor": { "DisplayName": "Batch Vendor Once" } },
    ] });
    let (status, first) = api.post("/batch?requestid=9d7c1e3f5a2b4c6d", &batch).await;
    assert_eq!(status, StatusCode::OK);
    let (status, second) = api.post("/batch?requestid=9d7c1e3f5a2b4c6d", &batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(
        second["BatchItemResponse"][0]["Customer"]["DisplayName"],
        "Batch Once"
    );
    assert_eq!(
        api.query("select count(*) from Customer").await["totalCount"],
        1
    );
    // With a requestid a bId may have at most 10 characters; the batch id at most 36.
    let (status, body) = api
        .post(
            "/batch?requestid=other",
            &json!({ "BatchItemRequest": [
                { "bId": "much-too-long-id", "operation": "create", "Customer": { "DisplayName": "Long bId" } },
            ] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["BatchItemResponse"][0]["Fault"]["Error"][0]["code"],
        "2050"
    );
    let (status, _) = api
        .post(&format!("/batch?requestid={}", "r".repeat(37)), &batch)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
