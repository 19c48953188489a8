//! Webhooks from the emulator to a local receiver: the real signature checks,
//! both formats read into the same notices, refusals, and retried deliveries.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use qbo_client::webhooks::{SIGNATURE_HEADER, sign};
use qbo_client::{
    ChangeNotice, Operation, QboError, RequestId, WebhookError, parse_notification,
    verify_signature,
};
use qbo_emulator::EmulatorConfig;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::cdc::{first_of, fixed_clock_emulator, start_time};
use crate::support::Emulator;

const VERIFIER: &str = "verifier-token-for-tests";

/// One POST as the receiver saw it.
#[derive(Debug)]
struct Delivery {
    signature: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Receiver {
    deliveries: mpsc::UnboundedSender<Delivery>,
    /// Answers 500 to this many deliveries before answering 200.
    refusals_left: Arc<AtomicUsize>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let _ = receiver.deliveries.send(Delivery {
        signature: header(SIGNATURE_HEADER),
        content_type: header("content-type"),
        body: body.to_vec(),
    });
    let refuse = receiver
        .refusals_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    if refuse {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// Starts a receiver on a free local port; returns its URL, the deliveries
/// and the refusal counter.
async fn start_receiver() -> (String, mpsc::UnboundedReceiver<Delivery>, Arc<AtomicUsize>) {
    let (sender, deliveries) = mpsc::unbounded_channel();
    let refusals_left = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(Receiver {
            deliveries: sender,
            refusals_left: Arc::clone(&refusals_left),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/hook"), deliveries, refusals_left)
}

async fn subscribe(emulator: &Emulator, endpoint: &str, format: &str) {
    let response = emulator
        .http
        .post(format!("{}/_emulator/webhooks", emulator.server.base_url()))
        .json(&json!({"endpoint_url": endpoint, "verifier_token": VERIFIER, "format": format}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn next_delivery(deliveries: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(10), deliveries.recv())
        .await
        .expect("a delivery arrives within 10 s")
        .expect("the receiver is running")
}

/// Verifies and parses a delivery the way a receiver must: signature first,
/// on the raw bytes.
fn accept(delivery: &Delivery) -> Result<Vec<ChangeNotice>, WebhookError> {
    verify_signature(
        VERIFIER.as_bytes(),
        &delivery.body,
        delivery.signature.as_deref().unwrap_or(""),
    )?;
    parse_notification(&delivery.body)
}

fn without_event_ids(notices: &[ChangeNotice]) -> Vec<ChangeNotice> {
    notices
        .iter()
        .cloned()
        .map(|notice| ChangeNotice {
            event_id: None,
            ..notice
        })
        .collect()
}

#[tokio::test]
async fn both_formats_verify_and_read_into_the_same_notices() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), true).await;
    let client = emulator.client();
    let notifier = Arc::clone(emulator.server.emulator().notifier());
    let (endpoint, mut deliveries, _) = start_receiver().await;
    let customer = first_of(&client, "Customer", 1).await.remove(0);
    let customer_id = customer["Id"].as_str().unwrap_or_default().to_owned();

    // The same kind of change (an update of the same customer at the same
    // emulated instant), once per format.
    let mut notices_by_format = Vec::new();
    let mut sync_token = customer["SyncToken"].clone();
    for format in ["legacy", "cloudevents"] {
        subscribe(&emulator, &endpoint, format).await;
        let updated = client
            .sparse_update(
                "Customer",
                &json!({"Id": customer_id, "SyncToken": sync_token, "Notes": format}),
                &RequestId::new(),
            )
            .await?;
        sync_token = updated["SyncToken"].clone();
        notifier.flush();
        let delivery = next_delivery(&mut deliveries).await;
        let expected_type = if format == "legacy" {
            "application/json"
        } else {
            "application/cloudevents+json"
        };
        assert_eq!(delivery.content_type.as_deref(), Some(expected_type));
        let body: Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(body.is_array(), format == "cloudevents");
        let notices = accept(&delivery).unwrap();
        assert_eq!(
            notices.iter().all(|notice| notice.event_id.is_some()),
            format == "cloudevents"
        );
        notices_by_format.push(without_event_ids(&notices));
    }
    let expected = vec![ChangeNotice {
        realm_id: emulator.realm.clone(),
        entity: "Customer".to_owned(),
        id: customer_id,
        operation: Operation::Update,
        last_updated: Some(start_time()),
        deleted_id: None,
        event_id: None,
    }];
    assert_eq!(notices_by_format[0], expected);
    assert_eq!(notices_by_format[1], expected);
    Ok(())
}

#[tokio::test]
async fn bad_signatures_and_malformed_bodies_are_refused() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let (endpoint, mut deliveries, _) = start_receiver().await;
    subscribe(&emulator, &endpoint, "legacy").await;
    client
        .create(
            "Customer",
            &json!({"DisplayName": "Signed"}),
            &RequestId::new(),
        )
        .await?;
    emulator.server.emulator().notifier().flush();
    let delivery = next_delivery(&mut deliveries).await;
    let signature = delivery.signature.clone().unwrap_or_default();
    assert!(accept(&delivery).is_ok());

    // One byte more, another token, or no header at all.
    let mut tampered = delivery.body.clone();
    tampered.push(b' ');
    assert_eq!(
        verify_signature(VERIFIER.as_bytes(), &tampered, &signature),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_signature(b"the client secret", &delivery.body, &signature),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_signature(VERIFIER.as_bytes(), &delivery.body, ""),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        WebhookError::BadSignature.to_string(),
        "the webhook's intuit-signature does not match its body"
    );

    // Correctly signed, but not a notification.
    let malformed = br#"{"eventNotifications":[{"realmId":"1","dataChangeEvent":{}}]}"#;
    let malformed_delivery = Delivery {
        signature: Some(sign(VERIFIER.as_bytes(), malformed)),
        content_type: None,
        body: malformed.to_vec(),
    };
    match accept(&malformed_delivery) {
        Err(WebhookError::Malformed(reason)) => assert!(reason.contains("entities"), "{reason}"),
        other => panic!("a malformed body was accepted: {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn duplicated_and_reordered_deliveries_parse_independently() -> Result<(), QboError> {
    let emulator = fixed_clock_emulator(EmulatorConfig::default(), false).await;
    let client = emulator.client();
    let clock = emulator.server.emulator().clock().clone();
    let notifier = Arc::clone(emulator.server.emulator().notifier());
    let (endpoint, mut deliveries, refusals_left) = start_receiver().await;
    subscribe(&emulator, &endpoint, "cloudevents").await;

    // The first attempt is refused, so Intuit (the emulator) sends the same
    // bytes again after 10 s.
    refusals_left.store(1, Ordering::SeqCst);
    for name in ["First", "Second"] {
        client
            .create("Vendor", &json!({"DisplayName": name}), &RequestId::new())
            .await?;
        clock.advance(chrono::Duration::seconds(1));
    }
    notifier.flush();
    let refused = next_delivery(&mut deliveries).await;
    // The receiver answers after handing the body over: wait until the
    // emulator has booked the refusal before moving its clock past the
    // first retry step (10 s).
    tokio::time::timeout(Duration::from_secs(10), async {
        while notifier.counters().failed_attempts == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the refusal is booked");
    clock.advance(chrono::Duration::seconds(11));
    let retried = next_delivery(&mut deliveries).await;
    assert_eq!(refused.body, retried.body);
    assert_eq!(refused.signature, retried.signature);
    let first = accept(&refused).unwrap();
    let again = accept(&retried).unwrap();
    // A duplicate reads the same, event ids included: deduplicating on them
    // is the sync engine's job.
    assert_eq!(first, again);
    assert_eq!(first.len(), 2);
    assert!(first[0].last_updated < first[1].last_updated);

    // Events reordered in transit (re-signed, as a relay would) read in the
    // order received; each notice is the same as before.
    let mut events: Vec<Value> = serde_json::from_slice(&retried.body).unwrap();
    events.reverse();
    let reordered_body = serde_json::to_vec(&events).unwrap();
    let reordered = Delivery {
        signature: Some(sign(VERIFIER.as_bytes(), &reordered_body)),
        content_type: None,
        body: reordered_body,
    };
    let mut reversed = accept(&reordered).unwrap();
    reversed.reverse();
    assert_eq!(reversed, first);
    Ok(())
}
