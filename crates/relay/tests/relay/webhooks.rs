//! Webhook deliveries: signatures, malformed bodies, duplicates, and real
//! deliveries from the emulator in both formats.

use qbo_emulator::webhooks::sign;
use serde_json::{Value, json};

use crate::support::{Setup, setup};

/// POSTs `body` to the relay's webhook endpoint with `signature`.
async fn deliver(setup: &Setup, body: &[u8], signature: Option<&str>) -> (u16, Value) {
    let mut request = setup
        .http
        .post(format!("{}/webhooks", setup.relay.base_url()))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("intuit-signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn legacy(realm_id: &str, entities: Value) -> Vec<u8> {
    json!({"eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": entities}}]})
        .to_string()
        .into_bytes()
}

fn invoice(id: &str, last_updated: &str) -> Value {
    json!({"name": "Invoice", "id": id, "operation": "Update", "lastUpdated": last_updated})
}

#[tokio::test]
async fn missing_forged_and_replayed_signatures() {
    let setup = setup().await;
    let body = legacy("9130", json!([invoice("1", "2026-03-01T10:00:00.000Z")]));

    let (status, answer) = deliver(&setup, &body, None).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error"], "unauthorized");

    let forged = sign("not-the-verifier", &body);
    assert_eq!(deliver(&setup, &body, Some(&forged)).await.0, 401);
    let other_body = legacy("9130", json!([invoice("2", "2026-03-01T10:00:00.000Z")]));
    let for_other_body = sign(&setup.verifier_token, &other_body);
    assert_eq!(deliver(&setup, &body, Some(&for_other_body)).await.0, 401);
    assert_eq!(
        deliver(&setup, &body, Some("not base64 at all!")).await.0,
        401
    );
    assert_eq!(setup.relay.store().count("9130").await.unwrap(), 0);

    // The genuine delivery, then the same bytes and signature again.
    let signature = sign(&setup.verifier_token, &body);
    let (status, answer) = deliver(&setup, &body, Some(&signature)).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"stored": 1, "duplicates": 0}));
    let (status, answer) = deliver(&setup, &body, Some(&signature)).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"stored": 0, "duplicates": 1}));
    assert_eq!(setup.relay.store().count("9130").await.unwrap(), 1);
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_400_and_store_nothing() {
    let setup = setup().await;
    let cases: [(&[u8], &str); 6] = [
        (b"{not json", "not valid JSON"),
        (b"\"a string\"", "must be a JSON object"),
        (br#"{"events": []}"#, "eventNotifications"),
        (
            br#"{"eventNotifications":[{"realmId":"9130","dataChangeEvent":{"entities":[{"name":"Invoice","operation":"Update","lastUpdated":"t"}]}}]}"#,
            "\"id\" must be a non-empty string",
        ),
        (
            br#"[{"id":"e1","type":"qbo.invoice.updated.v1","intuitentityid":"5","time":"t"}]"#,
            "intuitaccountid",
        ),
        (
            br#"[{"id":"e1","type":"something.else","intuitaccountid":"9130","intuitentityid":"5","time":"t"}]"#,
            "qbo.<entity>.<operation>.v<N>",
        ),
    ];
    for (body, needle) in cases {
        let signature = sign(&setup.verifier_token, body);
        let (status, answer) = deliver(&setup, body, Some(&signature)).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(answer["error"], "invalid_request");
        let description = answer["error_description"].as_str().unwrap();
        assert!(description.contains(needle), "{description} lacks {needle}");
    }
    // A valid change followed by a broken one: the delivery is refused whole.
    let half = legacy(
        "9130",
        json!([invoice("1", "2026-03-01T10:00:00.000Z"), {"name": "Invoice"}]),
    );
    let signature = sign(&setup.verifier_token, &half);
    assert_eq!(deliver(&setup, &half, Some(&signature)).await.0, 400);
    assert_eq!(setup.relay.store().count("9130").await.unwrap(), 0);
}

#[tokio::test]
async fn duplicate_deliveries_are_stored_once() {
    let setup = setup().await;
    let first = legacy(
        "9130",
        json!([
            invoice("1", "2026-03-01T10:00:00.000Z"),
            invoice("1", "2026-03-01T10:00:00.000Z")
        ]),
    );
    let (status, answer) =
        deliver(&setup, &first, Some(&sign(&setup.verifier_token, &first))).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"stored": 1, "duplicates": 1}));
    // A later delivery repeating that change with a new one (other bytes,
    // other signature): only the new change is stored.
    let second = legacy(
        "9130",
        json!([
            invoice("2", "2026-03-01T10:05:00.000Z"),
            invoice("1", "2026-03-01T10:00:00.000Z")
        ]),
    );
    let (status, answer) =
        deliver(&setup, &second, Some(&sign(&setup.verifier_token, &second))).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"stored": 1, "duplicates": 1}));
    // A CloudEvent re-sent with the same id is one event.
    let cloud = json!([{"specversion": "1.0", "id": "ce-77", "source": "intuit.x",
        "type": "qbo.customer.created.v1", "time": "2026-03-01T10:06:00Z",
        "intuitentityid": "58", "intuitaccountid": "9130"}])
    .to_string();
    for expected in [
        json!({"stored": 1, "duplicates": 0}),
        json!({"stored": 0, "duplicates": 1}),
    ] {
        let signature = sign(&setup.verifier_token, cloud.as_bytes());
        let (status, answer) = deliver(&setup, cloud.as_bytes(), Some(&signature)).await;
        assert_eq!(status, 200);
        assert_eq!(answer, expected);
    }
    let events = setup
        .relay
        .store()
        .events_after("9130", 0, 100)
        .await
        .unwrap();
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|event| {
            (
                event.entity.as_str(),
                event.entity_id.as_str(),
                event.operation.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Invoice", "1", "Update"),
            ("Invoice", "2", "Update"),
            ("Customer", "58", "Create")
        ]
    );
}

