//! Batch against the emulator: mixed operations with per-item outcomes, the
//! local 30-item limit, and replay of a whole batch by its requestid.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use qbo_client::{BatchAnswer, BatchItem, BatchItemResult, ErrorKind, QboError, RequestId};
use qbo_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::cdc::{first_of, fixed_clock_emulator};

fn entity_of(result: &BatchItemResult) -> Value {
    match &result.outcome {
        Ok(BatchAnswer::Entity { object, .. }) => object.clone(),
        other => panic!(
            "item {} did not answer an entity: {other:?}",
            result.batch_id
        ),
    }
}

fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn mixed_items_succeed_or_fail_one_by_one() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), true).await;
    let client = emulator.client();
    let customers = first_of(&client, "Customer", 1).await;
    let invoices = first_of(&client, "Invoice", 3).await;
    let taken_name = text(&customers[0], "DisplayName");

    let items = vec![
        BatchItem::create("new", "Vendor", json!({"DisplayName": "Batch Vendor"})),
        BatchItem::sparse_update(
            "upd",
            "Invoice",
            json!({"Id": invoices[0]["Id"], "SyncToken": invoices[0]["SyncToken"], "PrivateNote": "from a batch"}),
        ),
        BatchItem::delete(
            "del",
            "Invoice",
            &text(&invoices[1], "Id"),
            &text(&invoices[1], "SyncToken"),
        ),
        BatchItem::void(
            "void",
            "Invoice",
            &text(&invoices[2], "Id"),
            &text(&invoices[2], "SyncToken"),
        ),
        BatchItem::query("q", "SELECT * FROM Customer MAXRESULTS 3"),
        // Fails: the name is taken (6240, a validation error).
        BatchItem::create("dup", "Customer", json!({"DisplayName": taken_name})),
        // Fails: the SyncToken is not the current one (5010).
        BatchItem::sparse_update(
            "stale",
            "Customer",
            json!({"Id": customers[0]["Id"], "SyncToken": "999", "Notes": "lost"}),
        ),
    ];
    let results = client.batch(items, &RequestId::new()).await?;
    let order: Vec<&str> = results
        .iter()
        .map(|result| result.batch_id.as_str())
        .collect();
    assert_eq!(order, ["new", "upd", "del", "void", "q", "dup", "stale"]);

    let vendor = entity_of(&results[0]);
    assert_eq!(vendor["DisplayName"], "Batch Vendor");
    assert_eq!(entity_of(&results[1])["PrivateNote"], "from a batch");
    assert_eq!(entity_of(&results[2])["status"], "Deleted");
    assert!(results[3].outcome.is_ok(), "{:?}", results[3]);
    match &results[4].outcome {
        Ok(BatchAnswer::Query(response)) => {
            assert_eq!(response["Customer"].as_array().map(Vec::len), Some(3));
        }
        other => panic!("the query item answered {other:?}"),
    }
    match &results[5].outcome {
        Err(QboError::Validation { code, .. }) => assert_eq!(code, "6240"),
        other => panic!("the duplicate name answered {other:?}"),
    }
    assert_eq!(
        results[6].outcome.as_ref().map_err(QboError::kind).err(),
        Some(ErrorKind::Stale)
    );

    // The successful items really happened, the failed ones did not.
    let vendor_id = text(&vendor, "Id");
    assert_eq!(
        client.get_entity("Vendor", &vendor_id).await?["DisplayName"],
        "Batch Vendor"
    );
    let deleted = client
        .get_entity("Invoice", &text(&invoices[1], "Id"))
        .await;
    assert_eq!(
        deleted.map_err(|error| error.kind()).err(),
        Some(ErrorKind::NotFound)
    );
    let customer = client
        .get_entity("Customer", &text(&customers[0], "Id"))
        .await?;
    assert_ne!(customer["Notes"], "lost");
    Ok(())
}

#[tokio::test]
async fn more_than_thirty_items_are_refused_before_sending() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let items: Vec<BatchItem> = (0..31)
        .map(|index| {
            BatchItem::create(
                format!("c{index}"),
                "Customer",
                json!({"DisplayName": format!("Too Many {index}")}),
            )
        })
        .collect();
    let refused = client.batch(items.clone(), &RequestId::new()).await;
    match refused {
        Err(QboError::Validation { code, detail, .. }) => {
            assert_eq!(code, "1040");
            assert!(detail.contains("31 items"), "{detail}");
        }
        other => panic!("31 items were not refused: {other:?}"),
    }
    assert_eq!(emulator.requests_to("POST batch").await, 0);

    // Thirty go through.
    let results = client
        .batch(items.into_iter().take(30).collect(), &RequestId::new())
        .await?;
    assert_eq!(results.len(), 30);
    assert!(results.iter().all(|result| result.outcome.is_ok()));
    assert_eq!(emulator.requests_to("POST batch").await, 1);
    Ok(())
}

#[tokio::test]
async fn a_batch_replayed_with_its_requestid_creates_nothing_twice() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let request_id = RequestId::new();
    let items = vec![
        BatchItem::create("a", "Customer", json!({"DisplayName": "Replay A"})),
        BatchItem::create("b", "Vendor", json!({"DisplayName": "Replay B"})),
    ];
    let first = client.batch(items.clone(), &request_id).await?;
    let again = client.batch(items.clone(), &request_id).await?;
    let first_ids: Vec<String> = first
        .iter()
        .map(|result| text(&entity_of(result), "Id"))
        .collect();
    let again_ids: Vec<String> = again
        .iter()
        .map(|result| text(&entity_of(result), "Id"))
        .collect();
    assert_eq!(first_ids, again_ids);
    for (entity, name) in [("Customer", "Replay A"), ("Vendor", "Replay B")] {
        let count = client
            .query(&format!(
                "SELECT COUNT(*) FROM {entity} WHERE DisplayName = '{name}'"
            ))
            .await?;
        assert_eq!(count["totalCount"], 1, "{entity} {name}");
    }
    // A new requestid is a new batch: the names are now taken.
    let fresh = client.batch(items, &RequestId::new()).await?;
    assert!(fresh.iter().all(|result| result.outcome.is_err()));
    Ok(())
}
