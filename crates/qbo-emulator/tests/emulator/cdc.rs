//! Change Data Capture against a real server: full objects, tombstones for
//! deletes, the 30-day look-back, the 1,000-object cap and the response shape.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::Duration;
use qbo_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::sample;
use crate::api_client::{Api, id, token};

async fn cdc(api: &Api, entities: &str, changed_since: &str) -> (StatusCode, Value) {
    api.send(
        api.http
            .get(api.url("/cdc"))
            .query(&[
                ("entities", entities),
                ("changedSince", changed_since),
                ("minorversion", "75"),
            ])
            .bearer_auth(&api.token),
    )
    .await
}

/// The objects of one entity type in a CDC response.
fn objects<'a>(body: &'a Value, entity: &str) -> Vec<&'a Value> {
    body["CDCResponse"][0]["QueryResponse"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|block| block.get(entity))
        .flat_map(|list| list.as_array().unwrap())
        .collect()
}

#[tokio::test]
async fn cdc_returns_changed_objects_in_full_and_tombstones_for_deletes() {
    let api = Api::start().await;
    let since = "2025-03-14T10:00:00-07:00";
    let customer = api.customer("CDC Customer").await;
    let item = api.service_item("CDC Item").await;
    let kept = api.invoice(&customer, &item, "10").await;
    let doomed = api.invoice(&customer, &item, "20").await;
    api.clock.advance(Duration::minutes(5));
    let (status, _) = api
        .post(
            "/invoice?operation=delete",
            &json!({ "Id": id(&doomed), "SyncToken": token(&doomed) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = cdc(&api, "Invoice,Customer", since).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["time"].is_string());
    let invoices = objects(&body, "Invoice");
    assert_eq!(invoices.len(), 2, "{body}");
    assert_eq!(
        *invoices[0],
        api.read("Invoice", &id(&kept)).await,
        "full payload"
    );
    // The tombstone comes after the live objects, in the shape of the CDC sample.
    let tombstone = invoices[1];
    let sample_body = sample("cdc-response.json");
    let sample_tombstone = &sample_body["CDCResponse"][0]["QueryResponse"][1]["Estimate"][2];
    let tombstone_keys: BTreeSet<&String> = tombstone.as_object().unwrap().keys().collect();
    let sample_keys: BTreeSet<&String> = sample_tombstone.as_object().unwrap().keys().collect();
    assert_eq!(tombstone_keys, sample_keys);
    assert_eq!(tombstone["status"], "Deleted");
    assert_eq!(tombstone["Id"], doomed["Id"]);
    assert_eq!(
        tombstone["MetaData"]["LastUpdatedTime"],
        "2025-03-14T10:35:00-07:00"
    );
    assert_eq!(objects(&body, "Customer").len(), 1);
    for block in body["CDCResponse"][0]["QueryResponse"].as_array().unwrap() {
        assert_eq!(block["startPosition"], 1);
        assert!(block["maxResults"].is_u64());
    }

    // A later window sees only the delete; an inactivated name is an ordinary object.
    let stored = api.read("Customer", &customer).await;
    api.create(
        "Customer",
        json!({ "Id": customer, "SyncToken": token(&stored), "sparse": true, "Active": false }),
    )
    .await;
    let (_, later) = cdc(&api, "Invoice,Customer", "2025-03-14T10:31:00-07:00").await;
    let invoices = objects(&later, "Invoice");
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["status"], "Deleted");
    let customers = objects(&later, "Customer");
    assert_eq!(customers[0]["Active"], false);
    assert!(customers[0].get("status").is_none());

    // Nothing changed: no blocks at all.
    api.clock.advance(Duration::minutes(1));
    let (_, quiet) = cdc(&api, "Invoice", "2025-03-14T10:37:00-07:00").await;
    assert_eq!(quiet["CDCResponse"][0]["QueryResponse"], json!([]));
}

#[tokio::test]
async fn cdc_refuses_a_changed_since_older_than_30_days() {
    let mut api = Api::start().await;
    let (status, body) = cdc(&api, "Customer", "2025-02-11T10:00:00-07:00").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let detail = body["Fault"]["Error"][0]["Detail"].as_str().unwrap();
    assert!(detail.contains("older than 30 days"), "{detail}");
    // Within the window (29 days back, and a bare date) is fine.
    let (status, _) = cdc(&api, "Customer", "2025-02-13T10:00:00-07:00").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = cdc(&api, "Customer", "2025-03-01").await;
    assert_eq!(status, StatusCode::OK);
    // Moving the clock makes a once-valid bookmark too old (PITFALLS 10).
    api.clock.advance(Duration::days(31));
    api.renew_token();
    let (status, _) = cdc(&api, "Customer", "2025-03-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Bad requests: no entities, an unknown one, one CDC does not serve, a bad date.
    for (entities, since) in [
        ("", "2025-04-14"),
        ("Widget", "2025-04-14"),
        ("TaxCode", "2025-04-14"),
        ("Customer", "soon"),
    ] {
        let (status, body) = cdc(&api, entities, since).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{entities} {since}: {body}"
        );
        assert!(body["Fault"]["Error"][0]["code"].is_string());
    }
}

#[tokio::test]
async fn cdc_returns_at_most_1000_objects_oldest_first_across_entities() {
    let mut api = Api::start_with(EmulatorConfig::default()).await;
    let start = api.clock.now();
    // 1,005 changes spread over time: customers first, then vendors.
    api.server
        .emulator()
        .with_company(&api.realm, |company| {
            for index in 0..700 {
                let at = start + Duration::seconds(index);
                company
                    .create(
                        "Customer",
                        json!({ "DisplayName": format!("Customer {index:04}") }),
                        at,
                    )
                    .unwrap();
            }
            for index in 0..305 {
                let at = start + Duration::seconds(700 + index);
                company
                    .create(
                        "Vendor",
                        json!({ "DisplayName": format!("Vendor {index:04}") }),
                        at,
                    )
                    .unwrap();
            }
        })
        .unwrap();
    api.clock.advance(Duration::hours(1));
    api.renew_token();
    let (status, body) = cdc(&api, "Customer,Vendor", "2025-03-14T10:00:00-07:00").await;
    assert_eq!(status, StatusCode::OK);
    let customers = objects(&body, "Customer");
    let vendors = objects(&body, "Vendor");
    assert_eq!(
        customers.len() + vendors.len(),
        1000,
        "the cap is shared by all entities"
    );
    assert_eq!(customers.len(), 700);
    // The newest changes are the ones left for the next, narrower request.
    assert_eq!(vendors.last().unwrap()["DisplayName"], "Vendor 0299");
    let last_seen = vendors.last().unwrap()["MetaData"]["LastUpdatedTime"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rest) = cdc(&api, "Customer,Vendor", &last_seen).await;
    let rest_vendors = objects(&rest, "Vendor");
    assert_eq!(
        rest_vendors.len(),
        6,
        "continuing from the last time seen gets the remainder"
    );
    assert_eq!(rest_vendors.last().unwrap()["DisplayName"], "Vendor 0304");
}