#[tokio::test]
async fn the_emulators_deliveries_are_acknowledged_in_both_formats() {
    let setup = setup().await;
    let (realm_id, _) = setup.emulator.connect_company("Acme");
    setup.enable_webhooks("legacy").await;
    setup.emit_change(&realm_id, "Invoice", "130").await;
    setup.enable_webhooks("cloudevents").await;
    setup.emit_change(&realm_id, "SalesReceipt", "131").await;
    let counters = setup.emulator.emulator().notifier().counters();
    assert_eq!(counters.failed_attempts, 0, "{counters:?}");
    let events = setup
        .relay
        .store()
        .events_after(&realm_id, 0, 100)
        .await
        .unwrap();
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|event| (event.entity.as_str(), event.entity_id.as_str()))
        .collect();
    assert_eq!(seen, [("Invoice", "130"), ("SalesReceipt", "131")]);
    assert!(events.iter().all(|event| event.operation == "Update"));
}

// The fuzz target's properties on the stable toolchain: arbitrary bytes,
// and arbitrary JSON of roughly the right shape, never panic the parser;
// what it accepts is complete; a body signed with its own verifier verifies.
proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bodies_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        if let Ok(changes) = relay::webhooks::parse_delivery(&data) {
            for change in changes {
                proptest::prop_assert!(!change.realm_id.is_empty() && !change.entity_id.is_empty());
            }
        }
        let (verifier, body) = data.split_at(data.len().min(16));
        let signature = relay::webhooks::sign(verifier, body);
        proptest::prop_assert!(relay::webhooks::verify_signature(verifier, body, &signature));
        proptest::prop_assert!(!relay::webhooks::verify_signature(b"another verifier", body, &signature) || verifier == b"another verifier");
    }

    #[test]
    fn near_valid_cloud_events_never_panic(
        id in proptest::option::of("[a-z0-9-]{0,12}"),
        kind in "(qbo|xyz)?\\.?[a-z]{0,8}\\.?(created|updated|merged|x)?\\.?v?[0-9]{0,2}",
        realm in proptest::option::of("[0-9]{0,10}"),
        data in proptest::option::of(proptest::prelude::any::<bool>()),
    ) {
        let mut event = json!({"type": kind, "intuitentityid": "5", "time": "2026-01-01T00:00:00Z"});
        if let Some(id) = id { event["id"] = json!(id); }
        if let Some(realm) = realm { event["intuitaccountid"] = json!(realm); }
        if let Some(object) = data { event["data"] = if object { json!({"deletedid": 7}) } else { json!("x") }; }
        let body = Value::Array(vec![event]).to_string();
        if let Ok(changes) = relay::webhooks::parse_delivery(body.as_bytes()) {
            proptest::prop_assert_eq!(changes.len(), 1);
            proptest::prop_assert!(changes[0].dedupe_key.starts_with("cloudevent"));
        }
    }
}
